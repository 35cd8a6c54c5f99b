"""``bandwagon run SCENARIO``: run the replications of a scenario and write its results."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..execution import add_arguments, check_arguments, executor_from
from ..inputs import load_scenario
from ..output.atomic import check_writable_dir, staged_directory
from ..output.formats import DEFAULT_FORMAT, FORMATS, check_format, table_name
from ..output.manifest import environment, write_manifest
from ..output.tables import Summary, write_adoptions, write_timeseries
from ..posterior import assign, chosen, manifest_entry
from ..runner import run_replications
from ..scenario import Scenario
from ..targets import Targets
from ..versioning import model_version

ORDER = 10


def register(subparsers) -> None:
    parser = subparsers.add_parser("run", help="run a scenario's replications and write results",
                                   description=__doc__)
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("--replications", type=int, help="number of replications (default: the scenario's)")
    parser.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    parser.add_argument("--engine", choices=("race", "agents"),
                        help="race: agencies race to accounts exactly between synchronisation points (fast); "
                             "agents: every agency and named account a SimPy process (the same law, slower); "
                             "default: the scenario's engine, race unless it says otherwise")
    add_arguments(parser)
    parser.add_argument("--out", type=Path, help="output directory (default: results/<scenario>/<UTC timestamp>)")
    parser.add_argument("--force", action="store_true", help="replace a non-empty output directory")
    parser.add_argument("--tables", choices=FORMATS, default=DEFAULT_FORMAT,
                        help="format of timeseries and adoptions (default: csv.gz, gzip-compressed CSV that pandas "
                             "and R read directly; parquet needs pip install -e '.[parquet]')")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    uncertainty = parser.add_mutually_exclusive_group()
    uncertainty.add_argument("--posterior", type=Path, metavar="DIR",
                             help="posterior directory (from bandwagon calibrate): replication r runs on a draw of "
                                  "it, chosen from the seed (default: the scenario's posterior:, if any)")
    uncertainty.add_argument("--no-posterior", action="store_true",
                             help="ignore the scenario's posterior: replication noise only")
    parser.set_defaults(handler=main)


def default_out(scenario: Scenario) -> Path:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Path("results") / scenario.name / stamp


def prepare(args: argparse.Namespace) -> Scenario:
    """The scenario with the command line's overrides, or an InputError."""
    scenario = load_scenario(args.scenario)
    overrides = {}
    if args.replications is not None:
        if args.replications < 1:
            raise InputError(f"expected at least 1 replication, got {args.replications}", source="--replications")
        overrides["replications"] = args.replications
    if args.seed is not None:
        if args.seed < 0:
            raise InputError(f"expected a non-negative seed, got {args.seed}", source="--seed")
        overrides["seed"] = args.seed
    if args.engine is not None:
        overrides["engine"] = args.engine
    check_arguments(args)
    check_format(args.tables)
    return scenario.with_overrides(overrides, source="command line") if overrides else scenario


def load_targets(scenario: Scenario) -> Targets | None:
    return Targets.from_yaml(scenario.outputs.targets) if scenario.outputs.targets else None


def main(args: argparse.Namespace) -> int:
    scenario = prepare(args)
    targets = load_targets(scenario)
    posterior = chosen(scenario.posterior, args.posterior, args.no_posterior)
    scenarios, uncertainty = None, None
    if posterior is not None:
        assignment = assign(posterior, scenario, scenario.replications)
        scenarios = assignment.scenarios(scenario)  # every draw checked before anything is written
        uncertainty = manifest_entry(posterior, assignment)
        for line in assignment.notes:
            print(f"bandwagon run: note: {line}", file=sys.stderr)
    out = args.out or default_out(scenario)
    check_writable_dir(out, force=args.force)

    with executor_from(args, tasks=scenario.replications) as executor:  # a Dask address fails here, before any write
        result = run_replications(scenario, range(scenario.replications), executor=executor,
                                  progress=not args.no_progress, scenarios=scenarios)
    runs = result.runs
    summary = Summary.of(runs)
    with staged_directory(out, force=args.force) as staging:
        tables = {"timeseries": table_name("timeseries", args.tables), "summary": "summary.csv"}
        write_timeseries(staging / tables["timeseries"], runs)
        summary.write(staging / tables["summary"])
        if scenario.outputs.adoptions:
            tables["adoptions"] = table_name("adoptions", args.tables)
            write_adoptions(staging / tables["adoptions"], runs, scenario.horizon.start)
        if scenario.outputs.figures:
            write_figures(staging / "figures", scenario, summary, targets, staging / tables["timeseries"],
                          uncertainty, runs)
        write_manifest(staging / "manifest.json", {
            "kind": "run",
            "scenario": scenario.to_dict(),
            "scenario_file": str(args.scenario),
            "model_version": model_version(),
            "tables": tables,
            "seed": scenario.seed,
            "replications": scenario.replications,
            "workers": result.workers,
            "executor": result.executor,
            "wall_seconds": round(result.wall_seconds, 3),
            "engine": scenario.engine,
            "events": [run.events for run in runs],
            "processes": [run.processes for run in runs],
            "posterior": uncertainty,
            "environment": environment(),
        })
    events = sum(run.events for run in runs)
    drawn = ""
    if uncertainty is not None:
        drawn = f" on {uncertainty['distinct_draws']} draws of the posterior from {uncertainty['calibration']}"
    view = f" ({scenario.engine}: {sum(run.processes for run in runs):,} SimPy processes)" \
        if scenario.engine != "race" else ""
    print(f"{scenario.name}: {len(runs)} replications{drawn}, {events:,} events{view} in {result.wall_seconds:.1f} s "
          f"on {result.executor} -> {out}")
    return 0


def write_figures(directory: Path, scenario: Scenario, summary: Summary, targets: Targets | None,
                  timeseries: Path, posterior: dict | None = None, runs: list | None = None) -> None:
    """The run's figures (``figures/adoption.png``, ...) and its ``report.html`` / ``report.md``.

    Drawn by :mod:`sim.report.writing` from the results just computed, exactly
    as ``bandwagon plot`` redraws them later from the saved files; the
    replications are handed over in memory (``runs``) rather than read back
    from ``timeseries.csv``, which takes seconds for a hundred of them.
    """
    from ..results.loading import Result
    from ..report.writing import write_run

    run_directory = directory.parent
    series = None
    if runs:
        series = (runs[0].dates(),
                  {m: np.stack([run.metrics[m] for run in runs]).astype(float) for m in runs[0].metrics})
    result = Result(label=scenario.name, scenario=scenario.to_dict(), summary=summary, kind="run",
                    replications=scenario.replications, seed=scenario.seed, targets=targets,
                    timeseries_path=timeseries, posterior=posterior, _timeseries=series)
    write_run(result, run_directory)
