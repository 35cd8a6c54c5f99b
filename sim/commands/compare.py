"""``bandwagon compare RUN_DIR...``: several runs (or sweep points) on the same axes.

One figure per metric (``figures/<metric>.png``) with each run's mean and 5-95%
band, aligned by date (runs may cover different horizons), the reported
figures and, with ``--relative-to``, a lower panel of each run minus the
reference with a 90% band (paired by replication over the replications both
runs have when they share their seed; over a posterior, the spread of the
paired differences across draws) and an effect table (``effects.csv`` and the
report): each metric at the reported figures' dates and the last common day,
the mean difference, its 90% interval and the share of draws in which it is
positive.  Metrics some runs lack are drawn for the others and listed.  Also
writes ``report.html``, ``report.md`` and ``manifest.json``.

Default metrics: each platform's government accounts, internet users,
micro-bloggers, each platform's registered users and the named accounts'
followers on all platforms.  ``--metric`` takes a name or a glob pattern
(``'gov_accounts.sina.*'``) and may be repeated.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from fnmatch import fnmatchcase
from pathlib import Path

from ..errors import InputError
from ..output.atomic import atomic_file, check_writable_dir, staged_directory
from ..output.manifest import environment, write_manifest
from ..plotting.style import FORMATS
from ..results import effects as E
from ..results.loading import Result, load_result, load_results, resolve_run_dir

ORDER = 45


def register(subparsers) -> None:
    parser = subparsers.add_parser("compare", help="overlay several runs or sweep points, with reports",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path, nargs="+", metavar="RUN_DIR",
                        help="run or sweep-point directories (a directory of timestamped runs means its latest)")
    parser.add_argument("--metric", action="append", metavar="M", help="metric name or glob pattern (repeatable)")
    parser.add_argument("--relative-to", type=Path, metavar="RUN_DIR",
                        help="also show each run's difference from this run (added to the runs if not among them)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="output directory (default: results/compare/<UTC timestamp>)")
    parser.add_argument("--force", action="store_true", help="replace a non-empty output directory")
    parser.add_argument("--format", choices=FORMATS, default="png",
                        help="also write the figures in this format (PNG is always written: the reports use it)")
    parser.add_argument("--targets", type=Path, metavar="FILE",
                        help="targets file to mark on the figures (default: the scenarios')")
    parser.set_defaults(handler=main)


def headline(metric: str) -> bool:
    """The metrics compared by default (not the per-level or per-platform follower detail)."""
    parts = metric.split(".")
    return (metric in ("internet_users", "microbloggers")
            or (parts[0] in ("gov_accounts", "registered_users") and len(parts) == 2)
            or (parts[0] == "followers" and len(parts) == 3 and parts[2] == "all"))


def all_metrics(results: list[Result]) -> list[str]:
    seen: list[str] = []
    for result in results:
        seen += [m for m in result.metrics if m not in seen]
    return seen


def select_metrics(results: list[Result], patterns: list[str] | None) -> list[str]:
    """The metrics to draw, in the runs' order; a pattern no run has is an :class:`InputError`."""
    available = all_metrics(results)
    if not patterns:
        order = ("gov_accounts", "followers", "microbloggers", "registered_users", "internet_users")
        chosen = sorted((m for m in available if headline(m)), key=lambda m: order.index(m.split(".")[0]))
        return chosen or available
    chosen: list[str] = []
    for pattern in patterns:
        matches = [m for m in available if fnmatchcase(m, pattern)]
        if not matches:
            examples = ", ".join(m for m in available if headline(m))
            raise InputError(f"expected a metric of at least one run ({examples}, ...), got {pattern!r}",
                             source="--metric")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def missing_metrics(results: list[Result], metrics: list[str]) -> dict[str, list[str]]:
    missing = {m: [r.label for r in results if m not in r.summary.stats] for m in metrics}
    return {m: labels for m, labels in missing.items() if labels}


def default_out() -> Path:
    return Path("results") / "compare" / dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def gather(args: argparse.Namespace) -> tuple[list[Result], Result | None]:
    """The runs, the reference among them (first if it was not named as a run)."""
    chosen = {}
    for given in [*args.runs, *([args.relative_to] if args.relative_to is not None else [])]:
        chosen[given] = resolve_run_dir(given)  # a directory of timestamped runs means its latest
    for path, note in chosen.values():
        if note:
            print(f"bandwagon compare: note: {note}", file=sys.stderr)
    paths = [chosen[p][0] for p in args.runs]
    reference_index = None
    if args.relative_to is not None:
        relative_to = chosen[args.relative_to][0]
        if not relative_to.is_dir():
            load_result(relative_to)  # raises the one-line error for a missing or non-run directory
        same = [i for i, p in enumerate(paths) if p.is_dir() and p.resolve() == relative_to.resolve()]
        if same:
            reference_index = same[0]
        else:
            paths.insert(0, relative_to)
            reference_index = 0
    seen: set[Path] = set()
    unique = []
    for p in paths:
        key = p.resolve() if p.is_dir() else p
        if key not in seen:
            seen.add(key)
            unique.append(p)
    results = load_results(unique, args.targets)
    reference = None
    if reference_index is not None:
        key = paths[reference_index].resolve()
        reference = next(r for r in results if r.path is not None and r.path.resolve() == key)
    return results, reference


def main(args: argparse.Namespace) -> int:
    from ..report.writing import write_comparison

    results, reference = gather(args)
    metrics = select_metrics(results, args.metric)
    missing = missing_metrics(results, metrics)
    out = args.out or default_out()
    check_writable_dir(out, force=args.force)

    notes = pairing_notes(results, reference) if reference is not None else []
    effects = E.comparison_effects(results, reference, metrics) if reference is not None else []
    with staged_directory(out, force=args.force) as staging:
        write_comparison(results, metrics, missing, reference, staging, args.format, notes, effects)
        if effects:
            write_effects(staging / "effects.csv", effects)
        write_manifest(staging / "manifest.json", {
            "kind": "comparison",
            "runs": [{"label": r.label, "path": str(r.path), "kind": r.kind, "scenario": r.name,
                      "bands_hold": r.uncertainty,
                      "posterior_csv_sha256": (r.posterior or {}).get("csv_sha256")} for r in results],
            "relative_to": reference.label if reference is not None else None,
            "metrics": metrics,
            "missing": missing,
            "format": args.format,
            "environment": environment(),
        })
    for metric, labels in missing.items():
        print(f"bandwagon compare: note: {metric} is not in {'; '.join(labels)}", file=sys.stderr)
    for result in results:
        for note in result.notes:
            print(f"bandwagon compare: note: {result.label}: {note}", file=sys.stderr)
    print(f"compared {plural(len(results), 'run')} on {plural(len(metrics), 'metric')} -> {out}")
    return 0


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def pairing_notes(results: list[Result], reference: Result) -> list[str]:
    """How each run's differences from the reference are built, where that is not plain pairing."""
    notes = []
    unpaired = [r.label for r in results if r is not reference and E.pairing(r, reference) is None]
    if unpaired:
        notes.append(f"Differences from {reference.label} treat these runs as independent (another seed): "
                     f"{'; '.join(unpaired)}.")
    for r in results:
        pair = E.pairing(r, reference) if r is not reference else None
        if pair is None:
            continue
        if r.replication_count() != reference.replication_count():
            notes.append(f"{r.label} has {r.replication_count()} replications and {reference.label} "
                         f"{reference.replication_count()}: their differences pair the first {pair.n}, which share "
                         f"their random numbers.")
        if pair.same_draws is False:
            notes.append(f"{r.label} and {reference.label} do not share their posterior draws ({pair.draws}): the "
                         f"differences mix the counterfactual's effect with different parameter values.")
    return notes


def write_effects(path: Path, effects: list[E.Effects]) -> None:
    """``effects.csv``: the effect table of the report, one row per run, metric and date."""
    with atomic_file(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(E.EFFECT_COLUMNS)
        for group in effects:
            for e in group.rows:
                writer.writerow([group.run.label, group.reference.label, group.metric, str(e.date),
                                 "yes" if e.paired else "no", e.n, *(_cell(v) for v in (
                                     e.mean, e.low, e.high, e.positive, e.zero, e.mean_half_width)), group.holds])


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.12g}"
