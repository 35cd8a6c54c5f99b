"""Which parameters the figures inform: the sampled ones, and the ones drawn from their prior.

Eight figures inform a handful of directions of thirty parameters.  A chain
that samples the others as well spends its steps on a flat likelihood and
mixes as slowly as its dimension allows.  So the chains sample only the
parameters along which the likelihood moves (:mod:`.chains`), and every other
parameter is drawn from its prior at each recorded draw and corrected exactly
by the importance weight ``L(full) / L(reference)`` (:mod:`.diagnostics` says
whether the weights can be trusted: Pareto k-hat, Kish's efficiency).

How a parameter is judged.  At a set of probe points (the fit and the most
probable of many prior draws: places the posterior may reach), the
log-likelihood is evaluated along the parameter's range, the other
parameters held (:data:`GRID` points).  Its *span* there, largest minus
smallest, is what fixing the parameter at a reference and reweighting would
have to absorb.  A parameter whose span stays below :data:`SPAN` at every probe
is drawn from its prior: weights that vary by ``exp(0.5)`` at most along each
such parameter keep Kish's efficiency near ``exp(-k 0.5^2 / 12)`` for ``k`` of
them (about 0.6 for twenty).  The span, not the local curvature, decides
because a one-sided figure met with room to spare has no curvature at the fit
and a cliff further on, which the span sees.  If the weights still come out
heavy-tailed (k-hat above 0.7), :func:`promote` moves the parameters that
explain most of the log weights into the sampled set, and the stage starts
its warm-up again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..problem.density import TwinDensity

GRID = 5
"""Points along each parameter's range (in the unit cube) at each probe."""
SPAN = 0.5
"""Largest span of the log-likelihood along a parameter (nats) for it to be drawn from its prior."""
EDGE = 0.02
"""The grid runs from this to one minus this (a range's very edge is where priors put little mass)."""


@dataclass(frozen=True)
class Split:
    """The sampled parameters and, for every parameter, the span that decided."""

    sampled: np.ndarray
    """Indices of the sampled (informed) parameters."""
    span: np.ndarray
    """``(n,)`` largest span of the log-likelihood along each parameter over the probes (nats)."""
    probes: int
    reason: dict[int, str]
    """Why a parameter is sampled when the span did not decide it (promoted after heavy-tailed weights)."""

    @property
    def drawn(self) -> np.ndarray:
        return np.array([i for i in range(len(self.span)) if i not in set(self.sampled.tolist())], dtype=int)


def informed(density: TwinDensity, probes: np.ndarray) -> Split:
    """The split at ``probes`` (``(P, n)`` cube points): a batch of ``P * n * GRID`` twin evaluations."""
    probes = np.atleast_2d(np.asarray(probes, float))
    P, n = probes.shape
    grid = np.linspace(EDGE, 1.0 - EDGE, GRID)
    points = np.repeat(probes[:, None, None, :], n, axis=1).repeat(GRID, axis=2)          # (P, n, GRID, n)
    for i in range(n):
        points[:, i, :, i] = grid
    twin = getattr(density.batch, "spread", density.batch)(points.reshape(-1, n))
    log_lik = density.log_likelihood(twin).reshape(P, n, GRID)
    finite = np.where(np.isfinite(log_lik), log_lik, np.nan)
    with np.errstate(invalid="ignore"):
        span = np.nanmax(np.nanmax(finite, axis=2) - np.nanmin(finite, axis=2), axis=0)
    span = np.where(np.isfinite(span), span, np.inf)  # a refused point along the range: sample it
    sampled = np.flatnonzero(span >= SPAN)
    reason = {}
    if sampled.size == 0:  # the figures barely move anything: the chains still need one coordinate to move
        sampled = np.array([int(np.argmax(span))])
        reason[int(sampled[0])] = "the largest span, though below the threshold: a chain samples one parameter at least"
    return Split(sampled=sampled, span=span, probes=P, reason=reason)


def promote(split: Split, z: np.ndarray, log_weight: np.ndarray, count: int = 2) -> Split:
    """``count`` more parameters sampled: of those drawn from the prior, the ones whose draws ``z`` (cube) explain
    most of the variance of the log weights (squared correlation)."""
    drawn = split.drawn
    if drawn.size == 0:
        return split
    lw = log_weight - log_weight.mean()
    scores = []
    for i in drawn:
        x = z[:, i] - z[:, i].mean()
        denominator = np.sqrt(np.sum(x ** 2) * np.sum(lw ** 2))
        scores.append(float(np.sum(x * lw) ** 2 / denominator ** 2) if denominator > 0 else 0.0)
    chosen = drawn[np.argsort(scores)[::-1][:count]]
    reason = dict(split.reason)
    for i, score in zip(chosen, sorted(scores, reverse=True)[:count]):
        reason[int(i)] = f"explained {score:.0%} of the variance of the importance log weights"
    return Split(sampled=np.sort(np.concatenate([split.sampled, chosen])), span=split.span, probes=split.probes,
                 reason=reason)
