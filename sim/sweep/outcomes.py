"""Outcomes: the numbers a sweep records from each run.

Each outcome of the spec becomes one or more *columns* of ``runs.csv``:

``at``        the metric at the end of a date (a count);
``reaches``   the first date on which the metric is at least a value;
``curve``     features of the metric's curve: ``t10``, ``t50``, ``t90`` (first
              dates at 10%, 50% and 90% of the final level), ``peak_monthly``
              (the largest increase within one calendar month),
              ``peak_month`` (the first day of that month) and ``final`` (the
              level at the end of the horizon).

Measures are pure functions of a run's daily series.  Dates are held as day
numbers since the start of the horizon (floats, NaN when never reached) and
written as ISO dates; counts are written as numbers.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .spec import OutcomeSpec

DATE_FEATURES = {"t10": 0.1, "t50": 0.5, "t90": 0.9}


@dataclass(frozen=True)
class Column:
    """One recorded number per run."""

    name: str
    """``outcome`` or ``outcome.feature``: the column of runs.csv."""
    metric: str
    kind: str
    """``count`` or ``date``."""
    at: int | None = None
    """Day index, for ``at`` outcomes."""
    reaches: float | None = None
    feature: str | None = None

    @property
    def is_date(self) -> bool:
        return self.kind == "date"


def columns_of(name: str, outcome: OutcomeSpec, start: dt.date) -> list[Column]:
    if outcome.at is not None:
        return [Column(name, outcome.metric, "count", at=(outcome.at - start).days)]
    if outcome.reaches is not None:
        return [Column(name, outcome.metric, "date", reaches=outcome.reaches)]
    return [Column(f"{name}.{feature}", outcome.metric,
                   "count" if feature in ("peak_monthly", "final") else "date", feature=feature)
            for feature in outcome.features]


def first_day_at_least(series: np.ndarray, level: float) -> float:
    """Index of the first day with ``series >= level``, NaN if none."""
    hits = np.flatnonzero(series >= level)
    return float(hits[0]) if hits.size else math.nan


def month_ends(start: dt.date, days: int) -> np.ndarray:
    """Day indices of the last day of each calendar month in the horizon (the horizon's last day included)."""
    dates = np.datetime64(start, "D") + np.arange(days)
    months = dates.astype("datetime64[M]")
    last = np.flatnonzero(months[1:] != months[:-1])
    return np.append(last, days - 1)


def monthly(series: np.ndarray, start: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """``(month-end day indices, values at those days)``: the curve downsampled to months."""
    ends = month_ends(start, len(series))
    return ends, series[ends]


def measure(columns: tuple[Column, ...], metrics: Mapping[str, np.ndarray], start: dt.date) -> dict[str, float]:
    """Every column's value for one run (floats; dates as day numbers, NaN if undefined)."""
    values: dict[str, float] = {}
    cache: dict[str, dict[str, float]] = {}
    for column in columns:
        series = metrics[column.metric]
        if column.at is not None:
            values[column.name] = float(series[column.at])
        elif column.reaches is not None:
            values[column.name] = first_day_at_least(series, column.reaches)
        else:
            if column.metric not in cache:
                cache[column.metric] = curve_features(series, start)
            values[column.name] = cache[column.metric][column.feature]
    return values


def curve_features(series: np.ndarray, start: dt.date) -> dict[str, float]:
    final = float(series[-1])
    features = {"final": final}
    for feature, share in DATE_FEATURES.items():
        # With a final level of 0 there is no curve to measure.
        features[feature] = first_day_at_least(series, share * final) if final > 0 else math.nan
    ends, levels = monthly(series, start)
    increases = np.diff(levels, prepend=series[0])
    peak = int(np.argmax(increases))
    features["peak_monthly"] = float(increases[peak])
    month = (np.datetime64(start, "D") + int(ends[peak])).astype("datetime64[M]").astype("datetime64[D]")
    features["peak_month"] = float((month - np.datetime64(start, "D")).astype(int))
    return features


def format_value(value: float, column: Column, start: dt.date) -> str:
    """A column's value as written: ISO date, or a number (12 significant digits); empty if undefined."""
    if value is None or math.isnan(value):
        return ""
    if column.is_date:
        return (start + dt.timedelta(days=int(math.floor(value + 0.5)))).isoformat()
    return format_number(value)


def format_number(x: float) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:.12g}"
