"""Benchmark of ``bandwagon sweep``: machinery overhead, speed-up on 2 workers, memory as runs grow.

    python benchmarks/sweep.py            # about 3-4 minutes on 2 cores
    python benchmarks/sweep.py --quick    # smaller sweeps, about a minute

Every figure is printed as a ratio against a baseline measured in the same
invocation, so a slow or busy machine shifts both sides:

1. overhead: each run twice, back to back, bare and through the machinery
   (the ratio least disturbed by a drifting load); then the same runs as bare
   ``simulate`` calls in a loop, then through
   the sweep machinery on one worker (task building, outcome measures,
   encoding, one atomic file per run), then with the result tables, the
   sensitivity analysis and the figures.  Because the load of a shared
   machine changes between the two, the overhead is also measured within
   each sweep: its run phase against the time spent inside ``simulate``;
2. speed-up: the run phase and the whole sweep on 2 local worker processes
   against 1;
3. memory: peak resident memory of the ``bandwagon sweep`` process for a
   sweep of 100 and of 1,000 runs of a very small scenario (2 worker
   processes, so the figure is the machinery's, not the model's).

Each of ``--repeat`` rounds runs the variants back to back, in alternating
order, and ratios are taken within a round (the median round is reported), to
damp the drifting load of a shared machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny.yaml"

GRID_SPEC = """\
name: bench-grid
base: {base}
design: grid
replications: {replications}
seed: 1
parameters:
  imitation: {{path: agencies.levels.*.hazard.imitation, apply: multiply, values: [0.5, 0.8, 1.2, 2.0]}}
  push: {{path: events.policy_push.changes.*.multiply, values: {push}}}
outcomes:
  oct: {{metric: gov_accounts.sina, at: 2011-10-31}}
  first200: {{metric: gov_accounts.sina, reaches: 200}}
  sina: {{metric: gov_accounts.sina, curve: all}}
"""

MICRO_SCENARIO = """\
name: micro
description: Benchmark scenario - one platform, two provinces, two levels, one year.
horizon: {start: 2009-08-14, end: 2010-08-13}
seed: 1
replications: 1
population:
  total: 10000000
  internet: {initial_users: 3000000, capacity: 6000000, growth_rate: 0.6}
provinces:
  north: {population: 6000000}
  south: {population: 4000000}
platforms:
  sina:
    label: Sina Weibo
    launch: 2009-08-14
    users: {innovation: 0.05, imitation: 1.5, initial_users: 1000}
agencies:
  levels:
    province:
      label: Provincial bodies
      count: 20
      spread: equal
      population_served: 5000000
      hazard: {innovation: 0.05, imitation: 1.0}
    county:
      label: County bodies
      count: 200
      spread: population
      parent: province
      population_served: 50000
      hazard: {innovation: 0.02, imitation: 0.8, upper_tier: 0.3}
outputs: {adoptions: false, figures: false}
"""

MICRO_SPEC = """\
name: bench-memory
base: micro.yaml
design: lhs
samples: {samples}
replications: 2
seed: 2
parameters:
  imitation: {{path: agencies.levels.*.hazard.imitation, apply: multiply, range: [0.5, 2.0]}}
  innovation: {{path: agencies.levels.*.hazard.innovation, apply: multiply, range: [0.5, 2.0], spacing: log}}
outcomes:
  final: {{metric: gov_accounts.sina, at: 2010-08-13}}
  county: {{metric: gov_accounts.sina.county, curve: [t50, peak_monthly]}}
summaries: [gov_accounts.sina]
"""

MEASURE_RSS = """\
import resource, sys
from sim.cli import main
status = main(sys.argv[1:])
print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "STATUS", status)
"""


def bare(plan) -> float:
    """The runs of ``plan`` as plain simulate calls: the baseline."""
    from sim import simulate

    started = time.perf_counter()
    for point in plan.points:
        scenario = plan.scenario(point)
        for r in range(plan.sweep.spec.replications):
            simulate(scenario, r)
    return time.perf_counter() - started


MODEL_SECONDS = [0.0]


def timed_simulate(scenario, replication):
    """``simulate``, adding its wall time to MODEL_SECONDS (in-process runs only)."""
    from sim import simulate

    started = time.perf_counter()
    try:
        return simulate(scenario, replication)
    finally:
        MODEL_SECONDS[0] += time.perf_counter() - started


def swept(plan, executor, directory: Path, model=None) -> tuple[float, float]:
    """``(run phase, tables + sensitivity + figures)`` seconds of a fresh sweep."""
    from sim import simulate
    from sim.sweep.engine import run_sweep
    from sim.sweep.pipeline import finish, manifest
    from sim.sweep.store import SweepStore

    shutil.rmtree(directory, ignore_errors=True)
    with SweepStore(directory).opened(manifest(plan)) as store:
        progress = run_sweep(plan, store, executor, progress=False, model=model or simulate)
        assembly = finish(plan, store)
    return progress.seconds, assembly


def paired_overhead(plan, work: Path) -> None:
    """Each run twice, back to back: a bare ``simulate``, and the machinery's ``execute`` + ``store.put``
    (which simulates again), in alternating order; the ratio is taken run by run."""
    from statistics import median

    from sim import simulate
    from sim.sweep.engine import tasks_for
    from sim.sweep.pipeline import manifest
    from sim.sweep.store import SweepStore
    from sim.sweep.worker import execute

    shutil.rmtree(work / "paired", ignore_errors=True)
    ratios, bare_total, swept_total = [], 0.0, 0.0
    with SweepStore(work / "paired").opened(manifest(plan)) as store:
        for i, task in enumerate(tasks_for(plan, plan.unique_runs())):
            def plain():
                simulate(task.scenario, task.replication)

            def machinery():
                store.put(task.key, execute(task))

            seconds = {}
            for name, fn in ((("bare", plain), ("sweep", machinery)) if i % 2 == 0 else
                             (("sweep", machinery), ("bare", plain))):
                started = time.perf_counter()
                fn()
                seconds[name] = time.perf_counter() - started
            ratios.append(seconds["sweep"] / seconds["bare"])
            bare_total += seconds["bare"]
            swept_total += seconds["sweep"]
    print(f"each run through the machinery / the same run bare, paired run by run ({len(ratios)} runs): "
          f"median {median(ratios):.3f}, total {swept_total / bare_total:.3f}")


def overhead_and_speedup(work: Path, replications: int, push: str, repeat: int) -> None:
    """Each round times the three variants back to back, in alternating order (a shared machine's load
    drifts), and gives ratios within the round; the median round is reported."""
    from statistics import median

    from sim.execution import InProcess, LocalPool
    from sim.sweep.pipeline import plan_sweep

    spec = work / "grid.yaml"
    spec.write_text(textwrap.dedent(GRID_SPEC.format(base=TINY, replications=replications, push=push)))
    plan = plan_sweep(spec)
    print(f"sweep: {len(plan.points)} points x {replications} replications = {plan.runs} runs of the tiny scenario")
    paired_overhead(plan, work)

    def one() -> dict[str, float]:
        MODEL_SECONDS[0] = 0.0
        run, assembly = swept(plan, InProcess(), work / "one", model=timed_simulate)
        return {"one": run, "one_all": run + assembly, "inside": run / MODEL_SECONDS[0]}

    def two() -> dict[str, float]:
        with LocalPool(2) as pool:
            run, assembly = swept(plan, pool, work / "two")
        return {"two": run, "two_all": run + assembly}

    variants = [lambda: {"bare": bare(plan)}, one, two]
    rounds = []
    for round_ in range(repeat):
        measured: dict[str, float] = {}
        for variant in (variants if round_ % 2 == 0 else variants[::-1]):
            measured.update(variant())
        rounds.append(measured)
        print(f"  round {round_ + 1}: bare {measured['bare']:.2f} s, 1 worker {measured['one']:.2f} s "
              f"(+{measured['one_all'] - measured['one']:.2f} s tables and figures), "
              f"2 workers {measured['two']:.2f} s (+{measured['two_all'] - measured['two']:.2f} s)")

    def ratio(numerator: str, denominator: str | None = None) -> str:
        values = [r[numerator] / (r[denominator] if denominator else 1.0) for r in rounds]
        return f"{median(values):.3f} (rounds: {', '.join(f'{v:.3f}' for v in values)})"

    bare_seconds = median(r["bare"] for r in rounds)
    print(f"bare model runs (baseline): median {bare_seconds:.2f} s, {1000 * bare_seconds / plan.runs:.0f} ms a run")
    print(f"run phase, 1 worker / bare runs                       {ratio('one', 'bare')}")
    print(f"run phase, 1 worker / model time inside that sweep    {ratio('inside')}")
    print(f"whole sweep, 1 worker / bare runs                     {ratio('one_all', 'bare')}")
    print(f"speed-up of 2 workers, run phase (1 worker / 2)       {ratio('one', 'two')}")
    print(f"speed-up of 2 workers, whole sweep                    {ratio('one_all', 'two_all')}")


def peak_rss(work: Path, samples: int) -> tuple[float, float, int]:
    spec = work / "memory.yaml"
    spec.write_text(textwrap.dedent(MICRO_SPEC.format(samples=samples)))
    out = work / f"memory-{samples}"
    shutil.rmtree(out, ignore_errors=True)
    script = work / "rss.py"
    script.write_text(MEASURE_RSS)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(script), "sweep", str(spec), "--out", str(out), "--workers", "2",
                             "--no-progress"], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    line = next(line for line in result.stdout.splitlines() if line.startswith("PEAK_RSS_KB"))
    return int(line.split()[1]) / 1024, seconds, 2 * samples


def memory(work: Path, small: int, large: int) -> None:
    (work / "micro.yaml").write_text(MICRO_SCENARIO)
    small_mb, small_s, small_runs = peak_rss(work, small // 2)
    large_mb, large_s, large_runs = peak_rss(work, large // 2)
    print(f"peak memory, {small_runs:5d} runs (baseline)        {small_mb:7.1f} MB  ({small_s:.1f} s)")
    print(f"peak memory, {large_runs:5d} runs                   {large_mb:7.1f} MB  ratio {large_mb / small_mb:.3f}"
          f"  ({large_s:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sweeps (about a minute)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the timing comparison (the median ratio is reported)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bandwagon-bench-") as tmp:
        work = Path(tmp)
        if args.quick:
            overhead_and_speedup(work, replications=1, push="[1.0, 2.0]", repeat=args.repeat)
            memory(work, 40, 400)
        else:
            overhead_and_speedup(work, replications=2, push="[1.0, 2.0, 3.0]", repeat=args.repeat)
            memory(work, 100, 1000)
    print(f"load average at the end {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
