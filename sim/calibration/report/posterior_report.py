"""The posterior's part of the calibration report: diagnostics, prior against posterior, the posterior predictive,
its sensitivity to the figures' reading and the discrepancy, cross-validation."""

from __future__ import annotations

import math

import numpy as np

from ...report.content import Section, Table, reported_text
from ...report.numbers import number
from ..bayes.split import SPAN
from ..bayes.stage import Posterior, prior_draws, weighted_quantiles, width_ratios
from .labels import figure_label
from .posterior_file import csv_rows

LEVEL = 0.9
QUANTILES = (0.05, 0.5, 0.95)


def _interval(p, lo: float, mid: float, hi: float) -> str:
    if p.dated:
        return f"{p.show(mid)} ({p.show(lo)} .. {p.show(hi)})"
    return f"{number(mid)} ({number(lo)} .. {number(hi)})"


def posterior_sections(result) -> list[Section]:
    """The posterior: how it was sampled and whether it converged (NOT CONVERGED said plainly), then two
    subsections, prior against posterior and the posterior predictive of every figure."""
    posterior: Posterior | None = result.posterior
    if posterior is None:
        return [Section("Posterior", paragraphs=[f"No posterior: {result.posterior_note or 'not run'}."])]
    problem = result.problem
    space, targets = problem.space, problem.targets
    c = posterior.convergence
    s = posterior.settings
    state = "Converged" if posterior.converged else "**NOT CONVERGED: every number below is provisional**"
    draws = len(csv_rows(len(posterior.z), problem.spec.posterior.draws))
    paragraphs = [f"{state}: {c.verdict()}. The chains are in `posterior.nc` (ArviZ InferenceData: every chain, its "
                  "diagnostics, the prior, the figures), for anyone to check again.",
                  f"What the figures leave open, as a distribution: {draws:,} weighted draws (`posterior.csv`), "
                  f"**{round(posterior.effective_draws)} effective**; the figure *posterior* is its corner plot."]
    items = [f"Sampler: {s['groups']} independent groups (own random stream, dispersed starts) of "
             f"{s['explorers_per_group']} random-walk explorers ({s['warmup_iterations']} iterations, adapted), then "
             f"{s['chains_per_group']} chains each, multiple-try Metropolis ({s['tries']} tries from a Gaussian "
             f"mixture fitted to the exploration) and a random-walk step, {s['sampling_iterations']} sampling "
             f"iterations per chain after {s.get('burn_in_iterations', 0)} of burn-in, every {s['thin']}th state "
             f"kept; acceptance {s['acceptance']:.2f} (tries), {s.get('walk_acceptance', float('nan')):.2f} (walk); "
             f"{posterior.evaluations:,} twin evaluations on {s['workers']} worker"
             f"{'s' if s['workers'] != 1 else ''}; the stage took {posterior.seconds:.0f} s"
             f"{'; ' + posterior.note if posterior.note else ''}."]
    split = posterior.split
    sampled = ", ".join(f"{space.parameters[i].name} ({_why(split, i)})" for i in split.sampled)
    khats = s.get("split_khat") or []
    checked = (f" The importance weights of the rest, checked at the most probable screened points before any "
               f"chain ran, had k-hat {', then '.join(f'{k:.2f}' for k in khats)}"
               f"{' (parameters promoted into the sampled set until it was below 0.7)' if len(khats) > 1 else ''}."
               if khats else "")
    items.append(f"Sampled ({len(split.sampled)} of {len(space)}), the parameters along which the log-likelihood "
                 f"moves by {SPAN:g} or more at one of {split.probes} probe points, or promoted: {sampled}.{checked}")
    if split.drawn.size:
        drawn = ", ".join(f"{space.parameters[i].name} ({split.span[i]:.2f})" for i in split.drawn)
        trust = ("trusted" if c.weights_trusted else "**not trusted: k-hat above 0.7, the weighted draws may "
                 "misstate the posterior of these parameters and everything they move**")
        items.append(f"Drawn from their prior at every kept draw and importance-weighted (largest span of the "
                     f"log-likelihood along each): {drawn}. Pareto-smoothed weights: k-hat {c.khat:.2f} ({trust}); "
                     f"Kish's efficiency {c.kish:.2f}.")
    items.append(f"Likelihood: each figure's own noise, a structural discrepancy of {targets.discrepancy:.3f} (log "
                 "sd), the runs' spread about their mean, and the error of the corrected twin (see *How to read this "
                 "report*).")
    first, final = posterior.first, posterior.correction
    items.append(f"Correction of the twin: first {first.source}; then, halfway through the warm-up, {final.source}; "
                 "the chains' kept draws all target the corrected likelihood.")
    if posterior.checks:
        gaps = np.array([ch.log_likelihood_twin - ch.log_likelihood_stochastic for ch in posterior.checks])
        items.append(f"Check at the {len(posterior.checks)} draws run on the stochastic model: the corrected twin's "
                     f"log-likelihood minus the stochastic model's own is {np.median(gaps):+.2f} at the median "
                     f"({np.min(gaps):+.2f} .. {np.max(gaps):+.2f}).")
    return [Section("Posterior", paragraphs=paragraphs, items=items), _prior_and_posterior(result),
            _predictive(result)]


def _prior_and_posterior(result) -> Section:
    posterior, space = result.posterior, result.problem.space
    c, split = posterior.convergence, posterior.split
    prior_z = prior_draws(space)
    prior_q = np.quantile(space.values_of(prior_z), QUANTILES, axis=0)
    post_q = weighted_quantiles(posterior.values, posterior.weights, QUANTILES)
    ratios = width_ratios(posterior.z, posterior.weights, prior_z)
    position = {int(i): k for k, i in enumerate(split.sampled)}
    rows = []
    for i, p in enumerate(space):
        k = position.get(i)
        if k is None:
            diagnostics = ["drawn from the prior", "\u2013", "\u2013", "\u2013"]
        else:
            flag = "**" if c.rhat[k] >= 1.01 else ""
            diagnostics = [f"{flag}{c.rhat[k]:.3f}{flag}", number(c.ess_bulk[k]), number(c.ess_tail[k]),
                           ", ".join(f"{m:.3f}" for m in c.mcse[k])]
        rows.append([p.label, p.describe_prior(), _interval(p, *prior_q[:, i]), f"**{_interval(p, *post_q[:, i])}**",
                     f"{ratios[i]:.2f}", *diagnostics])
    table = Table(["parameter", "prior", "prior: median (90%)", "posterior: median (90%)",
                   "posterior width / prior width", "rank R-hat", "bulk ESS", "tail ESS",
                   "MCSE of the 5%, 50%, 95% quantiles (share of the range)"], rows,
                  caption="A width ratio near 1 means the figures say little about the parameter beyond its prior; the "
                          "bands of bandwagon run --posterior carry that uncertainty. The Monte Carlo standard errors "
                          "are ArviZ's for the sampled parameters' quantiles in unit coordinates (of the chains, before "
                          "the weights).", numeric=frozenset({4, 5, 6, 7}))
    return Section(f"Prior and posterior ({LEVEL:.0%} intervals)", tables=[table], level=3)


def _predictive(result) -> Section:
    posterior, problem = result.posterior, result.problem
    targets = problem.targets
    rng = np.random.default_rng(problem.spec.seed)
    new = posterior.predictive(rng)
    mean_q = weighted_quantiles(posterior.mean_values, posterior.weights, QUANTILES)
    new_q = weighted_quantiles(new, posterior.weights, QUANTILES)
    w = posterior.weights / posterior.weights.sum()
    rows = []
    for j, (name, t) in enumerate(zip(targets.names, targets.targets)):
        met = float(np.sum(w * np.array([t.met(v) for v in new[:, j]])))
        rows.append([figure_label(name, t), reported_text(t),
                     f"{number(mean_q[1, j])} ({number(mean_q[0, j])} .. {number(mean_q[2, j])})",
                     f"{number(new_q[1, j])} ({number(new_q[0, j])} .. {number(new_q[2, j])})", f"{met:.2f}",
                     "yes" if posterior.used[j] else "no"])
    table = Table(["figure", "reported", "model mean: median (90%) - parameter uncertainty",
                   "a new report: median (90%) - with the noise", "P(met)", "in the likelihood"], rows,
                  caption="The model's mean of each figure over the posterior, and a new report of it (the mean with "
                          "the likelihood's noise); P(met): the posterior probability that a new report meets the "
                          "figure.", numeric=frozenset({2, 3, 4}))
    return Section(f"Posterior predictive of every figure ({LEVEL:.0%} intervals)", tables=[table], level=3)


def sensitivity_sections(result, spec_path: str = "SPEC") -> list[Section]:
    """How the posterior moves under the other reading of "more than N" and a structural discrepancy of 0.1
    (:mod:`sim.calibration.bayes.sensitivity`): each alternative's k-hat and Kish efficiency, then the parameters'
    and the figures' medians and 90% intervals under every reading; numbers of an unreliable reweighting are not
    shown."""
    from ..bayes.diagnostics import KHAT

    found = getattr(result, "sensitivity", None)
    if found is None or len(found.outcomes) < 2:
        return []
    problem = result.problem
    space, targets = problem.space, problem.targets
    outcomes = found.outcomes
    base = outcomes[0]
    rows = []
    for o in outcomes:
        khat = "\u2013" if not math.isfinite(o.khat) else f"{o.khat:.2f}"
        if o.reweighted_khat is not None:
            khat += f" (reweighting: {o.reweighted_khat:.2f})"
        state = "shown" if o.reliable else ("**not shown: unreliable**" if o.parameters is None else
                                             "**shown, provisional**: " + o.note)
        if o is not base and o.method == "reweighted" and o.reliable and not base.reliable:
            state = "**shown, provisional**: reweighted from the sampled posterior, itself provisional"
        rows.append([o.description, o.method, khat, f"{o.kish:.2f}", state])
    how = Table(["likelihood", "how", "k-hat", "Kish's efficiency", "numbers"], rows,
                caption="Each alternative likelihood, how its posterior was obtained, and whether its numbers are "
                        "shown.", numeric=frozenset({2, 3}))
    paragraphs = ["How far the posterior rests on two choices: reading \"more than N\" as at least N and below the "
                  "next round number (the targets file's readings), and a structural discrepancy of "
                  f"{targets.discrepancy:g} (log sd). Each alternative reweights the posterior's own draws (Pareto-"
                  f"smoothed importance weights); at a k-hat of {KHAT} or more the reweighted numbers would not be "
                  "trustworthy, and are shown only if the posterior was sampled again under the alternative."]
    unreliable = [o for o in outcomes[1:] if o.parameters is None]
    if unreliable:
        paragraphs.append(f"Not reliable by reweighting: {', '.join(o.description for o in unreliable)}. To sample "
                          f"the posterior again under each (the posterior stage's time per alternative): `bandwagon "
                          f"calibrate {spec_path} --sensitivity rerun`.")

    def cell(q, j, text) -> str:
        return "unreliable" if q is None else text(q[0, j], q[1, j], q[2, j])

    names = [o.name.replace("_", " ") for o in outcomes]
    parameters = Table(["parameter", *names], [
        [p.label, *[cell(o.parameters, i, lambda lo, mid, hi, p=p: _interval(p, lo, mid, hi)) for o in outcomes]]
        for i, p in enumerate(space)], caption="Parameters, median (90% interval) under each likelihood.")
    figures = Table(["figure", "reported", *names], [
        [figure_label(name, t), reported_text(t),
         *[cell(o.figures, j, lambda lo, mid, hi: f"{number(mid)} ({number(lo)} .. {number(hi)})") for o in outcomes]]
        for j, (name, t) in enumerate(zip(targets.names, targets.targets))],
        caption="A new report of each figure (the posterior predictive), median (90% interval) under each likelihood.")
    return [Section("Sensitivity: the other reading, a larger discrepancy", paragraphs=paragraphs,
                    tables=[how, parameters, figures], level=3)]


def _why(split, i: int) -> str:
    return split.reason.get(int(i), f"span {split.span[i]:.1f}" if np.isfinite(split.span[i]) else "refused points")


def cross_validation_sections(result) -> list[Section]:
    """The leave-one-figure-out table (:mod:`sim.calibration.bayes.crossvalidation`); none without folds."""
    from ..bayes.crossvalidation import LEVEL as CV_LEVEL, coverage, median_abs_log_error

    folds = result.folds
    if not folds:
        return []
    by_name = dict(zip(result.problem.targets.names, result.problem.targets.targets))
    rows = []
    for f in folds:
        t = by_name[f.name]
        s = f.score
        scored = (f"PIT {s.pit:.2f}, {'inside' if s.covered else '**outside**'}" if s.covered is not None
                  else f"P(reported) {s.probability:.2f}")
        chains = (f"converged (R-hat {f.max_rhat:.3f})" if f.converged else
                  f"**not converged** (R-hat {f.max_rhat:.2f}, bulk ESS {number(f.min_ess_bulk)})")
        rows.append([figure_label(f.name, t), reported_text(t),
                     f"{number(f.median)} ({number(f.low)} .. {number(f.high)})", f"{f.log_error:+.3f}", scored,
                     chains])
    table = Table(["figure left out", "reported", f"predicted: median ({CV_LEVEL:.0%})", "log error", "score",
                   "the fold's chains"], rows,
                  caption=(f"An equal figure: its PIT (where it falls in the predictive of a new report; near 0 or 1 "
                           f"is a miss) and whether the {CV_LEVEL:.0%} predictive interval holds it. A one-sided or "
                           "range figure: the predictive probability of what was reported (a band that merely "
                           "reaches the bound is not enough)."),
                  numeric=frozenset({2, 3}))
    equal = [f for f in folds if f.covered is not None]
    hits = sum(bool(f.covered) for f in equal)
    return [Section("Cross-validation: each binding figure predicted without it", paragraphs=[
        f"Each figure that binds was left out in turn, the posterior sampled again without it (the full posterior's "
        f"stochastic correction reused) and the figure predicted: a new report of it, with the likelihood's noise.",
        f"Equal figures inside their {CV_LEVEL:.0%} predictive interval: {hits} of {len(equal)} "
        f"({coverage(folds):.0%}); median absolute log error {median_abs_log_error(folds):.3f}."], tables=[table])]
