"""The synthetic agency population built from a scenario.

Each level's ``count`` of potential adopters is split over provinces
(nationally, equally, or in proportion to population, by largest remainders
so the split is exact and deterministic).  Every agency keeps an identity, a
level, a province and the population it serves, drawn log-normally around the
level's median (stream ``population``).  Its *size weight*
``(served / mean served) ** size_elasticity`` multiplies its adoption hazard:
larger governments adopted earlier (Ma 2013, 2014).

Agencies of one level in one province form a *cohort*: alike in everything
but their weight, so they share one hazard per unit weight.  Named accounts
(e.g. Shanghai City) are *pinned* to the first agency of their cohort and adopt
on their own date instead of through the race.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.apportion import NATIONAL, level_provinces
from ..scenario.schema import Scenario


@dataclass(frozen=True)
class Cohort:
    """Agencies of one level in one province."""

    level: int
    province: str
    agencies: np.ndarray
    """Global agency indices, the pinned ones first."""


@dataclass(frozen=True)
class AgencyPopulation:
    level_names: tuple[str, ...]
    level_of: np.ndarray
    province_of: np.ndarray
    """Index into :attr:`province_names`."""
    province_names: tuple[str, ...]
    serial: np.ndarray
    """Number of the agency within its cohort (for readable identities)."""
    population_served: np.ndarray
    weight: np.ndarray
    cohorts: tuple[tuple[Cohort, ...], ...]
    """``cohorts[level]``: the level's cohorts, one per province it spans."""
    pinned: dict[str, int]
    """Named account -> agency index."""

    @property
    def size(self) -> int:
        return int(self.level_of.size)


def build_population(scenario: Scenario, rng: np.random.Generator) -> AgencyPopulation:
    """Lay out every potential adopter of every level (no randomness but sizes)."""
    province_names = (*scenario.provinces, NATIONAL)
    province_index = {name: i for i, name in enumerate(province_names)}
    pins: dict[tuple[str, str], list[str]] = {}
    for name, account in scenario.accounts.items():
        pins.setdefault((account.level, account.province), []).append(name)

    level_of, province_of, serial, served, weight = [], [], [], [], []
    cohorts: list[tuple[Cohort, ...]] = []
    pinned: dict[str, int] = {}
    start = 0
    for li, (level_name, level) in enumerate(scenario.agencies.levels.items()):
        names, counts = level_provinces(scenario, level_name)
        n = int(counts.sum())
        sizes = level.population_served * np.exp(level.size_dispersion * rng.standard_normal(n))
        w = sizes ** level.hazard.size_elasticity
        w = w / w.mean() if n else w
        served.append(sizes)
        weight.append(w)
        level_cohorts = []
        offset = start
        for province, count in zip(names, counts.tolist()):
            ids = np.arange(offset, offset + count, dtype=np.int64)
            for k, account in enumerate(pins.get((level_name, province), [])):
                if k >= count:
                    raise ValueError(f"account {account!r}: level {level_name!r} has no free agency in {province!r}")
                pinned[account] = int(ids[k])
            level_cohorts.append(Cohort(level=li, province=province, agencies=ids))
            level_of.append(np.full(count, li, dtype=np.int16))
            province_of.append(np.full(count, province_index[province], dtype=np.int16))
            serial.append(np.arange(count, dtype=np.int32))
            offset += count
        cohorts.append(tuple(level_cohorts))
        start += n

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    return AgencyPopulation(
        level_names=tuple(scenario.agencies.levels),
        level_of=cat(level_of, np.int16),
        province_of=cat(province_of, np.int16),
        province_names=province_names,
        serial=cat(serial, np.int32),
        population_served=cat(served, float),
        weight=cat(weight, float),
        cohorts=tuple(cohorts),
        pinned=pinned,
    )
