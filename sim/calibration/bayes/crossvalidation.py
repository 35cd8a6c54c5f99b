"""Leave-one-figure-out cross-validation: can the calibrated model forecast a figure it has not seen?

For each binding figure in turn the posterior is sampled again without it
(:func:`.stage.sample_posterior` with that figure's weight at zero; the
full posterior's stochastic correction is reused, so no new stochastic runs),
and the left-out figure is predicted: the posterior predictive of a new report
of it (the model's mean at each draw, with the likelihood's noise), its median
and central 90% interval.  *Covered* means the reported figure is consistent
with that interval: an ``equal`` figure inside it, an ``interval`` figure
(or ``more_than`` range) overlapping it, an ``at_least`` figure below its upper end (``at_most``: above
its lower end).

A figure *binds* when the full posterior feels it: ``equal``, ``interval`` and
``more_than`` figures always; a one-sided figure when its deviance averaged over the
posterior exceeds :data:`BINDING_DEVIANCE` (a bound met with room to spare by
every draw says nothing, and leaving it out tests nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .stage import Posterior, sample_posterior, weighted_quantiles

BINDING_DEVIANCE = 0.01
LEVEL = 0.9


@dataclass(frozen=True)
class Fold:
    name: str
    median: float
    low: float
    high: float
    log_error: float
    """:meth:`sim.targets.Target.log_error` of the predicted median (0 for a bound it meets)."""
    covered: bool
    effective_draws: float
    converged: bool
    seconds: float


def binding(posterior: Posterior) -> np.ndarray:
    """Which figures bind (module docstring), as a boolean mask."""
    targets = posterior.problem.targets
    mean = posterior.mean_values
    sigma = targets.sigma(mean, intrinsic=posterior.correction.intrinsic, surrogate=posterior.correction.surrogate)
    deviance = targets.figures.deviance_residuals(mean, sigma) ** 2
    w = posterior.weights / posterior.weights.sum()
    average = np.sum(w[:, None] * deviance, axis=0)
    ranges = np.array([t.kind == "equal" or t.two_sided for t in targets.targets])
    return ranges | (average > BINDING_DEVIANCE)


def covered(target, low: float, high: float) -> bool:
    lo, hi = target.bounds
    if target.kind == "equal":
        return low <= target.value <= high
    return high >= lo and low <= hi


def cross_validate(posterior: Posterior, pool, history, *, fit, seconds_each: float, progress=None) -> list[Fold]:
    problem = posterior.problem
    targets = problem.targets
    rng = np.random.default_rng(problem.spec.seed)
    folds = []
    for j in np.flatnonzero(binding(posterior)):
        used = posterior.used.copy()
        used[j] = False
        fold = sample_posterior(problem, pool, history, fit=fit, meanfield_fit=None, seconds=seconds_each,
                                used=used, correction=posterior.correction, progress=progress)
        predicted = fold.predictive(rng)[:, j]
        low, median, high = weighted_quantiles(predicted, fold.weights, [(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2])
        target = targets.targets[j]
        folds.append(Fold(name=targets.names[j], median=float(median), low=float(low), high=float(high),
                          log_error=target.log_error(median), covered=covered(target, low, high),
                          effective_draws=fold.effective_draws, converged=fold.converged,
                          seconds=fold.seconds))
    return folds


def coverage(folds: list[Fold]) -> float:
    return float(np.mean([f.covered for f in folds])) if folds else math.nan
