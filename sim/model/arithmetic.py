"""Arithmetic on a float, a numpy array or a jax array alike, for the rate functions every view shares.

The engine evaluates a mechanism's rates on one state at a time (floats, where
``math`` is ten times faster than numpy); the numpy twin evaluates them on one
state or on a batch of parameter sets at once (numpy arrays); the compiled twin
(:mod:`sim.model.compiled`) traces them under ``jax.jit`` (jax arrays, tracers
included).  Rate functions written with these helpers serve all three without
a second definition.

Under jax two things differ, both for the gradients a sampler takes:

* a function with a removable singularity (``(1 - exp(-h)) / h`` at ``h = 0``) is
  evaluated on a safe argument wherever its series is used instead, so that the
  branch ``where`` discards cannot send NaN into the gradient (the "double where"
  of the jax FAQ);
* :func:`any_` cannot look at traced values, so it answers True and both branches
  are computed; the ``where`` that follows chooses, member by member, as in numpy.

jax is never imported here (:mod:`sim.arrays`).
"""

from __future__ import annotations

import math

import numpy as np

from ..arrays import jax_numpy, namespace

TINY = 1e-300
"""Added to a total hazard before dividing by it: ``-expm1(-(h + TINY)) / (h + TINY)`` is 1 at ``h = 0``
(its limit) and unchanged, to the last bit, for any hazard above about 1e-284."""

SMALL = 1e-8
"""Below this argument the jax branch of a function with a removable singularity takes its series (two
terms: relative error below 1e-16)."""


def _is_numpy(*values) -> bool:
    return any(isinstance(value, np.ndarray) for value in values)


def expm1(x):
    if isinstance(x, np.ndarray):
        return np.expm1(x)
    xp = jax_numpy(x)
    return xp.expm1(x) if xp is not None else math.expm1(x)


def exp(x):
    if isinstance(x, np.ndarray):
        return np.exp(x)
    xp = jax_numpy(x)
    return xp.exp(x) if xp is not None else math.exp(x)


def log1p(x):
    if isinstance(x, np.ndarray):
        return np.log1p(x)
    xp = jax_numpy(x)
    return xp.log1p(x) if xp is not None else math.log1p(x)


def maximum(a, b):
    if _is_numpy(a, b):
        return np.maximum(a, b)
    xp = jax_numpy(a, b)
    if xp is not None:
        return xp.maximum(a, b)
    return a if a > b else b


def minimum(a, b):
    if _is_numpy(a, b):
        return np.minimum(a, b)
    xp = jax_numpy(a, b)
    if xp is not None:
        return xp.minimum(a, b)
    return a if a < b else b


def fraction_leaving(total_hazard, dt: float = 1.0):
    """``(1 - exp(-H dt)) / H``: the share of a state leaving within ``dt`` per unit of hazard (``dt`` at H = 0)."""
    xp = jax_numpy(total_hazard)
    if xp is not None:
        small = total_hazard * dt < SMALL
        safe = xp.where(small, 1.0, total_hazard)
        return xp.where(small, dt * (1.0 - 0.5 * total_hazard * dt), -xp.expm1(-safe * dt) / safe)
    total = total_hazard + TINY
    return -expm1(-total * dt) / total


def fmin(a, b):
    """The smaller of ``a`` and ``b``, ignoring NaN (numpy's ``fmin``): ``fmin(nan, 1) = 1``."""
    if _is_numpy(a, b):
        return np.fmin(a, b)
    xp = jax_numpy(a, b)
    if xp is not None:
        return xp.fmin(a, b)
    if a != a:
        return b
    return a if a < b or b != b else b


def log1p_ratio(z):
    """``log(1 + z) / z`` for ``z >= 0``, 1 at ``z = 0`` (its limit; exact to the last bit above about 1e-284)."""
    xp = jax_numpy(z)
    if xp is not None:
        small = z < SMALL
        safe = xp.where(small, 1.0, z)
        return xp.where(small, 1.0 - 0.5 * z, xp.log1p(safe) / safe)
    z = z + TINY
    return log1p(z) / z


def isnan(x):
    """True where ``x`` is NaN (a float, or elementwise)."""
    return x != x


def where(condition, a, b):
    """``a`` where ``condition`` holds, ``b`` elsewhere: a regime chosen per member of a batch, or for one state.

    Both values are computed whatever the condition, so each must be defined (finite or NaN) everywhere.
    """
    if isinstance(condition, np.ndarray):
        return np.where(condition, a, b)
    xp = jax_numpy(condition)
    if xp is not None:
        return xp.where(condition, a, b)
    return a if condition else b


def any_(condition) -> bool:
    """True if ``condition`` holds for one member at least (a float's condition is a bool); always True for a
    traced condition, whose values are not known while tracing (both branches are then computed)."""
    if isinstance(condition, np.ndarray):
        return bool(condition.any())
    if jax_numpy(condition) is not None:
        return True
    return bool(condition)


def divide_where(numerator, denominator, condition, default=0.0):
    """``numerator / denominator`` where ``condition`` holds, ``default`` elsewhere, never dividing elsewhere."""
    if isinstance(condition, np.ndarray):
        return np.where(condition, numerator / np.where(condition, denominator, 1.0), default)
    xp = jax_numpy(condition)
    if xp is not None:
        return xp.where(condition, numerator / xp.where(condition, denominator, 1.0), default)
    return numerator / denominator if condition else default


def defined_ratio(numerator, denominator):
    """``numerator / denominator`` where the denominator is positive; undefined elsewhere: None for one state
    (what the engine passes on), NaN in an array over a batch."""
    if _is_numpy(denominator, numerator) or jax_numpy(denominator, numerator) is not None:
        return divide_where(numerator, denominator, namespace(numerator, denominator).asarray(denominator) > 0,
                            math.nan)
    return numerator / denominator if denominator > 0 else None


def count(value):
    """A count read from a scenario as a float: ``float(int(value))`` for a number, a traced count as it is (the
    compiled twin rounds counts where it substitutes them)."""
    return value if jax_numpy(value) is not None else float(int(value))


def batch_of(values):
    """A parameter of the members of a batch: the float itself for a batch of one, an array over the batch
    otherwise (a traced value of one member stays as it is)."""
    if len(values) == 1:
        return values[0] if jax_numpy(values[0]) is not None else float(values[0])
    return np.asarray(values, dtype=float)
