"""The tables a run writes, and reading them back.

``timeseries.csv.gz``
    ``replication,date,metric,value``: one row per replication, day and metric.
``summary.csv``
    ``date,metric,mean,p05,p50,p95``: across replications.
``adoptions.csv.gz``
    ``replication,agency,level,province,platform,date``: one row per account.

The two large tables are gzip-compressed CSV by default, or plain CSV or
Parquet (:mod:`.formats`); the summary, small and read by people, stays plain
CSV.  Numbers are formatted deterministically (integers as integers, floats
with 12 significant digits), so equal results give byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..errors import InputError
from ..model.records import RunRecords
from .atomic import atomic_file
from .formats import read_rows, write_table

TIMESERIES_COLUMNS = ("replication", "date", "metric", "value")
SUMMARY_COLUMNS = ("date", "metric", "mean", "p05", "p50", "p95")
ADOPTION_COLUMNS = ("replication", "agency", "level", "province", "platform", "date")
STATISTICS = ("mean", "p05", "p50", "p95")
TIMESERIES_KINDS = tuple(zip(TIMESERIES_COLUMNS, ("int", "date", "str", "int")))
ADOPTION_KINDS = tuple(zip(ADOPTION_COLUMNS, ("int", "str", "str", "str", "str", "date")))


def _number(x: float) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:.12g}"


def _iso_dates(dates: np.ndarray) -> list[str]:
    return [str(d) for d in dates.astype("datetime64[D]")]


def write_timeseries(path: str | os.PathLike, runs: Iterable[RunRecords]) -> None:
    """One row per replication, day and metric, in the format ``path`` ends with (.csv.gz, .csv, .parquet)."""
    def blocks():  # a replication at a time
        for run in runs:
            dates = run.dates()
            days, metrics = len(dates), list(run.metrics)
            yield {"replication": np.full(days * len(metrics), run.replication),
                   "date": np.tile(dates, len(metrics)),
                   "metric": [metric for metric in metrics for _ in range(days)],
                   "value": np.concatenate([run.metrics[metric] for metric in metrics])}

    write_table(path, TIMESERIES_KINDS, blocks())


@dataclass(frozen=True)
class Summary:
    """Across-replication statistics of every metric, day by day."""

    dates: np.ndarray
    """``datetime64[D]``, one per day."""
    stats: dict[str, dict[str, np.ndarray]]
    """``stats[metric][statistic]``, statistic one of :data:`STATISTICS`."""
    replications: int

    @classmethod
    def of(cls, runs: Sequence[RunRecords]) -> "Summary":
        if not runs:
            raise ValueError("no runs to summarise")
        metrics = list(runs[0].metrics)
        stats = {}
        for metric in metrics:
            values = np.stack([run.metrics[metric] for run in runs]).astype(float)
            p05, p50, p95 = np.percentile(values, [5, 50, 95], axis=0)
            stats[metric] = {"mean": values.mean(axis=0), "p05": p05, "p50": p50, "p95": p95}
        return cls(dates=runs[0].dates(), stats=stats, replications=len(runs))

    @property
    def metrics(self) -> list[str]:
        return list(self.stats)

    def at(self, metric: str, date: dt.date, statistic: str = "mean") -> float:
        index = int((np.datetime64(date, "D") - self.dates[0]).astype(int))
        return float(self.stats[metric][statistic][index])

    def write(self, path: str | os.PathLike) -> None:
        dates = _iso_dates(self.dates)
        with atomic_file(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(SUMMARY_COLUMNS)
            for metric, columns in self.stats.items():
                cols = [list(map(_number, columns[s].tolist())) for s in STATISTICS]
                writer.writerows(zip(dates, [metric] * len(dates), *cols))

    @classmethod
    def read(cls, path: str | os.PathLike) -> "Summary":
        """Read a ``summary.csv`` back (replications unknown: 0)."""
        rows = read_rows(path, SUMMARY_COLUMNS)
        by_metric: dict[str, list[list[str]]] = {}
        for row in rows:
            by_metric.setdefault(row[1], []).append(row)
        if not by_metric:
            raise InputError("expected at least one row", source=str(path))
        first = next(iter(by_metric.values()))
        dates = np.array([r[0] for r in first], dtype="datetime64[D]")
        stats = {}
        for metric, metric_rows in by_metric.items():
            if len(metric_rows) != len(dates):
                raise InputError(f"expected {len(dates)} days for every metric, got {len(metric_rows)} for {metric}",
                                 source=str(path))
            stats[metric] = {s: np.array([float(r[2 + i]) for r in metric_rows]) for i, s in enumerate(STATISTICS)}
        return cls(dates=dates, stats=stats, replications=0)


def read_timeseries(path: str | os.PathLike) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(dates, {metric: array (replications, days)})`` from a timeseries table in any of its formats."""
    rows = read_rows(path, TIMESERIES_COLUMNS)
    series: dict[str, dict[int, list[float]]] = {}
    dates: list[str] = []
    first = (rows[0][0], rows[0][2]) if rows else None
    for rep, date, metric, value in rows:
        series.setdefault(metric, {}).setdefault(int(rep), []).append(float(value))
        if (rep, metric) == first:
            dates.append(date)
    out = {m: np.array([reps[r] for r in sorted(reps)]) for m, reps in series.items()}
    return np.array(dates, dtype="datetime64[D]"), out


def write_adoptions(path: str | os.PathLike, runs: Iterable[RunRecords], start: dt.date) -> None:
    """One row per account opened, in the format ``path`` ends with (.csv.gz, .csv, .parquet)."""
    origin = np.datetime64(start, "D")

    def blocks():
        for run in runs:
            a = run.adoptions
            yield {"replication": np.full(len(a), run.replication), "agency": a.labels(),
                   "level": [a.level_names[i] for i in a.level.tolist()],
                   "province": [a.province_names[i] for i in a.province.tolist()],
                   "platform": [a.platform_names[i] for i in a.platform.tolist()],
                   "date": origin + np.floor(a.time).astype(np.int64)}

    write_table(path, ADOPTION_KINDS, blocks())
