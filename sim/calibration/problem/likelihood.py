"""The likelihood of the reported figures given the model: one noise model for search and posterior.

Following Kennedy and O'Hagan (2001, "Bayesian calibration of computer
models", JRSS B 63(3)), a reported figure ``y_j`` is the model's value plus
three separate terms, all in log space (the figures span eight decades, and
their tolerances are relative):

    log y_j = log m_j(theta) + delta_j + eps_j

* ``m_j(theta)``: the model's expected value (the stochastic model's mean; the
  mean-field twin corrected to it, :mod:`sim.calibration.bayes.stage`), known only up to its
  own error ``u_j`` (the Monte Carlo error of a replication mean, or the
  twin's departure from the stochastic mean);
* ``delta_j``: the model discrepancy, ``N(0, d_j^2)`` with two parts: the
  model's *intrinsic* variability (the figure is one history, the model's mean
  is not: the log standard deviation ``r_j`` of single runs, never below the
  Poisson ``1/sqrt(m_j)`` of a count) and a *structural* error ``s`` set in the
  spec (``likelihood.discrepancy``): the model claims no more precision than
  that for any aggregate;
* ``eps_j``: the figure's own noise ``f_j``: its tolerance read as the
  half-width of a 90% interval, ``log(1 + tolerance) / 1.645``, and its
  absolute ``sd`` if it states one (``sd / value``), never below the rounding
  precision of a reported figure.

The total ``sigma_j^2 = f_j^2 + s^2 + r_j^2 + u_j^2`` enters by kind:

* ``equal``: ``log y_j ~ N(log m_j, sigma_j^2)``;
* ``at_least`` / ``at_most``: the figure says only that the truth is beyond a
  bound ``b``: ``P = Phi((log m_j - log b) / sigma_j)`` (or its mirror), a
  smooth step in log space;
* ``interval``: the truth lies in ``[lo, hi]``, known up to soft edges: the
  box convolved with the noise, ``Phi((x - log lo)/sigma) - Phi((x - log
  hi)/sigma)``, ``x = log m_j``;
* ``more_than``: a rounded "more than N", read as the range from N to the next
  round number a reporter would have written
  (:func:`sim.targets.next_round`): the same soft-edged box.  Its lower edge
  is the reporter's, its upper one a reading of the convention, and both are
  as soft as the model's noise makes them; how much the upper edge matters is
  shown by the report's sensitivity analysis (:mod:`sim.calibration.bayes.sensitivity`).

For one-sided and interval figures the tolerance is slack on the bound (as in
:meth:`sim.targets.Target.bounds`), not noise, so ``f_j`` there is ``sd`` and
the precision floor only: the edge's softness.

The search minimises the deviance ``-2 log L`` relative to each figure's best
attainable value, as a sum of squared *deviance residuals* (so least squares
applies): ``(x - log y)/sigma`` for ``equal``, ``sqrt(-2 log(P / P_max))``
signed by the side for the others.  Each figure's ``weight`` multiplies its
term (weight 0 drops it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.special import log_ndtr

from ...targets import Target

Z90 = 1.6448536269514722
"""Standard normal quantile of 0.95: a tolerance is read as a 90% half-width."""

EQUAL, AT_LEAST, AT_MOST, INTERVAL = 0, 1, 2, 3
_KINDS = {"equal": EQUAL, "at_least": AT_LEAST, "at_most": AT_MOST, "interval": INTERVAL, "more_than": INTERVAL}
_LOWER = ("at_least", "interval", "more_than")
"""Kinds with a lower bound in the likelihood."""
_UPPER = ("at_most", "interval", "more_than")
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_TINY = 1e-300


@dataclass(frozen=True)
class Figures:
    """The targets as arrays, for the likelihood of a batch of model values ``(..., T)``."""

    kind: np.ndarray
    centre: np.ndarray
    """log of the figure (equal), of the bound (one-sided), of the interval's centre."""
    low: np.ndarray
    """log of the lower bound (at_least, interval, more_than); -inf otherwise."""
    high: np.ndarray
    """log of the upper bound (at_most, interval, more_than); +inf otherwise."""
    own_sd: np.ndarray
    """``f_j``: each figure's own noise, log units."""
    weights: np.ndarray

    @classmethod
    def of(cls, targets: Sequence[Target], precision: float) -> "Figures":
        # A zero-width interval is a point figure.
        kind = np.array([EQUAL if t.kind == "interval" and t.low == t.high else _KINDS[t.kind] for t in targets])
        low = np.array([math.log(t.bounds[0]) if t.kind in _LOWER else -math.inf for t in targets])
        high = np.array([math.log(t.bounds[1]) if t.kind in _UPPER else math.inf for t in targets])
        centre = np.array([math.log(t.value) if t.kind == "equal" else math.log(t.low) if k == EQUAL else
                           (lo + hi) / 2 if t.two_sided else (lo if t.kind == "at_least" else hi)
                           for t, k, lo, hi in zip(targets, kind, low, high)])
        return cls(kind=kind, centre=centre, low=low, high=high, own_sd=figure_sd(targets, precision),
                   weights=np.array([t.weight for t in targets], dtype=float))

    def __len__(self) -> int:
        return len(self.kind)

    def sigma(self, values: np.ndarray, *, structural: float | np.ndarray = 0.0, intrinsic: np.ndarray | float = 0.0,
              surrogate: np.ndarray | float = 0.0, one_history: bool = True) -> np.ndarray:
        """Total ``sigma_j`` (log units) at model values ``values`` (``(..., T)``); without ``one_history`` (the
        figures are means of many histories, as synthetic ones are) no intrinsic part."""
        values = np.asarray(values, float)
        poisson = 1.0 / np.maximum(values, _TINY)  # the variance of log N for a count N, at least
        intrinsic2 = np.maximum(np.square(intrinsic), poisson) if one_history else 0.0
        return np.sqrt(self.own_sd ** 2 + np.square(structural) + intrinsic2 + np.square(surrogate))

    def log_terms(self, values: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """Each figure's log-likelihood ``log L_j`` (unweighted), ``(..., T)``; normalised densities for
        ``equal`` figures (their ``-log sigma`` depends on the model), probabilities for the others."""
        x = np.log(np.maximum(np.asarray(values, float), _TINY))
        sigma = np.broadcast_to(sigma, x.shape)
        out = np.empty(x.shape)
        kind = np.broadcast_to(self.kind, x.shape)
        eq = kind == EQUAL
        u = (x - self.centre) / sigma
        out[eq] = -0.5 * u[eq] ** 2 - np.log(sigma[eq]) - _HALF_LOG_2PI
        lo = kind == AT_LEAST
        out[lo] = log_ndtr(((x - self.low) / sigma)[lo])
        hi = kind == AT_MOST
        out[hi] = log_ndtr(((self.high - x) / sigma)[hi])
        box = kind == INTERVAL
        if box.any():
            a = ((x - self.low) / sigma)[box]
            b = ((x - self.high) / sigma)[box]
            out[box] = _log_ndtr_difference(a, b)
        return out

    def best_log_terms(self, sigma: np.ndarray) -> np.ndarray:
        """``log L_j`` at the best model value for each figure (its deviance's zero)."""
        sigma = np.asarray(sigma, float)
        kind = np.broadcast_to(self.kind, sigma.shape)
        width = np.broadcast_to(np.where(self.kind == INTERVAL, self.high - self.low, 0.0), sigma.shape)
        half = width / 2 / sigma
        best = np.zeros(sigma.shape)
        eq = kind == EQUAL
        best[eq] = -np.log(sigma[eq]) - _HALF_LOG_2PI
        box = kind == INTERVAL
        best[box] = _log_ndtr_difference(half[box], -half[box])
        return best

    def log_likelihood(self, values: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """``sum_j w_j log L_j`` over the last axis."""
        return np.sum(self.weights * self.log_terms(values, sigma), axis=-1)

    def deviance_residuals(self, values: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """Signed ``sqrt(w_j * 2 (log L_j,max - log L_j))``: their squares sum to the weighted deviance."""
        values = np.asarray(values, float)
        sigma = np.broadcast_to(sigma, values.shape)
        deviance = np.maximum(2.0 * (self.best_log_terms(sigma) - self.log_terms(values, sigma)), 0.0)
        x = np.log(np.maximum(values, _TINY))
        sign = np.where(x >= self.centre, 1.0, -1.0)
        sign = np.where(self.kind == AT_LEAST, -1.0, np.where(self.kind == AT_MOST, 1.0, sign))
        return sign * np.sqrt(self.weights * deviance)


def _log_ndtr_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(a) - Phi(b))`` for ``a >= b``, stable in both tails."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    upper = b > 0  # both in the upper tail: use the survival functions Phi(-b) - Phi(-a)
    big = np.where(upper, log_ndtr(-b), log_ndtr(a))
    small = np.where(upper, log_ndtr(-a), log_ndtr(b))
    with np.errstate(divide="ignore"):
        return big + np.log1p(-np.exp(np.minimum(small - big, 0.0)))


def figure_sd(targets: Sequence[Target], precision: float) -> np.ndarray:
    """``f_j``: each figure's own noise in log units (see the module docstring)."""
    floor = math.log1p(precision) / Z90
    out = []
    for t in targets:
        absolute = (t.sd / t.value) if t.sd is not None else 0.0
        tolerance = math.log1p(t.tolerance) / Z90 if t.kind == "equal" else 0.0
        out.append(max(math.hypot(tolerance, absolute), floor))
    return np.array(out)
