"""Which sampler for the posterior stage: emcee or dynesty, on this problem.

    python benchmarks/sampler_choice.py                 # each sampler for --minutes (default 4) on 2 workers
    python benchmarks/sampler_choice.py --quick         # 20 seconds each (CI smoke run, same code paths)
    python benchmarks/sampler_choice.py --problem bass  # the one-level Bass posterior (closed form), 60 s each

Both samplers get the same posterior (``experiments/calibrate-baseline.yaml``
on the mean-field twin, no stochastic correction, every non-inert parameter
sampled), the same wall time and the same worker processes.  Printed per
sampler: model evaluations, wall time, the effective sample size (emcee: the
smallest over the parameters of chain length / integrated autocorrelation
time; dynesty: Kish's effective number of its importance weights), effective
samples per second and per thousand evaluations, its convergence measure
(split-R-hat for emcee, the remaining dlogz for dynesty), and the posterior
medians and 90% intervals of the parameters in unit coordinates, so the two
can be checked against each other.  emcee runs twice: with the
differential-evolution moves the posterior stage uses, and with its default
stretch move.  The load average is printed before and after: the machine is
shared.

``--problem bass`` runs the same comparison on one simulated data set of the
simulation-based calibration's one-level Bass problem (``sim/calibration/bayes/sbc.py``:
three parameters, the closed form as the twin, in-process), where every
sampler converges, so effective sample sizes per evaluation can be compared
at convergence; its emcee runs stop at 400 effective draws.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from sim.calibration import load_problem
from sim.calibration.problem.density import Correction, TwinDensity, inert_parameters
from sim.calibration.problem.models import Workers
from sim.calibration.bayes.stage import weighted_quantiles
from sim.calibration.bayes.samplers import run_dynesty, run_emcee, screened_start

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "calibrate-baseline.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=4.0, help="wall time of each sampler")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--live-points", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="20 seconds each")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--problem", choices=["baseline", "bass"], default="baseline")
    args = parser.parse_args()
    seconds = 20.0 if args.quick else 60 * args.minutes
    if args.problem == "bass":
        bass(args, seconds=20.0 if args.quick else 60.0)
        return

    problem = load_problem(SPEC)
    T, n = len(problem.targets), len(problem.space)
    used = np.ones(T, bool)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.workers} workers, "
          f"{seconds:.0f} s per sampler")
    results = {}
    with Workers(problem, args.workers) as pool:
        rng = np.random.default_rng(args.seed)
        inert = inert_parameters(problem, used, rng, pool)
        active = np.array([i for i in range(n) if i not in set(inert)])
        density = TwinDensity(problem, Correction.none(T), active, problem.space.start(), used)
        walkers = 2 * len(active) + 2
        print(f"{len(active)} parameters sampled ({', '.join(problem.space.names[i] for i in inert) or 'none'} "
              f"inert), {walkers} emcee walkers")
        started = time.perf_counter()
        start = screened_start(density, pool, rng, walkers, 8 * walkers)
        screening = time.perf_counter() - started
        print(f"emcee start: best {walkers} of {8 * walkers + 1} prior draws, {screening:.1f} s")
        import emcee

        for name, moves in (("emcee (DE moves)", None), ("emcee (stretch move)", [(emcee.moves.StretchMove(), 1.0)])):
            results[name] = run_emcee(density, pool, seed=args.seed, walkers=walkers, max_steps=100_000,
                                      target_ess=1e9, deadline=time.time() + seconds, start=start, moves=moves)
            results[name].evaluations += 8 * walkers + 1
            results[name].seconds += screening
        results["dynesty (rwalk)"] = run_dynesty(density, pool, seed=args.seed, live_points=args.live_points,
                                                 deadline=time.time() + seconds)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    table(results, [problem.space.names[i] for i in active])


def bass(args, seconds: float) -> None:
    """The comparison on one simulated data set of the one-level Bass problem (converges)."""
    import emcee

    from sim.calibration.bayes.sbc import bass_problem, bass_twin, with_figures

    problem = bass_problem()
    twin = bass_twin(problem)
    rng = np.random.default_rng(args.seed)
    truth = problem.space.from_cube(np.array([[0.4, 0.6, 0.5]]))
    mean = twin(truth)[0]
    figures = mean * np.exp(problem.targets.sigma(mean) * rng.standard_normal(len(mean)))
    density = TwinDensity(with_figures(problem, figures), Correction.none(len(mean)), np.arange(3), np.full(3, 0.5),
                          np.ones(len(mean), bool), batch=twin)
    print(f"load average before: {os.getloadavg()[0]:.1f}; one-level Bass posterior, {seconds:.0f} s at most each")
    start = screened_start(density, None, rng, 12, 96)
    results = {}
    for name, moves in (("emcee (DE moves)", None), ("emcee (stretch move)", [(emcee.moves.StretchMove(), 1.0)])):
        results[name] = run_emcee(density, None, seed=args.seed, walkers=12, max_steps=100_000, target_ess=400,
                                  deadline=time.time() + seconds, start=start, moves=moves)
    results["dynesty (rwalk)"] = run_dynesty(density, None, seed=args.seed, live_points=args.live_points,
                                             deadline=time.time() + seconds)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    table(results, problem.space.names)


def table(results: dict, names: list[str]) -> None:
    print()
    print("| sampler | evaluations | wall s | ESS (min over parameters) | ESS / s | ESS / 1000 evaluations | "
          "convergence |")
    print("|---|---|---|---|---|---|---|")
    for name, s in results.items():
        ess = float(np.min(s.ess))
        d = s.diagnostics
        conv = (f"max split-R-hat {np.nanmax(d['rhat']):.2f}, tau {np.nanmax(d['tau']):.0f} steps, "
                f"{d['steps']} steps" if "rhat" in d else
                f"{'reached' if s.converged else 'stopped before'} dlogz {d['dlogz_goal']:g}, log Z {d['logz']:.1f} "
                f"+- {d['logz_error']:.1f}")
        print(f"| {name} | {s.evaluations:,} | {s.seconds:.0f} | {ess:,.0f} | {ess / s.seconds:.2f} | "
              f"{1000 * ess / max(s.evaluations, 1):.2f} | {conv} |")
    print()
    print("posterior median [5%, 95%] in unit coordinates:")
    rows = {name: weighted_quantiles(s.x, s.weights, [0.05, 0.5, 0.95]) for name, s in results.items()}
    print("parameter".ljust(22) + "".join(name.ljust(26) for name in rows))
    for k, pname in enumerate(names):
        print(pname.ljust(22) + "".join(f"{q[1, k]:.2f} [{q[0, k]:.2f}, {q[2, k]:.2f}]".ljust(26) for q in rows.values()))


if __name__ == "__main__":
    main()
