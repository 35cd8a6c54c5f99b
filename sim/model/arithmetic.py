"""Arithmetic on a float or on a numpy array alike, for the rate functions both views share.

The engine evaluates a mechanism's rates on one state at a time (floats, where
``math`` is ten times faster than numpy); the twin evaluates them on one
state or on a batch of parameter sets at once (arrays).  Rate functions
written with these helpers serve both without a second definition.
"""

from __future__ import annotations

import math

import numpy as np

TINY = 1e-300
"""Added to a total hazard before dividing by it: ``-expm1(-(h + TINY)) / (h + TINY)`` is 1 at ``h = 0``
(its limit) and unchanged, to the last bit, for any hazard above about 1e-284."""


def expm1(x):
    return np.expm1(x) if isinstance(x, np.ndarray) else math.expm1(x)


def exp(x):
    return np.exp(x) if isinstance(x, np.ndarray) else math.exp(x)


def maximum(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.maximum(a, b)
    return a if a > b else b


def minimum(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.minimum(a, b)
    return a if a < b else b


def fraction_leaving(total_hazard, dt: float = 1.0):
    """``(1 - exp(-H dt)) / H``: the share of a state leaving within ``dt`` per unit of hazard (``dt`` at H = 0)."""
    total = total_hazard + TINY
    return -expm1(-total * dt) / total
