"""The posterior stage alone: time to convergence, on one worker and on more, as ratios measured in the same run.

    python benchmarks/sampler.py                       # the baseline spec, 1 and 2 workers, seed 1 (~15 min)
    python benchmarks/sampler.py --workers 1 2 4 --seeds 1 2
    python benchmarks/sampler.py --settings '{"tries": 8}'   # another setting of the spec's posterior section
    python benchmarks/sampler.py --quick               # a smoke run: a one-minute stage, one worker

The search and analysis of ``experiments/calibrate-baseline.yaml`` run once (``posterior_minutes=0``); then the
posterior stage (:func:`sim.calibration.bayes.stage.sample_posterior`) runs from the same search, for each
number of workers and seed, with a time limit long enough that it stops when converged (``--minutes``).  For
each it prints whether the chains converged (ArviZ: rank R-hat < 1.01, bulk and tail ESS >= 400 over 16
chains), the sampling iterations that took, the twin evaluations, the wall time by phase, and the bulk ESS
per thousand evaluations; then each worker count's wall time over one worker's.  The draws are the same
whatever the number of workers (the groups' streams do not depend on where they run), so the ratios compare
the same work.  The machine is shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path

from sim.calibration import calibrate, load_problem
from sim.calibration.bayes.stage import sample_posterior
from sim.calibration.problem.models import Workers
from sim.calibration.problem.twin import Evaluator

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "calibrate-baseline.yaml"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--minutes", type=float, default=20.0, help="time limit of each stage (default 20: "
                        "long enough that the stage stops when converged)")
    parser.add_argument("--settings", type=json.loads, default={}, help="overrides of the spec's posterior section")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 worker, a one-minute stage, small search")
    args = parser.parse_args()
    if args.quick:
        args.workers, args.minutes = [1], 1.0

    print(f"load average before: {load()} ({os.cpu_count()} cores)")
    problem = load_problem(SPEC)
    started = time.perf_counter()
    search = calibrate(problem, workers=max(args.workers), progress=False, posterior_minutes=0,
                       **({"evaluations": 4, "minutes": 0.5} if args.quick else {}))
    print(f"search and analysis: {time.perf_counter() - started:.0f} s on {max(args.workers)} workers")

    rows = []
    for seed in args.seeds:
        posterior_spec = problem.spec.posterior.model_copy(update={"seed": seed, **args.settings})
        seeded = replace(problem, spec=problem.spec.model_copy(update={"posterior": posterior_spec}))
        for workers in args.workers:
            with Workers(seeded, workers, None) as pool:
                begun = time.perf_counter()
                post = sample_posterior(seeded, pool, search.history, fit=search.point,
                                        meanfield_fit=search.meanfield_point, seconds=60 * args.minutes,
                                        evaluator=Evaluator(seeded, pool))
                wall = time.perf_counter() - begun
            c, s = post.convergence, post.settings
            rows.append(dict(seed=seed, workers=workers, wall=wall, converged=post.converged, **c.worst,
                             sampled=len(post.sampled), iterations=s["sampling_iterations"],
                             evaluations=post.evaluations, phases=s["seconds"], acceptance=s["acceptance"],
                             khat=c.khat, kish=c.kish))
            r = rows[-1]
            print(f"seed {seed}, {workers} worker{'s' if workers > 1 else ''}: "
                  f"{'converged' if r['converged'] else 'NOT CONVERGED'} in {wall:.0f} s "
                  f"(R-hat {r['rhat']:.3f}, bulk ESS {r['ess_bulk']:.0f}, tail ESS {r['ess_tail']:.0f}); "
                  f"{r['sampled']} sampled, {r['iterations']} sampling iterations, acceptance {r['acceptance']:.2f}, "
                  f"{r['evaluations']:,} twin evaluations "
                  f"({1000 * r['ess_bulk'] / r['evaluations']:.1f} bulk ESS per 1000); k-hat {r['khat']:.2f}, "
                  f"Kish {r['kish']:.2f}; phases {r['phases']}", flush=True)

    print("\nwall time of the stage over one worker's, same seed, same run:")
    for seed in args.seeds:
        mine = {r["workers"]: r["wall"] for r in rows if r["seed"] == seed}
        if 1 in mine:
            print(f"  seed {seed}: " + ", ".join(f"{w} workers x{t / mine[1]:.2f}" for w, t in sorted(mine.items())))
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
