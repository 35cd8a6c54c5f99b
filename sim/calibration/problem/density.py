"""The posterior density of the free parameters on the mean-field twin, batch by batch.

``log p(z | figures) = log prior(z) + sum_j w_j log L_j(m_j(z))`` on the unit
cube (:mod:`.parameters` for the prior, :mod:`.likelihood` for ``L_j``), with
``m_j(z)`` the mean-field twin's value corrected towards the stochastic
model's mean: ``log m_j = log twin_j(z) + c_j``, the correction ``c_j``
known up to ``u_j`` (:class:`Correction`).

:class:`TwinDensity` is a small picklable object, so it can run inside worker
processes (the problem itself is not sent, the workers hold it);
:func:`evaluate` maps a batch of points over the calibration's
:class:`~.models.Workers`, in
batches of a fixed size (the same on any number of workers), each solved by
the batched mean field
(:func:`sim.model.meanfield.meanfield_batch`).  Another vectorised twin drops
in as ``TwinDensity.batch`` (the compiled twin, :mod:`.twin`; the Bass closed
form of :mod:`.bass` in tests).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from scipy.stats import qmc

from .models import _meanfield_values, batches, meanfield_values, twin_chunk, worker_context
from .problem import Problem


@dataclass(frozen=True)
class Correction:
    """What the stochastic model says about the twin, per target (log units)."""

    shift: np.ndarray
    """``c_j``: the stochastic mean's log departure from the twin."""
    surrogate: np.ndarray
    """``u_j``: uncertainty of ``log m_j`` as the corrected twin gives it (Monte Carlo error of the
    stochastic means; how much the departure varies across the posterior)."""
    intrinsic: np.ndarray
    """``r_j``: log standard deviation of single runs about their mean (one history against the mean)."""
    source: str
    """In words: where these numbers come from."""

    @classmethod
    def none(cls, targets: int) -> "Correction":
        zero = np.zeros(targets)
        return cls(zero, zero, zero, "none (the mean field as it is)")


@dataclass(frozen=True)
class TwinDensity:
    """The log posterior on the cube, with the parameters that no used target responds to held fixed."""

    problem: Problem
    correction: Correction
    active: np.ndarray
    """Indices of the parameters being sampled."""
    held: np.ndarray
    """Unit coordinates of every parameter; those not ``active`` stay there while sampling."""
    used: np.ndarray
    """Boolean mask of the targets in the likelihood (cross-validation leaves one out)."""
    batch: Callable[[np.ndarray], np.ndarray] | None = None
    """A vectorised twin, ``(N, n)`` unit coordinates -> ``(N, T)`` target values (NaN rows for refused
    candidates), evaluated in the calling process; None: the mean field, point by point on the workers."""

    @property
    def dimension(self) -> int:
        return len(self.active)

    def full(self, x: np.ndarray) -> np.ndarray:
        """Points of the whole cube ``(N, n)`` from sampled coordinates ``(N, k)``."""
        x = np.atleast_2d(x)
        z = np.repeat(self.held[None, :], len(x), axis=0)
        z[:, self.active] = x
        return z

    def twin_values(self, z: np.ndarray) -> np.ndarray:
        """The mean field's target values at one point of the cube (NaN where the scenario refuses it)."""
        if self.batch is not None:
            return np.asarray(self.batch(np.atleast_2d(z)), float)[0]
        values = meanfield_values(self.problem, z)
        return np.full(len(self.problem.targets), np.nan) if values is None else values

    def log_likelihood(self, twin: np.ndarray) -> np.ndarray:
        """``(N,)`` log-likelihood of twin values ``(N, T)`` (``-inf`` for NaN rows)."""
        twin = np.atleast_2d(twin)
        c = self.correction
        values = twin * np.exp(c.shift)
        sigma = self.problem.targets.sigma(values, intrinsic=c.intrinsic, surrogate=c.surrogate)
        terms = self.problem.targets.figures.log_terms(values, sigma)
        weights = self.problem.targets.figures.weights * self.used
        out = np.sum(np.where(weights > 0, weights * terms, 0.0), axis=-1)
        return np.where(np.isnan(twin).any(axis=-1), -np.inf, out)

    def log_prior(self, x: np.ndarray) -> np.ndarray:
        return self.problem.space.log_prior(self.full(x))

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``(log posterior, twin values)`` at one sampled point."""
        prior = float(self.log_prior(x)[0])
        if not np.isfinite(prior):
            return -np.inf, np.full(len(self.problem.targets), np.nan)
        values = self.twin_values(self.full(x)[0])
        return prior + float(self.log_likelihood(values)[0]), values

    def with_correction(self, correction: Correction) -> "TwinDensity":
        return replace(self, correction=correction)

    def __reduce__(self):
        # Sent to the calibration's workers, which hold the problem already (models.WorkerContext): pickling it
        # for every task would cost more than the evaluation.  Its targets (a few small records) go along: another
        # reading of the figures or another discrepancy (..bayes.sensitivity) is another TargetSet on the same
        # problem, which the workers' copy would not know.
        return (_in_worker, (self.correction, self.active, self.held, self.used, self.batch, self.problem.targets))


def _in_worker(correction, active, held, used, batch, targets=None) -> TwinDensity:
    problem = worker_context().problem
    if targets is not None and targets != problem.targets:
        problem = replace(problem, targets=targets)
    return TwinDensity(problem, correction, active, held, used, batch)


def _twin_values(z: np.ndarray) -> np.ndarray:
    values = _meanfield_values(z)
    return np.full(len(worker_context().problem.targets), np.nan) if values is None else values


def evaluate(density: TwinDensity, x: np.ndarray, workers) -> tuple[np.ndarray, np.ndarray]:
    """Log posterior ``(N,)`` and twin values ``(N, T)`` of a batch of sampled points, on ``workers``.

    Points outside the prior's support are not evaluated."""
    x = np.atleast_2d(np.asarray(x, float))
    prior = density.log_prior(x)
    twin = np.full((len(x), len(density.problem.targets)), np.nan)
    inside = np.flatnonzero(np.isfinite(prior))
    if inside.size and density.batch is not None:
        twin[inside] = density.batch(density.full(x[inside]))
    elif inside.size:  # batches of a fixed size, spread over the workers
        twin[inside] = np.vstack(workers.map(twin_chunk, batches(density.full(x[inside]))))
    return prior + np.where(np.isfinite(prior), density.log_likelihood(twin), 0.0), twin


INERT = 1e-5
"""Largest change in any used target's log value (the mean field's ODE tolerance is 1e-6) for which a
parameter counts as one the targets do not respond to."""


def inert_parameters(problem: Problem, used: np.ndarray, rng: np.random.Generator, workers, points: int = 8) -> np.ndarray:
    """Indices of the parameters no used target responds to: at ``points`` points of a Latin hypercube
    over the prior, moving each one by half its range leaves every used target's mean-field value the same
    (to within :data:`INERT`, the integrator's noise: the platforms' agencies share one ODE system).  Such a
    parameter's posterior is its prior, so it is drawn from the prior instead of sampled.

    A Latin hypercube rather than independent draws, because a parameter may matter only where another
    one lies in part of its range (the push's size moves the October count only if the push starts
    before the end of October): every parameter's range is visited in each of ``points`` strata."""
    space = problem.space
    n = len(space)
    base = space.from_cube(qmc.LatinHypercube(d=n, seed=rng).random(points))
    moved = []
    for b in base:
        for i in range(n):
            m = b.copy()
            m[i] = (m[i] + 0.5) % 1.0
            moved.append(m)
    values = workers.map(_twin_values, [*base, *moved], chunksize=4)
    at_base = np.asarray(values[:points])[:, used]
    after = np.asarray(values[points:]).reshape(points, n, -1)[:, :, used]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.abs(np.log(after / at_base[:, None, :]))
    same = np.all(change <= INERT, axis=(0, 2))  # NaN (a refused candidate) is never "the same"
    return np.flatnonzero(same)
