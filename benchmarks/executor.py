"""Benchmark of the one executor: 2 workers against 1 for run, calibrate and sweep, against a bare pool.

    python benchmarks/executor.py             # about 3-5 minutes on 2 cores
    python benchmarks/executor.py --quick     # one round, fewer runs (CI smoke run)
    python benchmarks/executor.py --dask      # also a 2-worker Dask LocalCluster

For each command the same work is timed four ways, back to back in each round
(alternating the order from round to round, the median round reported):

* ``bare 1``: plain ``simulate`` calls in a loop;
* ``bare 2``: the same calls through a bare ``ProcessPoolExecutor(2).map``,
  the ceiling of what 2 local processes can give this work on this machine now;
* ``1 worker`` and ``2 workers`` (and ``dask 2``): the command's own code path
  through :mod:`sim.execution` (``run_replications``; the calibration's
  stochastic model evaluating candidates; ``run_sweep`` into a store).

Speed-ups are ratios within a round: ``1 worker / 2 workers`` against the
ceiling ``bare 1 / bare 2``.  The machine is shared, so the load average is
printed with every round.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny.yaml"
CALIBRATION = ROOT / "experiments" / "calibrate-baseline.yaml"

SWEEP_SPEC = """\
name: bench-executor
base: {base}
design: lhs
samples: 12
replications: {replications}
seed: 1
parameters:
  imitation: {{path: agencies.levels.*.hazard.imitation, apply: multiply, range: [0.5, 2.0], spacing: log}}
  push: {{path: events.policy_push.changes.*.multiply, range: [1.0, 3.0]}}
outcomes:
  oct: {{metric: gov_accounts.sina, at: 2011-10-31}}
  t50: {{metric: gov_accounts.sina, curve: [t50]}}
"""


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def simulate_task(task):
    from sim import simulate

    scenario, replication = task
    return simulate(scenario, replication).events


STARTUP: dict[str, float] = {}
"""Seconds the last timed variant spent starting its executor (a Dask LocalCluster's processes)."""


def timed(function) -> tuple[float, float]:
    """``(wall seconds, of which starting the executor)``."""
    STARTUP.clear()
    started = time.perf_counter()
    function()
    return time.perf_counter() - started, STARTUP.get("seconds", 0.0)


def started(make):
    """``make()``, its start-up time recorded in :data:`STARTUP`."""
    begun = time.perf_counter()
    executor = make()
    STARTUP["seconds"] = time.perf_counter() - begun
    return executor


def bare(tasks) -> dict:
    def pool():
        with ProcessPoolExecutor(2) as executor:
            list(executor.map(simulate_task, tasks))

    return {"bare 1": lambda: [simulate_task(t) for t in tasks], "bare 2": pool}


def run_variants(scenario, replications: int, dask: bool) -> tuple[dict, str]:
    from sim.execution import make_executor
    from sim.runner import run_replications

    def through(**options):
        def go():
            with started(lambda: make_executor(tasks=replications, **options)) as executor:
                run_replications(scenario, range(replications), executor=executor, progress=False)
        return go

    variants = {**bare([(scenario, r) for r in range(replications)]),
                "1 worker": through(workers=1), "2 workers": through(workers=2)}
    if dask:
        variants["dask 2"] = through(scheduler="local", workers=2)
    return variants, f"{replications} replications of the full baseline"


def calibrate_variants(candidates: int, dask: bool) -> tuple[dict, str]:
    """The stochastic stage: ``candidates`` evaluations of the calibration's stochastic model."""
    import numpy as np

    from sim.calibration import load_problem
    from sim.calibration.problem.models import Budget, History, StochasticModel, Workers

    problem = load_problem(CALIBRATION)
    rng = np.random.default_rng(1)
    zs = [np.clip(problem.space.start() + rng.uniform(-0.05, 0.05, len(problem.space)), 0, 1)
          for _ in range(candidates)]

    def through(**options):
        def go():
            with started(lambda: Workers(problem, **options)) as workers:
                model = StochasticModel(problem, History(), Budget(None, 60.0), workers)
                for z in zs:
                    model(z, "refine")
        return go

    tasks = [(problem.scenario(z), r) for z in zs for r in problem.replications]
    variants = {**bare(tasks), "1 worker": through(workers=1), "2 workers": through(workers=2)}
    if dask:
        variants["dask 2"] = through(workers=2, scheduler="local")
    return variants, f"{candidates} candidates x {len(problem.replications)} replications of the baseline"


def sweep_variants(work: Path, replications: int, dask: bool) -> tuple[dict, str]:
    from sim.execution import make_executor
    from sim.sweep.engine import run_sweep
    from sim.sweep.pipeline import manifest, plan_sweep
    from sim.sweep.store import SweepStore

    spec = work / "sweep.yaml"
    spec.write_text(textwrap.dedent(SWEEP_SPEC.format(base=TINY, replications=replications)))
    plan = plan_sweep(spec)

    def through(**options):
        def go():
            directory = work / "sweep"
            shutil.rmtree(directory, ignore_errors=True)
            with started(lambda: make_executor(**options)) as executor, \
                    SweepStore(directory).opened(manifest(plan)) as store:
                run_sweep(plan, store, executor, progress=False)
        return go

    tasks = [(plan.scenario(point), r) for point in plan.points for r in range(replications)]
    variants = {**bare(tasks), "1 worker": through(workers=1), "2 workers": through(workers=2)}
    if dask:
        variants["dask 2"] = through(scheduler="local", workers=2)
    return variants, f"{plan.runs} runs of the tiny scenario (run phase only)"


def measure(name: str, what: str, variants: dict, rounds: int) -> None:
    print(f"\n{name}: {what}")
    names = list(variants)
    results = []
    for round_ in range(rounds):
        order = names if round_ % 2 == 0 else names[::-1]
        before = os.getloadavg()[0]
        seconds, startup = {}, {}
        for n in order:
            seconds[n], startup[n] = timed(variants[n])
        if "dask 2" in seconds:
            seconds["dask 2 started"] = seconds["dask 2"] - startup["dask 2"]
        results.append(seconds)
        print(f"  round {round_ + 1} ({load()} after, {before:.2f} before): "
              + ", ".join(f"{n} {seconds[n]:.2f} s" for n in names)
              + (f" (of which {startup['dask 2']:.2f} s starting the LocalCluster)" if "dask 2" in startup else ""))

    def ratio(a: str, b: str) -> str:
        values = [r[a] / r[b] for r in results]
        return f"{statistics.median(values):.2f}" + (f" (rounds {', '.join(f'{v:.2f}' for v in values)})"
                                                      if len(values) > 1 else "")

    print(f"  ceiling, bare 1 / bare 2 processes:  {ratio('bare 1', 'bare 2')}")
    print(f"  speed-up, 1 worker / 2 workers:      {ratio('1 worker', '2 workers')}")
    if "dask 2" in variants:
        print(f"  speed-up, 1 worker / Dask 2 workers: {ratio('1 worker', 'dask 2')}; "
              f"once started {ratio('1 worker', 'dask 2 started')}")
    print(f"  overhead, 1 worker / bare 1:         {ratio('1 worker', 'bare 1')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round of fewer runs")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dask", action="store_true", help="also time a 2-worker Dask LocalCluster")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds

    from sim import Scenario

    print(f"{os.cpu_count()} cores, {load()} at the start")
    baseline = Scenario.from_yaml(ROOT / "scenarios" / "baseline.yaml")
    replications = 2 if args.quick else 8
    variants, what = run_variants(baseline, replications, args.dask)
    measure("run", what, variants, rounds)
    variants, what = calibrate_variants(1 if args.quick else 2, args.dask)
    measure("calibrate (stochastic stage)", what, variants, rounds)
    with tempfile.TemporaryDirectory(prefix="bandwagon-executor-") as tmp:
        variants, what = sweep_variants(Path(tmp), 1 if args.quick else 4, args.dask)
        measure("sweep", what, variants, rounds)
    print(f"\n{load()} at the end")


if __name__ == "__main__":
    main()
