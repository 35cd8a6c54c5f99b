"""Closed forms the stochastic engine is tested against.

Bass, F. M. (1969). A new product growth for model consumer durables.
Management Science 15(5), 215-227: the share of a well-mixed population that
has adopted by time ``t``, with innovation ``p`` and imitation ``q``,

    F(t) = (1 - exp(-(p+q) t)) / (1 + (q/p) exp(-(p+q) t)).

With ``q = 0`` it is the exponential ``1 - exp(-p t)``.
"""

from __future__ import annotations

import numpy as np


def bass_share(t, innovation: float, imitation: float = 0.0):
    """Share adopted by time ``t`` (same units as the reciprocal of the rates)."""
    t = np.asarray(t, dtype=float)
    p, q = innovation, imitation
    if p <= 0:
        return np.zeros_like(t)
    decay = np.exp(-(p + q) * t)
    return (1 - decay) / (1 + (q / p) * decay)


def bass_difference_recursion(steps: int, innovation: float, imitation: float, dt: float,
                              start: float = 0.0) -> np.ndarray:
    """Mean share under a tau-leap that freezes the hazard over each step.

    ``x' = x + (1 - x) (1 - exp(-(p + q x) dt))``: the expectation of the
    aggregate step of :mod:`sim.model.users` in the large-population limit.
    Returns the share after each of ``steps`` steps.
    """
    x = start
    out = np.empty(steps)
    for i in range(steps):
        x = x + (1 - x) * -np.expm1(-(innovation + imitation * x) * dt)
        out[i] = x
    return out
