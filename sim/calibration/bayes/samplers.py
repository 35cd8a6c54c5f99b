"""Two well-kept samplers behind one interface: emcee and dynesty.

Both sample the :class:`~sim.calibration.problem.density.TwinDensity` on its active coordinates and
return :class:`Samples`: weighted points, the twin's target values at each (so
the posterior predictive and the stochastic correction need no new model
runs), and the sampler's own diagnostics.  ``benchmarks/sampler_choice.py``
compares them on the baseline calibration; the spec's ``posterior.sampler``
picks one.

* **emcee** (Foreman-Mackey et al. 2013), the affine-invariant ensemble
  sampler, here with differential-evolution moves (ter Braak 2006; ter Braak
  and Vrugt 2008), which the benchmark found to mix faster than the stretch
  move on this posterior of long flat ridges.  The walkers move in logit
  coordinates of the cube (:func:`log_jacobian` says why), so the uniform
  priors' edges do not refuse the moves.  ``vectorize=True``: each move
  hands half the ensemble over as one batch, which :func:`sim.calibration.problem.density.evaluate`
  spreads over the worker processes.  Started from earlier mean-field
  evaluations of good fit (the search's and the profiles', which trace the
  flat ridges across the ranges), or from prior draws screened for
  plausibility when there are none; the first third of the chain is
  discarded as burn-in.  It runs in chunks until every parameter has the requested
  effective sample size (BDA3's multi-chain estimate over the walkers' split
  chains, which counts walkers that have not mixed against it), the kept part
  is at least ``TAU_MULTIPLE`` times emcee's integrated autocorrelation time
  (Goodman and Weare 2010) and
  the split-R-hat of Gelman et al. (2013) over the walkers' halves is below
  ``RHAT``, or the time is up.
* **dynesty** (Speagle 2020), static nested sampling with random-walk
  proposals from the multi-ellipsoid bound; whole walks go to the worker
  processes (``queue_size`` = workers).  It stops when the remaining evidence
  is below ``dlogz`` or at the time limit; its measure of convergence is that
  remaining ``dlogz``, and it reports the evidence ``log Z`` with its error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logit

from ...posterior import kish
from ..problem.density import TwinDensity, evaluate

TAU_MULTIPLE = 5.0
"""emcee: keep sampling until the kept part of the chain is this many autocorrelation times long."""
RHAT = 1.1
"""emcee: and until every parameter's split-R-hat is below this (Gelman et al. 2013)."""
BURN_IN = 1 / 3
"""emcee: share of the chain discarded as burn-in."""
CHUNK = 25
"""emcee: steps between convergence checks."""
DLOGZ = 0.5
"""dynesty: stop when the live points could add at most this much to log Z."""


@dataclass
class Samples:
    """Weighted points of the sampled coordinates and what came with them."""

    sampler: str
    x: np.ndarray
    """``(N, k)`` sampled coordinates (unit cube)."""
    weights: np.ndarray
    """``(N,)`` non-negative weights."""
    twin: np.ndarray
    """``(N, T)`` the twin's target values at each point."""
    evaluations: int
    seconds: float
    ess: np.ndarray
    """Effective sample size per sampled coordinate."""
    converged: bool
    diagnostics: dict = field(default_factory=dict)
    note: str = ""

    @property
    def kish(self) -> float:
        """Kish's effective number of the weights."""
        return kish(self.weights)


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Autocovariance of each chain along axis 0 (``(n, m, k)``), centred on its own mean, by FFT."""
    n = x.shape[0]
    centred = x - x.mean(axis=0)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=0)
    return np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=0)[:n] / n


def effective_sample_size(chain: np.ndarray) -> np.ndarray:
    """Effective sample size per coordinate of ``chain`` ``(steps, chains, k)``: BDA3 (Gelman et al. 2013,
    section 11.5) on split chains, with the autocorrelations combined across chains as Stan does and
    summed up to Geyer's initial positive sequence.  Unlike a per-walker autocorrelation time it counts
    walkers that have not yet mixed with each other against the estimate."""
    steps = chain.shape[0] // 2
    if steps < 4:
        return np.zeros(chain.shape[-1])
    x = np.concatenate([chain[:steps], chain[steps:2 * steps]], axis=1)  # (n, 2m, k)
    n, m = x.shape[0], x.shape[1]
    acov = _autocovariance(x)                                   # (n, m, k)
    within = acov[0].mean(axis=0) * n / (n - 1)                 # W
    between = n * x.mean(axis=0).var(axis=0, ddof=1)            # B
    pooled = (n - 1) / n * within + between / n                 # var+
    rho = 1.0 - (within - acov.mean(axis=1)) / np.where(pooled > 0, pooled, np.inf)
    rho[0] = 1.0
    out = np.empty(x.shape[-1])
    for k in range(x.shape[-1]):
        total, t = 0.0, 1
        while t + 1 < n:
            pair = rho[t, k] + rho[t + 1, k]
            if pair < 0:
                break
            total += pair
            t += 2
        out[k] = m * n / (1.0 + 2.0 * total) if pooled[k] > 0 else 0.0
    return np.minimum(out, m * n * np.log10(m * n))  # Stan's cap for antithetic chains


def split_rhat(chain: np.ndarray) -> np.ndarray:
    """Split-R-hat (Gelman et al. 2013, BDA3 section 11.4) per coordinate of ``chain`` ``(steps, chains, k)``."""
    steps = chain.shape[0] // 2
    if steps < 2:
        return np.full(chain.shape[-1], np.nan)
    halves = np.concatenate([chain[:steps], chain[steps:2 * steps]], axis=1)  # (steps, 2 chains, k)
    means = halves.mean(axis=0)
    within = halves.var(axis=0, ddof=1).mean(axis=0)
    between = steps * means.var(axis=0, ddof=1)
    pooled = (steps - 1) / steps * within + between / steps
    return np.sqrt(np.divide(pooled, within, out=np.full_like(pooled, np.nan), where=within > 0))


EDGE = 1e-3
"""emcee does not start walkers closer than this to a range's edge in unit coordinates (logit beyond +-6.9)."""
START_WINDOW = 15.0
"""emcee starts among earlier evaluations whose log posterior is within this of the best one."""


def history_start(density: TwinDensity, z: np.ndarray, twin: np.ndarray, walkers: int,
                  rng: np.random.Generator) -> np.ndarray | None:
    """Starting points for an ensemble from earlier mean-field evaluations (the global search and the
    profiles, whose points trace the ridges of good fits across every parameter's range): ``walkers``
    distinct points drawn at random among those within :data:`START_WINDOW` of the best log posterior.
    None if there are too few.

    The log posterior is the one emcee samples, in logit coordinates (Jacobian included): a profile's end
    at a range's edge lies at logit -20 or so there, far outside the ensemble, and a walker started there
    is stranded (differential-evolution moves are as short as the differences between the other walkers),
    which left a split-R-hat of 7 in a 3-parameter test.  The Jacobian alone does not keep such points out
    of a window wide enough for 30 parameters, so points within :data:`EDGE` of an edge are not used."""
    x = np.unique(np.asarray(z, float)[:, density.active], axis=0, return_index=True)[1]
    points, values = np.asarray(z, float)[np.sort(x)][:, density.active], np.asarray(twin, float)[np.sort(x)]
    log_post = _for_start(points, density.log_prior(points) + density.log_likelihood(values))
    good = np.flatnonzero(np.isfinite(log_post) & (log_post >= np.max(log_post, initial=-np.inf) - START_WINDOW))
    if len(good) < walkers:
        good = np.argsort(-np.where(np.isfinite(log_post), log_post, -np.inf), kind="stable")[:walkers]
        if not np.isfinite(log_post[good]).all() or len(good) < walkers:
            return None
    return points[rng.choice(good, size=walkers, replace=False)]


def _for_start(points: np.ndarray, log_post: np.ndarray) -> np.ndarray:
    """Log posterior of candidate starting points (cube) as emcee sees them: in logit coordinates, and
    ``-inf`` within :data:`EDGE` of an edge (:func:`history_start` says why)."""
    out = log_post + log_jacobian(to_logit(points))
    return np.where(np.any((points < EDGE) | (points > 1 - EDGE), axis=1), -np.inf, out)


def screened_start(density: TwinDensity, workers, rng: np.random.Generator, walkers: int,
                   candidates: int) -> np.ndarray:
    """Starting points for an ensemble without earlier evaluations: the ``walkers`` most probable of
    ``candidates`` prior draws (joined by the fitted point)."""
    space = density.problem.space
    draws = space.from_cube(rng.random((candidates, len(space))))[:, density.active]
    fitted = density.held[density.active][None, :]
    points = np.vstack([fitted, draws])
    log_post, _ = evaluate(density, points, workers)
    log_post = _for_start(points, log_post)
    order = np.argsort(-np.where(np.isfinite(log_post), log_post, -np.inf), kind="stable")
    return points[order[:walkers]]


def run_emcee(density: TwinDensity, workers, *, seed: int, walkers: int, max_steps: int, target_ess: float,
              deadline: float, start: np.ndarray, progress=None, moves=None) -> Samples:
    """emcee from ``start`` (``walkers`` points) until converged, ``max_steps`` or ``deadline`` (``time.time()``).
    ``moves``: emcee's move mixture (default: differential evolution, with snooker updates)."""
    import emcee

    k = density.dimension
    evaluations = 0

    def batch(u: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        x = to_cube(u)
        log_post, twin = evaluate(density, x, workers)
        evaluations += int(np.isfinite(density.log_prior(x)).sum())
        return np.column_stack([log_post + log_jacobian(u), twin])

    moves = moves or [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    sampler = emcee.EnsembleSampler(walkers, k, batch, vectorize=True, moves=moves)
    sampler.random_state = np.random.RandomState(seed).get_state()
    started = time.perf_counter()
    state = to_logit(start)
    converged = False
    note = ""
    tau = np.full(k, np.nan)
    while sampler.iteration < max_steps:
        if time.time() > deadline and sampler.iteration >= CHUNK:  # at least one chunk, to have a chain
            note = "stopped at the time limit"
            break
        state = sampler.run_mcmc(state, min(CHUNK, max_steps - sampler.iteration), progress=False)
        if progress is not None:
            progress(sampler.iteration, max_steps)
        tau, ess, kept = _emcee_convergence(sampler)
        rhat = split_rhat(to_cube(sampler.get_chain())[int(sampler.iteration * BURN_IN):])
        if (np.all(np.isfinite(tau)) and kept >= TAU_MULTIPLE * tau.max() and ess.min() >= target_ess
                and np.nanmax(rhat) < RHAT):
            converged = True
            note = (f"stopped when every parameter had {target_ess:g} effective samples, the kept chain was "
                    f"{TAU_MULTIPLE:g} autocorrelation times long and every split-R-hat below {RHAT:g}")
            break
    else:
        note = f"stopped at the step limit ({max_steps})"
    chain = to_cube(sampler.get_chain())
    blobs = sampler.get_blobs()
    burn = int(chain.shape[0] * BURN_IN)
    tau, ess, kept = _emcee_convergence(sampler)
    rhat = split_rhat(chain[burn:])
    x = chain[burn:].reshape(-1, k)
    twin = np.asarray(blobs[burn:], float).reshape(len(x), -1)
    return Samples(
        sampler="emcee", x=x, weights=np.ones(len(x)), twin=twin, evaluations=evaluations,
        seconds=time.perf_counter() - started, ess=ess, converged=converged,
        diagnostics={"walkers": walkers, "steps": int(chain.shape[0]), "burn_in": burn, "tau": tau, "rhat": rhat,
                     "acceptance": float(np.mean(sampler.acceptance_fraction))},
        note=note)


def to_cube(u: np.ndarray) -> np.ndarray:
    """The cube's coordinates of the logit coordinates emcee moves in."""
    return expit(u)


def to_logit(x: np.ndarray) -> np.ndarray:
    """emcee's coordinates of points of the cube (its edges brought a hair inside)."""
    return logit(np.clip(x, 1e-9, 1 - 1e-9))


def log_jacobian(u: np.ndarray) -> np.ndarray:
    """log |dx/du| of ``x = expit(u)``, summed over the coordinates: log x + log(1 - x), computed stably.

    Why logits: most parameters' posterior is close to a uniform prior with hard edges in the cube, and
    an ensemble's differential-evolution proposals, as wide as the ensemble's spread, then mostly land
    outside it and are refused (an acceptance of 0.06 on the baseline's 30 parameters).  In logit
    coordinates the prior has no edges and the moves are accepted; the Jacobian keeps the target the
    same posterior."""
    return -np.sum(np.logaddexp(0.0, -u) + np.logaddexp(0.0, u), axis=-1)


def _emcee_convergence(sampler) -> tuple[np.ndarray, np.ndarray, int]:
    """On the kept chain: emcee's integrated autocorrelation time per coordinate (averaged over walkers),
    the multi-chain effective sample size (:func:`effective_sample_size`), the kept steps."""
    from emcee.autocorr import integrated_time

    chain = to_cube(sampler.get_chain())
    kept = chain[int(chain.shape[0] * BURN_IN):]
    if kept.shape[0] < 8:
        return np.full(chain.shape[-1], np.nan), np.zeros(chain.shape[-1]), kept.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):  # a walker that has not moved yet
        tau = np.asarray(integrated_time(kept, quiet=True, tol=0), float)
    return np.maximum(tau, 1.0), effective_sample_size(kept), kept.shape[0]


class _Likelihood:
    """dynesty's log-likelihood with the twin's values as its blob (picklable, for the pool)."""

    def __init__(self, density: TwinDensity):
        self.density = density

    def __call__(self, x: np.ndarray):
        values = self.density.twin_values(self.density.full(x)[0])
        return float(self.density.log_likelihood(values)[0]), values


class _PriorTransform:
    def __init__(self, density: TwinDensity):
        self.parameters = [density.problem.space.parameters[i] for i in density.active]

    def __call__(self, u: np.ndarray) -> np.ndarray:
        return np.array([p.from_cube(ui) for p, ui in zip(self.parameters, u)], float)


def run_dynesty(density: TwinDensity, workers, *, seed: int, live_points: int, deadline: float,
                progress=None) -> Samples:
    import dynesty

    k = density.dimension
    size = max(1, getattr(workers, "workers", 1))
    pool = workers if size > 1 else None
    sampler = dynesty.NestedSampler(_Likelihood(density), _PriorTransform(density), k, nlive=live_points,
                                    bound="multi", sample="rwalk", rstate=np.random.default_rng(seed), blob=True,
                                    pool=pool, queue_size=size if pool is not None else None)
    started = time.perf_counter()
    note = f"stopped when the remaining evidence was below dlogz {DLOGZ:g}"
    converged = True
    for i, result in enumerate(sampler.sample(dlogz=DLOGZ)):
        if progress is not None and i % 50 == 0:
            progress(i, None)
        if time.time() > deadline:
            note, converged = "stopped at the time limit", False
            break
    sampler.add_final_live(print_progress=False)
    res = sampler.results
    logwt = res["logwt"] - res["logz"][-1]
    weights = np.exp(logwt - logwt.max())
    twin = np.asarray(res["blob"], float)
    x = np.asarray(res["samples"], float)
    effective = kish(weights)
    delta = float(res["logzerr"][-1])
    return Samples(
        sampler="dynesty", x=x, weights=weights, twin=twin, evaluations=int(np.sum(res["ncall"])),
        seconds=time.perf_counter() - started, ess=np.full(k, effective), converged=converged,
        diagnostics={"live_points": live_points, "iterations": int(res["niter"]), "logz": float(res["logz"][-1]),
                     "logz_error": delta, "dlogz_goal": DLOGZ},
        note=note)
