"""The posterior stage: independent chains on the compiled twin, corrected with the stochastic model.

1. **Twin, corrected at the fit.**  The twin's target values are shifted by
   the stochastic mean's log departure from the twin at the fitted point
   (``c_j``, with the Monte Carlo error of that mean as ``u_j`` and the runs'
   spread there as ``r_j``; :mod:`sim.calibration.problem.density`, :mod:`sim.calibration.problem.likelihood`).
2. **Which parameters to sample** (:mod:`.split`): those along which the
   likelihood moves, judged at the fit and at the most probable of many prior
   draws; the others are drawn from their prior at every recorded draw and
   corrected exactly by importance weights (Pareto-smoothed, with their k-hat).
3. **Chains** (:mod:`.chains`): groups of random-walk Metropolis chains from
   dispersed starts, their proposals adapted during a warm-up and then frozen;
   the groups are independent and run on the calibration's workers.
4. **Correction with the stochastic model**, in the middle of the warm-up:
   ``K`` draws (systematic resampling by weight; a draw picked twice runs once)
   are run on the stochastic model with the calibration's replications (common
   random numbers).  Their log departures ``d_kj = log(stochastic mean / twin)``
   give a new shift (their mean), a surrogate error ``u_j^2 = var_k(d_kj)
   (1 + 1/K) + mean_k(se_kj^2)`` (:func:`correction_from`) and the runs' spread
   (pooled over the ``K`` draws).  The chains then carry on under the
   corrected likelihood; everything recorded before is warm-up.
5. **Sampling** until every sampled parameter meets the convergence thresholds
   (:mod:`.diagnostics`: rank R-hat below 1.01, bulk and tail ESS of 400 over
   every chain) or the stage's time is up, and then the report says, in as many
   words, that the chains did not converge.
6. **Effective draws**: the smallest bulk ESS of a sampled parameter times
   Kish's efficiency of the importance weights.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from . import chains as mcmc
from ..problem.density import Correction, TwinDensity, evaluate
from .diagnostics import Convergence, diagnose, smoothed_log_weights
from ..problem.models import Budget, BudgetExhausted, History, StochasticModel, Workers
from ..problem.objective import Point
from ..problem.problem import Problem
from .split import CHECK_DRAWS, CHECK_POINTS, Split, informed, trusted


@dataclass(frozen=True)
class Check:
    """One of the ``K`` posterior draws run on the stochastic model."""

    z: np.ndarray
    twin: np.ndarray
    stochastic: Point
    departure: np.ndarray
    """``log(stochastic mean / twin)`` per target."""
    log_likelihood_twin: float
    """The corrected twin's log-likelihood there (after the correction)."""
    log_likelihood_stochastic: float
    """The stochastic model's own: its mean, its runs' spread, its Monte Carlo error."""


@dataclass
class Chains:
    """The recorded draws of the sampling phase, chain by chain: ``(chains, draws, ...)`` arrays."""

    g: np.ndarray
    """Sampled parameters, whitened prior coordinates (:class:`~.chains.Whitening`)."""
    z: np.ndarray
    """Every parameter (unit cube)."""
    twin: np.ndarray
    log_lik: np.ndarray
    log_lik_reference: np.ndarray
    log_post: np.ndarray
    group: np.ndarray
    """``(chains,)`` the group of each chain."""

    @classmethod
    def of(cls, records: list[list[mcmc.Record]]) -> "Chains":
        """From each group's records, block after block."""
        joined = {f: np.concatenate([np.concatenate([getattr(r, f) for r in group_records], axis=1)
                                     for group_records in records], axis=0) for f in mcmc.FIELDS}
        group = np.concatenate([np.full(group_records[0].g.shape[0], k) for k, group_records in enumerate(records)])
        return cls(group=group, **joined)

    @property
    def log_weight(self) -> np.ndarray:
        return self.log_lik - self.log_lik_reference


@dataclass
class Posterior:
    problem: Problem
    used: np.ndarray
    """Targets in the likelihood."""
    z: np.ndarray
    """``(N, n)`` unit coordinates of the draws (every parameter), chains one after the other."""
    weights: np.ndarray
    """``(N,)`` Pareto-smoothed importance weights (sum 1)."""
    twin: np.ndarray
    """``(N, T)`` the twin's target values at each draw."""
    chains: Chains
    split: Split
    convergence: Convergence
    first: Correction
    correction: Correction
    checks: list[Check]
    effective_draws: float
    seconds: float
    evaluations: int
    """Twin evaluations of the stage."""
    settings: dict
    """The sampler's settings and what it did (groups, chains, warm-up, thinning, step sizes, acceptance)."""
    note: str

    @property
    def converged(self) -> bool:
        return self.convergence.converged

    @property
    def sampled(self) -> list[str]:
        return [self.problem.space.parameters[i].name for i in self.split.sampled]

    @property
    def inert(self) -> list[str]:
        """The parameters drawn from their prior (importance-weighted), by name."""
        return [self.problem.space.parameters[i].name for i in self.split.drawn]

    @property
    def values(self) -> np.ndarray:
        """``(N, n)`` parameter values (ordinals for dates)."""
        return self.problem.space.values_of(self.z)

    @property
    def mean_values(self) -> np.ndarray:
        """``(N, T)`` the model's mean at each draw: the corrected twin."""
        return self.twin * np.exp(self.correction.shift)

    def predictive(self, rng: np.random.Generator) -> np.ndarray:
        """``(N, T)`` one new report of each figure per draw: the model's mean with the likelihood's noise
        (discrepancy, the runs' spread, the surrogate's error, the figure's own)."""
        mean = self.mean_values
        sigma = self.problem.targets.sigma(mean, intrinsic=self.correction.intrinsic,
                                           surrogate=self.correction.surrogate)
        return mean * np.exp(sigma * rng.standard_normal(mean.shape))


def prior_draws(space, draws: int = 20000) -> np.ndarray:
    """A fixed sample of the prior in unit coordinates (seeded, so the report's and the corner plot's prior
    columns are the same numbers every time)."""
    return space.from_cube(np.random.default_rng(0).random((draws, len(space))))


def width_ratios(z: np.ndarray, weights: np.ndarray, prior_z: np.ndarray) -> np.ndarray:
    """Each parameter's posterior 90% interval over its prior's, in unit coordinates: how far the figures
    narrow it (1: not at all)."""
    posterior = weighted_quantiles(z, weights, [0.05, 0.95])
    prior = np.quantile(prior_z, [0.05, 0.95], axis=0)
    return (posterior[1] - posterior[0]) / np.maximum(prior[1] - prior[0], 1e-12)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    """Quantiles ``qs`` of ``values`` ``(N,)`` or ``(N, T)`` under ``weights`` (inverse of the weighted
    empirical distribution function, midpoint rule)."""
    values = np.asarray(values, float)
    flat = values.ndim == 1
    values = values[:, None] if flat else values
    out = np.empty((len(np.atleast_1d(qs)), values.shape[1]))
    for j in range(values.shape[1]):
        order = np.argsort(values[:, j], kind="stable")
        w = weights[order]
        cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
        out[:, j] = np.interp(qs, cdf, values[order, j])
    return out[:, 0] if flat else out


def systematic_resample(weights: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``count`` draws by systematic resampling (Kitagawa 1996): one uniform, evenly spaced."""
    cdf = np.cumsum(weights) / np.sum(weights)
    points = (rng.random() + np.arange(count)) / count
    return np.minimum(np.searchsorted(cdf, points, side="right"), len(weights) - 1)


def correction_at_fit(fit: Point, meanfield_fit: Point) -> Correction:
    shift = np.log(np.maximum(fit.values, 0.5) / np.maximum(meanfield_fit.values, 0.5))
    return Correction(shift=shift, surrogate=fit.log_se, intrinsic=fit.log_spread,
                      source=f"the stochastic mean of {fit.replicates.shape[0] if fit.replicates is not None else 1} "
                             "replications at the fitted point")


SCREEN = 1024
"""Prior draws evaluated on the twin to find where the posterior is: the chains' starts and the split's probes."""
EARLIER = 2048
"""The search's best mean-field points evaluated with them (by their objective)."""
BURN = 100
"""Sampling iterations discarded: the kernel is frozen, but the chains start where the explorers ended."""
PROBES = 16
"""Probe points of the split besides the fit, drawn among the plausible screened points."""
PLAUSIBLE = 10.0
"""A screened point is plausible when its log posterior is within this of the best one's (the posterior's bulk
lies within a few nats of its mode per informed dimension)."""
BLOCK = 50
"""Iterations of a block (a task: one group, or a pack of groups, advanced on a worker)."""
ROUND = 2 * BLOCK
"""Iterations of sampling between two looks at the diagnostics."""
EXPLORE_THIN = 5
"""Exploration states recorded (the random walk's covariance, the correction's draws and the proposal are fitted
to them)."""



def sample_posterior(problem: Problem, pool: Workers, history: History, *, fit: Point, meanfield_fit: Point | None,
                     seconds: float, used: np.ndarray | None = None, correction: Correction | None = None,
                     correction_draws: int | None = None, progress=None, evaluator=None) -> Posterior:
    """The posterior of ``problem``'s parameters given its ``used`` targets, within ``seconds`` (module docstring).

    ``correction`` given: it is used as it is (no stochastic runs; cross-validation reuses the full
    posterior's); otherwise the correction at the fit starts, and ``correction_draws`` stochastic
    evaluations refine it.  ``evaluator``: the problem's twin (:class:`~sim.calibration.problem.twin.Evaluator`), built if not given."""
    from ..problem.twin import Evaluator

    spec = problem.spec.posterior
    started = time.perf_counter()
    deadline = time.time() + seconds
    T, n = len(problem.targets), len(problem.space)
    used = np.ones(T, bool) if used is None else np.asarray(used, bool)
    seed = spec.seed if spec.seed is not None else problem.spec.seed
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(9,)))
    evaluator = evaluator if evaluator is not None else Evaluator(problem, pool)
    first = correction or correction_at_fit(fit, meanfield_fit)
    density = TwinDensity(problem, first, np.arange(n), np.asarray(fit.z, float), used, batch=evaluator)
    evaluations = 0

    # Where the posterior is: the search's mean-field points (the global search's and the profiles', which trace
    # the ridges of good fits across every range) and prior draws, the fit first.
    earlier = sorted((r.point for r in history.records if r.model == "meanfield"), key=lambda p: p.objective)
    earlier = np.array([p.z for p in earlier[:EARLIER]]).reshape(-1, n)
    screen = np.unique(np.vstack([earlier, problem.space.from_cube(rng.random((SCREEN, n)))]), axis=0)
    screen = np.vstack([np.asarray(fit.z, float), screen])
    screen_post = density.log_prior(screen) + density.log_likelihood(evaluator.spread(screen))
    evaluations += len(screen)
    order = np.argsort(-np.where(np.isfinite(screen_post), screen_post, -np.inf), kind="stable")
    plausible = order[screen_post[order] >= screen_post[order[0]] - PLAUSIBLE]
    probes = np.concatenate([[0], rng.choice(plausible, size=min(PROBES, len(plausible)), replace=False)])
    split = informed(density, screen[probes])
    evaluations += len(probes) * n * 5
    split, split_khats = trusted(density, split, screen[plausible if len(plausible) >= 32 else order],
                                 seed=int(rng.integers(2 ** 31)))
    evaluations += 2 * CHECK_POINTS * CHECK_DRAWS * len(split_khats)
    density = replace(density, active=split.sampled.astype(int))

    groups_n, per_group = spec.groups, spec.chains_per_group
    chains_n = groups_n * per_group
    K = 0 if correction is not None else (correction_draws or spec.correction_draws)
    checks: list[Check] = []
    final = first
    notes = []
    clock = {"screening": time.perf_counter() - started}
    tasks = max(1, getattr(pool, "workers", 1))

    # Exploration: each group's explorers random-walk from dispersed plausible starts (the stochastic correction
    # halfway through); their draws, spread over the posterior's region, fit the group's independence proposal.
    mark = time.perf_counter()
    explorers = spec.explorers_per_group
    candidates = plausible if len(plausible) >= 2 * groups_n * explorers else order
    starts = _starts(screen, candidates, groups_n * explorers, rng)[:, split.sampled]
    groups = mcmc.start_groups(density, starts, groups_n, explorers, int(rng.integers(2 ** 31)), pool)
    half = spec.warmup // 2
    groups, explored = _advance(pool, density, groups, half, phase="explore", thin=EXPLORE_THIN, tasks=tasks,
                                progress=progress)
    evaluations += groups_n * explorers * half
    clock["exploration"] = time.perf_counter() - mark
    if K >= 2:
        mark = time.perf_counter()
        final, checks, stopped = _correct(problem, pool, history, density, Chains.of([[r] for r in explored]), K,
                                          rng, deadline - 0.5 * (deadline - time.time()))
        if stopped:
            notes.append(f"the stochastic correction stopped early ({stopped})")
        density = replace(density, correction=final)
        groups = mcmc.reevaluate(groups, density, pool)
        clock["correction"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if __import__("os").environ.get("BANDWAGON_DEBUG"):  # DEBUG-ONLY
        print(f"DEBUG {time.perf_counter() - started:.0f}s split {len(split.sampled)} sampled, khats {split_khats}, clock {clock}", flush=True)  # DEBUG-ONLY
    groups, more = _advance(pool, density, groups, spec.warmup - half, phase="explore", thin=EXPLORE_THIN,
                            tasks=tasks, progress=progress)
    evaluations += groups_n * explorers * (spec.warmup - half)
    clock["exploration"] += time.perf_counter() - mark
    seed_sampling = int(rng.integers(2 ** 31))
    # The proposal from the exploration's last quarter only: before, the walks were still on their way in from
    # dispersed starts (and under the likelihood before its correction); fitted to all of it the mixture was so
    # wide in 26 dimensions that no try was accepted.
    pooled = np.concatenate([b.g[:, b.g.shape[1] // 2:].reshape(-1, len(split.sampled)) for b in more])
    proposal = mcmc.fit_proposal(pooled, seed=seed_sampling)
    groups = [mcmc.sampling_group(g, proposal, per_group, seed_sampling) for g in groups]

    # Sampling: rounds until every sampled parameter has converged or the time is up.
    mark = time.perf_counter()
    thin = spec.thin
    sampled: list[list[mcmc.Record]] = [[] for _ in range(groups_n)]
    convergence = None
    names = [problem.space.parameters[i].name for i in split.sampled]
    groups, _ = _advance(pool, density, groups, BURN, phase="sample", thin=BURN, tasks=tasks, progress=progress,
                         tries=spec.tries)
    evaluations += chains_n * BURN * (spec.tries + 1)
    for g in groups:
        g.reset_counts()
    while True:
        begun = time.time()
        groups, records = _advance(pool, density, groups, ROUND, phase="sample", thin=thin, tasks=tasks,
                                   progress=progress, tries=spec.tries)
        evaluations += chains_n * ROUND * (spec.tries + 1)
        for r in records:
            sampled[r.group].append(r)
        draws = Chains.of(sampled)
        convergence = diagnose(_values(problem, draws, split), draws.log_weight, names)
        if __import__("os").environ.get("BANDWAGON_DEBUG"):  # DEBUG-ONLY
            print(f"DEBUG {time.perf_counter() - started:.0f}s it={groups[0].proposed} {convergence.verdict()} acc={np.mean(np.concatenate([g.accepted for g in groups]))/max(groups[0].proposed,1):.2f}", flush=True)  # DEBUG-ONLY
        if convergence.converged:
            notes.append("stopped when every sampled parameter had converged")
            break
        if groups[0].proposed >= spec.iterations:
            notes.append(f"stopped at the iteration limit ({spec.iterations})")
            break
        if time.time() + (time.time() - begun) > deadline:
            notes.append("stopped at the time limit")
            break

    clock["sampling"] = time.perf_counter() - mark
    mark = time.perf_counter()
    # The parameters the chains did not sample, drawn from their prior at every recorded draw: importance weights.
    C, k = draws.g.shape[:2]
    z, twin, log_lik = mcmc.weigh(density, draws.z.reshape(-1, n), draws.twin.reshape(-1, T),
                                  seed=int(rng.integers(2 ** 31)))
    evaluations += len(z)
    draws = replace(draws, z=z.reshape(C, k, n), twin=twin.reshape(C, k, T), log_lik=log_lik.reshape(C, k))
    convergence = diagnose(_values(problem, draws, split), draws.log_weight, names)
    clock["weights"] = time.perf_counter() - mark
    smoothed, _ = smoothed_log_weights(draws.log_weight)
    weights = np.exp(smoothed - smoothed.max()).reshape(-1)
    weights /= weights.sum()
    if checks:
        checks = [_with_likelihoods(c, replace(density, correction=final), problem) for c in checks]
    proposals = max(groups[0].proposed, 1)
    settings = {"sampler": "metropolis", "groups": groups_n, "chains_per_group": per_group,
                "explorers_per_group": spec.explorers_per_group, "warmup_iterations": spec.warmup,
                "thin": thin, "tries": spec.tries,
                "sampling_iterations": int(groups[0].proposed),
                "acceptance": float(np.mean(np.concatenate([g.accepted for g in groups]) / proposals)),
                "walk_acceptance": float(np.mean(np.concatenate([g.walked for g in groups]) / proposals)),
                "acceptance_by_chain": (np.concatenate([g.accepted for g in groups]) / proposals).tolist(),
                "steps": [float(math.exp(g.log_step)) for g in groups],
                "workers": tasks, "screened": len(screen), "probes": split.probes,
                "split_khat": [round(k, 3) for k in split_khats], "burn_in_iterations": BURN,
                "seconds": {key: round(value, 1) for key, value in clock.items()}}
    effective = min(float(np.min(convergence.ess_bulk)), float(C * k)) * convergence.kish  # ESS may exceed the draws
    return Posterior(problem=problem, used=used, z=draws.z.reshape(-1, n), weights=weights,
                     twin=draws.twin.reshape(-1, T), chains=draws, split=split, convergence=convergence, first=first,
                     correction=final, checks=checks, effective_draws=effective,
                     seconds=time.perf_counter() - started, evaluations=evaluations, settings=settings,
                     note="; ".join(notes))


def _values(problem: Problem, draws: Chains, split: Split) -> np.ndarray:
    """The sampled parameters' values in their own units, ``(chains, draws, d)``: what ``posterior.nc`` stores, so
    that ArviZ run on the file gives the diagnostics the report states."""
    C, k, n = draws.z.shape
    return problem.space.values_of(draws.z.reshape(-1, n)).reshape(C, k, n)[..., split.sampled]


def _evaluations(chains: int, iterations: int, thin: int) -> int:
    """Twin evaluations of ``iterations`` of ``chains`` chains: one per proposal, one per recorded full draw."""
    return chains * (iterations + iterations // thin)


def _starts(screen: np.ndarray, candidates: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct starting points drawn at random among ``candidates`` (indices into ``screen``, most
    probable first; at most the first ``4 count`` of them): dispersed over the plausible region, so that chains
    that agree have not merely started together."""
    pool_size = min(len(candidates), 4 * count)
    return screen[rng.choice(candidates[:pool_size], size=min(count, pool_size), replace=False)]


def _advance(pool, density: TwinDensity, groups: list[mcmc.Group], iterations: int, *, phase: str, thin: int,
             tasks: int, progress=None, tries: int = 8) -> tuple[list[mcmc.Group], list[mcmc.Record]]:
    """``iterations`` of every group in ``phase``, in blocks of :data:`BLOCK` (while exploring, the random walk's
    covariance adapted from the second half of the phase's draws so far after each block), the groups packed into
    ``tasks`` tasks.  Returns the groups and, per group, one record of the whole phase."""
    records: dict[int, list[mcmc.Record]] = {g.index: [] for g in groups}
    done = 0
    while done < iterations:
        step = min(BLOCK, iterations - done)
        blocks = [mcmc.Block(density=density, groups=pack, iterations=step, phase=phase, thin=thin, tries=tries)
                  for pack in mcmc.pack(groups, tasks)]
        results = pool.map(mcmc.run_block, blocks) if tasks > 1 else [mcmc.run_block(b) for b in blocks]
        groups = [g for packed, _ in results for g in packed]
        for _, recs in results:
            for r in recs:
                records[r.group].append(r)
        if phase == "explore":
            groups = [mcmc.adapt_covariance(g, np.concatenate([r.g for r in records[g.index]], axis=1)
                                            [:, -max(1, (done + step) // 2):])
                      if records[g.index] else g for g in groups]
        done += step
        if progress is not None:
            progress(done, iterations)
    return groups, [_join(records[g.index]) for g in groups if records[g.index]]


def _join(records: list[mcmc.Record]) -> mcmc.Record:
    return mcmc.Record(group=records[0].group, **{f: np.concatenate([getattr(r, f) for r in records], axis=1)
                                                  for f in mcmc.FIELDS})


def _stochastic_seconds(history: History) -> float:
    times = [r.seconds for r in history.records if r.model == "stochastic"]
    return float(np.median(times)) if times else 2.0


def _correct(problem: Problem, pool: Workers, history: History, density: TwinDensity, draws: Chains, K: int,
             rng: np.random.Generator, deadline: float):
    """Run ``K`` draws of the warm-up on the stochastic model; the correction their departures give (module
    docstring, step 4)."""
    z, twin = draws.z.reshape(-1, draws.z.shape[-1]), draws.twin.reshape(-1, draws.twin.shape[-1])
    smoothed, _ = smoothed_log_weights(draws.log_weight.reshape(-1))
    weights = np.exp(smoothed - smoothed.max())
    picks = np.unique(systematic_resample(weights, K, rng))  # a draw picked twice is run once
    model = StochasticModel(problem, history, Budget(evaluations=K, minutes=None), pool)
    checks, stopped = [], ""
    for i in picks:
        if len(checks) >= 2 and time.time() > deadline:
            stopped = f"the stage's time for it ran out after {len(checks)} of {len(picks)} draws"
            break
        try:
            p = model(z[i], "posterior")
        except BudgetExhausted as exc:  # never with an evaluation budget of K, kept for safety
            stopped = str(exc)
            break
        if p.replicates is None or np.isnan(twin[i]).any():
            continue
        departure = np.log(np.maximum(p.values, 0.5) / np.maximum(twin[i], 0.5))
        checks.append(Check(z=z[i], twin=twin[i], stochastic=p, departure=departure, log_likelihood_twin=math.nan,
                            log_likelihood_stochastic=math.nan))
    if len(checks) < 2:
        return density.correction, checks, stopped or "fewer than two draws ran"
    return correction_from(checks), checks, stopped


def correction_from(checks: list[Check]) -> Correction:
    """The twin's correction from draws run on the stochastic model (module docstring, step 4).

    The surrogate's error is the departures' spread across draws (how the twin's departure varies over the
    posterior, inflated by ``1 + 1/K`` for its mean's own error) plus the stochastic means' Monte Carlo
    error.  With common random numbers every draw's runs share their seeds, so their Monte Carlo errors are
    nearly one error, shared, which the spread across draws does not show: without the second term the
    correction looked exact where it was not (a 3-parameter recovery test put the truth 3.4 posterior
    standard deviations off, and the reweighting kept a Kish efficiency of 0.16; with it, 1.5 and 0.95)."""
    d = np.array([c.departure for c in checks])
    k = len(checks)
    spread = np.sqrt(np.mean([c.stochastic.log_spread ** 2 for c in checks], axis=0))
    monte_carlo = np.mean([c.stochastic.log_se ** 2 for c in checks], axis=0)
    return Correction(
        shift=d.mean(axis=0), surrogate=np.sqrt(d.var(axis=0, ddof=1) * (1 + 1 / k) + monte_carlo),
        intrinsic=spread,
        source=f"{k} posterior draws run on the stochastic model ({checks[0].stochastic.replicates.shape[0]} "
               "replications each, common random numbers)")


def _with_likelihoods(check: Check, density: TwinDensity, problem: Problem) -> Check:
    targets = problem.targets
    p = check.stochastic
    sigma = targets.sigma(p.values, intrinsic=p.log_spread, surrogate=p.log_se)
    weights = targets.figures.weights * density.used
    own = float(np.sum(weights * targets.figures.log_terms(p.values, sigma)))
    return Check(z=check.z, twin=check.twin, stochastic=p, departure=check.departure,
                 log_likelihood_twin=float(density.log_likelihood(check.twin)[0]), log_likelihood_stochastic=own)
