"""``bandwagon sweep SPEC``: run a parameter sweep, resumably, locally or on a Dask cluster.

Runs go to a local process pool by default, to a running Dask scheduler with
``--scheduler tcp://HOST:PORT``, or to a Dask LocalCluster started here with
``--scheduler local``.  Every run is stored the moment it finishes; running
the same command again on the same ``--out`` skips the finished runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import InputError
from ..runner import default_workers

ORDER = 30


def register(subparsers) -> None:
    parser = subparsers.add_parser("sweep", help="run a parameter sweep (resumable; local or Dask)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", type=Path, help="sweep spec YAML file (see experiments/)")
    parser.add_argument("--workers", type=int, help="worker processes (default: all cores); with --scheduler local, "
                        "the LocalCluster's workers; ignored with a scheduler address (its workers decide)")
    parser.add_argument("--scheduler", metavar="ADDRESS|local",
                        help="send runs to a Dask scheduler (tcp://host:8786) or start a Dask LocalCluster (local)")
    parser.add_argument("--out", type=Path, help="sweep directory (default: results/sweeps/<spec name>); "
                        "an existing one of the same sweep is resumed")
    parser.add_argument("--dry-run", action="store_true", help="print the points, runs and a time estimate; run nothing")
    shorter = parser.add_argument_group("a shorter sweep (for trials and CI; recorded in the sweep's manifest)")
    shorter.add_argument("--base", type=Path, help="base scenario instead of the spec's")
    shorter.add_argument("--replications", type=int, help="replications per point instead of the spec's")
    shorter.add_argument("--samples", type=int, help="lhs/sobol samples instead of the spec's")
    shorter.add_argument("--levels", type=int, help="grid/one_at_a_time: at most this many values per parameter")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    uncertainty = parser.add_mutually_exclusive_group()
    uncertainty.add_argument("--posterior", type=Path, metavar="DIR",
                             help="posterior directory (from bandwagon calibrate): replication r of every point draws "
                                  "the parameters the sweep does not vary from it (default: the base scenario's "
                                  "posterior:, if any); a swept parameter wins where both touch a value")
    uncertainty.add_argument("--no-posterior", action="store_true",
                             help="ignore the base scenario's posterior: replication noise only")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..sweep.executors import check_address, make_executor
    from ..sweep.pipeline import manifest, plan_sweep, run
    from ..sweep.store import SweepStore

    for option in ("workers", "replications", "samples", "levels"):
        value = getattr(args, option)
        if value is not None and value < 1:
            raise InputError(f"expected a positive number, got {value}", source=f"--{option}")
    if args.scheduler not in (None, "local"):
        check_address(args.scheduler)
    plan = plan_sweep(args.spec, base=args.base, replications=args.replications, samples=args.samples,
                      levels=args.levels, posterior=args.posterior, no_posterior=args.no_posterior)
    if plan.sweep.posterior is not None:
        for line in plan.sweep.posterior.notes:
            print(f"bandwagon sweep: note: {line}", file=sys.stderr)
    out = args.out or Path("results") / "sweeps" / plan.sweep.name
    resuming = SweepStore.check(out, manifest(plan))
    if args.dry_run:
        return dry_run(plan, out, resuming, args)
    with make_executor(args.scheduler, args.workers) as executor:  # connects, or fails, before anything is written
        finished = run(plan, out, executor, progress=not args.no_progress)
    p = finished.progress
    replications = plan.sweep.spec.replications
    print(f"{plan.sweep.name}: {len(plan.points)} points x {replications} replication{'s' if replications > 1 else ''} = "
          f"{plan.runs} runs ({p.done} new, {p.cached} cached) in {p.seconds:.1f} s on {finished.executor}; "
          f"results in {finished.assembly_seconds:.1f} s -> {out}")
    return 0


def dry_run(plan, out: Path, resuming: bool, args: argparse.Namespace) -> int:
    from ..sweep.engine import cached_runs, tasks_for
    from ..sweep.store import SweepStore
    from ..sweep.worker import execute

    sweep = plan.sweep
    unique = plan.unique_runs()
    cached = cached_runs(plan, SweepStore(out)) if resuming else 0
    todo = len(unique) - cached
    print(f"{sweep.name}: {sweep.spec.design} design over {len(sweep.parameters)} parameters "
          f"({', '.join(p.name for p in sweep.parameters)}), base scenario {sweep.base.name}")
    if sweep.posterior_entry is not None:
        entry = sweep.posterior_entry
        print(f"posterior: {entry['directory']} (from {entry['calibration']}): replication r of every point takes "
              f"draw d_r of the parameters not swept ({entry['distinct_draws']} distinct draws)")
    print(f"points: {len(plan.points)}; replications: {sweep.spec.replications}; runs: {plan.runs} "
          f"({len(unique)} distinct, {cached} already in {out}, {todo} to run)")
    for point in plan.points[:5]:
        values = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in plan.parameter_values(point).items())
        print(f"  {point.id}: {values}")
    if len(plan.points) > 5:
        print(f"  ... {len(plan.points) - 5} more")
    if todo:
        task = next(tasks_for(plan, unique[:1], plan.model()))
        timer = time.perf_counter()
        execute(task)
        one = time.perf_counter() - timer
        workers = args.workers or (default_workers() if args.scheduler in (None, "local") else None)
        if workers:
            print(f"estimate: about {_duration(one * todo / workers)} on {workers} worker(s) "
                  f"(one run of {plan.points[0].id} took {one:.2f} s here; other points may differ)")
        else:
            print(f"estimate: about {_duration(one * todo)} of worker time (one run took {one:.2f} s here), "
                  f"divided by the scheduler's worker threads")
    else:
        print("nothing to run: a sweep would only rebuild the results from the stored runs")
    print("dry run: nothing was written")
    return 0


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
