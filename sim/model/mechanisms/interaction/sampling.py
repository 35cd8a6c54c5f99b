"""Ordinary accounts: a simple random sample per level, scaled up with its standard error.

Tens of thousands of agencies may open accounts; each account's desk is a
queue with shifts, which no batch process reproduces exactly (a level's
accounts do not pool their staff, so their sum is not one bigger queue).  So a
level is represented by ``n`` of its agencies, drawn at the start of a run by
simple random sampling without replacement from the level's agencies (named
accounts excluded: they are simulated and reported on their own).  Each
sampled agency runs its own desk, in full, from the day after it opens an
account (its accounts on the platforms it joins share that desk).  A level
total is the Horvitz-Thompson estimate ``N / n * sum of the sampled values``
(agencies without an account contribute 0), unbiased over the sampling
design, with standard error ``N sqrt((1 - n / N) s^2 / n)`` (Cochran,
*Sampling Techniques*, 3rd ed., 1977, theorem 2.2), ``s^2`` the sample
variance.  Its cost is ``n`` desks per level whatever the level's size; a
larger ``n`` trades speed for a smaller standard error, which the metrics
report (``*.se``) so the trade is visible.
"""

from __future__ import annotations

import math
import numpy as np


def draw_sample(frame: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` members of ``frame`` (all of it if smaller), without replacement, in frame order."""
    if n >= frame.size:
        return frame.copy()
    return np.sort(rng.choice(frame, size=n, replace=False))


def scale_up(values, frame: int) -> tuple:
    """(estimated total, its standard error) from a simple random sample of a frame.

    ``values`` holds the sampled members along its first axis (a list, or an
    array whose other axes are, say, days: the estimates then come per day).
    With a single member the standard error is undefined (NaN); with the whole
    frame it is 0.
    """
    values = np.asarray(values, dtype=float)
    n = values.shape[0] if values.ndim else 0
    if n == 0 or frame == 0:
        zero = np.zeros(values.shape[1:]) if values.ndim > 1 else 0.0
        return zero, zero
    total = frame * values.mean(axis=0)
    if n == 1:
        return total, np.full(values.shape[1:], np.nan) if values.ndim > 1 else math.nan
    variance = values.var(axis=0, ddof=1)
    return total, frame * np.sqrt(max(0.0, 1 - n / frame) * variance / n)
