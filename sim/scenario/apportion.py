"""How a level's count of potential adopters is split over provinces.

The split is part of what a scenario *says* (a named account needs a body of
its level in its province, which validation checks), so it lives with the
scenario, and the model's population and its mean-field twin both read it
from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..arrays import jax_numpy

if TYPE_CHECKING:
    from .schema import Scenario

NATIONAL = "national"
"""Pseudo-province of bodies with national scope (central ministries)."""


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (Hamilton's method).

    Ties in the remainders go to the earlier entry, so the split is a pure
    function of its inputs.  A traced ``total`` (the compiled twin's, a whole number) gives the same
    split as floats, with the gradient of the proportional quotas (straight through the rounding).
    """
    xp = jax_numpy(total)
    if xp is not None:
        import jax

        quotas = total * xp.asarray(weights, dtype=float) / xp.sum(xp.asarray(weights, dtype=float))
        floors = xp.floor(quotas)
        rank = xp.argsort(xp.argsort(-(quotas - floors), stable=True), stable=True)
        counts = floors + (rank < total - xp.sum(floors))
        return quotas + jax.lax.stop_gradient(counts - quotas)
    weights = np.asarray(weights, dtype=float)
    quotas = total * weights / weights.sum()
    counts = np.floor(quotas).astype(np.int64)
    shortfall = total - int(counts.sum())
    order = np.argsort(-(quotas - counts), kind="stable")
    counts[order[:shortfall]] += 1
    return counts


def level_provinces(scenario: "Scenario", level_name: str) -> tuple[list[str], np.ndarray]:
    """Provinces of a level and its count in each: one national group, equal shares, or by population."""
    level = scenario.agencies.levels[level_name]
    if level.spread == "national":
        xp = jax_numpy(level.count)
        return [NATIONAL], (np.array([level.count], dtype=np.int64) if xp is None else xp.reshape(level.count, (1,)))
    names = list(scenario.provinces)
    if level.spread == "equal":
        weights = np.ones(len(names))
    else:
        weights = np.array([scenario.provinces[n].population for n in names], dtype=float)
    return names, largest_remainder(level.count, weights)
