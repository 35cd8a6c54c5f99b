"""Simulation-based calibration of the real calibration (Talts et al. 2018; sim/calibration/sbc.py).

    nice -n 10 python benchmarks/sbc.py                   # 100 replicates (about an hour on one core)
    python benchmarks/sbc.py --quick                      # 3 replicates, a smoke run of the same code (CI)
    python benchmarks/sbc.py --replicates 200             # more; replicates already done are kept

Truths from the prior of ``experiments/calibrate-baseline.yaml`` (every free parameter), the article's
figures generated from the compiled twin with the likelihood's noise model (a one-sided or interval figure
reports which side of its bound the latent value fell), and the posterior stage as the calibration runs it
(twin-only, with the SBC's smaller settings, ``sim.calibration.sbc.POSTERIOR``).  Each replicate is written
to ``OUT/replicates/NNNN.json`` as it ends (atomically), so a killed run resumes where it stopped and ends
with the same results.  Prints, per quantity (every parameter, Sina's government accounts on 2012-06-30, the
log-likelihood), the 50% and 90% coverage with their binomial standard errors, the mean rank and a
chi-square test of the ranks' uniformity; writes ``OUT/sbc.md`` (the table), ``OUT/sbc.json`` and
``OUT/sbc.png`` (rank histograms and ECDF differences with simultaneous 95% bands).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from sim.calibration.bayes import sbc
from sim.output.atomic import write_text

ROOT = Path(__file__).resolve().parents[1]
SEED = 20180412
BINS = 10
SHOWN = 3.0
"""Coverages more than this many binomial standard errors from their level are flagged in the table."""


def run(args) -> sbc.SBC:
    place = args.out / "replicates"
    place.mkdir(parents=True, exist_ok=True)
    names = [*sbc.load_problem(sbc.SPEC).space.names, sbc.DERIVED, sbc.LOG_LIKELIHOOD]
    settings = {"seed": args.seed, "noise": args.noise, "posterior": sbc.POSTERIOR, "draws": sbc.DRAWS,
                "quantities": names}
    setup = None  # compiled only when a replicate is missing
    manifest = args.out / "settings.json"
    if manifest.exists() and json.loads(manifest.read_text()) != settings:
        raise SystemExit(f"{args.out}: replicates of other settings are there (settings.json); use another --out")
    write_text(manifest, json.dumps(settings, indent=1))
    replicates = []
    started = time.perf_counter()
    for index in range(args.replicates):
        path = place / f"{index:04d}.json"
        if path.exists():
            replicates.append(sbc.Replicate.of(json.loads(path.read_text())))
            continue
        setup = setup or sbc.setup()
        r = sbc.replicate(setup, index, args.seed, noise=args.noise)
        write_text(path, json.dumps(r.as_dict()))
        replicates.append(r)
        print(f"replicate {index}: {r.seconds:.0f} s, {'converged' if r.converged else 'not converged'} "
              f"(R-hat {r.max_rhat:.2f}, bulk ESS {r.min_ess_bulk:.0f}), {len(r.sampled)} sampled; "
              f"{time.perf_counter() - started:.0f} s so far", flush=True)
    return sbc.SBC.of(names, replicates)


def table(result: sbc.SBC, labels: dict[str, str], parameters: list[str]) -> str:
    se = {level: result.coverage_se(level) for level in sbc.LEVELS}
    coverage = {level: result.coverage(level) for level in sbc.LEVELS}
    statistic, p = result.uniformity(BINS)
    mean, mean_se = result.mean_rank()
    sampled = np.mean([[name in r.sampled for name in result.names] for r in result.replicates], axis=0)
    lines = ["| quantity | sampled in | 50% coverage | 90% coverage | mean rank | ranks uniform: chi-square (9 df), p |",
             "|---|---|---|---|---|---|"]
    for q, name in enumerate(result.names):
        cells = []
        for level in sbc.LEVELS:
            c = coverage[level][q]
            flag = " **!**" if abs(c - result.expected(level)) > SHOWN * se[level] else ""
            cells.append(f"{c:.2f}{flag}")
        share = f"{sampled[q]:.0%}" if name in parameters else "-"
        lines.append(f"| {labels.get(name, name)} | {share} | {' | '.join(cells)} | {mean[q]:.2f} | "
                     f"{statistic[q]:.1f}, p = {p[q]:.2g} |")
    lines.append("")
    lines.append(f"{len(result)} replicates; binomial standard error of a coverage {se[0.5]:.3f} (50%) and "
                 f"{se[0.9]:.3f} (90%), of a mean rank {mean_se:.3f}; **!** marks a coverage more than "
                 f"{SHOWN:g} standard errors from its level.")
    return "\n".join(lines)


def figure(result: sbc.SBC, labels: dict[str, str]):
    from sim.plotting.style import OKABE_ITO, new_figure, styled

    Q = len(result.names)
    R = len(result)
    columns = 6
    rows = -(-Q // columns)
    x, low, high = sbc.simultaneous_band(R, points=20)
    _, difference = result.ecdf_difference(points=20)
    with styled():
        fig, axes = new_figure(width=13, height=1.9 * rows + 0.9, nrows=rows, ncols=columns, squeeze=False,
                               sharex=True, sharey=True)
        for q, name in enumerate(result.names):
            ax = axes.flat[q]
            ax.fill_between(np.concatenate([[0], x]), np.concatenate([[0], low]), np.concatenate([[0], high]),
                            color="#bbbbbb", alpha=0.6, linewidth=0, step="post",
                            label="95% simultaneous band if the ranks are uniform")
            ax.axhline(0, color="#555555", linewidth=0.8)
            ax.step(np.concatenate([[0], x]), np.concatenate([[0], difference[q]]), where="post",
                    color=OKABE_ITO[0] if q < Q - 2 else OKABE_ITO[5], linewidth=1.4, label="ECDF of the ranks - uniform")
            title = labels.get(name, name)
            ax.set_title(title if len(title) <= 30 else title[:29] + "…", fontsize=7.5)
            if q % columns == 0:
                ax.set_ylabel("ECDF difference")
            if q >= Q - columns:
                ax.set_xlabel(f"rank / {result.draws + 1}")
        for ax in list(axes.flat)[Q:]:
            ax.set_visible(False)
        handles, names = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="lower right", fontsize=8, frameon=False)
        fig.suptitle(f"Simulation-based calibration of calibrate-baseline: {R} simulated data sets; the rank of each "
                     f"true value among {result.draws} posterior draws (light blue: not parameters).\n"
                     "The grey band holds the whole curve 95% of the time when the ranks are uniform (all 20 points "
                     "at once).\nA hump above 0: the posterior sits too high; below 0: too low; above 0 on the left "
                     "and below on the right: intervals too narrow; the reverse: too wide.", fontsize=9)
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="3 replicates into a temporary place (a smoke run)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--noise", type=float, default=1.0,
                        help="the generator's noise relative to the likelihood's (1: the SBC; 0.5: too precise data)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "sbc")
    args = parser.parse_args()
    if args.quick:
        import tempfile

        args.replicates = 3
        args.out = Path(tempfile.mkdtemp(prefix="sbc-quick-"))
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    started = time.perf_counter()
    result = run(args)
    setup_labels = {p.name: p.label for p in sbc.load_problem(sbc.SPEC).space}
    labels = {**setup_labels, sbc.DERIVED: "Sina gov. accounts 2012-06-30", sbc.LOG_LIKELIHOOD: "log-likelihood"}
    text = table(result, labels, list(setup_labels))
    reps = result.replicates
    converged = sum(r.converged for r in reps)
    minutes = sum(r.seconds for r in reps) / 60
    header = (f"{len(reps)} replicates, {minutes:.0f} minutes of replicates ({np.median([r.seconds for r in reps]):.0f} s "
              f"median); {converged} of {len(reps)} posteriors converged by the stage's criteria (R-hat < 1.01, "
              f"bulk and tail ESS >= 400); median largest R-hat {np.median([r.max_rhat for r in reps]):.2f}, median "
              f"smallest bulk ESS {np.median([r.min_ess_bulk for r in reps]):.0f}; median sampled parameters "
              f"{np.median([len(r.sampled) for r in reps]):.0f}; the generator's noise {args.noise:g} times the "
              f"likelihood's.")
    print(header)
    print(text)
    print(f"load average after: {os.getloadavg()[0]:.1f}; {time.perf_counter() - started:.0f} s in this run")
    write_text(args.out / "sbc.md", header + "\n\n" + text + "\n")
    _, p = result.uniformity(BINS)
    summary = {"replicates": len(reps), "names": result.names, "draws": result.draws,
               "coverage": {str(level): result.coverage(level).tolist() for level in sbc.LEVELS},
               "coverage_se": {str(level): result.coverage_se(level) for level in sbc.LEVELS},
               "uniformity_p": p.tolist(), "mean_rank": result.mean_rank()[0].tolist(),
               "converged": converged, "minutes": minutes}
    write_text(args.out / "sbc.json", json.dumps(summary, indent=1))
    fig = figure(result, labels)
    from sim.output.atomic import atomic_file

    with atomic_file(args.out / "sbc.png", "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)
    print(f"table: {args.out / 'sbc.md'}; figure: {args.out / 'sbc.png'}")


if __name__ == "__main__":
    main()
