"""What a report says, independent of how it is written (HTML or Markdown).

A :class:`Report` is a title and a list of :class:`Section` s holding
paragraphs, :class:`Table` s and :class:`FigureItem` s.  :func:`run_report` and
:func:`comparison_report` build one from saved results; :mod:`.html` and
:mod:`.markdown` only lay it out, so the two twins cannot say different things.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field

from ..plotting import series as S
from ..plotting.figures import metric_label
from ..plotting.results import Result
from ..targets import Target, Targets

TEXT_FIELDS = {"source", "description", "label"}
"""Leaf fields left out of parameter tables (free text; the scenario file has them)."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric: frozenset[int] = frozenset()
    """Columns aligned right."""


@dataclass(frozen=True)
class FigureItem:
    name: str
    caption: str
    png: bytes
    file: str
    """Path of the PNG relative to the report (for the Markdown twin)."""


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[FigureItem] = field(default_factory=list)
    collapsed: bool = False
    """Shown folded (HTML ``<details>``): long reference material."""


@dataclass
class Report:
    title: str
    sections: list[Section]
    footer: str = ""


# --- numbers -----------------------------------------------------------------------------
def number(x: float | None) -> str:
    """Counts with thousands separators (every one of them, 1,240 as 57,120); small values with three
    significant digits."""
    if x is None:
        return "\u2013"
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.3g}"


def numbers_alike(values: list[float]) -> list[str]:
    """Several numbers of one quantity with the precision of the first (a mean and its quantiles).

    A mean of 107 accounts with its 5th percentile of 96.8 reads "107 (97\u2013120)", not "107 (96.8\u2013120)".
    """
    lead = abs(values[0])
    if lead >= 100 or float(values[0]).is_integer():
        return [f"{v:,.0f}" for v in values]
    decimals = max(0, 2 - math.floor(math.log10(lead))) if lead > 0 else 2
    return [f"{v:,.{decimals}f}" for v in values]


def value_text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if float(value).is_integer() and abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(", ", ": "))
    return "" if value is None else str(value)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def flatten(node, prefix: str = "") -> dict[str, object]:
    """Dotted paths of the leaves of a JSON document (lists of mappings by index)."""
    out: dict[str, object] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        for i, value in enumerate(node):
            out.update(flatten(value, f"{prefix}.{i}"))
    else:
        out[prefix] = node
    return out


# --- reported figures ----------------------------------------------------------------------
def reported_text(target: Target) -> str:
    """'5,000 \u00b1 10%', 'at least 410,000', '18,000\u201320,000 (19,500)'."""
    value = number(target.value)
    if target.kind == "interval":
        return f"{number(target.low)}\u2013{number(target.high)} ({value})"
    slack = f" (slack {target.tolerance:.0%})" if target.tolerance else ""
    if target.kind == "at_least":
        return f"at least {value}{slack}"
    if target.kind == "at_most":
        return f"at most {value}{slack}"
    return f"{value} \u00b1 {target.tolerance:.0%}" if target.tolerance else value


def target_label(target: Target, name: str, scenario: dict) -> str:
    """How a reader knows a reported figure: its label, else the quantity it reports."""
    return target.label or f"{metric_label(target.metric, scenario)}, {when_text(target)}"


def when_text(target: Target) -> str:
    return str(target.date) if target.date is not None else f"{target.period.start} to {target.period.end}"


def error_text(target: Target, value: S.TargetValue | None) -> tuple[str, str, str]:
    """(error, the calibration's log error, verdict).

    The error of a figure with a tolerance is the mean relative to the figure;
    for 'at least', 'at most' and ranges it is the distance from the accepted
    range, since a mean of 107 for "at least 1" is not 10,615% wrong.
    """
    if value is None:
        return "\u2013", "\u2013", "not in run"
    outside = target.log_error(value.mean)
    verdict = "met" if target.met(value.mean) else "missed"
    if target.kind == "equal":
        error = relative_text(value.mean, target.value)
    elif verdict == "met":
        error = "in range"
    else:
        low, high = target.bounds
        bound = low if value.mean < low else high
        error = f"{relative_text(value.mean, bound)} {'below' if value.mean < low else 'above'} {number(bound)}"
    return error, f"{outside:+.3f}" if outside else "0", verdict


def relative_text(value: float, reference: float) -> str:
    """``+1.4%``; a ratio beyond ten as ``x12``, which a percentage only hides."""
    ratio = value / reference
    if ratio >= 10:
        return f"\u00d7{ratio:,.0f}"
    return f"{ratio - 1:+.1%}"


def model_text(value: S.TargetValue | None) -> str:
    if value is None:
        return "\u2013"
    if value.low is None:
        return number(value.mean)
    mean, low, high = numbers_alike([value.mean, value.low, value.high])
    return f"{mean} ({low}\u2013{high})"


def targets_table(result: Result, targets: Targets) -> Table:
    rows = []
    for name, target in targets.targets.items():
        value = S.target_value(result, target)
        relative, outside, verdict = error_text(target, value)
        rows.append([target_label(target, name, result.scenario), metric_label(target.metric, result.scenario),
                     when_text(target), reported_text(target), model_text(value), relative, outside, verdict])
    return Table(["reported figure", "quantity", "date", "reported", "model: mean (5\u201395%)",
                  "error", "log error", "verdict"], rows,
                 caption=f"Reported figures ({targets.source or 'targets file'}) against the model's mean and its "
                         "5-95% range. Error: the mean relative to the reported value or, for 'at least', 'at most' and "
                         "ranges, its distance from the accepted range ('in range' when inside it). Log error, the calibration's "
                         "measure (sim.targets.Target.log_error): log(mean / reported) for a figure with a tolerance, "
                         "log(mean / the bound it violates) for 'at least', 'at most' and ranges, 0 inside them. "
                         "Verdict: whether the mean lies in the accepted range.", numeric=frozenset({4, 5, 6}))


def targets_comparison_table(results: list[Result], targets: Targets) -> Table:
    rows = []
    for name, target in targets.targets.items():
        row = [target_label(target, name, results[0].scenario), when_text(target), reported_text(target)]
        for result in results:
            value = S.target_value(result, target)
            relative, _, verdict = error_text(target, value)
            row.append("\u2013 (not in run)" if value is None else f"{number(value.mean)} ({relative}, {verdict})")
        rows.append(row)
    return Table(["reported figure", "date", "reported", *[r.label for r in results]], rows,
                 caption="The model's mean for each reported figure, its error relative to the reported value and "
                         "whether it lies in the accepted range.",
                 numeric=frozenset(range(3, 3 + len(results))))


# --- scenario ------------------------------------------------------------------------------
def overview_table(result: Result) -> Table:
    scenario = result.scenario
    horizon = scenario.get("horizon") or {}
    rows = [["scenario", result.name], ["kind", result.kind]]
    if result.path is not None:
        rows.append(["directory", str(result.path)])
    rows += [["horizon", f"{horizon.get('start')} to {horizon.get('end')}"],
             ["seed", "" if result.seed is None else str(result.seed)],
             ["replications", value_text(result.replication_count())]]
    for name, value in result.parameters.items():
        rows.append([f"sweep parameter {name}", value_text(value)])
    return Table(["", ""], rows)


def matrix_table(caption: str, items: dict) -> Table | None:
    """A mapping of mappings as rows (keys) and columns (their flattened fields)."""
    if not items:
        return None
    flat = {key: {k: v for k, v in flatten(value).items() if k.split(".")[-1] not in TEXT_FIELDS}
            for key, value in items.items()}
    columns: list[str] = []
    for fields in flat.values():
        columns += [c for c in fields if c not in columns]
    rows = [[str(key), *[value_text(fields.get(c)) for c in columns]] for key, fields in flat.items()]
    numeric = frozenset(i for i, c in enumerate(columns, start=1)
                        if all(is_number(f.get(c)) for f in flat.values() if f.get(c) is not None))
    return Table(["", *columns], rows, caption=caption, numeric=numeric)


def events_table(events: dict) -> Table | None:
    if not events:
        return None
    rows = []
    for name, event in events.items():
        changes = "; ".join(
            f"{c['path']} " + next(f"{sym}{c[op]:g}" for op, sym in (("multiply", "\u00d7"), ("add", "+"), ("set", "="))
                                   if c.get(op) is not None)
            for c in event.get("changes", []))
        rows.append([name, str(event.get("date")), "yes" if event.get("enabled", True) else "no",
                     event.get("description") or "", changes])
    return Table(["event", "date", "enabled", "what", "changes"], rows, caption="Dated events.")


def parameter_sections(result: Result) -> list[Section]:
    s = result.scenario
    tables = [t for t in (
        matrix_table("Population (people) and internet growth (per year).", {"population": s.get("population") or {}}),
        matrix_table("Platforms: launch and Bass diffusion among internet users (per year).", s.get("platforms") or {}),
        matrix_table("Agency levels: counts and adoption hazard (per year).",
                     (s.get("agencies") or {}).get("levels") or {}),
        matrix_table("Named accounts: following rates (per day).", s.get("accounts") or {}),
        events_table(s.get("events") or {}),
    ) if t is not None]
    provinces = matrix_table("Provinces: resident population.", s.get("provinces") or {})
    sections = [Section("Parameters", tables=tables)]
    if provinces is not None:
        sections.append(Section(f"Provinces ({len(s.get('provinces') or {})})", tables=[provinces], collapsed=True))
    return sections


def differing_parameters(results: list[Result]) -> Table | None:
    """Scenario parameters whose values are not the same in every run."""
    flats = [flatten({k: v for k, v in r.scenario.items() if k not in ("name", "description", "outputs")})
             for r in results]
    paths: list[str] = []
    for flat in flats:
        paths += [p for p in flat if p not in paths]
    rows = []
    for path in paths:
        values = [flat.get(path, "\u2013") for flat in flats]
        if any(v != values[0] for v in values[1:]):
            rows.append([path, *[str(v) if path == "seed" else value_text(v) for v in values]])
    if not rows:
        return None
    return Table(["parameter", *[r.label for r in results]], rows, caption="Parameters that differ between the runs.")


# --- whole reports ---------------------------------------------------------------------------
def footer(dated: bool = True) -> str:
    """Who wrote the report and when; undated where files must come out byte for byte the same (sweeps)."""
    from .. import __version__

    if not dated:
        return f"Written by bandwagon {__version__}."
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"Written by bandwagon {__version__} on {stamp}."


def run_report(result: Result, figures: list[FigureItem]) -> Report:
    intro = Section("Scenario", paragraphs=[result.description] if result.description else [],
                    tables=[overview_table(result)])
    intro.paragraphs += result.notes
    sections = [intro]
    if result.targets is not None:  # the summary before the figures
        sections.append(Section("Reported figures", tables=[targets_table(result, result.targets)]))
    sections.append(Section("Figures", figures=figures))
    sections += parameter_sections(result)
    return Report(f"Bandwagon run: {result.label}", sections, footer())


def comparison_report(results: list[Result], figures: list[FigureItem], metrics: list[str],
                      missing: dict[str, list[str]], reference: Result | None, notes: list[str]) -> Report:
    runs = Table(["run", "kind", "horizon", "replications", "seed", "description"],
                 [[r.label, r.kind, f"{r.dates[0]} to {r.dates[-1]}", value_text(r.replication_count()),
                   "" if r.seed is None else str(r.seed), r.description] for r in results],
                 caption="The runs compared" + (f"; differences are from {reference.label}." if reference else "."))
    intro = Section("Runs", tables=[runs])
    if len({(str(r.dates[0]), str(r.dates[-1])) for r in results}) > 1:
        intro.paragraphs.append("The runs cover different horizons: curves are drawn by date, and differences are "
                                "taken over the days the runs share.")
    for r in results:
        intro.paragraphs += [f"{r.label}: {n}" for n in r.notes]
    intro.paragraphs += notes
    sections = [intro]
    targets = next((r.targets for r in results if r.targets is not None), None)
    if targets is not None:  # the summary before the figures
        sections.append(Section("Reported figures", tables=[targets_comparison_table(results, targets)]))
    if missing:
        sections.append(Section("Missing metrics", tables=[Table(
            ["metric", "not in"], [[m, "; ".join(labels)] for m, labels in missing.items()],
            caption="Metrics some runs do not have: their figures show the runs that have them.")]))
    sections.append(Section("Figures", figures=figures))
    differing = differing_parameters(results)
    sections.append(Section("Parameters that differ", tables=[differing] if differing else [],
                            paragraphs=[] if differing else ["The runs' scenarios have the same parameters."]))
    title = "Bandwagon comparison: " + "; ".join(r.label for r in results)
    return Report(title, sections, footer())
