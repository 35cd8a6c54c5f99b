"""The posterior's part of ``report.md``: diagnostics, prior against posterior, the posterior predictive."""

from __future__ import annotations

import math

import numpy as np

from ..posterior import kish
from .posterior import Posterior, prior_draws, weighted_quantiles, width_ratios
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
    samples = posterior.samples
    d = samples.diagnostics
    add(f"What the figures leave open, as a distribution: {len(posterior.weights):,} weighted draws "
        f"(`posterior.csv`), **{posterior.effective_draws:,.0f} effective**; `posterior.png` is its corner plot. "
        f"Sampler: {samples.sampler} on the mean-field twin ({samples.evaluations:,} evaluations in "
        f"{samples.seconds:.0f} s; {posterior.note}); the whole stage took {posterior.seconds:.0f} s.")
    add("")
    if samples.sampler == "emcee":
        tau = f"{np.nanmin(d['tau']):.0f}-{np.nanmax(d['tau']):.0f}" if np.isfinite(d["tau"]).any() else "unknown"
        rhat = f"{np.nanmax(d['rhat']):.3f}" if np.isfinite(d["rhat"]).any() else "unknown"
        add(f"- Convergence: {d['walkers']} walkers, {d['steps']} steps, the first {d['burn_in']} discarded; "
            f"acceptance {d['acceptance']:.2f}; emcee's integrated autocorrelation time {tau} steps; effective "
            f"sample size (BDA3, over the walkers' split chains) {np.min(samples.ess):,.0f} at the least; "
            f"split-R-hat at most {rhat} "
            f"({'converged' if samples.converged else '**not converged by its own criteria: read with care**'}).")
    else:
        goal = d["dlogz_goal"]
        state = (f"converged: the live points could add less than {goal:g} to log Z" if samples.converged
                 else "**stopped by time: read with care**")
        add(f"- Nested sampling: {d['live_points']} live points, {d['iterations']:,} iterations; evidence "
            f"log Z = {d['logz']:.2f} +- {d['logz_error']:.2f} ({state}).")
    if posterior.inert:
        add(f"- Not sampled, drawn from their prior: {', '.join(posterior.inert)} (no figure used responds to "
            "them: the mean field's values stay the same when they move).")
    add(f"- Likelihood: each figure's own noise, a structural discrepancy of {targets.discrepancy:.3f} (log sd), "
        "the runs' spread about their mean, and the error of the corrected twin (see *How to read this report*).")
    first, final = posterior.first, posterior.correction
    add(f"- Correction of the twin: first {first.source}; then {final.source}. The draws were importance-"
        f"reweighted from the first to the second (Kish efficiency {_kish(posterior.weights):.2f}).")
    if posterior.checks:
        gaps = np.array([c.log_likelihood_twin - c.log_likelihood_stochastic for c in posterior.checks])
        add(f"- Check at the {len(posterior.checks)} draws run on the stochastic model: the corrected twin's "
            f"log-likelihood minus the stochastic model's own is {np.median(gaps):+.2f} at the median "
            f"({np.min(gaps):+.2f} .. {np.max(gaps):+.2f}).")
    add("")
    add(f"### Prior and posterior ({LEVEL:.0%} intervals)")
    add("")
    add("| parameter | prior | prior: median (90%) | posterior: median (90%) | posterior width / prior width | "
        "ESS | R-hat |")
    add("|---|---|---|---|---|---|---|")
    prior_z = prior_draws(space)
    prior_q = np.quantile(space.values_of(prior_z), QUANTILES, axis=0)
    post_q = weighted_quantiles(posterior.values, posterior.weights, QUANTILES)
    ratios = width_ratios(posterior.z, posterior.weights, prior_z)
    active = {space.parameters[i].name: k for k, i in enumerate(np.setdiff1d(np.arange(len(space)),
                                                                              [space.names.index(n) for n in
                                                                               posterior.inert]))}
    for i, p in enumerate(space):
        k = active.get(p.name)
        ess = "-" if k is None else f"{samples.ess[k]:,.0f}"
        rhat = "-" if k is None or "rhat" not in d else f"{d['rhat'][k]:.3f}"
        add(f"| {p.label} | {p.describe_prior()} | {_interval(p, *prior_q[:, i])} | "
            f"**{_interval(p, *post_q[:, i])}** | {ratios[i]:.2f} | {ess} | {rhat} |")
    add("")
    add("A width ratio near 1 means the figures say little about the parameter beyond its prior; the bands of "
        "`bandwagon run --posterior` carry that uncertainty.")
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


def _kish(weights: np.ndarray) -> float:
    return kish(weights) / len(weights) if weights.sum() > 0 else math.nan


def cross_validation_section(result) -> list[str]:
    """The leave-one-figure-out table (:mod:`.crossvalidation`)."""
    from .crossvalidation import LEVEL as CV_LEVEL, coverage

    folds = result.folds
    if not folds:
        return []
    targets = result.problem.targets
    by_name = dict(zip(targets.names, targets.targets))
    lines = ["## Cross-validation: each binding figure predicted without it", "",
             f"Each figure that binds was left out in turn, the posterior sampled again without it (the full "
             f"posterior's stochastic correction reused) and the figure predicted: a new report of it, with the "
             f"likelihood's noise. *Covered*: the reported figure is consistent with the {CV_LEVEL:.0%} predictive "
             "interval.", "",
             f"| figure left out | reported | predicted: median ({CV_LEVEL:.0%}) | log error | covered | "
             "effective draws |",
             "|---|---|---|---|---|---|"]
    for f in folds:
        t = by_name[f.name]
        flag = "" if f.converged else " (not converged)"
        lines.append(f"| {target_label(f.name, t)} | {reported(t)} | {count(f.median)} ({count(f.low)} .. "
                     f"{count(f.high)}) | {f.log_error:+.3f} | {'yes' if f.covered else '**no**'} | "
                     f"{f.effective_draws:,.0f}{flag} |")
    hits = sum(f.covered for f in folds)
    lines += ["", f"Coverage: {hits} of {len(folds)} ({coverage(folds):.0%}) against a nominal {CV_LEVEL:.0%}. "
              f"With so few figures the binomial error is large (+-{math.sqrt(0.09 / len(folds)):.0%}).", ""]
    return lines
