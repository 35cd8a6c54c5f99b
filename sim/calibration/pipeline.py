"""The whole calibration: global search, refinement, Jacobian, profiles, departures.

:func:`calibrate` is a pure computation (no files); :mod:`sim.commands.calibrate`
writes its :class:`Result`.  The time budget covers everything: the search
keeps back an estimate of what the analysis will need, and the analysis
shrinks (fewer profile points, or none) rather than overrun.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import t as t_dist
from tqdm import tqdm

from .fit.identifiability import Identifiability, analyse, critical
from ..model.meanfield import MeanFieldRecords
from .problem.models import Budget, BudgetExhausted, History, MeanFieldModel, StochasticModel, Workers
from .problem.objective import Point
from .problem.objective import point as make_point
from .bayes.crossvalidation import cross_validate as cross_validate_posterior
from .bayes.stage import Posterior, sample_posterior
from .bayes.sensitivity import Sensitivity, sensitivity as posterior_sensitivity
from .problem.problem import Problem
from .fit.profiles import Profile, profile_tasks, run_profile, summarise
from .fit.search import Best, Jacobian, global_search, jacobian, refine
from .problem.twin import Evaluator

PROFILE_NFEV = 3
"""Least-squares iterations per profile point (warm-started, so a few suffice; more above the threshold)."""
PROFILE_EXTRA = 1.5
"""Allowance for the extra iterations of profile points above the threshold, in the time estimates."""
WRITING_SECONDS = 15.0
"""Time kept back for the figures and files."""


@dataclass(frozen=True)
class Departure:
    """Where the stochastic mean and the mean field differ by more than the Monte Carlo error."""

    metric: str
    days_flagged: int
    days: int
    first: np.datetime64 | None
    last: np.datetime64 | None
    worst_date: np.datetime64
    worst_z: float
    worst_relative: float
    """(stochastic mean - mean field) / mean field at the worst date."""


@dataclass
class Result:
    problem: Problem
    history: History
    budget: Budget
    prior: np.ndarray
    prior_meanfield: Point
    prior_stochastic: Point | None
    global_best: Best
    global_note: str
    refine_note: str
    z: np.ndarray
    point: Point
    """The stochastic model at the fitted point."""
    meanfield_point: Point
    jacobian: Jacobian | None
    jacobian_note: str
    sigma: np.ndarray
    identifiability: Identifiability
    profiles: dict[str, Profile]
    profile_note: str
    meanfield: MeanFieldRecords
    """The mean field at the fitted point, on the calibration's horizon."""
    series: dict[str, np.ndarray]
    """The stochastic replications' daily series ``(R, days)`` at the fitted point."""
    departures: list[Departure]
    notes: list[str] = field(default_factory=list)
    evaluator: object = None
    """The problem's twin (:class:`~.twin.Evaluator`), kept for the posterior stage."""
    posterior: Posterior | None = None
    posterior_note: str = ""
    folds: list | None = None
    """Cross-validation folds (:mod:`.crossvalidation`), if asked for."""
    sensitivity: Sensitivity | None = None
    """The posterior under the other reading of the figures and a larger discrepancy (:mod:`.bayes.sensitivity`)."""

    @property
    def stopped(self) -> str | None:
        return self.budget.stopped

    @property
    def values(self) -> np.ndarray:
        return self.problem.space.values(self.z)


def calibrate(problem: Problem, *, workers: int | None = 1, scheduler: str | None = None, progress: bool = True,
              evaluations: int | None = None, minutes: float | None = None,
              posterior_minutes: float | None = None, cross_validate: bool = False,
              cross_validation_minutes: float | None = None, sensitivity: str = "reweight") -> Result:
    """Calibrate ``problem``; ``evaluations``/``minutes`` override the spec's budget of the search and analysis,
    ``posterior_minutes`` its posterior stage's (0: no posterior); ``cross_validate`` leaves each binding
    figure out in turn (:mod:`.crossvalidation`), each fold sampled for ``cross_validation_minutes`` (default:
    the spec's).  ``sensitivity`` (:mod:`.bayes.sensitivity`): ``reweight`` the posterior's draws to each alternative
    likelihood, or also ``rerun`` the posterior stage (its time again) for each whose reweighting is unreliable.

    ``workers`` local processes (None: all cores), or a Dask ``scheduler`` (:mod:`sim.execution`)."""
    spec = problem.spec
    budget = Budget(evaluations if evaluations is not None else spec.budget.evaluations,
                    minutes if minutes is not None else spec.budget.minutes)
    history = History()
    with Workers(problem, workers, scheduler) as pool:
        result = _calibrate(problem, budget, history, pool, progress)
        seconds = 60 * (posterior_minutes if posterior_minutes is not None else spec.posterior.minutes)
        if not spec.posterior.enabled:
            result.posterior_note = "disabled in the spec (posterior.enabled: false)"
        elif seconds <= 0:
            result.posterior_note = "not run (--posterior-minutes 0)"
        else:
            result.posterior = sample_posterior(problem, pool, history, fit=result.point,
                                                meanfield_fit=result.meanfield_point, seconds=seconds,
                                                progress=_bar("posterior (twin)", progress),
                                                evaluator=result.evaluator)
            rerun = None
            if sensitivity == "rerun":
                def rerun(alternative: Problem, posterior=result.posterior) -> Posterior:
                    return sample_posterior(alternative, pool, history, fit=result.point, meanfield_fit=None,
                                            seconds=seconds, correction=posterior.correction,
                                            progress=_bar("sensitivity (twin)", progress), evaluator=result.evaluator)
            result.sensitivity = posterior_sensitivity(result.posterior, rerun=rerun)
            if cross_validate:
                result.folds = cross_validate_posterior(
                    result.posterior, pool, history, fit=result.point,
                    seconds_each=60 * (cross_validation_minutes if cross_validation_minutes is not None
                                       else spec.posterior.cross_validation_minutes),
                    progress=_bar("cross-validation (mean field)", progress), evaluator=result.evaluator)
        return result


def _bar(description: str, enabled: bool):
    """A progress callback ``(done, total)`` drawing a tqdm bar, or None."""
    if not enabled:
        return None
    state = {}

    def update(done: int, total: int | None) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=description, unit="step", leave=False)
        bar.update(done - bar.n)

    return update


def _calibrate(problem: Problem, budget: Budget, history: History, pool: Workers, progress: bool) -> Result:
    spec, space, targets = problem.spec, problem.space, problem.targets
    lam = spec.refine.regularisation
    n = len(space)
    prior = space.start()
    mf = MeanFieldModel(problem, history, Evaluator(problem, pool), pool)
    sto = StochasticModel(problem, history, budget, pool)
    notes: list[str] = []

    # 1. Global search on the mean field (at most a third of the time budget left once the twin is compiled).
    twin_seconds = mf.evaluator.timing()
    prior_mf = mf(prior, "prior")
    global_seconds = budget.elapsed() + ((budget.seconds or math.inf) - budget.elapsed()) / 3
    global_best, global_note = global_search(
        mf, method=spec.global_stage.method, evaluations=spec.global_stage.evaluations, seed=spec.seed,
        prior=prior, lam=lam, polish=spec.global_stage.polish, progress=progress,
        time_left=lambda: global_seconds - budget.elapsed())

    # Time the analysis will need: the profiles' mean-field evaluations, the outputs.
    mf_seconds = twin_seconds or _twin_seconds(history, n)
    def profile_seconds(points: int) -> float:  # grid points and the root-finding points at both ends
        return _profile_seconds(n, points, mf_seconds, pool.workers)

    # Keep time back for the profiles, but never more than half the budget: profiles that cannot fit even
    # at their smallest are skipped (and the report says so) rather than starve the refinement.
    half = (budget.seconds or math.inf) / 2
    profiles_reserve = min(profile_seconds(spec.analysis.profile_points), half)
    if profile_seconds(3) > half:
        profiles_reserve = 0.0
    analysis_seconds = profiles_reserve + WRITING_SECONDS

    # 2. The stochastic model at the prior and refinement from the global optimum.
    sto.reserve = analysis_seconds
    sto.reserve_evaluations = n  # a Jacobian at the fit
    prior_sto = None
    stochastic_best = Best()
    try:
        prior_sto = sto(prior, "prior")
        stochastic_best.offer(prior_sto, prior, lam)
    except BudgetExhausted:
        pass
    jacobians: list[Jacobian] = []
    if spec.refine.enabled:
        try:
            _, jacobians, refine_note = refine(sto, global_best.z, step=spec.refine.step, prior=prior,
                                                     lam=lam, progress=progress)
        except BudgetExhausted as exc:  # the very first evaluation did not fit
            refine_note = f"not run: {exc}"
        for p in sto.cache.values():
            stochastic_best.offer(p, prior, lam)
    else:
        refine_note = "disabled in the spec: the fitted point is the mean-field optimum"
        try:
            stochastic_best.offer(sto(global_best.z, "fit"), prior, lam)
        except BudgetExhausted:
            pass
        stochastic_best = _only_at(stochastic_best, sto, global_best.z, prior, lam)

    sto.reserve_evaluations = 0
    if stochastic_best.point is None:  # not even one stochastic evaluation fitted in the budget
        sto.reserve = 0.0
        budget.extra = budget.used + 1 - (budget.evaluations or 0) if budget.evaluations is not None else 0
        stochastic_best.offer(sto(global_best.z, "fit", force=True), prior, lam)
        notes.append("the budget allowed no stochastic evaluation before the analysis; one was run anyway")
    z = stochastic_best.z
    fit = stochastic_best.point

    # 3. The Jacobian at the fitted point: reuse, compute, or fall back.
    J, jacobian_note = _jacobian_at(z, jacobians, sto, mf, spec.refine.step, budget, WRITING_SECONDS)

    # 4. Uncertainty of each target at the fit, profiles, verdicts.
    log_se = fit.log_se
    spread = fit.log_spread if targets.one_history else 0.0
    sigma = np.sqrt(targets.figure_log_sd() ** 2 + targets.discrepancy ** 2 + spread ** 2
                    + (targets.slopes(fit.values, log_se) * log_se) ** 2)
    mf_fit = mf(z, "fit")
    correction = np.where((fit.values > 0) & (mf_fit.values > 0),
                          np.log(np.maximum(fit.values, 1e-300) / np.maximum(mf_fit.values, 1e-300)), 0.0)
    _, threshold = critical(spec.analysis.level)
    noise = targets.sigma(fit.values, intrinsic=fit.log_spread, surrogate=log_se)  # the likelihood's, at the fit
    chi2_fit = targets.objective(fit.values, noise)
    profiles, profile_note = _profiles(problem, pool, history, z, correction, noise, lam, chi2_fit, threshold,
                                       budget, mf_seconds, progress, mf.evaluator)
    ident = analyse(space, z, J.errors if J is not None else np.zeros((len(targets), n)), sigma, targets.weights,
                    spec.analysis.level, profiles)

    # 5. Where the stochastic mean departs from the mean field.
    series = sto.series_at(z) or {}
    records = mf.records(z, full=False)
    departures = _departures(records, series, problem)
    return Result(problem=problem, history=history, budget=budget, prior=prior, prior_meanfield=prior_mf,
                  prior_stochastic=prior_sto, global_best=global_best, global_note=global_note,
                  refine_note=refine_note, z=z, point=fit, meanfield_point=mf_fit, jacobian=J,
                  jacobian_note=jacobian_note, sigma=sigma, identifiability=ident, profiles=profiles,
                  profile_note=profile_note, meanfield=records, series=series, departures=departures, notes=notes,
                  evaluator=mf.evaluator)


def _twin_seconds(history: History, n: int) -> tuple[float, float]:
    """Seconds of one twin evaluation alone, and per point of a batch (the history records each point's share
    of its batch's time; the prior's evaluation ran alone)."""
    records = [r for r in history.records if r.model == "meanfield"]
    alone = next((r.seconds for r in records if r.stage == "prior"), records[0].seconds)
    batched = float(np.median([r.seconds for r in records if r.stage == "global"] or [alone]))
    return float(alone), batched


def _profile_seconds(n: int, points: int, seconds: tuple[float, float], workers: int) -> float:
    """Estimated time of the profiles: per parameter, the grid points and the root-finding points at both ends,
    each :data:`PROFILE_NFEV` least-squares iterations of one evaluation alone and a Jacobian of ``n`` points
    in one batch (:func:`~.search.forward_jacobian`)."""
    alone, batched = seconds
    return n * (points + 1 + 6) * PROFILE_NFEV * (2 * alone + n * batched) * PROFILE_EXTRA / max(1, workers)


def _only_at(best: Best, sto: StochasticModel, z: np.ndarray, prior: np.ndarray, lam: float) -> Best:
    """Without refinement the fit is the mean-field optimum, whatever the prior scored."""
    p = sto.cache.get(tuple(np.round(z, 12).tolist()))
    if p is None:
        return best
    only = Best()
    only.offer(p, prior, lam)
    return only


def _jacobian_at(z, jacobians, sto, mf, step, budget, reserve) -> tuple[Jacobian | None, str]:
    for j in reversed(jacobians):
        if np.allclose(j.z, z, atol=1e-12):
            return j, f"forward differences on the stochastic model (step {step:g} of each range), from the refinement"
    try:
        sto.reserve = reserve
        j = jacobian(sto, z, step)
        return j, f"forward differences on the stochastic model (step {step:g} of each range)"
    except BudgetExhausted as exc:
        if jacobians:
            j = jacobians[-1]
            return j, (f"the last Jacobian of the refinement, taken {np.max(np.abs(j.z - z)):.3f} (unit coordinates) "
                       f"from the fit: the budget ({exc}) left no room for one at the fit")
        j = jacobian(mf, z, step)
        return j, f"forward differences on the mean field (the budget, {exc}, left none on the stochastic model)"


def _profiles(problem, pool, history, z, correction, sigma, lam, chi2_fit, threshold, budget, mf_seconds,
              progress, evaluator) -> tuple[dict[str, Profile], str]:
    n = len(z)
    points = problem.spec.analysis.profile_points
    left = budget.remaining() - WRITING_SECONDS

    def cost(k: int) -> float:  # grid points and the root-finding points at both ends (as in _calibrate)
        return _profile_seconds(n, k, mf_seconds, pool.workers)

    while points > 3 and cost(points) > left:
        points = max(3, points // 2 + 1)
    if cost(points) > left:
        return {}, (f"not computed: {max(left, 0):.0f} s of the time budget were left, and even {points} points per "
                    f"parameter would take about {cost(points):.0f} s (verdicts from the Jacobian alone)")
    deadline = time.time() + left if math.isfinite(left) else float("inf")
    tasks = profile_tasks(problem, z, correction, sigma, lam, points, PROFILE_NFEV, chi2_fit, threshold, deadline)
    bar = tqdm(total=len(tasks), desc="profiles (mean field)", unit="parameter", leave=False, disable=not progress)
    results = []
    if pool.workers > 1:
        for out in pool.map(run_profile, tasks):
            results.append(out)
            bar.update()
    else:
        for task in tasks:
            results.append(run_profile(task, problem, evaluator))
            bar.update()
    bar.close()
    profiles = {}
    for task, (held, chi2, record) in zip(tasks, results):
        for zz, values in record:
            history.add("profile", "meanfield", make_point(problem.targets, zz, values), mf_seconds[1])
        prof = summarise(problem.space.parameters[task.index].name, held, chi2, chi2_fit, threshold, len(record))
        profiles[prof.name] = prof
    note = (f"{points} points per parameter on the mean field corrected to the stochastic mean at the fit, "
            f"{PROFILE_NFEV} least-squares iterations per point (more above the threshold), each end of an "
            "interval root-found on the signed root of the profile")
    incomplete = [name for name, prof in profiles.items() if not prof.complete]
    if incomplete:
        note += f"; cut short by the time budget: {', '.join(incomplete)}"
    return profiles, note


def _departures(records: MeanFieldRecords, series: dict[str, np.ndarray], problem: Problem,
                tail: float = 0.0027) -> list[Departure]:
    """Days where ``|stochastic mean - mean field|`` exceeds its Monte Carlo error: the two-sided
    ``1 - tail`` t-quantile (R - 1 degrees of freedom) of the standard error, ``tail`` that of three
    standard deviations of a normal, so a few replications do not raise false alarms.

    The standard error is never taken below the Poisson one, ``sqrt(mean / R)``: with few replications
    of a rare count (early adoptions) the sample spread is often zero by chance.
    """
    out = []
    dates = records.dates()
    for metric, runs in series.items():
        R = runs.shape[0]
        mf = records.metrics[metric][: runs.shape[1]]
        mean = runs.mean(axis=0)
        se = runs.std(axis=0, ddof=1) / math.sqrt(R)
        scale = np.maximum(se, np.sqrt(np.maximum(np.maximum(mean, mf), 1.0) / R))
        diff = mean - mf
        zs = diff / scale
        flagged = np.abs(zs) > t_dist.ppf(1 - tail / 2, R - 1)
        worst = int(np.argmax(np.abs(zs)))
        idx = np.flatnonzero(flagged)
        out.append(Departure(
            metric=metric, days_flagged=int(flagged.sum()), days=int(runs.shape[1]),
            first=dates[idx[0]] if idx.size else None, last=dates[idx[-1]] if idx.size else None,
            worst_date=dates[worst], worst_z=float(zs[worst]),
            worst_relative=float(diff[worst] / mf[worst]) if mf[worst] else math.inf))
    return out
