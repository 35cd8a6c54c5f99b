"""A sweep's ``report.html`` and ``report.md``: what was varied, what came out, how sensitive it is.

Built from what the sweep has just written (``points.csv`` and the sensitivity
indices) and its figures, in the same :class:`~sim.report.content.Report` form
as a run's or a comparison's report, so the three look alike: the summary
first, then the outcomes of each point, the sensitivity, the figures.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from .content import FigureItem, Report, Section, Table, footer
from .numbers import number, value_text

SHOWN_POINTS = 60
"""Points listed in the open; a sweep with more lists them folded."""

MEASURES = {"first_order": "first order", "total_order": "total", "src": "standardised regression coefficient"}


def _parameter_rows(plan) -> list[list[str]]:
    rows = []
    for parameter in plan.sweep.parameters:
        spec = plan.sweep.spec.parameters[parameter.name]
        if spec.values is not None:
            values = ", ".join(value_text(v) for v in spec.values)
        else:
            values = f"{value_text(spec.range[0])} to {value_text(spec.range[1])} ({spec.spacing})"
        matched = f" ({len(parameter.paths)} values)" if len(parameter.paths) > 1 else ""
        rows.append([parameter.label, parameter.path + matched, parameter.apply, values])
    return rows


def _points_table(points_csv: Path, plan) -> Table:
    with points_csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    names = [p.name for p in plan.sweep.parameters]
    columns = [c.name for c in plan.sweep.columns]
    index = {name: i for i, name in enumerate(header)}
    out = []
    for row in body:
        cells = [row[index["point"]], *(_number_text(row[index[n]]) for n in names)]
        for column in columns:
            mean, low, high = (row[index[f"{column}.{s}"]] for s in ("mean", "p05", "p95"))
            text = f"{_number_text(mean)} ({_number_text(low)}\u2013{_number_text(high)})" if mean else "never"
            reached = index.get(f"{column}.reached")
            if reached is not None and mean and float(row[reached]) < 1:
                text += f", reached in {float(row[reached]):.0%}"
            cells.append(text)
        out.append(cells)
    labels = [p.label for p in plan.sweep.parameters]
    return Table(["point", *labels, *columns], out,
                 caption="Each point's outcomes: mean over its replications and, in brackets, the 5\u201395% range "
                         f"of the runs ({holds(plan)}). Dates: mean over the runs that reach them.",
                 numeric=frozenset(range(1, 1 + len(names) + len(columns))))


def holds(plan) -> str:
    """What the spread of a point's runs holds, in words."""
    entry = plan.sweep.posterior_entry
    if entry is None:
        return "replication noise only"
    return (f"parameter uncertainty (posterior from {entry.get('calibration')}) in the parameters not swept, and "
            "replication noise")


def _number_text(text: str) -> str:
    """A CSV cell as a reader wants it: ISO dates as they are, numbers with separators."""
    try:
        value = float(text)
    except ValueError:
        return text
    return number(value)


def _sensitivity_table(indices) -> Table | None:
    rows = []
    for ix in indices:
        if math.isfinite(ix.estimate):
            value = f"{ix.estimate:.2f} ({ix.low:.2f} to {ix.high:.2f})"
        else:
            value = "\u2013"
        r2 = f"{ix.r2:.2f}" if math.isfinite(ix.r2) else ""
        rows.append([ix.outcome, ix.parameter, MEASURES.get(ix.measure, ix.measure), value, r2, ix.note])
    if not rows:
        return None
    return Table(["outcome", "parameter", "measure", "estimate (95% interval)", "R\u00b2", "note"], rows,
                 caption="Sensitivity of each outcome to each parameter, with 95% intervals (bootstrap over the base "
                         "samples for Sobol' indices, t intervals for regression coefficients). A low R\u00b2 means the "
                         "linear coefficients say little.", numeric=frozenset({3, 4}))


def sweep_report(plan, indices, points_csv: Path, figures: list[FigureItem]) -> Report:
    sweep = plan.sweep
    spec = sweep.spec
    overview = Table(["", ""], [
        ["sweep", sweep.name],
        ["design", spec.design + (f", {spec.samples} samples" if spec.samples else "")],
        ["base scenario", sweep.base.name],
        ["points", number(len(plan.points))],
        ["replications per point", number(spec.replications)],
        ["runs", number(plan.runs)],
        ["seed", str(spec.seed)],
        ["spread of a point's runs", holds(plan)],
    ])
    parameters = Table(["parameter", "path", "applied", "values"], _parameter_rows(plan),
                       caption="What varies: set replaces the base value; multiply scales it (keeping ratios).")
    summary = Section("Summary", paragraphs=[spec.description] if spec.description else [],
                      tables=[overview, parameters])
    sections = [summary]
    points = _points_table(points_csv, plan)
    sections.append(Section(f"Outcomes by point ({len(plan.points)})", tables=[points],
                            collapsed=len(plan.points) > SHOWN_POINTS))
    sensitivity = _sensitivity_table(indices)
    if sensitivity is not None:
        sections.append(Section("Sensitivity", tables=[sensitivity]))
    sections.append(Section("Figures", figures=figures))
    # Undated: a resumed sweep writes the same bytes as an uninterrupted one (sessions.jsonl says when).
    return Report(f"Bandwagon sweep: {sweep.name}", sections, footer(dated=False))
