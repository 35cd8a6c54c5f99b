"""Simulation-based calibration of the posterior stage, in full (Talts et al. 2018).

    python benchmarks/sbc.py                      # 300 simulations (about 5 minutes idle), figure in results/sbc/
    python benchmarks/sbc.py --simulations 30     # CI's size (tests/test_posterior_sbc.py runs this)

The one-level Bass problem of ``sim/calibration/bayes/sbc.py`` (innovation, imitation and the number of agencies
free, log-uniform priors; five figures with a 20% tolerance): truths from the prior, figures from the
likelihood, posteriors by the posterior stage's emcee sampler.  Prints per parameter the 90% interval's
coverage with its binomial standard error and a chi-square test of the ranks' uniformity, and draws
``results/sbc/sbc.png``: each parameter's rank histogram against the uniform band (99% of a binomial
count per bin) and the empirical CDF of the ranks against the diagonal.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from scipy import stats

from sim.calibration.bayes.sbc import bass_problem, bass_twin, simulation_based_calibration
from sim.output.atomic import atomic_file
from sim.plotting.style import OKABE_ITO, new_figure, styled

ROOT = Path(__file__).resolve().parents[1]
BINS = 10


def figure(result, names):
    draws = result.draws
    L = len(result.ranks)
    with styled():
        fig, axes = new_figure(width=11, height=6, nrows=2, ncols=len(names), squeeze=False)
        edges = np.linspace(0, draws + 1, BINS + 1)
        expected = L / BINS
        low, high = stats.binom.ppf([0.005, 0.995], L, 1 / BINS)
        for k, name in enumerate(names):
            ax = axes[0, k]
            counts, _ = np.histogram(result.ranks[:, k], bins=edges)
            ax.axhspan(low, high, color="#bbbbbb", alpha=0.5, linewidth=0, label="99% band if uniform")
            ax.axhline(expected, color="#555555", linewidth=1)
            ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=OKABE_ITO[0], alpha=0.8,
                   edgecolor="white", label="simulations")
            ax.set_title(f"{name}: 90% interval covers {result.coverage[k]:.0%}", fontsize=9.5)
            ax.set_xlabel(f"rank of the truth among {draws} posterior draws")
            ax.set_ylabel("simulations")
            ax = axes[1, k]
            ranks = np.sort(result.ranks[:, k]) / draws
            ax.plot(ranks, np.arange(1, L + 1) / L, color=OKABE_ITO[0], drawstyle="steps-post", label="ranks")
            band = 1.63 / np.sqrt(L)  # Kolmogorov-Smirnov, 99%
            grid = np.linspace(0, 1, 101)
            ax.fill_between(grid, np.clip(grid - band, 0, 1), np.clip(grid + band, 0, 1), color="#bbbbbb",
                            alpha=0.5, linewidth=0, label="99% band if uniform")
            ax.plot(grid, grid, color="#555555", linewidth=1)
            ax.set_xlabel("rank / draws")
            ax.set_ylabel("share of simulations")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        axes[1, -1].legend(handles, labels, loc="lower right", fontsize=8)
        fig.suptitle(f"Simulation-based calibration of the posterior stage: {L} simulated data sets of the one-level "
                     f"Bass model\n(parameter uncertainty only: truths from the prior, figures from the likelihood)",
                     fontsize=10)
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--simulations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20180412)
    parser.add_argument("--effective", type=float, default=200, help="effective draws each posterior runs to")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "sbc")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    problem = bass_problem()
    result = simulation_based_calibration(problem, bass_twin(problem), args.simulations, seed=args.seed,
                                          walkers=12, target_ess=args.effective, draws=19)
    statistic, p_values = result.uniformity(bins=BINS)
    sd = result.coverage_sd()
    print(f"{args.simulations} simulations ({args.effective:g} effective draws each) in {result.seconds:.0f} s; "
          f"{result.not_converged} posteriors stopped "
          f"before their convergence criteria; load average after {os.getloadavg()[0]:.1f}")
    print("| parameter | 90% interval coverage (binomial se) | rank uniformity: chi-square (9 df), p |")
    print("|---|---|---|")
    for k, name in enumerate(problem.space.names):
        print(f"| {name} | {result.coverage[k]:.3f} ({sd:.3f}) | {statistic[k]:.1f}, p = {p_values[k]:.2f} |")
    args.out.mkdir(parents=True, exist_ok=True)
    fig = figure(result, problem.space.names)
    with atomic_file(args.out / "sbc.png", "wb") as handle:
        fig.savefig(handle, format="png")
    print(f"figure: {args.out / 'sbc.png'}")


if __name__ == "__main__":
    main()
