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
explain most of the log weights into the sampled set.  One-at-a-time spans miss
what several drawn parameters do together (the interaction loop's nine move
Shanghai City's followers jointly), so before any chain starts,
:func:`trusted` weighs prior draws at the most probable screened points
exactly as the chains' draws will be weighed, and promotes until the weights'
k-hat is below 0.7 there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..problem.density import TwinDensity

GRID = 5
"""Points along each parameter's range (in the unit cube) at each probe."""
SPAN = 0.5
"""Largest span of the log-likelihood along a parameter (nats) for it to be drawn from its prior."""
EDGE = 0.02
"""The grid runs from this to one minus this (a range's very edge is where priors put little mass)."""
CHECK_POINTS = 128
""":func:`trusted` weighs prior draws at this many of the most probable screened points ..."""
CHECK_DRAWS = 4
"""... this many at each (512 weights: enough for PSIS's tail fit)."""
PROMOTE = 3
"""Parameters promoted per round of :func:`trusted`."""
ROUNDS = 8
"""At most this many rounds of :func:`trusted` (up to 24 parameters promoted)."""


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


def promote(split: Split, scores: dict[int, float], count: int = 2) -> Split:
    """``count`` more parameters sampled: of those drawn from the prior, the ones with the largest ``scores`` (the
    share of the importance log weights' variance that drawing each causes, :func:`trusted`)."""
    drawn = [i for i in split.drawn.tolist() if i in scores]
    if not drawn:
        return split
    chosen = sorted(drawn, key=lambda i: -scores[i])[:count]
    reason = dict(split.reason)
    for i in chosen:
        reason[int(i)] = (f"holding it at the fit's value removed {scores[i]:.0%} of the variance of the importance "
                          "log weights")
    return Split(sampled=np.sort(np.concatenate([split.sampled, chosen])).astype(int), span=split.span,
                 probes=split.probes, reason=reason)


def trusted(density: TwinDensity, split: Split, points: np.ndarray, seed: int) -> tuple[Split, list[float]]:
    """``split`` with parameters promoted (:data:`PROMOTE` a round, at most :data:`ROUNDS` rounds) until the
    importance weights of prior draws of the drawn parameters, at ``points`` (cube, the most probable first),
    have a Pareto k-hat below 0.7; returns the split and the k-hat of each round.

    A parameter's score is what drawing it does to the weights, measured, not modelled: the log weights' variance
    minus their variance with that one parameter put back at the fit's value (one batch of the twin per drawn
    parameter).  A correlation would miss a parameter whose effect is an interaction (its weight depends on where
    the sampled ones are), which is the case that makes weights heavy-tailed."""
    from .chains import weigh
    from .diagnostics import KHAT, smoothed_log_weights

    points = np.repeat(np.atleast_2d(points)[:CHECK_POINTS], CHECK_DRAWS, axis=0)
    spread = getattr(density.batch, "spread", density.batch)
    khats = []
    for round_ in range(ROUNDS + 1):
        if split.drawn.size == 0:
            break
        sampled = replace(density, active=split.sampled.astype(int))
        reference = sampled.full(points[:, split.sampled])
        reference_lik = sampled.log_likelihood(spread(reference))
        z, _, lik = weigh(sampled, reference, None, seed=seed + round_)
        ok = np.isfinite(reference_lik) & np.isfinite(lik)
        if ok.sum() < 2:
            break
        log_weight = lik[ok] - reference_lik[ok]
        khats.append(smoothed_log_weights(log_weight)[1])
        drawn = split.drawn
        if khats[-1] < KHAT or round_ == ROUNDS or drawn.size == 0:
            break
        full = z[ok]
        variance = float(np.var(log_weight))
        back = np.repeat(full[None], len(drawn), axis=0)
        for k, i in enumerate(drawn):
            back[k, :, i] = density.held[i]
        back_lik = sampled.log_likelihood(spread(back.reshape(-1, full.shape[1]))).reshape(len(drawn), -1)
        scores = {}
        for k, i in enumerate(drawn):
            rest = back_lik[k] - reference_lik[ok]
            rest = rest[np.isfinite(rest)]
            scores[int(i)] = (variance - float(np.var(rest))) / variance if variance > 0 and rest.size > 1 else 0.0
        split = promote(split, scores, PROMOTE)
    return split, khats
