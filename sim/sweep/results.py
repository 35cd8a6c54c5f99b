"""The result tables, assembled from the run files in point and replication order.

``runs.csv``
    ``point,replication,<parameters>,<outcome columns>``: one row per point
    and replication.
``points.csv``
    ``point,<parameters>,replications`` then, per outcome column, ``.mean``,
    ``.p05`` and ``.p95`` over the point's replications (the 90% interval of
    the runs) and, for date columns, ``.reached``: the share of runs in which
    the date exists (the mean and interval are over those runs).
``points/<point>/summary.csv`` and ``manifest.json``
    A point as a run directory would show it: the summary format of
    :class:`sim.output.tables.Summary` for the sweep's summary metrics, and
    a manifest of ``"kind": "sweep-point"`` with the resolved scenario and the
    point's parameters, so ``bandwagon compare`` can overlay sweep points.

Everything is read back from the run files and sorted by point and
replication, so the tables do not depend on the order in which runs
finished; one point's runs are in memory at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from dataclasses import dataclass

import numpy as np

from ..output.atomic import atomic_file, write_text
from ..output.tables import Summary
from ..versioning import model_version
from .outcomes import format_number, format_value
from .plan import Plan, json_value
from .store import SweepStore
from .worker import delta_decode


@dataclass(frozen=True)
class Results:
    """What the analysis and figures need, small whatever the number of runs."""

    outcomes: np.ndarray
    """``(runs, columns)``: every run's outcomes (dates as day numbers, NaN if undefined)."""
    run_point: np.ndarray
    """``(runs,)``: index of each run's point."""
    point_means: np.ndarray
    """``(points, columns)``: mean over the runs where the outcome is defined."""
    curve_days: np.ndarray
    """Month-end day numbers of the curves."""
    curves: np.ndarray
    """``(points, months)``: mean curve of the figure metric per point."""


class _Run:
    """The duck type :meth:`Summary.of` reads: ``metrics`` and ``dates()``."""

    def __init__(self, metrics: dict[str, np.ndarray], dates: np.ndarray):
        self.metrics, self._dates = metrics, dates

    def dates(self) -> np.ndarray:
        return self._dates


def parameter_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def assemble(plan: Plan, store: SweepStore) -> Results:
    sweep = plan.sweep
    columns = sweep.columns
    start = sweep.start
    dates = np.datetime64(start, "D") + np.arange(sweep.days)
    names = [p.name for p in sweep.parameters]
    run_header = ["point", "replication", *names, *(c.name for c in columns)]
    point_header = ["point", *names, "replications"]
    for c in columns:
        point_header += [f"{c.name}.mean", f"{c.name}.p05", f"{c.name}.p95"] + ([f"{c.name}.reached"] if c.is_date else [])

    outcomes, run_point, means, curves = [], [], [], []
    curve_days = None
    with atomic_file(store.root / "runs.csv", "w", encoding="utf-8", newline="") as runs_file, \
            atomic_file(store.root / "points.csv", "w", encoding="utf-8", newline="") as points_file:
        runs_csv = csv.writer(runs_file, lineterminator="\n")
        points_csv = csv.writer(points_file, lineterminator="\n")
        runs_csv.writerow(run_header)
        points_csv.writerow(point_header)
        for point in plan.points:
            records = [store.get(key) for key in point.keys]
            params = [parameter_text(v) for v in point.values]
            values = np.array([[_number(r["outcomes"][c.name]) for c in columns] for r in records], dtype=float)
            for r, (record, row) in enumerate(zip(records, values)):
                runs_csv.writerow([point.id, r, *params, *(format_value(v, c, start) for v, c in zip(row, columns))])
            stats = []
            point_mean = []
            for j, c in enumerate(columns):
                defined = values[:, j][~np.isnan(values[:, j])]
                if defined.size:
                    mean = float(defined.mean())
                    p05, p95 = np.percentile(defined, [5, 95])
                else:
                    mean = p05 = p95 = math.nan
                point_mean.append(mean)
                stats += [format_value(x, c, start) for x in (mean, p05, p95)]
                if c.is_date:
                    stats.append(format_number(defined.size / len(values)))
            points_csv.writerow([point.id, *params, len(records), *stats])
            outcomes.append(values)
            run_point += [point.index] * len(records)
            means.append(point_mean)
            curve_days = np.asarray(records[0]["curve"]["days"])
            curves.append(np.mean([r["curve"]["values"] for r in records], axis=0))
            _write_point(plan, store, point, records, dates)
    return Results(outcomes=np.concatenate(outcomes), run_point=np.asarray(run_point), point_means=np.asarray(means),
                   curve_days=curve_days, curves=np.asarray(curves, dtype=float))


def _number(value) -> float:
    return math.nan if value is None else float(value)


def _write_point(plan: Plan, store: SweepStore, point, records: list[dict], dates: np.ndarray) -> None:
    """``points/<id>/``: written once; the manifest, written last, marks it complete."""
    directory = store.root / "points" / point.id
    if (directory / "manifest.json").exists():
        return
    sweep = plan.sweep
    if sweep.summaries:
        runs = [_Run({m: delta_decode(r["series"][m]) for m in sweep.summaries}, dates) for r in records]
        Summary.of(runs).write(directory / "summary.csv")
    scenario = plan.scenario(point)
    manifest = {
        "kind": "sweep-point",
        "sweep": sweep.name,
        "point": point.id,
        "parameters": plan.parameter_values(point),
        "overrides": {path: json_value(v) for path, v in point.overrides.items()},
        "seed": scenario.seed,
        "replications": len(records),
        "model_version": model_version(),
        "runs": list(point.keys),
        "posterior": sweep.posterior_entry,
        "scenario": scenario.to_dict(),
    }
    write_text(directory / "manifest.json", json.dumps(manifest, indent=2) + "\n")
