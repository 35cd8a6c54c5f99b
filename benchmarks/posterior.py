"""Speed of posterior-predictive runs, as ratios against a plain run measured in the same invocation.

    python benchmarks/posterior.py                    # baseline, 100 replications, 2 workers (a few minutes)
    python benchmarks/posterior.py --posterior DIR    # with a real posterior instead of the stand-in
    python benchmarks/posterior.py --quick            # a smoke run: the tiny scenario, 8 replications
    python benchmarks/posterior.py --rounds 2         # both commands twice, in alternating order

Times ``bandwagon run scenarios/baseline.yaml --posterior DIR --replications
100`` (issue 9: within 2 minutes on 2 cores) as a user runs it, in a fresh
process, and the same command without ``--posterior`` (in alternating order
over ``--rounds``), then
splits each into the simulation phase (the manifest's ``wall_seconds``) and
the rest (start-up, choosing and checking the draws, tables, figures,
reports).  It also
times, in this process: ``--pairs`` replications with and without their
draw, run by run in turn (the fair ratio on a shared machine; per account
opened too, since the draws change how many open, hence the work), what the
posterior adds before the first run (reading the directory, giving every
replication its draw, validating each replication's scenario), and each
step after the runs.

Until ``bandwagon calibrate`` has written a real posterior, a stand-in is
built over the free parameters of ``experiments/calibrate-baseline.yaml``
(:func:`stand_in_posterior`): each draw puts every parameter within about 15%
(log-normal) of the baseline's value, and the push's size anywhere in its
range, so the runs stay near the baseline's regime and cost;
a real posterior whose draws reach far larger agency counts would cost more
per run (the engine's time grows with the accounts opened).  The machine is
shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from sim import Scenario
from sim.calibration.problem.spec import CalibrationSpec
from sim.posterior import assign, load_posterior, write_posterior
from sim.scenario.binding import bind

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TINY = ROOT / "tests" / "data" / "tiny.yaml"
SPEC = ROOT / "experiments" / "calibrate-baseline.yaml"


UNIDENTIFIED = ("policy_push",)
"""Parameters the stand-in draws from their whole range: the calibration finds the push's size not
identified at all by the article's figures (all but one of them precede it)."""


def stand_in_posterior(directory: Path, base: Path, draws: int = 400, seed: int = 1) -> Path:
    """A posterior-shaped directory over the calibration spec's parameters, near the base's values.

    Not a posterior: no figure was used.  Each parameter is drawn log-normally
    within about 15% of the base's value, except those of :data:`UNIDENTIFIED`,
    drawn uniformly over their range (on their spacing), as a prior they are.
    """
    spec = CalibrationSpec.from_yaml(SPEC)
    data = Scenario.from_yaml(base).to_dict()
    rng = np.random.default_rng(seed)
    parameters, columns = {}, []
    for name, p in spec.parameters.items():
        binding = bind(p.path, p.apply, data, source=str(SPEC), field=name, numbers=True)
        centre = 1.0 if p.apply == "multiply" else float(np.median(binding.base_values))
        low, high = p.range
        if name in UNIDENTIFIED:
            u = rng.uniform(0.0, 1.0, draws)
            columns.append(low * (high / low) ** u if p.spacing == "log" else low + u * (high - low))
        else:
            columns.append(np.clip(centre * np.exp(rng.normal(0.0, 0.15, draws)), low, high))
        parameters[name] = {"path": p.path, "apply": p.apply, "label": p.label or name, "range": [low, high],
                            "spacing": p.spacing, "prior": {"uniform": p.spacing}}
    return write_posterior(directory, parameters, np.column_stack(columns).tolist(), rng.gamma(4.0, 1.0, draws),
                           calibration="benchmark-stand-in", base=os.path.relpath(base, directory),
                           spec=str(SPEC), sampler="none: log-normal around the baseline")


def timed_run(scenario: Path, replications: int, workers: int, out: Path, posterior: Path | None) -> dict:
    command = [sys.executable, "-m", "sim", "run", str(scenario), "--replications", str(replications),
               "--workers", str(workers), "--out", str(out), "--no-progress"]
    if posterior is not None:
        command += ["--posterior", str(posterior)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    manifest = json.loads((out / "manifest.json").read_text())
    return {"wall": wall, "simulate": manifest["wall_seconds"], "rest": wall - manifest["wall_seconds"]}


def output_phases(scenario: Path, replications: int, workers: int, directory: Path) -> dict[str, float]:
    """Seconds of each step after the runs, for ``replications`` records (a few real runs, repeated).

    The cost of writing depends on the sizes only, so ``min(replications, 8)``
    real runs are simulated and their records reused under other replication
    numbers.
    """
    from sim.commands.run import load_targets, write_figures
    from sim.output.formats import DEFAULT_FORMAT, table_name
    from sim.output.tables import Summary, write_adoptions, write_timeseries
    from sim.runner import run_replications

    base = Scenario.from_yaml(scenario)
    real = run_replications(base, range(min(replications, 8)), workers=workers, progress=False).runs
    runs = [replace(real[r % len(real)], replication=r) for r in range(replications)]
    targets = load_targets(base)
    timeseries = directory / table_name("timeseries", DEFAULT_FORMAT)
    steps = {
        timeseries.name: lambda: write_timeseries(timeseries, runs),
        "summary.csv": lambda: Summary.of(runs).write(directory / "summary.csv"),
        table_name("adoptions", DEFAULT_FORMAT): lambda: write_adoptions(
            directory / table_name("adoptions", DEFAULT_FORMAT), runs, base.horizon.start),
        "figures and reports (replications in memory)": lambda: write_figures(
            directory / "figures", base, Summary.of(runs), targets, timeseries, None, runs),
        f"figures and reports ({timeseries.name} read back)": lambda: write_figures(
            directory / "figures", base, Summary.of(runs), targets, timeseries),
    }
    seconds = {}
    for name, step in steps.items():
        started = time.perf_counter()
        step()
        seconds[name] = time.perf_counter() - started
    return seconds


def paired_runs(scenario: Path, posterior: Path, pairs: int) -> tuple[float, float, int, int]:
    """Replications ``0..pairs-1`` with and without their draw, back to back in this process.

    Alternating the two, run by run, is the fair ratio on a shared machine:
    the load changes between two whole commands minutes apart, hardly
    between two runs a second apart.  Returns (drawn s, plain s, accounts
    opened in the drawn runs, in the plain ones): the engine's work grows with
    the accounts opened, which the draws change.
    """
    from sim import simulate

    base = Scenario.from_yaml(scenario)
    drawn = assign(load_posterior(posterior), base, pairs).scenarios(base)
    simulate(base, pairs)  # warm up (imports, first allocations), untimed
    totals = [0.0, 0.0, 0, 0]
    for r in range(pairs):
        for i, s in ((0, drawn[r]), (1, base)) if r % 2 == 0 else ((1, base), (0, drawn[r])):
            started = time.perf_counter()
            records = simulate(s, r)
            totals[i] += time.perf_counter() - started
            totals[i + 2] += len(records.adoptions)
    return tuple(totals)


def preparation_seconds(scenario: Path, posterior: Path, replications: int) -> float:
    """Reading the posterior, assigning the draws and validating every replication's scenario."""
    base = Scenario.from_yaml(scenario).with_overrides({"replications": replications})
    started = time.perf_counter()
    assign(load_posterior(posterior), base, replications).scenarios(base)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the tiny scenario, 8 replications (a smoke run)")
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds of both commands")
    parser.add_argument("--posterior", type=Path, help="a posterior directory (default: a stand-in)")
    parser.add_argument("--pairs", type=int, default=20, help="replications run with and without their draw, in turn")
    args = parser.parse_args()
    scenario = TINY if args.quick else BASELINE
    replications = 8 if args.quick else args.replications
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        posterior = args.posterior or stand_in_posterior(tmp / "posterior", scenario)
        prepared = preparation_seconds(scenario, posterior, replications)
        drawn_s, plain_s, drawn_events, plain_events = paired_runs(scenario, posterior, 2 if args.quick else args.pairs)
        rounds = {"posterior": [], "plain": []}
        for i in range(args.rounds):
            for kind in ("posterior", "plain") if i % 2 == 0 else ("plain", "posterior"):
                out = tmp / f"{kind}-{i}"
                rounds[kind].append(timed_run(scenario, replications, args.workers, out,
                                              posterior if kind == "posterior" else None))
        phases = output_phases(scenario, replications, args.workers, tmp / "phases")
    load_after = os.getloadavg()
    print(f"bandwagon run {scenario.relative_to(ROOT)} --replications {replications} --workers {args.workers}, "
          f"{args.rounds} round(s); posterior: {'given' if args.posterior else 'stand-in'}")
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} ({os.cpu_count()} cores)")
    print(f"{'best of the rounds':24}{'wall s':>9}{'simulate s':>12}{'rest s':>9}")
    for kind, runs in rounds.items():
        best = min(runs, key=lambda r: r["wall"])
        print(f"{'--posterior' if kind == 'posterior' else 'no posterior':24}{best['wall']:9.1f}"
              f"{best['simulate']:12.1f}{best['rest']:9.1f}")
    drawn = min(rounds["posterior"], key=lambda r: r["wall"])
    plain = min(rounds["plain"], key=lambda r: r["wall"])
    print(f"ratio --posterior / no posterior: wall {drawn['wall'] / plain['wall']:.3f}, "
          f"simulation {drawn['simulate'] / plain['simulate']:.3f}, rest {drawn['rest'] / plain['rest']:.3f}")
    pairs = 2 if args.quick else args.pairs
    per_account = drawn_s / drawn_events / (plain_s / plain_events)
    print(f"{pairs} replications with and without their draw, in turn, in this process: {drawn_s:.1f} s and "
          f"{plain_s:.1f} s, ratio {drawn_s / plain_s:.3f}; per account opened {per_account:.3f} "
          f"({drawn_events:,} and {plain_events:,} accounts)")
    print(f"choosing and validating the {replications} replications' scenarios: {prepared:.3f} s "
          f"({prepared / drawn['wall']:.2%} of the --posterior run)")
    print(f"after the runs, for {replications} replications (in this process):")
    for name, seconds in phases.items():
        print(f"  {name:50}{seconds:7.1f} s")


if __name__ == "__main__":
    main()
