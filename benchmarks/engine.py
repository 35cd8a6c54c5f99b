"""Speed and memory of the engine and its mean-field twin, as ratios against baselines measured in the same run.

    python benchmarks/engine.py            # the full benchmark (a minute or two)
    python benchmarks/engine.py --quick    # a smoke run (CI): small sizes, same code paths
    python benchmarks/engine.py --interaction   # section 7 alone (about a minute)
    python benchmarks/engine.py --agents        # section 8 alone (two to three minutes)

Prints, for the full-scale baseline (every agency and every user represented):

1. one replication: wall time (best of ``--repeat``), SimPy events, accounts
   opened, and the cost of one adoption;
2. raw SimPy on this machine, now: the cost of one bare timeout event with as
   many live processes as accounts opened, and the ratio of an adoption's
   cost to it (below 1: the exact race costs less per adoption than SimPy
   would spend on scheduling it);
3. the wall time when every agency count is multiplied by 10, as a ratio;
4. peak memory (max RSS of a fresh process) of the baseline and of the
   baseline with seven times the people (the most the scenario format allows), as a ratio;
5. why the adoption race is built as it is: on a one-level Bass scenario,
   this engine against one SimPy process per agency simulated by
   Lewis-Shedler thinning (both exact);
6. the mean-field twin: one evaluation, and its ratio to one replication;
7. the interaction loop (issue 10): one replication with the loop (the
   baseline as shipped) against the same scenario without it
   (``interaction: null``), timed alternately; the messages simulated and the
   cost of each, split between the named accounts and the sampled ordinary
   accounts; and the twin with and without the loop.  Target: <= 1.5x;
8. the agent view (issue 19, ``--engine agents``): one full-scale
   replication with every agency and named account a SimPy process against
   the race, timed alternately; SimPy processes and events of each, and the
   peak memory of each (fresh processes), as ratios to the race;
9. the calibration's twin (issue 18): the compiled JAX twin
   (:mod:`sim.model.compiled`) against the numpy twin on the same prior draws
   of ``experiments/calibrate-baseline.yaml``, per point in a batch of 64
   (``--quick``: 8), in a fresh process pinned to one core; its compile time
   (with the persistent cache cold) and the ratio.  Target: <= 0.3 ms per
   point in a batch of 64 on one core.

Targets (issue 8): <= 0.5 s per full-scale replication and <= 5 ms per twin
evaluation on this machine idle; x10 agencies <= x10 time; peak memory
independent of users and < 500 MB.  Machines here are shared and noisy:
every timing is the best of ``--repeat`` runs, ratios are taken within one
run, and the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import simpy

from sim import Scenario, simulate
from sim.calendar import per_day
from sim.model import meanfield
from sim.model.meanfield import meanfield_batch
from sim.model.simulation import Run
from sim.scenario.builders import single_level

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def best_of(repeat: int, function):
    """The fastest of ``repeat`` calls: (seconds, result)."""
    best, result = math.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def raw_simpy_events_per_second(processes: int, events: int) -> float:
    """A loop of timeouts with ``processes`` live processes: SimPy's own cost per event."""
    env = simpy.Environment()
    per_process = max(1, events // processes)

    def loop(env, delay):
        for _ in range(per_process):
            yield env.timeout(delay)

    for i in range(processes):
        env.process(loop(env, 1.0 + i / processes))
    count, step = 0, env.step
    started = time.perf_counter()
    try:
        while True:
            step()
            count += 1
    except simpy.core.EmptySchedule:
        pass
    return count / (time.perf_counter() - started)


def scaled_agencies(scenario: Scenario, factor: int) -> Scenario:
    return scenario.with_overrides({f"agencies.levels.{name}.count": level.count * factor
                                    for name, level in scenario.agencies.levels.items()})


def scaled_people(scenario: Scenario, factor: int) -> Scenario:
    internet = scenario.population.internet
    return scenario.with_overrides({
        "population.total": scenario.population.total * factor,
        "population.internet.initial_users": internet.initial_users * factor,
        "population.internet.capacity": internet.capacity * factor,
    })


def peak_rss_mb(scenario: Scenario) -> float:
    """Peak resident memory of a fresh process running one replication.

    Read from ``VmHWM`` in /proc/self/status: ``ru_maxrss`` would include the
    parent's peak, which Linux carries across fork and exec.
    """
    code = (
        "import json, sys\n"
        "from sim import Scenario, simulate\n"
        "simulate(Scenario.from_dict(json.load(sys.stdin)), 0)\n"
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], input=json.dumps(scenario.to_dict()),
                            capture_output=True, text=True, check=True)
    return int(result.stdout.strip()) / 1024  # kB


# --- the alternative structure: one process per agency, thinning ---------------------------------

def per_agency_thinning(count: int, innovation: float, imitation: float, days: int, seed: int) -> tuple[int, int]:
    """Bass adoption with one SimPy process per agency (Lewis-Shedler thinning).

    Each agency proposes adoption times at the bound ``p + q`` (the hazard
    ``p + q F`` never exceeds it) and accepts with probability
    ``(p + q F) / (p + q)``.  Exact, but every rejected proposal is an event.
    Returns (adopted, events).
    """
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    p, q = per_day(innovation), per_day(imitation)
    bound = p + q
    state = {"adopted": 0}
    proposals = 4 * count * max(1, math.ceil(bound * days))  # ample: each agency proposes ~bound*days times at most
    waits = iter(rng.standard_exponential(proposals).tolist())
    coins = iter(rng.random(proposals).tolist())

    def agency(env):
        while True:
            yield env.timeout(next(waits) / bound)
            if next(coins) * bound < p + q * state["adopted"] / count:
                state["adopted"] += 1
                return

    for _ in range(count):
        env.process(agency(env))
    events, step, peek = 0, env.step, env.peek
    while peek() < days:
        step()
        events += 1
    return state["adopted"], events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--repeat", type=int, default=3, help="timings are the best of this many runs")
    parser.add_argument("--interaction", action="store_true", help="only section 7, the interaction loop")
    parser.add_argument("--agents", action="store_true", help="only section 8, the agent view against the race")
    parser.add_argument("--twin", action="store_true", help="only section 9, the compiled twin against the numpy twin")
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat

    baseline = Scenario.from_yaml(BASELINE)
    if args.quick:
        baseline = scaled_agencies(baseline, 1).with_overrides({"horizon.end": "2011-12-31"})
    if args.interaction:
        interaction_section(baseline, max(repeat, 5) if not args.quick else 1)
        print(f"\nload average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
        return
    if args.twin:
        twin_section(repeat, quick=args.quick)
        print(f"\nload average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
        return
    if args.agents:
        agents_section(baseline, repeat, quick=args.quick)
        print(f"\nload average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
        return
    print(f"Bandwagon engine benchmark{' (quick)' if args.quick else ''}: {baseline.name}, "
          f"{sum(l.count for l in baseline.agencies.levels.values()):,} potential adopters x "
          f"{len(baseline.platforms)} platforms, {baseline.population.total:,} people, "
          f"{(baseline.horizon.end - baseline.horizon.start).days + 1} days; best of {repeat}")

    wall, records = best_of(repeat, lambda: simulate(baseline, 0))
    setup, _ = best_of(repeat, lambda: Run(baseline, 0))
    adoptions = len(records.adoptions)
    per_adoption = (wall - setup) / max(adoptions, 1)
    print(f"\n1. one replication: {wall:.3f} s wall ({setup:.3f} s building the population and races), "
          f"{records.events:,} SimPy events, {adoptions:,} accounts opened   [target <= 0.5 s]\n"
          f"   {per_adoption * 1e6:.2f} us per account opened, everything else included")

    raw = max(raw_simpy_events_per_second(max(adoptions, 1), max(adoptions * 2, 1)) for _ in range(repeat))
    print(f"2. raw SimPy, {adoptions:,} live processes: {1e6 / raw:.2f} us per event; "
          f"one adoption / one bare SimPy event = {per_adoption * raw:.2f}")

    factor = 10
    big = scaled_agencies(baseline, factor)
    wall_big, records_big = best_of(1 if args.quick else 2, lambda: simulate(big, 0))
    print(f"3. agencies x{factor}: {wall_big:.2f} s wall, {records_big.events:,} events; "
          f"time ratio x{wall_big / wall:.1f}   [target <= x10]")

    rss = peak_rss_mb(baseline)
    rss_people = peak_rss_mb(scaled_people(baseline, 7))  # 9.4 billion: under the format's cap of 1e10 people
    print(f"4. peak memory: {rss:.0f} MB; with seven times the people {rss_people:.0f} MB "
          f"(ratio {rss_people / rss:.2f})   [target: independent of users, < 500 MB]")

    n, p, q = (5_000, 0.2, 2.0) if args.quick else (50_000, 0.2, 2.0)
    bass = single_level(count=n, innovation=p, imitation=q, days=3 * 365, seed=3)
    wall_channel, channel = best_of(repeat, lambda: simulate(bass, 0))
    wall_agency, (adopted, events) = best_of(1, lambda: per_agency_thinning(n, p, q, 3 * 365, seed=3))
    print(f"5. structure, one-level Bass model with {n:,} agencies over 3 years:\n"
          f"   exact race (this engine):        {wall_channel:.2f} s, {channel.events:,} events, "
          f"{channel.metrics['gov_accounts.sina'][-1]:,} adopted\n"
          f"   process per agency (thinning):   {wall_agency:.2f} s, {events:,} events, {adopted:,} adopted\n"
          f"   per-agency / race: x{wall_agency / wall_channel:.1f} time, x{events / channel.events:.1f} events")

    twin_wall, twin = best_of(repeat * 5, lambda: meanfield(baseline))
    size = 8 if args.quick else 64
    members = [baseline.with_overrides({"agencies.levels.*.hazard.imitation": 0.1 * (1 + i % 7),
                                        "platforms.sina.users.imitation": 1.5 + 0.01 * i}) for i in range(size)]
    batch_wall, _ = best_of(repeat, lambda: meanfield_batch(members))
    # The calibration solves up to its last figure's date, not to the horizon's end.
    last_target = dt.date(2011, 12, 31)
    target_days = min((last_target - baseline.horizon.start).days + 1, baseline.horizon.days)
    target_wall, _ = best_of(repeat, lambda: meanfield_batch(members, days=target_days))
    print(f"6. mean-field twin of the baseline: {twin_wall * 1e3:.1f} ms for one evaluation "
          f"({twin.diagnostics.get('adoption_ode_evaluations', 0)} ODE right-hand sides); in a batch of {size} "
          f"parameter sets (meanfield_batch, as the samplers call it) {batch_wall / size * 1e3:.1f} ms per evaluation, "
          f"{target_wall / size * 1e3:.1f} ms up to {last_target} (the calibration's last figure)   "
          f"[target <= 5 ms]\n   one replication / one twin evaluation = x{wall / twin_wall:.0f}; "
          f"single / batched = x{twin_wall * size / batch_wall:.1f}")
    interaction_section(baseline, repeat)
    agents_section(baseline, repeat, quick=args.quick)
    twin_section(repeat, quick=args.quick)
    print(f"\nload average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")


TWIN_TIMING = """
import json, os, sys, tempfile, time
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, before jax starts its threads
os.environ["BANDWAGON_JAX_CACHE"] = tempfile.mkdtemp()        # a cold compilation cache: the compile is timed
import numpy as np
from sim.calibration import load_problem
from sim.calibration.problem.twin import Evaluator
size, repeat = int(sys.argv[1]), int(sys.argv[2])
problem = load_problem(sys.argv[3])
z = problem.space.from_cube(np.random.default_rng(1).random((size, len(problem.space))))
def best(evaluator):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        values = evaluator(z)
        times.append(time.perf_counter() - started)
    return min(times) / size, values
numpy_twin = Evaluator(problem, compiled=False)
numpy_seconds, numpy_values = best(numpy_twin)
compiled = Evaluator(problem)
started = time.perf_counter()
compiled(z)
compile_seconds = time.perf_counter() - started
compiled_seconds, compiled_values = best(compiled)
ok = np.isfinite(numpy_values) & np.isfinite(compiled_values) & (numpy_values > 0) & (compiled_values > 0)
print(json.dumps(dict(numpy=numpy_seconds, compiled=compiled_seconds, compile=compile_seconds,
                      note=compiled.note, targets=len(problem.targets), parameters=len(problem.space),
                      log_difference=float(np.max(np.abs(np.log(compiled_values[ok]) - np.log(numpy_values[ok])))))))
"""


def twin_section(repeat: int, quick: bool = False) -> None:
    """Section 9: the compiled twin against the numpy twin, per point of one batch, in a fresh process on one core."""
    size = 8 if quick else 64
    spec = ROOT / "experiments" / "calibrate-baseline.yaml"
    out = subprocess.run([sys.executable, "-c", TWIN_TIMING, str(size), str(max(repeat, 3)), str(spec)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    t = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"9. the calibration's twin ({t['parameters']} free parameters, {t['targets']} figures), per point in a "
          f"batch of {size} on one core:\n"
          f"   numpy twin (RK45 on scenarios):  {t['numpy'] * 1e3:.2f} ms\n"
          f"   compiled twin ({t['note']}): {t['compiled'] * 1e3:.3f} ms   [target <= 0.3 ms at 64]\n"
          f"   numpy / compiled = x{t['numpy'] / t['compiled']:.0f}; compiling it once: {t['compile']:.0f} s "
          f"(= {t['compile'] / t['compiled']:,.0f} compiled points); largest |log difference| on these points "
          f"{t['log_difference']:.1e}")


def agents_section(baseline: Scenario, repeat: int, quick: bool = False) -> None:
    """Section 8: the agent view (one SimPy process per agency and named account) against the race (issue 19).

    Both views of one full-scale replication, timed alternately (best of ``repeat``, at most 2 for the agent
    view, which takes tens of seconds), in wall and CPU time; their SimPy processes and events; and each
    one's peak memory in a fresh process.  ``quick``: a hundredth of the agencies, to 2011-12-01.
    """
    race = baseline
    if quick:
        race = baseline.with_overrides({"horizon.end": "2011-12-01", **{
            f"agencies.levels.{name}.count": max(level.count // 100, 1) for name, level in baseline.agencies.levels.items()}})
    agents = race.with_overrides({"engine": "agents"})
    wall, cpu, records = {}, {}, {}
    for _ in range(max(1, min(repeat, 2))):
        for scenario in (race, agents):
            started, started_cpu = time.perf_counter(), time.process_time()
            records[scenario.engine] = simulate(scenario, 0)
            wall[scenario.engine] = min(wall.get(scenario.engine, math.inf), time.perf_counter() - started)
            cpu[scenario.engine] = min(cpu.get(scenario.engine, math.inf), time.process_time() - started_cpu)
    memory = {scenario.engine: peak_rss_mb(scenario) for scenario in (race, agents)}
    r, a = records["race"], records["agents"]
    followers = sum(int(a.metrics[f"followers.{name}.all"][-1]) for name in race.accounts)
    print(f"8. the agent view (--engine agents), one replication{' (quick: 1% of the agencies)' if quick else ''}, "
          f"wall / CPU seconds, peak memory:\n"
          f"   race   {wall['race']:.2f} / {cpu['race']:.2f} s, {memory['race']:.0f} MB; {r.processes:,} SimPy "
          f"process, {r.events:,} events\n"
          f"   agents {wall['agents']:.2f} / {cpu['agents']:.2f} s, {memory['agents']:.0f} MB; {a.processes:,} SimPy "
          f"processes, {a.events:,} events (at least {followers:,} of them named accounts' followers arriving, "
          f"{a.processes - 1:,} processes starting)\n"
          f"   agents / race = x{wall['agents'] / wall['race']:.0f} wall, x{cpu['agents'] / cpu['race']:.0f} CPU, "
          f"x{memory['agents'] / memory['race']:.1f} memory; "
          f"{(cpu['agents'] - cpu['race']) / (a.events - r.events) * 1e6:.1f} us of CPU per extra event")


def interaction_section(baseline: Scenario, repeat: int) -> None:
    """Section 7: what the interaction loop costs a replication and the twin (issue 10).

    Timed alternately (so that a change of load hits every variant alike), best
    of ``repeat``, in wall time and in CPU time of this process (which the other
    processes on a shared machine disturb less).
    """
    if baseline.interaction is None:
        print("7. interaction loop: the baseline has none")
        return
    without = Scenario.from_dict({**baseline.to_dict(), "interaction": None}, source="baseline without the loop")
    named_only = baseline.with_overrides({"interaction.sample_per_level": 0})
    variants = {"without the loop": without, "named accounts only": named_only, "with the loop": baseline}
    wall, cpu = dict.fromkeys(variants, math.inf), dict.fromkeys(variants, math.inf)
    for _ in range(repeat):
        for label, scenario in variants.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            simulate(scenario, 0)
            wall[label] = min(wall[label], time.perf_counter() - started)
            cpu[label] = min(cpu[label], time.process_time() - started_cpu)
    messages = {}
    for label in ("named accounts only", "with the loop"):
        run = Run(variants[label], 0)
        records = run.run()
        messages[label] = (run.engine("interaction").feeder.delivered, records.events)
    named, named_events = messages["named accounts only"]
    total, events = messages["with the loop"]
    print(f"7. interaction loop, one replication (best of {repeat}, timed alternately), wall / CPU seconds:\n"
          f"   without the loop {wall['without the loop']:.3f} / {cpu['without the loop']:.3f}; "
          f"named accounts only {wall['named accounts only']:.3f} / {cpu['named accounts only']:.3f} "
          f"({named:,} messages, {named_events:,} SimPy events); with the loop {wall['with the loop']:.3f} / "
          f"{cpu['with the loop']:.3f} ({total:,} messages, {total - named:,} of them at "
          f"{baseline.interaction.sample_per_level} sampled agencies per level; {events:,} events)\n"
          f"   {(cpu['with the loop'] - cpu['without the loop']) / max(total, 1) * 1e6:.1f} us of CPU per message, "
          f"all overheads included; with / without = x{wall['with the loop'] / wall['without the loop']:.2f} wall, "
          f"x{cpu['with the loop'] / cpu['without the loop']:.2f} CPU   [target <= x1.5]")
    twin_on, _ = best_of(repeat * 5, lambda: meanfield(baseline))
    twin_off, _ = best_of(repeat * 5, lambda: meanfield(without))
    print(f"   twin: {twin_on * 1e3:.1f} ms with the loop, {twin_off * 1e3:.1f} ms without (x{twin_on / twin_off:.2f})")


if __name__ == "__main__":
    main()
