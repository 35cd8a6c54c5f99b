"""Differences between runs and the effect of a counterfactual: pairing, intervals, effect tables.

Runs of one seed are paired replication by replication (common random
numbers); the band of a difference and the rows of an effect table are
computed here, below both the figures (:mod:`sim.plotting.figures`) and the
reports (:mod:`sim.report.content`).  What each interval holds is said in
:mod:`sim.results.series`'s docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .loading import Result
from .series import CONFIDENCE, PERCENTILES, Band, common_dates, on_days


# --- differences between runs ------------------------------------------------------------
@dataclass(frozen=True)
class Pairing:
    """How two runs share their replications: replication ``r`` of each, for the first ``n``."""

    n: int
    same_draws: bool | None
    """Both drew from the same posterior, so replication ``r`` of each took the same draw (None: no posterior)."""
    draws: str
    """What the draws are, in words: "" (no posterior), "the same posterior draws", "different posterior draws"..."""
    words: str


def pairing(result: Result, reference: Result) -> Pairing | None:
    """The pairing of two runs of one seed, or None (another seed, or unknown).

    Replication ``r`` draws from ``SeedSequence(seed, spawn_key=(r,))`` (and,
    with a posterior, takes a draw fixed by the same seed and ``r``), whatever
    the number of replications: runs of one seed pair over the replications
    both have, ``0..min(n_x, n_y) - 1``.
    """
    if result.seed is None or result.seed != reference.seed:
        return None
    nx, ny = result.replication_count(), reference.replication_count()
    if not nx or not ny:
        return None
    n = min(nx, ny)
    dx, dy = result.draws(), reference.draws()
    same_draws = None
    draws = ""
    if dx is not None or dy is not None:
        same_draws = (dx is not None and dy is not None and dx[:n] == dy[:n]
                      and result.posterior.get("csv_sha256") == reference.posterior.get("csv_sha256"))
        draws = "the same posterior draws" if same_draws else (
            "different posterior draws" if dx is not None and dy is not None else
            f"only {(result if dx is not None else reference).label} drew from a posterior")
    shared = f", the first {n} of {nx} and {ny}" if nx != ny else ""
    detail = f", {draws}" if draws else ""
    return Pairing(n, same_draws, draws, f"paired by replication (common random numbers{detail}, n={n}{shared})")


def drawn_uncertainty(result: Result, reference: Result) -> str | None:
    """The words for a difference that carries parameter uncertainty (None if neither run has a posterior)."""
    drawn = [r for r in (result, reference) if r.posterior is not None]
    return drawn[0].uncertainty if drawn else None


def replicate_values(result: Result, reference: Result, metric: str, dates: np.ndarray):
    """``(x, y)``: both runs' replications of ``metric`` on ``dates``, or the labels of runs without them."""
    series_x, series_y = result.timeseries(), reference.timeseries()
    missing = [r.label for r, s in ((result, series_x), (reference, series_y)) if s is None or metric not in s[1]]
    if missing:
        return missing
    return (series_x[1][metric][:, on_days(series_x[0], dates)], series_y[1][metric][:, on_days(series_y[0], dates)])


def difference(result: Result, reference: Result, metric: str) -> Band:
    """``result - reference`` on their common days, with a band when the replications allow one.

    Paired runs without a posterior: the 90% confidence interval of the mean
    difference (it narrows with more replications: the parameters are fixed).
    Paired runs drawn from a posterior: the 5-95% range of the paired
    differences, the counterfactual's effect across the draws, which does not
    narrow with more replications because it holds what the figures leave open.
    Runs of different seeds: Welch's interval of the difference of means.
    """
    dates = common_dates(result, reference)
    mean_x = result.summary.stats[metric]["mean"][on_days(result.dates, dates)]
    mean_y = reference.summary.stats[metric]["mean"][on_days(reference.dates, dates)]
    if len(dates) == 0:
        return Band(dates, np.array([]), what="no common days")
    values = replicate_values(result, reference, metric, dates)
    if isinstance(values, list):
        whose = f" for {reference.label}" if reference.label in values else ""
        return Band(dates, mean_x - mean_y, what=f"no band (no timeseries.csv{whose})")
    x, y = values
    t_level = 0.5 + CONFIDENCE / 2
    pair = pairing(result, reference)
    if pair is not None:
        n = min(pair.n, x.shape[0], y.shape[0])
        d = x[:n] - y[:n]
        mean = d.mean(axis=0)
        if n < 2:
            return Band(dates, mean, what="no band: one replication")
        drawn = drawn_uncertainty(result, reference)
        if drawn is not None:
            low, high = np.percentile(d, PERCENTILES, axis=0)
            return Band(dates, mean, low, high, f"5-95% of the paired differences, {pair.words}", holds=drawn)
        half = stats.t.ppf(t_level, n - 1) * d.std(axis=0, ddof=1) / np.sqrt(n)
        what = f"{CONFIDENCE:.0%} confidence interval of the mean difference, {pair.words}"
        return Band(dates, mean, mean - half, mean + half, what, holds=result.uncertainty)
    nx, ny = x.shape[0], y.shape[0]
    mean = x.mean(axis=0) - y.mean(axis=0)
    if nx < 2 or ny < 2:
        return Band(dates, mean, what="no band: one replication")
    low, high = welch_interval(x, y)
    what = (f"{CONFIDENCE:.0%} confidence interval of the difference of means, "
            f"independent replications (Welch, n={nx} and {ny})")
    return Band(dates, mean, low, high, what, holds=drawn_uncertainty(result, reference) or result.uncertainty)


def welch_interval(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Welch's 90% interval of ``mean(x) - mean(y)`` over axis 0, Welch-Satterthwaite degrees of freedom."""
    nx, ny = x.shape[0], y.shape[0]
    mean = x.mean(axis=0) - y.mean(axis=0)
    vx, vy = x.var(axis=0, ddof=1) / nx, y.var(axis=0, ddof=1) / ny
    se = np.sqrt(vx + vy)
    with np.errstate(divide="ignore", invalid="ignore"):
        nu = (vx + vy) ** 2 / (vx ** 2 / (nx - 1) + vy ** 2 / (ny - 1))
    nu = np.where(np.isfinite(nu), nu, nx + ny - 2)
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, nu) * se
    return mean - half, mean + half


# --- the effect of a counterfactual at chosen dates ----------------------------------------
@dataclass(frozen=True)
class Effect:
    """``result - reference`` of one metric on one day, over the paired replications."""

    date: np.datetime64
    mean: float
    low: float | None
    """5th percentile of the paired differences (paired runs), or Welch's lower bound (unpaired)."""
    high: float | None
    positive: float | None
    """Share of the paired replications (draws) in which the difference is positive."""
    zero: float | None
    """Share in which it is exactly zero (a change that has not yet acted)."""
    mean_half_width: float | None
    """Half-width of the 90% t interval of the mean (its Monte Carlo error)."""
    n: int
    """Replications used (0: none, the difference of the means in ``summary.csv``)."""
    paired: bool


EFFECT_COLUMNS = ("run", "reference", "metric", "date", "paired", "n", "mean", "low", "high", "positive_share",
                  "zero_share", "mean_ci_half_width", "holds")
"""``effects.csv`` of a comparison: one row per run, metric and date (see :class:`Effect`)."""


@dataclass(frozen=True)
class Effects:
    """The effect of one run relative to the reference on one metric, at the dates that matter."""

    run: Result
    reference: Result
    metric: str
    rows: list[Effect]
    """One per date; without both runs' replications (no timeseries.csv), differences of means only."""
    holds: str
    """Which uncertainty the intervals hold, in words."""

    @property
    def drawn(self) -> bool:
        """Paired over posterior draws: the intervals hold parameter uncertainty."""
        return bool(self.rows) and self.rows[0].paired and drawn_uncertainty(self.run, self.reference) is not None


def comparison_effects(results: list[Result], reference: Result, metrics: list[str]) -> list[Effects]:
    """Each run's effect relative to ``reference`` on each metric both have (run order, then metric order)."""
    targets = next((r.targets for r in [reference, *results] if r.targets is not None), None)
    out = []
    for result in results:
        if result is reference:
            continue
        for metric in metrics:
            if metric not in result.summary.stats or metric not in reference.summary.stats:
                continue
            dates = effect_dates(result, reference, metric, targets)
            holds = drawn_uncertainty(result, reference) or result.uncertainty
            out.append(Effects(result, reference, metric, effects(result, reference, metric, dates), holds))
    return out


def effect_dates(result: Result, reference: Result, metric: str, targets) -> np.ndarray:
    """The dates of the reported figures on ``metric`` the two runs share, then the last common day."""
    dates = common_dates(result, reference)
    if len(dates) == 0:
        return dates
    chosen = [np.datetime64(t.date, "D") for t in (targets.targets.values() if targets is not None else ())
              if t.metric == metric and t.date is not None]
    chosen = sorted({d for d in chosen if dates[0] <= d <= dates[-1]} | {dates[-1]})
    return np.array(chosen, dtype="datetime64[D]")


def effects(result: Result, reference: Result, metric: str, dates: np.ndarray) -> list[Effect]:
    """The effect on each of ``dates`` (only the difference of means without both runs' timeseries.csv)."""
    values = replicate_values(result, reference, metric, dates)
    if isinstance(values, list):
        x = result.summary.stats[metric]["mean"][on_days(result.dates, dates)]
        y = reference.summary.stats[metric]["mean"][on_days(reference.dates, dates)]
        return [Effect(date, float(a - b), None, None, None, None, None, 0, False) for date, a, b in zip(dates, x, y)]
    x, y = values
    pair = pairing(result, reference)
    out = []
    if pair is not None:
        n = min(pair.n, x.shape[0], y.shape[0])
        d = x[:n] - y[:n]
        low, high = np.percentile(d, PERCENTILES, axis=0)
        half = (stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * d.std(axis=0, ddof=1) / np.sqrt(n) if n > 1
                else np.full(len(dates), np.nan))
        for i, date in enumerate(dates):
            out.append(Effect(date, float(d[:, i].mean()), float(low[i]), float(high[i]),
                              float((d[:, i] > 0).mean()), float((d[:, i] == 0).mean()),
                              None if np.isnan(half[i]) else float(half[i]), n, True))
        return out
    mean = x.mean(axis=0) - y.mean(axis=0)
    enough = x.shape[0] > 1 and y.shape[0] > 1
    low, high = welch_interval(x, y) if enough else (None, None)
    for i, date in enumerate(dates):
        out.append(Effect(date, float(mean[i]), float(low[i]) if enough else None,
                          float(high[i]) if enough else None, None, None, None, min(x.shape[0], y.shape[0]), False))
    return out
