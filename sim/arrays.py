"""Which array library a value belongs to: plain numbers, numpy, or jax (the compiled twin's traced values).

jax is never imported here: a value is a jax array only if jax is already loaded, so the engine, which never
uses jax, pays one type check per call and no import.
"""

from __future__ import annotations

import sys

import numpy as np

_PLAIN = (float, int, bool)


def jax_numpy(*values):
    """``jax.numpy`` if one of ``values`` is a jax array (a tracer under ``jit`` or ``vmap`` included), else None."""
    jax = sys.modules.get("jax")
    if jax is None:
        return None
    for value in values:
        if type(value) not in _PLAIN and isinstance(value, jax.Array):
            return jax.numpy
    return None


def namespace(*values):
    """The array namespace of ``values``: ``jax.numpy``, or ``numpy`` (also for plain numbers)."""
    return jax_numpy(*values) or np
