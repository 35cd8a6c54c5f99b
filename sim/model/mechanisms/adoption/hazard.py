"""The adoption hazard: the one definition the engine and the mean-field twin share.

An agency ``i`` of level ``l`` in province ``r`` without an account on
platform ``k`` opens one at hazard (per day) ``w_i`` times

    exogenous:       p + a S_k                 innovation, audience pull
    level network:   q F_l                     imitation of the level nationwide (Bass 1969)
    cohort network:  rho F_lr + u F_parent,r   regional diffusion, upper-tier pressure

with every coefficient multiplied by the platform's ``agency_appeal`` (see
:func:`coefficients`).  ``F`` are adopted shares on platform ``k`` (of the
level nationwide, of the level in the province, of the parent level in the
province), ``S_k`` the platform's users as a share of the population and
``w_i`` the agency's size weight.  These are the drivers Ma (2013, 2014)
found for this very diffusion, after Berry and Berry (1990): government
size, internet penetration, regional diffusion and upper-tier pressure.

The split into three parts is how each side uses it: the engine keeps the
level-wide part (exogenous + level network, common to the whole level) and
the cohort part per province incrementally; the twin integrates the
exogenous part exactly and the network parts with an ODE.  The functions
accept floats or numpy arrays alike.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ....calendar import per_day
from ....scenario.schema import Scenario


def metric_names(scenario: Scenario) -> list[str]:
    names = []
    for platform in scenario.platforms:
        names.append(f"gov_accounts.{platform}")
        names += [f"gov_accounts.{platform}.{level}" for level in scenario.agencies.levels]
    return names


class Coefficients(NamedTuple):
    """Per-day hazard coefficients of one level on one platform (or arrays of them)."""

    innovation: float
    imitation: float
    audience_pull: float
    regional_imitation: float
    upper_tier: float
    """Zero for a level without a parent."""


def coefficients(scenario: Scenario, platform: str, level: str) -> Coefficients:
    """The coefficients in force in ``scenario``: per year in the file, per day here, times the platform's appeal."""
    hazard = scenario.agencies.levels[level].hazard
    appeal = scenario.platforms[platform].agency_appeal
    has_parent = scenario.agencies.levels[level].parent is not None
    return Coefficients(
        innovation=per_day(hazard.innovation) * appeal,
        imitation=per_day(hazard.imitation) * appeal,
        audience_pull=per_day(hazard.audience_pull) * appeal,
        regional_imitation=per_day(hazard.regional_imitation) * appeal,
        upper_tier=per_day(hazard.upper_tier) * appeal if has_parent else 0.0,
    )


def coefficient_table(scenario: Scenario, platforms: list[str], levels: list[str]) -> Coefficients:
    """:func:`coefficients` for every platform and level: arrays of shape (platforms, levels)."""
    table = np.array([[coefficients(scenario, p, lv) for lv in levels] for p in platforms], dtype=float)
    return Coefficients(*np.moveaxis(table.reshape(len(platforms), len(levels), 5), -1, 0))


def exogenous_rate(c: Coefficients, audience):
    """Innovation and audience pull, per unit weight: independent of other agencies."""
    return c.innovation + c.audience_pull * audience


def level_network_rate(c: Coefficients, level_share):
    """Imitation of the level nationwide, per unit weight."""
    return c.imitation * level_share


def cohort_network_rate(c: Coefficients, cohort_share, parent_share):
    """Regional diffusion and upper-tier pressure in the agency's province, per unit weight."""
    return c.regional_imitation * cohort_share + c.upper_tier * parent_share


def hazard(c: Coefficients, audience, level_share, cohort_share, parent_share):
    """The whole hazard per unit weight."""
    return (exogenous_rate(c, audience) + level_network_rate(c, level_share)
            + cohort_network_rate(c, cohort_share, parent_share))
