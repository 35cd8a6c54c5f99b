"""``bandwagon sweep SPEC``: run a parameter sweep, resumably, locally or on a Dask cluster.

Runs go to a local process pool by default, to a running Dask scheduler with
``--scheduler tcp://HOST:PORT``, or to a Dask LocalCluster started here with
``--scheduler local``.  Every run is stored the moment it finishes; running
the same command again on the same ``--out`` skips the finished runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..errors import InputError
from ..execution import add_arguments, check_arguments, default_workers, executor_from
from ..output.atomic import check_output_place

ORDER = 30


def register(subparsers) -> None:
    parser = subparsers.add_parser("sweep", help="run a parameter sweep (resumable; local or Dask)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", type=Path, help="sweep spec YAML file (see experiments/)")
    add_arguments(parser)
    parser.add_argument("--out", type=Path, help="sweep directory (default: results/sweeps/<spec name>); "
                        "an existing one of the same sweep is resumed")
    parser.add_argument("--dry-run", action="store_true", help="print the points, runs and a time estimate; run nothing")
    shorter = parser.add_argument_group("a shorter sweep (for trials and CI; recorded in the sweep's manifest)")
    shorter.add_argument("--base", type=Path, help="base scenario instead of the spec's")
    shorter.add_argument("--replications", type=int, help="replications per point instead of the spec's")
    shorter.add_argument("--samples", type=int, help="lhs/sobol samples instead of the spec's")
    shorter.add_argument("--levels", type=int, help="grid/one_at_a_time: at most this many values per parameter")
    parser.add_argument("--engine", choices=("race", "agents"),
                        help="the view every run is simulated in (default: the spec's engine, else the base "
                             "scenario's): race (fast) or agents (one SimPy process per agency and named account)")
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
    from ..sweep.pipeline import manifest, plan_sweep, run
    from ..sweep.store import SweepStore

    check_arguments(args)
    for option in ("replications", "samples", "levels"):
        value = getattr(args, option)
        if value is not None and value < 1:
            raise InputError(f"expected a positive number, got {value}", source=f"--{option}")
    plan = plan_sweep(args.spec, base=args.base, replications=args.replications, samples=args.samples,
                      levels=args.levels, posterior=args.posterior, no_posterior=args.no_posterior,
                      engine=args.engine)
    if plan.sweep.posterior is not None:
        for line in plan.sweep.posterior.notes:
            print(f"bandwagon sweep: note: {line}", file=sys.stderr)
    out = args.out or Path("results") / "sweeps" / plan.sweep.name
    check_output_place(out, into=out.is_dir())
    resuming = SweepStore.check(out, manifest(plan))
    if args.dry_run:
        return dry_run(plan, out, resuming, args)
    with executor_from(args) as executor:  # connects, or fails, before anything is written
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
        samples = estimate_samples(plan)
        times = []
        for point in samples:
            task = next(tasks_for(plan, [(point.keys[0], point, 0)], plan.model()))
            timer = time.perf_counter()
            execute(task)
            times.append(time.perf_counter() - timer)
        workers = args.workers or (default_workers() if args.scheduler in (None, "local") else None)
        print(estimate_text(samples, times, todo, workers))
    else:
        print("nothing to run: a sweep would only rebuild the results from the stored runs")
    print("dry run: nothing was written")
    return 0


ESTIMATE_POINTS = 3


def estimate_samples(plan) -> list:
    """Up to :data:`ESTIMATE_POINTS` points spread across the design by a cost proxy: cheapest, middle, dearest.

    The proxy orders points by their potential adopters (the run time follows
    the number of adoptions) and then by how high their parameter values stand
    in each parameter's range (higher rates mean more adoptions, each an event
    of the engine).
    """
    points = plan.points
    columns = list(zip(*(point.values for point in points)))
    ranks = []
    for column in columns:
        try:
            order = sorted(set(column))
        except TypeError:  # values of mixed kinds: no order
            order = list(dict.fromkeys(column))
        ranks.append({value: i / max(len(order) - 1, 1) for i, value in enumerate(order)})

    base = plan.sweep.base
    counts = {f"agencies.levels.{name}.count": level.count for name, level in base.agencies.levels.items()}

    def cost(point) -> tuple:
        adopters = sum(point.overrides.get(path, count) for path, count in counts.items())
        return (adopters, sum(rank[value] for rank, value in zip(ranks, point.values)))

    ordered = sorted(points, key=cost)
    picks = sorted({round(q * (len(ordered) - 1)) for q in (0.0, 0.5, 1.0)})[:ESTIMATE_POINTS]
    return [ordered[i] for i in picks]


def estimate_text(samples: list, times: list[float], todo: int, workers: int | None) -> str:
    """The estimate with its range: every run as fast as the fastest timed one, or as slow as the slowest."""
    mean, low, high = sum(times) / len(times), min(times), max(times)
    timed = ", ".join(f"{point.id} {seconds:.2f} s" for point, seconds in zip(samples, times))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    noise = (f"; load average {load:.1f} on {os.cpu_count()} cores now, and run times move with it"
             if load is not None else "")
    if workers:
        scale = todo / workers
        head = (f"estimate: about {_duration(mean * scale)} on {workers} worker(s), between {_duration(low * scale)} "
                f"and {_duration(high * scale)}, plus a few seconds to write the tables and figures")
    else:
        head = (f"estimate: about {_duration(mean * todo)} of worker time, between {_duration(low * todo)} and "
                f"{_duration(high * todo)}, divided by the scheduler's worker threads")
    return (f"{head}\n  (one run timed at each of {len(times)} points across the design, cheapest to dearest by "
            f"size and parameter values: {timed}; the range takes every run as fast as the fastest or as slow as "
            f"the slowest{', with the workers in parallel without loss' if workers else ''}{noise})")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
