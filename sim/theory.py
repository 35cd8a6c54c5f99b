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

