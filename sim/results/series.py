"""The data behind the figures and reports: mean curves, bands, monthly flows, the reported figures' values.

Pure functions of :class:`~sim.results.loading.Result` objects returning
:class:`Band` values; the figures only draw them, the reports tabulate them,
and the tests check them against ``summary.csv`` and ``timeseries.csv``.
Differences between runs and the effect of a counterfactual are in
:mod:`sim.results.effects`.

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

from ..targets import Target
from .loading import Result

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


def common_dates(*results: Result) -> np.ndarray:
    dates = results[0].dates
    for other in results[1:]:
        dates = np.intersect1d(dates, other.dates)
    return dates


def on_days(result_dates: np.ndarray, dates: np.ndarray) -> np.ndarray:
    return (dates - result_dates[0]).astype(int)


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
