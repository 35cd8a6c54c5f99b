"""The posterior's part of ``report.md``: diagnostics, prior against posterior, the posterior predictive."""

from __future__ import annotations

import math

import numpy as np

from ...posterior import kish
from ..bayes.stage import Posterior, prior_draws, weighted_quantiles, width_ratios
from ..bayes.split import SPAN
from .report_format import count, number, reported, target_label

LEVEL = 0.9
QUANTILES = (0.05, 0.5, 0.95)


def _interval(p, lo: float, mid: float, hi: float) -> str:
    if p.dated:
        return f"{p.show(mid)} ({p.show(lo)} .. {p.show(hi)})"
    return f"{number(mid)} ({number(lo)} .. {number(hi)})"


def posterior_section(result, note: str = "") -> list[str]:
    posterior: Posterior | None = result.posterior
    lines: list[str] = []
    add = lines.append
    add("## Posterior")
    add("")
    if posterior is None:
        add(f"No posterior: {result.posterior_note or note or 'not run'}.")
        add("")
        return lines
    problem = result.problem
    space, targets = problem.space, problem.targets
    c = posterior.convergence
    s = posterior.settings
    state = "Converged" if posterior.converged else "**NOT CONVERGED: every number below is provisional**"
    add(f"{state}: {c.verdict()}. The chains are in `posterior.nc` (ArviZ InferenceData: every chain, its "
        "diagnostics, the prior, the figures), for anyone to check again.")
    add("")
    add(f"- Sampler: {s['groups']} independent groups of {s['chains_per_group']} random-walk Metropolis chains "
        f"(own random stream, own adapted proposal, dispersed starts), {s['warmup_iterations']} warm-up and "
        f"{s['sampling_iterations']} sampling iterations per chain, every {s['thin']}th state kept; acceptance "
        f"{s['acceptance']:.2f}; {posterior.evaluations:,} twin evaluations on {s['workers']} worker"
        f"{'s' if s['workers'] != 1 else ''}; the stage took {posterior.seconds:.0f} s"
        f"{'; ' + posterior.note if posterior.note else ''}.")
    split = posterior.split
    sampled = ", ".join(f"{space.parameters[i].name} ({_why(split, i)})" for i in split.sampled)
    add(f"- Sampled ({len(split.sampled)} of {len(space)}), the parameters along which the log-likelihood moves by "
        f"{SPAN:g} or more at one of {split.probes} probe points: {sampled}.")
    if split.drawn.size:
        drawn = ", ".join(f"{space.parameters[i].name} ({split.span[i]:.2f})" for i in split.drawn)
        trust = ("trusted" if c.weights_trusted else "**not trusted: k-hat above 0.7, the weighted draws may "
                 "misstate the posterior of these parameters and everything they move**")
        add(f"- Drawn from their prior at every kept draw and importance-weighted (largest span of the "
            f"log-likelihood along each): {drawn}. Pareto-smoothed weights: k-hat {c.khat:.2f} ({trust}); Kish's "
            f"efficiency {c.kish:.2f}.")
    add(f"- Likelihood: each figure's own noise, a structural discrepancy of {targets.discrepancy:.3f} (log sd), "
        "the runs' spread about their mean, and the error of the corrected twin (see *How to read this report*).")
    first, final = posterior.first, posterior.correction
    add(f"- Correction of the twin: first {first.source}; then, halfway through the warm-up, {final.source}; "
        "the chains' kept draws all target the corrected likelihood.")
    if posterior.checks:
        gaps = np.array([ch.log_likelihood_twin - ch.log_likelihood_stochastic for ch in posterior.checks])
        add(f"- Check at the {len(posterior.checks)} draws run on the stochastic model: the corrected twin's "
            f"log-likelihood minus the stochastic model's own is {np.median(gaps):+.2f} at the median "
            f"({np.min(gaps):+.2f} .. {np.max(gaps):+.2f}).")
    add("")
    add(f"### Prior and posterior ({LEVEL:.0%} intervals)")
    add("")
    add("| parameter | prior | prior: median (90%) | posterior: median (90%) | posterior width / prior width | "
        "rank R-hat | bulk ESS | tail ESS | MCSE of the 5%, 50%, 95% quantiles (share of the range) |")
    add("|---|---|---|---|---|---|---|---|---|")
    prior_z = prior_draws(space)
    prior_q = np.quantile(space.values_of(prior_z), QUANTILES, axis=0)
    post_q = weighted_quantiles(posterior.values, posterior.weights, QUANTILES)
    ratios = width_ratios(posterior.z, posterior.weights, prior_z)
    position = {int(i): k for k, i in enumerate(split.sampled)}
    for i, p in enumerate(space):
        k = position.get(i)
        if k is None:
            diagnostics = "drawn from the prior | - | - | -"
        else:
            flag = lambda bad: "**" if bad else ""  # noqa: E731
            mcse = ", ".join(f"{m:.3f}" for m in c.mcse[k])
            diagnostics = (f"{flag(c.rhat[k] >= 1.01)}{c.rhat[k]:.3f}{flag(c.rhat[k] >= 1.01)} | "
                           f"{c.ess_bulk[k]:,.0f} | {c.ess_tail[k]:,.0f} | {mcse}")
        add(f"| {p.label} | {p.describe_prior()} | {_interval(p, *prior_q[:, i])} | "
            f"**{_interval(p, *post_q[:, i])}** | {ratios[i]:.2f} | {diagnostics} |")
    add("")
    add("A width ratio near 1 means the figures say little about the parameter beyond its prior; the bands of "
        "`bandwagon run --posterior` carry that uncertainty. The Monte Carlo standard errors are ArviZ's for the "
        "sampled parameters' quantiles in unit coordinates (of the chains, before the weights).")
    add("")
    add(f"### Posterior predictive of every figure ({LEVEL:.0%} intervals)")
    add("")
    add("| figure | reported | model mean: median (90%) - parameter uncertainty | a new report: median (90%) - "
        "with the noise | P(met) | in the likelihood |")
    add("|---|---|---|---|---|---|")
    rng = np.random.default_rng(problem.spec.seed)
    mean = posterior.mean_values
    new = posterior.predictive(rng)
    mean_q = weighted_quantiles(mean, posterior.weights, QUANTILES)
    new_q = weighted_quantiles(new, posterior.weights, QUANTILES)
    w = posterior.weights / posterior.weights.sum()
    for j, (name, t) in enumerate(zip(targets.names, targets.targets)):
        met = float(np.sum(w * np.array([t.met(v) for v in new[:, j]])))
        add(f"| {target_label(name, t)} | {reported(t)} | {count(mean_q[1, j])} ({count(mean_q[0, j])} .. "
            f"{count(mean_q[2, j])}) | {count(new_q[1, j])} ({count(new_q[0, j])} .. {count(new_q[2, j])}) | "
            f"{met:.2f} | {'yes' if posterior.used[j] else 'no'} |")
    add("")
    return lines


def _why(split, i: int) -> str:
    return split.reason.get(int(i), f"span {split.span[i]:.1f}" if np.isfinite(split.span[i]) else "refused points")


def _kish(weights: np.ndarray) -> float:
    return kish(weights) / len(weights) if weights.sum() > 0 else math.nan


def cross_validation_section(result) -> list[str]:
    """The leave-one-figure-out table (:mod:`sim.calibration.bayes.crossvalidation`)."""
    from ..bayes.crossvalidation import LEVEL as CV_LEVEL, coverage, median_abs_log_error

    folds = result.folds
    if not folds:
        return []
    targets = result.problem.targets
    by_name = dict(zip(targets.names, targets.targets))
    lines = ["## Cross-validation: each binding figure predicted without it", "",
             f"Each figure that binds was left out in turn, the posterior sampled again without it (the full "
             f"posterior's stochastic correction reused) and the figure predicted: a new report of it, with the "
             f"likelihood's noise. An equal figure is scored by its PIT (where it falls in the predictive: near 0 or 1 "
             f"is a miss) and whether the {CV_LEVEL:.0%} predictive interval holds it; a one-sided or range figure by "
             "the predictive probability of what was reported (a band reaching the bound is not enough).", "",
             f"| figure left out | reported | predicted: median ({CV_LEVEL:.0%}) | log error | score | chains |",
             "|---|---|---|---|---|---|"]
    for f in folds:
        t = by_name[f.name]
        s = f.score
        scored = (f"PIT {s.pit:.2f}, {'inside' if s.covered else '**outside**'}" if s.covered is not None
                  else f"P(reported) {s.probability:.2f}")
        chains = (f"converged (R-hat {f.max_rhat:.3f})" if f.converged else
                  f"**not converged** (R-hat {f.max_rhat:.2f}, ESS {f.min_ess_bulk:.0f})")
        lines.append(f"| {target_label(f.name, t)} | {reported(t)} | {count(f.median)} ({count(f.low)} .. "
                     f"{count(f.high)}) | {f.log_error:+.3f} | {scored} | {chains} |")
    equal = [f for f in folds if f.covered is not None]
    hits = sum(bool(f.covered) for f in equal)
    lines += ["", f"Equal figures inside their {CV_LEVEL:.0%} interval: {hits} of {len(equal)} "
              f"({coverage(folds):.0%}); median absolute log error {median_abs_log_error(folds):.3f}.", ""]
    return lines


def sensitivity_section(result, spec_path: str = "SPEC") -> list[str]:
    """How the posterior moves under the other reading of "more than N" and a structural discrepancy of 0.1
    (:mod:`..bayes.sensitivity`): each alternative's k-hat and Kish efficiency, then the parameters' and the figures'
    medians and 90% intervals under every reading; numbers of an unreliable reweighting are not shown."""
    from ..bayes.diagnostics import KHAT

    found = getattr(result, "sensitivity", None)
    if found is None or len(found.outcomes) < 2:
        return []
    problem = result.problem
    space, targets = problem.space, problem.targets
    outcomes = found.outcomes
    lines = ["### Sensitivity: the other reading, a larger discrepancy", "",
             "How far the posterior rests on two choices: reading \"more than N\" as at least N and below the next "
             "round number (the targets file's readings), and a structural discrepancy of "
             f"{targets.discrepancy:g} (log sd). Each alternative reweights the posterior's own draws (Pareto-"
             f"smoothed importance weights); at a k-hat of {KHAT} or more the reweighted numbers would not be "
             "trustworthy, and are shown only if the posterior was sampled again under the alternative.", "",
             "| likelihood | how | k-hat | Kish's efficiency | numbers |", "|---|---|---|---|---|"]
    base = outcomes[0]
    for o in outcomes:
        khat = "-" if not math.isfinite(o.khat) else f"{o.khat:.2f}"
        if o.reweighted_khat is not None:
            khat += f" (reweighting: {o.reweighted_khat:.2f})"
        state = "shown" if o.reliable else ("**not shown: unreliable**" if o.parameters is None else
                                             "**shown, provisional**: " + o.note)
        if o is not base and o.method == "reweighted" and o.reliable and not base.reliable:
            state = "**shown, provisional**: reweighted from the sampled posterior, itself provisional"
        lines.append(f"| {o.description} | {o.method} | {khat} | {o.kish:.2f} | {state} |")
    lines.append("")
    unreliable = [o for o in outcomes[1:] if o.parameters is None]
    if unreliable:
        lines += [f"Not reliable by reweighting: {', '.join(o.description for o in unreliable)}. To sample the "
                  f"posterior again under each (the posterior stage's time per alternative): `bandwagon calibrate "
                  f"{spec_path} --sensitivity rerun`.", ""]

    def cell(o, q, j, fmt) -> str:
        return "unreliable" if q is None else fmt(j, q[0, j], q[1, j], q[2, j])

    header = " | ".join(o.name.replace("_", " ") for o in outcomes)
    lines += [f"Parameters, median (90% interval) under each likelihood:", "",
              f"| parameter | {header} |", "|---|" + "---|" * len(outcomes)]
    for i, p in enumerate(space):
        cells = " | ".join(cell(o, o.parameters, i, lambda j, lo, mid, hi: _interval(p, lo, mid, hi))
                           for o in outcomes)
        lines.append(f"| {p.label} | {cells} |")
    lines += ["", "A new report of each figure (the posterior predictive), median (90% interval):", "",
              f"| figure | reported | {header} |", "|---|---|" + "---|" * len(outcomes)]
    for j, (name, t) in enumerate(zip(targets.names, targets.targets)):
        cells = " | ".join(cell(o, o.figures, j, lambda k, lo, mid, hi: f"{count(mid)} ({count(lo)} .. {count(hi)})")
                           for o in outcomes)
        lines.append(f"| {target_label(name, t)} | {reported(t)} | {cells} |")
    lines.append("")
    return lines
