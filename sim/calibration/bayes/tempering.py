"""The posterior stage's warm-up: a population of particles tempered from the prior to the posterior.

Sequential Monte Carlo with adaptive tempering (Del Moral, Doucet and Jasra 2006; Jasra, Stephens, Doucet and
Tsagaris 2011; Chopin and Papaspiliopoulos 2020, ch. 17).  The particles start as draws of the prior, which in
the chains' whitened coordinates is exactly ``N(0, I)`` (:class:`~.chains.Whitening`), and target
``prior x likelihood^beta`` for ``beta`` rising from 0 to 1.  At each step the next ``beta`` is the one that
keeps the effective sample size of the incremental weights ``L^(beta' - beta)`` at :data:`TARGET_ESS` of the
particles (bisection), the particles are resampled (systematic) and then moved by ``moves`` random-walk
Metropolis steps whose covariance is the particles' own (times ``2.38^2 / d``, the step's scale adapted
towards an acceptance of 0.234 within the step).

Why a population, not walks from screened starts: the sampling phase's independence proposal
(:func:`~.chains.fit_proposal`) must cover the posterior without being much wider.  Random walks from dispersed
plausible points were still on their way in after 1,500 iterations once the split sampled 26 parameters, and
the mixture fitted to their draws was so wide that the multiple-try step accepted 5% of its tries.  Tempering
reaches the posterior through a sequence of distributions each close to the last, so the final particles are a
(correlated, resampled) sample of it, at a cost set by the likelihood's information, not by the distance of a
start from the posterior.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

TARGET_ESS = 0.5
"""Each tempering step keeps the incremental weights' effective sample size at this share of the particles."""
ACCEPTANCE = 0.234
"""The moves' target acceptance (Roberts, Gelman and Gilks 1997)."""
MAX_STEPS = 200
"""A likelihood this sharp would take more steps than a stage has time for; the warm-up stops there."""

LogLikelihood = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``log_likelihood(g)`` for whitened points ``(N, d)``: the log-likelihood ``(N,)`` (``-inf`` where the model
refuses a point) and the twin's values ``(N, T)``."""


@dataclass
class Population:
    """The particles at the end of a tempering run (equally weighted)."""

    g: np.ndarray
    """``(N, d)`` whitened coordinates of the sampled parameters."""
    log_lik: np.ndarray
    twin: np.ndarray
    betas: list[float] = field(default_factory=list)
    """The inverse temperatures, 0 first, 1 last when the run reached the posterior."""
    acceptance: list[float] = field(default_factory=list)
    """The moves' mean acceptance at each step."""
    scale: float = 1.0
    """The moves' final scale (multiplying ``2.38 / sqrt(d)`` times the particles' covariance)."""
    evaluations: int = 0

    @property
    def reached(self) -> bool:
        return bool(self.betas) and self.betas[-1] >= 1.0


def systematic_resample(weights: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` indices drawn with probabilities proportional to ``weights`` (systematic resampling)."""
    cdf = np.cumsum(np.asarray(weights, float))
    cdf /= cdf[-1]
    positions = (rng.random() + np.arange(count)) / count
    return np.minimum(np.searchsorted(cdf, positions), len(cdf) - 1)


def effective_share(log_weight: np.ndarray) -> float:
    """Kish's effective sample size of ``exp(log_weight)`` over the number of weights (0 if all vanish)."""
    finite = np.isfinite(log_weight)
    if not finite.any():
        return 0.0
    w = np.exp(log_weight[finite] - log_weight[finite].max())
    return float(w.sum() ** 2 / np.sum(w ** 2) / log_weight.size)


def next_beta(beta: float, log_lik: np.ndarray, target: float = TARGET_ESS) -> float:
    """The largest ``beta' <= 1`` whose incremental weights keep :func:`effective_share` at ``target``
    (bisection on the increment; 1 if even the whole way keeps it)."""
    def share(step: float) -> float:
        return effective_share(np.where(np.isfinite(log_lik), step * log_lik, -np.inf))

    room = 1.0 - beta
    if share(room) >= target:
        return 1.0
    low, high = 0.0, room
    for _ in range(60):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if share(middle) >= target else (low, middle)
    return beta + max(low, 1e-12)


def move(log_likelihood: LogLikelihood, population: Population, beta: float, moves: int,
         rng: np.random.Generator) -> Population:
    """``moves`` random-walk Metropolis steps of every particle, targeting ``N(0, I) x L^beta``."""
    g, log_lik, twin = population.g.copy(), population.log_lik.copy(), population.twin.copy()
    N, d = g.shape
    covariance = np.atleast_2d(np.cov(g, rowvar=False)) + 1e-9 * np.eye(d)
    chol = np.linalg.cholesky(covariance) * (2.38 / math.sqrt(d))
    scale, accepted = population.scale, 0.0
    for _ in range(moves):
        proposal = g + scale * rng.standard_normal((N, d)) @ chol.T
        proposed, proposed_twin = log_likelihood(proposal)
        with np.errstate(invalid="ignore"):
            log_alpha = (0.5 * np.sum(g ** 2, axis=1) - 0.5 * np.sum(proposal ** 2, axis=1)
                         + beta * (proposed - np.where(np.isfinite(log_lik), log_lik, -1e300)))
        accept = np.isfinite(proposed) & (np.log(rng.random(N)) < log_alpha)
        g[accept], log_lik[accept], twin[accept] = proposal[accept], proposed[accept], proposed_twin[accept]
        rate = float(accept.mean())
        accepted += rate
        scale *= math.exp(rate - ACCEPTANCE)
    return Population(g=g, log_lik=log_lik, twin=twin, betas=population.betas,
                      acceptance=population.acceptance + [accepted / max(moves, 1)], scale=scale,
                      evaluations=population.evaluations + moves * N)


def temper(log_likelihood: LogLikelihood, particles: int, dimension: int, moves: int,
           rng: np.random.Generator, deadline: float | None = None) -> Population:
    """From ``particles`` prior draws to the posterior (module docstring); stops early (``reached`` False) after
    :data:`MAX_STEPS` steps or at ``deadline`` (``time.time()``)."""
    import time

    g = rng.standard_normal((particles, dimension))
    log_lik, twin = log_likelihood(g)
    population = Population(g=g, log_lik=log_lik, twin=twin, betas=[0.0], evaluations=particles)
    beta = 0.0
    while beta < 1.0 and len(population.betas) <= MAX_STEPS:
        if deadline is not None and time.time() > deadline:
            break
        new = next_beta(beta, population.log_lik)
        log_weight = np.where(np.isfinite(population.log_lik), (new - beta) * population.log_lik, -np.inf)
        population = resample(population, log_weight, rng)
        population.betas = population.betas + [new]
        beta = new
        population = move(log_likelihood, population, beta, moves, rng)
    return population


def resample(population: Population, log_weight: np.ndarray, rng: np.random.Generator) -> Population:
    """The population resampled by ``exp(log_weight)``."""
    w = np.exp(log_weight - np.max(log_weight[np.isfinite(log_weight)]))
    w = np.where(np.isfinite(w), w, 0.0)
    picks = systematic_resample(w, len(w), rng)
    return Population(g=population.g[picks], log_lik=population.log_lik[picks], twin=population.twin[picks],
                      betas=population.betas, acceptance=population.acceptance, scale=population.scale,
                      evaluations=population.evaluations)


def retarget(log_likelihood: LogLikelihood, population: Population, moves: int,
             rng: np.random.Generator) -> Population:
    """The population, at the posterior of one likelihood, carried to another's (the stochastic correction changes
    the likelihood): reweighted by the new over the old at each particle, resampled, moved ``moves`` times."""
    new, twin = log_likelihood(population.g)
    log_weight = np.where(np.isfinite(new) & np.isfinite(population.log_lik), new - population.log_lik, -np.inf)
    carried = Population(g=population.g, log_lik=new, twin=twin, betas=population.betas,
                         acceptance=population.acceptance, scale=population.scale,
                         evaluations=population.evaluations + len(new))
    return move(log_likelihood, resample(carried, log_weight, rng), 1.0, moves, rng)
