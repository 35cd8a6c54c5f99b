"""What a report says, independent of how it is written (HTML or Markdown).

A :class:`Report` is a title and a list of :class:`Section` s holding
paragraphs, :class:`Table` s and :class:`FigureItem` s.  :func:`run_report` and
:func:`comparison_report` build one from saved results; :mod:`.html` and
:mod:`.markdown` only lay it out, so the two twins cannot say different things.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ..plotting.figures import metric_label
from ..posterior.directory import convergence_warning
from ..results import effects as E
from ..results import series as S
from ..results.loading import Result
from ..targets import Target, Targets
from .numbers import number, numbers_alike, value_text

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
    """A heading and, in this order, its paragraphs, a bulleted list, tables and figures.

    Paragraphs and list items may mark ``**strong**``, ``*emphasis*`` and ``code`` (Markdown's inline
    marks, which the HTML twin renders too); captions are plain text."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[FigureItem] = field(default_factory=list)
    collapsed: bool = False
    """Shown folded (HTML ``<details>``): long reference material."""
    items: list[str] = field(default_factory=list)
    """A bulleted list, after the paragraphs."""
    level: int = 2
    """Heading level: 2 for a section, 3 for a subsection of the one before."""


@dataclass
class Report:
    title: str
    sections: list[Section]
    footer: str = ""


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
    """'5,000 \u00b1 10%', 'at least 1', '18,000\u201320,000 (19,500)', 'more than 410,000 (read: below
    420,000)'; with its standard deviation if the figure states one: '5,000 \u00b1 10% (sd 300)'."""
    return _reported(target) + (f" (sd {number(target.sd)})" if target.sd is not None else "")


def _reported(target: Target) -> str:
    value = number(target.value)
    if target.kind == "interval":
        return f"{number(target.low)}\u2013{number(target.high)} ({value})"
    slack = f" (slack {target.tolerance:.0%})" if target.tolerance else ""
    if target.kind == "at_least":
        return f"at least {value}{slack}"
    if target.kind == "at_most":
        return f"at most {value}{slack}"
    if target.kind == "more_than":
        return f"more than {value} (read: below {number(target.bounds[1])})"
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
                         f"5-95% range over the runs, which holds {result.uncertainty}. Error: the mean relative to the "
                         "reported value or, for 'at least', 'at most' and ranges, its distance from the accepted range "
                         "('in range' when inside it). Log error, the calibration's "
                         "measure (sim.targets.Target.log_error): log(mean / reported) for a figure with a tolerance, "
                         "log(mean / the bound it violates) for 'at least', 'at most' and ranges, 0 inside them. "
                         "Verdict: whether the mean lies in the accepted range." + readings_text(targets),
                 numeric=frozenset({4, 5, 6}))


def readings_text(targets: Targets) -> str:
    """The targets file's readings of the article's words (" How the words are read: ..."), or ""."""
    readings = [f"{target.label or name}: {target.reading}" for name, target in targets.targets.items()
                if target.reading]
    return (" How the reported words are read: " + " ".join(r if r.endswith(".") else r + "." for r in readings)
            if readings else "")


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
    rows.append(["bands hold", result.uncertainty])
    if result.posterior is not None:
        p = result.posterior
        effective = p.get("effective_draws")
        rows += [["posterior", f"{p.get('directory')} (from {p.get('calibration')}, sampler {p.get('sampler')})"],
                 ["posterior draws used", f"{p.get('distinct_draws')} distinct of {p.get('draws_available')}"
                  + (f" (effective sample size {effective:,.0f})" if isinstance(effective, (int, float)) else "")],
                 ["posterior parameters", ", ".join(f"{v.get('label', k)} ({v.get('apply')} {v.get('path')})"
                                                    for k, v in (p.get("parameters") or {}).items())],
                 ["posterior.csv SHA-256", str(p.get("csv_sha256"))]]
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
        *interaction_parameter_tables(s.get("interaction")),
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


# --- effects of counterfactuals ------------------------------------------------------------------
UNPINNED_FACTOR = 2.0
"""An effect whose 90% interval has ends further apart than this factor (same sign) is "not pinned down"."""


def effect_reading(effect: E.Effect) -> str:
    """Whether the effect's sign and size are pinned down by its 90% interval (paired runs over draws)."""
    if effect.zero == 1.0:
        return "none: identical in every draw"
    if effect.low < 0 < effect.high:
        return "sign not pinned down: the interval spans 0"
    near, far = sorted((abs(effect.low), abs(effect.high)))
    if near == 0:
        return f"size not pinned down: from none to {number(effect.low if far == abs(effect.low) else effect.high)}"
    factor = far / near
    if factor > UNPINNED_FACTOR:
        return f"sign clear, size not pinned down: the interval's ends differ by a factor of {factor:.1f}"
    return f"sign and size pinned down within a factor of {factor:.2f}"


def touches(parameter_path: str, changed: str) -> bool:
    """Whether a scenario change at the flattened path ``changed`` acts through a parameter at ``parameter_path``
    (``*`` matching one component): it sets the parameter's own values, or switches off (``enabled``) the
    object that holds them."""
    p, c = parameter_path.split("."), changed.split(".")
    if c[-1] == "enabled":
        c = c[:-1]
        return len(p) > len(c) and all(a in ("*", b) for a, b in zip(p, c))
    return len(p) == len(c) and all(a in ("*", b) for a, b in zip(p, c))


def prior_driven(run: Result, reference: Result) -> list[dict]:
    """The posterior parameters through which ``run`` differs from ``reference`` whose posterior is (close to) their
    prior (``posterior.json``'s ``sampled`` and ``width_ratio``: :attr:`sim.posterior.PosteriorParameter.prior_like`):
    the sign and size of the effect come from their prior's range, not from the figures."""
    from ..posterior.directory import PosteriorParameter

    flats = [flatten({k: v for k, v in r.scenario.items() if k not in ("name", "description", "outputs")})
             for r in (run, reference)]
    changed = [path for path in dict.fromkeys([*flats[0], *flats[1]]) if flats[0].get(path) != flats[1].get(path)]
    out = []
    for r in (run, reference):
        for name, entry in ((r.posterior or {}).get("parameters") or {}).items():
            parameter = PosteriorParameter(name, entry.get("path", ""), entry.get("apply", "set"),
                                           entry.get("label", name), sampled=entry.get("sampled"),
                                           width_ratio=entry.get("width_ratio"))
            if parameter.prior_like and any(touches(parameter.path, c) for c in changed) and \
                    all(d["name"] != name for d in out):
                out.append({"name": name, "label": parameter.label, "range": entry.get("range"),
                            "sampled": parameter.sampled, "width_ratio": parameter.width_ratio})
    return out


def prior_text(parameters: list[dict]) -> str:
    """In words: which parameters the effect rests on that the figures leave at their prior."""
    words = []
    for d in parameters:
        span = f", range {d['range'][0]} to {d['range'][1]}" if d.get("range") else ""
        why = ("drawn from its prior: the figures do not move the likelihood along it" if d.get("sampled") is False
               else f"its posterior 90% interval is {d['width_ratio']:.2f} of its prior's")
        words.append(f"{d['label']} ({why}{span})")
    return "; ".join(words)


def share_text(share: float | None) -> str:
    return "\u2013" if share is None else f"{share:.0%}"


def interval_text(low: float | None, high: float | None) -> str:
    return "\u2013" if low is None else f"{number(low)} to {number(high)}"


def effects_table(groups: list[E.Effects]) -> Table:
    """One run's effects relative to the reference: a row per quantity and date (reported figures', the end)."""
    first = groups[0]
    run, reference = first.run.label, first.reference.label
    drawn = first.drawn
    from_prior = prior_driven(first.run, first.reference) if drawn else []
    sample = next((g.rows[0] for g in groups if g.rows), None)
    rows = []
    for group in groups:
        quantity = metric_label(group.metric, group.run.scenario)
        for e in group.rows:
            mean = number(e.mean)
            if e.mean_half_width is not None:
                mean += f" \u00b1 {number(e.mean_half_width)}"
            row = [quantity, str(e.date), mean, interval_text(e.low, e.high), share_text(e.positive)]
            reading = effect_reading(e)
            if from_prior and not reading.startswith("none"):
                reading += f"; from the prior of {', '.join(d['label'] for d in from_prior)}, not from the figures"
            rows.append(row + [reading] if drawn else row)
    header = ["quantity", "date", "mean effect (\u00b1 Monte Carlo 90%)", "90% interval of the effect",
              "draws with effect > 0" if drawn else "replications with effect > 0"] + (["reading"] if drawn else [])
    what = f"{run} \u2212 {reference}"
    if sample is None:
        caption = f"{what}: no common days."
    elif sample.paired and drawn:
        caption = (f"{what}, over {sample.n} paired replications: replication r of both runs took the same "
                   f"posterior draw and the same random numbers, so each difference is the effect in one draw. "
                   f"The interval (5th to 95th percentile of the differences) holds {first.holds}; it does not "
                   f"narrow with more replications. It holds only what the posterior's parameters leave open: "
                   f"the scenario's other parameters stay fixed. Mean: over the draws, \u00b1 the half-width of "
                   f"its 90% t interval (the Monte Carlo error, which more replications shrink).")
        if from_prior:
            caption += (f" The runs differ through parameters the figures leave at their prior: "
                        f"{prior_text(from_prior)}. This effect's sign and size therefore come from that prior "
                        f"range, not from the reported figures.")
    elif sample.paired:
        caption = (f"{what}, over {sample.n} paired replications (common random numbers), holding {first.holds}. "
                   f"The interval (5th to 95th percentile of the differences) is the spread of the effect between "
                   f"simulated histories with every parameter fixed at the scenario's values; it says nothing "
                   f"about what the reported figures leave open (run both with --posterior for that).")
    elif sample.n:
        caption = (f"{what}: the runs have different seeds, so nothing pairs their replications; the interval is "
                   f"Welch's 90% confidence interval of the difference of means.")
    else:
        caption = f"{what}: difference of the means only (no timeseries.csv for one of the runs)."
    warnings = {w for g in (first.run, first.reference) if g.posterior is not None
                for w in [convergence_warning(g.posterior.get("directory"), g.posterior.get("convergence"))] if w}
    if warnings:
        caption = " ".join(f"Not converged: {w}." for w in sorted(warnings)) + " " + caption
    return Table(header, rows, caption=caption, numeric=frozenset({2, 3, 4}))


def effects_section(effects: list[E.Effects], reference: Result) -> Section:
    by_run: dict[str, list[E.Effects]] = {}
    for group in effects:
        by_run.setdefault(group.run.label, []).append(group)
    paragraphs = [f"Each run minus {reference.label}: every compared quantity at the dates of the reported figures "
                  f"on it and on the last day both runs cover."]
    if any(e.drawn for e in effects):
        paragraphs.append(f"Reading: 'sign not pinned down' when the 90% interval of the effect has both signs; "
                          f"'size not pinned down' when one end is 0 or its ends differ by more than a factor of "
                          f"{UNPINNED_FACTOR:g}.")
    if not all(e.drawn for e in effects):
        paragraphs.append("Runs without a posterior hold replication noise only: every parameter is fixed at the "
                          "scenario's value, so their intervals do not say how far the reported figures pin the "
                          "effect down. Run both scenarios with --posterior DIR and the same seed for that.")
    return Section("Effects", paragraphs=paragraphs, tables=[effects_table(groups) for groups in by_run.values()])


# --- the interaction loop ---------------------------------------------------------------------
def interaction_parameter_tables(interaction: dict | None) -> list[Table | None]:
    if not interaction:
        return []
    messages = {k: v for k, v in (interaction.get("messages") or {}).items() if k not in ("hourly", "weekly")}
    return [
        matrix_table("Interaction: messages (rates per follower per day; durations in hours; the hourly and weekly "
                     "cycles are in the scenario file).", {"messages": messages}),
        matrix_table("Interaction: the named accounts' desks (staff, shifts, service times in hours).",
                     interaction.get("accounts") or {}),
        matrix_table(f"Interaction: ordinary accounts by level, {interaction.get('sample_per_level', 0)} agencies "
                     "of each simulated in full.", interaction.get("levels") or {}),
        matrix_table("Interaction: hot issues.", interaction.get("hot_issues") or {}),
        matrix_table("Interaction: feedback of responsiveness on followers.",
                     {"feedback": interaction.get("feedback") or {}}),
    ]


def interaction_table(result: Result) -> Table | None:
    """What the desks did over the horizon: totals, shares and response times, per account and platform."""
    stats = result.summary.stats
    rows = []
    for account, spec in (result.scenario.get("accounts") or {}).items():
        launch = np.datetime64(dt.date.fromisoformat(str(spec["launch"])), "D")
        after = result.dates >= launch + 7
        for platform in spec.get("platforms") or {}:
            prefix = f"messages.{account}.{platform}"
            if f"{prefix}.received" not in stats:
                continue
            received = stats[f"{prefix}.received"]["mean"][-1]
            share = (lambda c: f"{100 * stats[f'{prefix}.{c}']['mean'][-1] / received:.1f}%" if received else "\u2013")
            median = stats[f"response_hours.{account}.{platform}.p50"]["mean"][after]
            rows.append([f"{account} on {platform}", number(received), share("prompt"), share("abandoned"),
                         f"{np.nanmean(median):.1f}" if np.isfinite(median).any() else "\u2013"])
    levels = sorted({m.split(".")[2] for m in stats if m.startswith("messages.level.") and m.endswith(".received")})
    for level in levels:
        total = stats[f"messages.level.{level}.received"]["mean"][-1]
        se = stats.get(f"messages.level.{level}.received.se", {}).get("mean")
        rows.append([f"level {level} (scaled up)", f"{number(total)} \u00b1 {number(se[-1])}" if se is not None
                     else number(total), "", "", ""])
    if not rows:
        return None
    within = (((result.scenario.get("interaction") or {}).get("feedback") or {}).get("within_hours")) or 24
    return Table(["account", "messages received", f"answered within {within:g} h", "abandoned",
                  "median response (h)"], rows,
                 caption="Messages to the end of the horizon, mean over runs. Median response: the mean over runs and "
                         "over the days from a week after launch of each day's median. Levels: the total over the "
                         "level's ordinary accounts scaled up from the sampled ones, \u00b1 its sampling standard "
                         "error (the mean over runs).", numeric=frozenset({1, 2, 3, 4}))


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
    if result.posterior is not None:
        intro.paragraphs.append(f"Replication r ran on posterior draw d_r, chosen from the seed: every band and "
                                f"5-95% range below holds {result.uncertainty}.")
        intro.paragraphs += [f"Posterior: {line}." for line in result.posterior.get("notes") or []]
    sections = [intro]
    if result.targets is not None:  # the summary before the figures
        sections.append(Section("Reported figures", tables=[targets_table(result, result.targets)]))
    sections.append(Section("Figures", figures=figures))
    answering = interaction_table(result)
    if answering is not None:
        sections.append(Section("Answering citizens", tables=[answering]))
    sections += parameter_sections(result)
    return Report(f"Bandwagon run: {result.label}", sections, footer())


def comparison_report(results: list[Result], figures: list[FigureItem], metrics: list[str],
                      missing: dict[str, list[str]], reference: Result | None, notes: list[str],
                      effects: list[E.Effects] | None = None) -> Report:
    runs = Table(["run", "kind", "horizon", "replications", "seed", "bands hold", "description"],
                 [[r.label, r.kind, f"{r.dates[0]} to {r.dates[-1]}", value_text(r.replication_count()),
                   "" if r.seed is None else str(r.seed), r.uncertainty, r.description] for r in results],
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
    if reference is not None and effects:
        sections.append(effects_section(effects, reference))
    sections.append(Section("Figures", figures=figures))
    differing = differing_parameters(results)
    sections.append(Section("Parameters that differ", tables=[differing] if differing else [],
                            paragraphs=[] if differing else ["The runs' scenarios have the same parameters."]))
    title = "Bandwagon comparison: " + "; ".join(r.label for r in results)
    return Report(title, sections, footer())
