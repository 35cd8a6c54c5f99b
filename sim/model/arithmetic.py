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


def fmin(a, b):
    """The smaller of ``a`` and ``b``, ignoring NaN (numpy's ``fmin``): ``fmin(nan, 1) = 1``."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.fmin(a, b)
    if a != a:
        return b
    return a if a < b or b != b else b


def log1p(x):
    return np.log1p(x) if isinstance(x, np.ndarray) else math.log1p(x)


def log1p_ratio(z):
    """``log(1 + z) / z`` for ``z >= 0``, 1 at ``z = 0`` (its limit; exact to the last bit above about 1e-284)."""
    z = z + TINY
    return log1p(z) / z


def where(condition, a, b):
    """``a`` where ``condition`` holds, ``b`` elsewhere: a regime chosen per member of a batch, or for one state.

    Both values are computed whatever the condition, so each must be defined (finite or NaN) everywhere.
    """
    if isinstance(condition, np.ndarray):
        return np.where(condition, a, b)
    return a if condition else b


def any_(condition) -> bool:
    """True if ``condition`` holds for one member at least (a float's condition is a bool)."""
    return bool(condition.any()) if isinstance(condition, np.ndarray) else bool(condition)


def divide_where(numerator, denominator, condition, default=0.0):
    """``numerator / denominator`` where ``condition`` holds, ``default`` elsewhere, never dividing elsewhere."""
    if isinstance(condition, np.ndarray):
        return np.where(condition, numerator / np.where(condition, denominator, 1.0), default)
    return numerator / denominator if condition else default


def defined_ratio(numerator, denominator):
    """``numerator / denominator`` where the denominator is positive; undefined elsewhere: None for one state
    (what the engine passes on), NaN in an array over a batch."""
    if isinstance(denominator, np.ndarray) or isinstance(numerator, np.ndarray):
        return divide_where(numerator, denominator, np.asarray(denominator) > 0, math.nan)
    return numerator / denominator if denominator > 0 else None


def batch_of(values):
    """A parameter of the members of a batch: the float itself for a batch of one, an array over the batch otherwise."""
    return float(values[0]) if len(values) == 1 else np.asarray(values, dtype=float)
