"""Which parameters drive which outcomes, with confidence intervals.

``sobol`` designs
    First-order and total Sobol' indices (Sobol' 1993, 2001) by
    ``scipy.stats.sobol_indices`` from the function values at the A, B and
    AB_i points (Saltelli et al. 2010), each point's value being its mean over
    replications.  Intervals are BCa bootstrap intervals over the N base
    samples (as ``SobolResult.bootstrap`` computes them), drawn from a
    generator seeded by the sweep, so ``sensitivity.csv`` is reproducible.
other designs
    Standardised regression coefficients (Saltelli et al. 2008, *Global
    Sensitivity Analysis: The Primer*, section 1.2.5): the least-squares
    slopes of the standardised outcome on the standardised parameters (on
    the log scale for log-spaced parameters), over every run, with t
    intervals from the regression's standard errors (scaled by the sample's
    standard deviations, taken as fixed).  ``r2`` says how much
    of the outcome's variance the linear fit explains: when it is low the
    coefficients say little.

Dates never reached count as the day after the horizon (censored), so that
every run has a value; ``points.csv`` reports how often each date was reached.
"""

from __future__ import annotations

import csv
import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..output.atomic import atomic_file
from .outcomes import format_number

CONFIDENCE = 0.95
RESAMPLES = 999
COLUMNS = ("outcome", "parameter", "measure", "estimate", "low", "high", "confidence", "r2", "note")


@dataclass(frozen=True)
class Index:
    outcome: str
    parameter: str
    measure: str
    """``first_order``, ``total_order`` (Sobol') or ``src``."""
    estimate: float
    low: float
    high: float
    r2: float = math.nan
    note: str = ""
    """Why there is no estimate, or what to keep in mind (censored dates)."""


def sobol(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, rng: np.random.Generator, *,
          confidence: float = CONFIDENCE, resamples: int = RESAMPLES) -> dict[str, np.ndarray]:
    """First and total indices of one outcome with bootstrap intervals.

    ``f_a`` and ``f_b`` have shape ``(n,)``, ``f_ab`` ``(d, n)``.  Returns
    arrays of length ``d``: ``first``, ``total``, ``first_low``,
    ``first_high``, ``total_low``, ``total_high`` (NaN when the outcome does
    not vary, or the intervals cannot be formed).
    """
    f_a, f_b, f_ab = (np.asarray(x, dtype=float) for x in (f_a, f_b, f_ab))
    d, n = f_ab.shape
    nan = np.full(d, math.nan)
    if np.var(np.concatenate([f_a, f_b])) == 0:
        return dict(first=nan, total=nan, first_low=nan, first_high=nan, total_low=nan, total_high=nan)

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = stats.sobol_indices(func={"f_A": f_a[np.newaxis], "f_B": f_b[np.newaxis],
                                           "f_AB": f_ab[:, np.newaxis]}, n=n)
        estimate = np.concatenate([np.atleast_1d(result.first_order), np.atleast_1d(result.total_order)])
        # Resample the N base rows, as SobolResult.bootstrap does, but from our own seeded generator
        # (its bootstrap takes no generator).  Values are centred once, by the full sample's mean.
        centre = np.mean([f_a, f_b])
        a, b, ab = f_a - centre, f_b - centre, f_ab - centre

        def statistic(idx, axis=-1):
            return np.concatenate(saltelli_2010(a[idx], b[idx], ab[:, idx]))

        try:
            boot = stats.bootstrap([np.arange(n)], statistic, method="BCa", n_resamples=resamples,
                                   confidence_level=confidence, vectorized=True, rng=rng)
            low, high = boot.confidence_interval.low, boot.confidence_interval.high
        except (ValueError, np.linalg.LinAlgError):
            low = high = np.full(2 * d, math.nan)
    return dict(first=estimate[:d], total=estimate[d:], first_low=low[:d], first_high=high[:d],
                total_low=low[d:], total_high=high[d:])


def saltelli_2010(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and total indices from centred values (Saltelli et al. 2010, table 2 (b) and (f)).

    The estimators of ``scipy.stats.sobol_indices``' default method, written
    for any sample size and batched over leading axes: ``f_a``, ``f_b`` have
    shape ``(..., n)``, ``f_ab`` ``(d, ..., n)``; returns two ``(d, ...)`` arrays.
    """
    var = np.var(np.concatenate([f_a, f_b], axis=-1), axis=-1)
    first = np.mean(f_b * (f_ab - f_a), axis=-1) / var
    total = 0.5 * np.mean((f_a - f_ab) ** 2, axis=-1) / var
    return first, total


def src(x: np.ndarray, y: np.ndarray, *, confidence: float = CONFIDENCE) -> dict[str, np.ndarray | float]:
    """Standardised regression coefficients of ``y`` (``(m,)``) on ``x`` (``(m, d)``), with t intervals."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    m, d = x.shape
    out = dict(estimate=np.full(d, math.nan), low=np.full(d, math.nan), high=np.full(d, math.nan), r2=math.nan)
    sx, sy = x.std(axis=0), y.std()
    varying = sx > 0
    k = int(varying.sum())
    if sy == 0 or k == 0 or m <= k + 1:
        return out
    xs = (x[:, varying] - x[:, varying].mean(axis=0)) / sx[varying]
    ys = (y - y.mean()) / sy
    beta, *_ = np.linalg.lstsq(xs, ys, rcond=None)
    residual = ys - xs @ beta
    dof = m - k - 1
    sigma2 = float(residual @ residual) / dof
    covariance = sigma2 * np.linalg.pinv(xs.T @ xs)
    half = stats.t.ppf(0.5 + confidence / 2, dof) * np.sqrt(np.clip(np.diag(covariance), 0, None))
    out["estimate"][varying] = beta
    out["low"][varying] = beta - half
    out["high"][varying] = beta + half
    out["r2"] = 1 - float(residual @ residual) / float(ys @ ys)
    return out


def analyse(plan, results, rng: np.random.Generator) -> list[Index]:
    """The sensitivity indices of every outcome column of a finished sweep."""
    sweep = plan.sweep
    names = [p.name for p in sweep.parameters]
    censor = float(sweep.days)
    sobol_n = plan.design.sobol_n
    x = None if sobol_n is not None else regressors(plan)[results.run_point]
    indices: list[Index] = []
    for j, column in enumerate(sweep.columns):
        values = results.point_means[:, j] if sobol_n is not None else results.outcomes[:, j]
        missing = int(np.isnan(results.outcomes[:, j]).sum())
        y = np.nan_to_num(values, nan=censor)
        if missing == len(results.outcomes):
            note = "never reached" if column.is_date else "undefined"
        elif np.ptp(y) == 0:
            note = "does not vary"
        elif missing:
            note = f"not reached in {missing} of {len(results.outcomes)} runs: counted as the day after the horizon"
        else:
            note = ""
        if sobol_n is not None:
            n, d = sobol_n, len(names)
            r = sobol(y[:n], y[n:2 * n], y[2 * n:].reshape(d, n), rng)
            for i, name in enumerate(names):
                indices.append(Index(column.name, name, "first_order", r["first"][i], r["first_low"][i],
                                     r["first_high"][i], note=note))
                indices.append(Index(column.name, name, "total_order", r["total"][i], r["total_low"][i],
                                     r["total_high"][i], note=note))
        else:
            r = src(x, y)
            for i, name in enumerate(names):
                indices.append(Index(column.name, name, "src", r["estimate"][i], r["low"][i], r["high"][i],
                                     r["r2"], note=note))
    return indices


def regressors(plan) -> np.ndarray:
    """Each point's parameters as numbers: log10 for log-spaced ranges, ordinal for dates, rank for text."""
    sweep = plan.sweep
    columns = []
    for i, parameter in enumerate(sweep.parameters):
        spec = sweep.spec.parameters[parameter.name]
        values = [point.values[i] for point in plan.points]
        if all(isinstance(v, (int, float)) for v in values):
            column = np.asarray(values, dtype=float)
            if spec.spacing == "log":
                column = np.log10(column)
        elif all(hasattr(v, "toordinal") for v in values):
            column = np.asarray([v.toordinal() for v in values], dtype=float)
        else:
            order = {v: k for k, v in enumerate(dict.fromkeys(spec.values or values))}
            column = np.asarray([order[v] for v in values], dtype=float)
        columns.append(column)
    return np.column_stack(columns)


def write(path, indices: list[Index]) -> None:
    with atomic_file(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for ix in indices:
            writer.writerow([ix.outcome, ix.parameter, ix.measure, *(_text(v) for v in (ix.estimate, ix.low, ix.high)),
                             format_number(CONFIDENCE), _text(ix.r2), ix.note])


def _text(value: float) -> str:
    return "" if value is None or not math.isfinite(value) else f"{float(value):.6g}"
