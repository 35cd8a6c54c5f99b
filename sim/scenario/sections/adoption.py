"""The adoption mechanism's section (:mod:`sim.model.mechanisms.adoption`): agency levels and their hazard.

``agencies.levels.<level>``: how many potential adopters, how they are
spread over provinces, whose adoption presses on them, and their hazard.
(Each platform's ``agency_appeal``, which multiplies every hazard on it, is a
field of the platform.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from ...errors import FieldError
from ..fields import MAX_AGENCIES, MAX_ELASTICITY, MAX_PEOPLE, MAX_RATE, Count, Frozen, Key, Rate

if TYPE_CHECKING:
    from ..schema import Scenario



class Hazard(Frozen):
    """Adoption hazard of one un-adopted agency, per year.

    ``w * [innovation + imitation*F_level + audience_pull*S_platform
    + regional_imitation*F_level,province + upper_tier*F_parent,province]``
    with ``F`` adopted shares, ``S`` the platform's users as a share of the
    population and ``w`` the agency's size weight (Bass 1969; Berry and Berry
    1990; Ma 2013, 2014).
    """

    innovation: Rate = Field(description=f"Spontaneous adoption hazard, per year (at most {MAX_RATE:,.0f}).")
    imitation: Rate = Field(description="Per year, per unit share of the same level already adopted (nationwide; at most "
                           f"{MAX_RATE:,.0f}).")
    regional_imitation: Rate = Field(
        0, description=f"Per year, per unit share of the same level adopted in the same province (at most {MAX_RATE:,.0f})."
    )
    upper_tier: Rate = Field(
        0, description=f"Per year, per unit share of the parent level adopted in the same province (at most {MAX_RATE:,.0f})."
    )
    audience_pull: Rate = Field(
        0, description="Per year, per unit share of the population holding an account on the platform (at most "
        f"{MAX_RATE:,.0f})."
    )
    size_elasticity: Annotated[float, Field(ge=-MAX_ELASTICITY, le=MAX_ELASTICITY, allow_inf_nan=False)] = Field(
        0, description="Exponent of population served in the agency's weight (0: size does not matter; "
        f"between -{MAX_ELASTICITY:g} and {MAX_ELASTICITY:g})."
    )


class Level(Frozen):
    """A tier or kind of potential adopters: central ministries, county bodies, officials..."""

    label: str
    kind: Literal["institution", "official"] = "institution"
    count: Count = Field(description=f"Potential adopters (bodies or officials); at most {MAX_AGENCIES:,} over all "
                         "levels.")
    spread: Literal["national", "equal", "population"] = Field(
        description="How the count is split over provinces: one national group, equally, or by population."
    )
    parent: Key | None = Field(None, description="Level whose adoption exerts upper-tier pressure.")
    population_served: Annotated[float, Field(ge=1, le=MAX_PEOPLE, allow_inf_nan=False)] = Field(
        description=f"Median population served by one adopter (people, 1 to {MAX_PEOPLE:,.0f}; fewer underflow the "
        "size weights).")
    size_dispersion: Annotated[float, Field(ge=0, le=MAX_ELASTICITY, allow_inf_nan=False)] = Field(
        0.5, description=f"Log-normal sigma of population served within the level (at most {MAX_ELASTICITY:g})."
    )
    hazard: Hazard
    source: str | None = None


class Agencies(Frozen):
    levels: dict[Key, Level] = Field(min_length=1, max_length=100, description="Agency levels (1 to 100).")


DYNAMIC_PARAMETERS = (
    "agencies.levels.*.hazard.innovation",
    "agencies.levels.*.hazard.imitation",
    "agencies.levels.*.hazard.regional_imitation",
    "agencies.levels.*.hazard.upper_tier",
    "agencies.levels.*.hazard.audience_pull",
    "platforms.*.agency_appeal",
)
"""The adoption parameters a dated event may change (not ``size_elasticity``: it sets each agency's
weight once, when the population is laid out)."""


def check(scenario: "Scenario") -> None:
    """At most :data:`MAX_AGENCIES` potential adopters; every parent a level, national under national, no cycle."""
    levels = scenario.agencies.levels
    total = sum(level.count for level in levels.values())
    if total > MAX_AGENCIES:
        largest = max(levels, key=lambda name: levels[name].count)
        raise FieldError(f"agencies.levels.{largest}.count",
                         f"expected at most {MAX_AGENCIES:,} potential adopters over all levels, got {total:,}")
    for name, level in levels.items():
        _check_parent(levels, name, level)


def _check_parent(levels: dict[str, Level], name: str, level: Level) -> None:
    if level.parent is None:
        return
    field = f"agencies.levels.{name}.parent"
    if level.parent not in levels:
        raise FieldError(field, f"expected one of the levels {sorted(levels)}, got {level.parent!r}")
    if level.spread == "national" and levels[level.parent].spread != "national":
        raise FieldError(field, "expected a national level as the parent of a national level")
    seen, current = {name}, level.parent
    while current is not None and current in levels:  # a missing ancestor is reported for its child
        if current in seen:
            raise FieldError(field, f"expected no cycle of parents, got one through {current!r}")
        seen.add(current)
        current = levels[current].parent
