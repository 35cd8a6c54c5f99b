"""The posterior stage: sample on the mean-field twin, correct with the stochastic model.

1. **Twin, corrected at the fit.**  The twin's target values are shifted by
   the stochastic mean's log departure from the twin at the fitted point
   (``c_j``, with the Monte Carlo error of that mean as ``u_j`` and the runs'
   spread there as ``r_j``; :mod:`.density`, :mod:`.likelihood`).
2. **Parameters no used figure responds to** (bit-identical twin values when
   they move across their range at several prior draws) are not sampled: their
   posterior is their prior, and they are drawn from it.
3. **Sampling** the others with the spec's sampler (:mod:`.samplers`).
4. **Correction with the stochastic model.**  ``K`` draws (systematic
   resampling by weight, from the spec's seed; a draw picked twice runs once) are run on the stochastic model
   with the calibration's replications (common random numbers).  Their log
   departures ``d_kj = log(stochastic mean / twin)`` give a new shift (their
   mean), a surrogate error ``u_j^2 = var_k(d_kj) (1 + 1/K) + mean_k(se_kj^2)``
   (the twin's departure varies across the posterior; the stochastic means'
   Monte Carlo error ``se``, shared by the draws under common random numbers,
   which that variance therefore misses; :func:`correction_from`) and the runs'
   spread (pooled over the ``K`` draws).  This is the discrepancy term estimated from
   twin-vs-stochastic departures; every draw is then importance-reweighted
   from the first likelihood to the corrected one, using the twin values
   stored with it (no new model runs).  The report also compares, at the ``K``
   draws, the corrected twin's log-likelihood with the stochastic model's own.
5. **Effective draws**: the sampler's effective sample size (the smallest over
   the parameters, at most the rows kept) times the importance weights'
   efficiency (Kish's ``(sum w)^2 / sum w^2`` over the rows).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..posterior import kish
from .density import Correction, TwinDensity, inert_parameters
from .models import Budget, BudgetExhausted, History, StochasticModel, Workers
from .objective import Point
from .problem import Problem
from .samplers import Samples, history_start, run_dynesty, run_emcee, screened_start


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
class Posterior:
    problem: Problem
    used: np.ndarray
    """Targets in the likelihood."""
    z: np.ndarray
    """``(N, n)`` unit coordinates of the draws (every parameter)."""
    weights: np.ndarray
    twin: np.ndarray
    """``(N, T)`` the twin's target values at each draw."""
    samples: Samples
    inert: list[str]
    first: Correction
    correction: Correction
    checks: list[Check]
    effective_draws: float
    seconds: float
    note: str

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


def sample_posterior(problem: Problem, pool: Workers, history: History, *, fit: Point, meanfield_fit: Point,
                     seconds: float, used: np.ndarray | None = None, correction: Correction | None = None,
                     correction_draws: int | None = None, progress=None) -> Posterior:
    """The posterior of ``problem``'s parameters given its ``used`` targets, within ``seconds``.

    ``correction`` given: it is used as it is (no stochastic runs; cross-validation reuses the full
    posterior's); otherwise the correction at the fit starts, and ``correction_draws`` stochastic
    evaluations refine it."""
    spec = problem.spec.posterior
    started = time.perf_counter()
    deadline = time.time() + seconds
    T, n = len(problem.targets), len(problem.space)
    used = np.ones(T, bool) if used is None else np.asarray(used, bool)
    seed = spec.seed if spec.seed is not None else problem.spec.seed
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(9,)))
    screening = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(9, 1)))  # its own stream
    first = correction or correction_at_fit(fit, meanfield_fit)

    inert = inert_parameters(problem, used, screening, pool)
    active = np.array([i for i in range(n) if i not in set(inert)], dtype=int)
    density = TwinDensity(problem, first, active, np.asarray(fit.z, float), used)
    K = 0 if correction is not None else (correction_draws or spec.correction_draws)
    stochastic_seconds = _stochastic_seconds(history)
    sampling_deadline = deadline - K * stochastic_seconds * 1.5 - 5.0

    if spec.sampler == "emcee":
        walkers = spec.walkers or max(12, 2 * len(active) + 2)
        walkers += walkers % 2
        # Half the walkers among the search's and profiles' good fits, half among screened prior draws: the
        # first are where the figures are met, the second spread the ensemble along what they leave open.
        earlier = [r.point for r in history.records if r.model == "meanfield"]
        start = None
        if earlier:
            start = history_start(density, np.array([p.z for p in earlier]), np.array([p.values for p in earlier]),
                                  walkers // 2, rng)
        screened = screened_start(density, pool, rng, walkers - (0 if start is None else len(start)), 4 * walkers)
        start = screened if start is None else np.vstack([start, screened])
        samples = run_emcee(density, pool, seed=int(rng.integers(2 ** 31)), walkers=walkers, max_steps=spec.steps,
                            target_ess=spec.effective_draws, deadline=sampling_deadline, start=start,
                            progress=progress)
        rows = _thin(len(samples.x), spec.draws)
        sampled_ess = min(float(np.min(samples.ess)), len(rows))
    else:
        samples = run_dynesty(density, pool, seed=int(rng.integers(2 ** 31)), live_points=spec.live_points,
                              deadline=sampling_deadline, progress=progress)
        keep = systematic_resample(samples.weights, min(spec.draws, len(samples.x)), rng)
        rows = np.sort(keep)
        sampled_ess = min(samples.kish, len(rows))
        samples.weights = np.ones(len(samples.x))  # resampled: equal weights from here on
    x, twin = samples.x[rows], samples.twin[rows]
    z = density.full(x)
    weights = samples.weights[rows].astype(float)

    checks: list[Check] = []
    final = first
    note = samples.note
    if K >= 2:
        final, checks, stopped = _correct(problem, pool, history, density, z, twin, weights, K, rng, deadline)
        if stopped:
            note += f"; the stochastic correction stopped early ({stopped})"
        old = density.log_likelihood(twin)
        new = density.with_correction(final).log_likelihood(twin)
        log_ratio = np.where(np.isfinite(old) & np.isfinite(new), new - old, -np.inf)
        weights = weights * np.exp(log_ratio - np.max(log_ratio[np.isfinite(log_ratio)], initial=0.0))
        checks = [_with_likelihoods(c, density.with_correction(final), problem) for c in checks]
    # The parameters no used target responds to: drawn from their prior, one independent draw per row.
    if len(inert):
        z[:, inert] = problem.space.from_cube(rng.random((len(z), n)))[:, inert]
    effective = sampled_ess * kish(weights) / len(weights)
    return Posterior(problem=problem, used=used, z=z, weights=weights, twin=twin, samples=samples,
                     inert=[problem.space.parameters[i].name for i in inert], first=first, correction=final,
                     checks=checks, effective_draws=effective, seconds=time.perf_counter() - started, note=note)


def _stochastic_seconds(history: History) -> float:
    times = [r.seconds for r in history.records if r.model == "stochastic"]
    return float(np.median(times)) if times else 2.0


def _thin(count: int, rows: int) -> np.ndarray:
    """Evenly spaced rows of a step-major flattened chain, at most ``rows``."""
    if count <= rows:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, rows).round().astype(int))


def _correct(problem: Problem, pool: Workers, history: History, density: TwinDensity, z: np.ndarray,
             twin: np.ndarray, weights: np.ndarray, K: int, rng: np.random.Generator, deadline: float):
    """Run ``K`` draws on the stochastic model; the correction their departures give (module docstring)."""
    picks = np.unique(systematic_resample(weights, K, rng))  # a draw picked twice is run once
    model = StochasticModel(problem, history, Budget(evaluations=K, minutes=None), pool)
    checks, stopped = [], ""
    for i in picks:
        if len(checks) >= 2 and time.time() > deadline:
            stopped = f"the stage's time ran out after {len(checks)} of {len(picks)} draws"
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
