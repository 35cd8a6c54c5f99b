"""The data behind the figures: mean curves, bands, monthly flows, differences.

Pure functions of :class:`~sim.plotting.results.Result` objects returning
:class:`Band` values; the figures only draw them, and the tests check them
against ``summary.csv`` and ``timeseries.csv``.

Three kinds of band appear, and every figure says which it shows and what it holds:

* **5-95% of replications** (``summary.csv``'s ``p05``/``p95``, or the same
  percentiles of monthly flows): where 90% of single simulated histories lie.
  Without a posterior this is replication noise only, the spread of the
  process with every parameter fixed; in a run drawn from a posterior
  (``bandwagon run --posterior``) each replication also has its own parameter
  draw, so the band holds parameter uncertainty and replication noise.
* **90% confidence interval of a mean difference** between two runs without
  a posterior, from the replications' standard errors.  Runs of one seed
  share their random numbers replication by replication
  (``SeedSequence(seed, spawn_key=(r,))`` spawned into named streams), so
  replication ``r`` of a counterfactual is the baseline's replication ``r``
  with the changed mechanism: the paired differences ``d_r = x_r - y_r``
  remove the noise the two share, and the interval is ``mean(d) +- t(0.95,
  n-1) sd(d) / sqrt(n)``, over the replications both runs have.  Runs with
  different seeds are independent: Welch's interval ``+- t(0.95, nu)
  sqrt(s_x^2/n_x + s_y^2/n_y)`` with Welch-Satterthwaite degrees of freedom ``nu``.
* **5-95% of the paired differences** between runs drawn from a posterior:
  replication ``r`` of both took the same draw, so ``d_r`` is the effect in
  draw ``r`` and their spread is what the reported figures leave open about
  the effect.  A confidence interval of the mean would shrink with more
  replications and hide exactly that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..targets import Target
from .results import Result

PERCENTILES = (5, 95)
CONFIDENCE = 0.90


@dataclass(frozen=True)
class Band:
    """A mean curve with an optional band, on days (or on month edges for flows)."""

    dates: np.ndarray
    """``datetime64[D]``: the days of ``mean``; for monthly flows, the month starts."""
    mean: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    what: str = ""
    """What the band is, in words, for the figure's note."""
    end: np.datetime64 | None = None
    """For monthly flows: the day after the last month (the last edge of the steps)."""
    holds: str = ""
    """Which uncertainty the band holds, in words: replication noise only, or parameters and noise."""

    @property
    def has_band(self) -> bool:
        return self.low is not None

    @property
    def described(self) -> str:
        """What the band is and what it holds, for a figure's note."""
        return f"{self.what}, holding {self.holds}" if self.holds and self.has_band else self.what


def replicate_band(dates: np.ndarray, values: np.ndarray, what: str = "") -> Band:
    """Mean and 5-95% percentiles over replications (axis 0), computed as ``summary.csv`` is."""
    values = np.asarray(values, dtype=float)
    low, high = np.percentile(values, PERCENTILES, axis=0)
    return Band(dates, values.mean(axis=0), low, high,
                what or f"5-95% of {values.shape[0]} replications")


def metric_band(result: Result, metric: str) -> Band:
    """The metric's mean and 5-95% band, as written in ``summary.csv``."""
    s = result.summary.stats[metric]
    n = result.replication_count()
    return Band(result.dates, s["mean"], s["p05"], s["p95"], f"5-95% of {n} runs" if n else "5-95% of runs",
                holds=result.uncertainty)


# --- monthly flows -----------------------------------------------------------------------
def month_ends(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.datetime64]:
    """Indices of the last day of each complete month in ``dates``, the month starts, and the end edge.

    The first month may begin after its first day (the horizon's start); a last
    month the horizon does not complete is left out.
    """
    months = dates.astype("datetime64[M]")
    last = np.flatnonzero(months[1:] != months[:-1])
    final_month = months[-1]
    if dates[-1] + 1 != (final_month + 1).astype("datetime64[D]"):
        final = last
    else:
        final = np.append(last, len(dates) - 1)
    starts = months[final].astype("datetime64[D]")
    end = (months[final[-1]] + 1).astype("datetime64[D]") if len(final) else dates[-1] + 1
    return final, starts, end


def monthly_new(result: Result, metric: str) -> Band:
    """New items per calendar month of a stock that is zero before the horizon (accounts).

    The change of the stock between month ends; the first month counts from
    zero, which is exact for government accounts because every platform opens
    within the horizon.  With ``timeseries.csv`` the band is the 5-95% of the
    replications' monthly counts; without it only the mean is known.
    """
    index, starts, end = month_ends(result.dates)
    series = result.timeseries()
    if series is not None and metric in series[1]:
        days, per_run = series
        if len(days) == len(result.dates) and (days == result.dates).all():
            at_ends = per_run[metric][:, index]
            flows = np.diff(at_ends, axis=1, prepend=0.0)
            band = replicate_band(starts, flows, f"5-95% of {flows.shape[0]} runs' monthly counts")
            return Band(band.dates, band.mean, band.low, band.high, band.what, end, holds=result.uncertainty)
    mean = np.diff(result.summary.stats[metric]["mean"][index], prepend=0.0)
    return Band(starts, mean, None, None, "no band: timeseries.csv not found", end)


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


def common_dates(*results: Result) -> np.ndarray:
    dates = results[0].dates
    for other in results[1:]:
        dates = np.intersect1d(dates, other.dates)
    return dates


def _on(result_dates: np.ndarray, dates: np.ndarray) -> np.ndarray:
    return (dates - result_dates[0]).astype(int)


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
    return (series_x[1][metric][:, _on(series_x[0], dates)], series_y[1][metric][:, _on(series_y[0], dates)])


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
    mean_x = result.summary.stats[metric]["mean"][_on(result.dates, dates)]
    mean_y = reference.summary.stats[metric]["mean"][_on(reference.dates, dates)]
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
        x = result.summary.stats[metric]["mean"][_on(result.dates, dates)]
        y = reference.summary.stats[metric]["mean"][_on(reference.dates, dates)]
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


# --- reported figures ----------------------------------------------------------------------
@dataclass(frozen=True)
class TargetValue:
    """The model's value of a reported figure: mean and, when known, its 5-95% range."""

    mean: float
    low: float | None
    high: float | None


def target_value(result: Result, target: Target) -> TargetValue | None:
    """The model's value for ``target`` (None if the run lacks the metric or the dates)."""
    if target.metric not in result.summary.stats:
        return None
    start = result.dates[0].astype(dt.date)
    end = result.dates[-1].astype(dt.date)
    needed = [d for d in target.dates_needed() if d != start - dt.timedelta(days=1)]
    if any(not start <= d <= end for d in needed):
        return None
    s = result.summary.stats[target.metric]
    mean = float(target.model_value(s["mean"], start))
    if target.date is not None:
        return TargetValue(mean, float(target.model_value(s["p05"], start)), float(target.model_value(s["p95"], start)))
    series = result.timeseries()
    if series is None or target.metric not in series[1]:
        return TargetValue(mean, None, None)
    per_run = target.model_value(series[1][target.metric], start)
    low, high = np.percentile(per_run, PERCENTILES)
    return TargetValue(mean, float(low), float(high))


def plotted_targets(targets, metrics: list[str], dates: np.ndarray) -> list[tuple[str, Target]]:
    """Targets on a stock (a date, not a period) of one of ``metrics`` within ``dates``."""
    if targets is None or len(dates) == 0:
        return []
    return [(name, t) for name, t in targets.targets.items()
            if t.metric in metrics and t.date is not None
            and dates[0] <= np.datetime64(t.date, "D") <= dates[-1]]


# --- smoothed daily values ---------------------------------------------------------------------
def rolling_band(result: Result, metric: str, days: int = 7) -> Band:
    """The trailing ``days``-day average of a daily metric, per run, then mean and 5-95% over the runs.

    For day-to-day values as jagged as a response time (a Monday answers the
    weekend's messages); days where a run has no value (NaN) are left out of
    its average.  Without ``timeseries.csv`` the mean of ``summary.csv`` is
    averaged instead, with no band.
    """
    series = result.timeseries()
    if series is not None and metric in series[1] and len(series[0]) == len(result.dates):
        values = series[1][metric]
        smooth = _trailing_nanmean(values, days)
        defined = ~np.isnan(smooth)
        mean = np.full(smooth.shape[1], np.nan)
        low, high = mean.copy(), mean.copy()
        some = defined.any(axis=0)
        if some.any():
            mean[some] = np.nanmean(smooth[:, some], axis=0)
            low[some], high[some] = np.nanpercentile(smooth[:, some], PERCENTILES, axis=0)
        return Band(result.dates, mean, low, high,
                    f"5-95% of {values.shape[0]} runs' {days}-day averages")
    mean = _trailing_nanmean(result.summary.stats[metric]["mean"][None, :], days)[0]
    return Band(result.dates, mean, None, None, f"{days}-day average of the mean; no band: timeseries.csv not found")


def _trailing_nanmean(values: np.ndarray, days: int) -> np.ndarray:
    """Mean of each row over the last ``days`` days (fewer at the start), ignoring NaN; NaN if all are."""
    values = np.asarray(values, dtype=float)
    defined = ~np.isnan(values)
    filled = np.where(defined, values, 0.0)
    total = np.cumsum(filled, axis=1)
    count = np.cumsum(defined, axis=1)
    total[:, days:] -= total[:, :-days].copy()
    count[:, days:] -= count[:, :-days].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
