"""The users mechanism's section (:mod:`sim.model.mechanisms.users`): internet growth and user diffusion.

``population.internet`` (logistic growth of internet users) and
``platforms.<platform>.users`` (Bass diffusion of each platform among them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from ..fields import MAX_RATE, Frozen, Multiplier, People, Rate

if TYPE_CHECKING:
    from ..schema import Scenario



class InternetGrowth(Frozen):
    """Logistic growth of internet users: each non-user joins at hazard
    ``growth_rate * users / capacity`` per year."""

    initial_users: People = Field(description="Internet users on the first day (people; at most the capacity).")
    capacity: People = Field(description="Saturation level of internet users (people; at most population.total).")
    growth_rate: Rate = Field(description=f"Logistic growth rate, per year (at most {MAX_RATE:,.0f}).")


class PlatformUsers(Frozen):
    """Bass diffusion of a platform among internet users."""

    innovation: Rate = Field(description=f"Spontaneous joining hazard per internet user, per year (at most {MAX_RATE:,.0f}).")
    imitation: Rate = Field(
        description="Joining hazard per year per unit share of internet users already on the platform "
        f"(at most {MAX_RATE:,.0f})."
    )
    multihoming: Multiplier = Field(
        1.0,
        description="Hazard multiplier for users who already hold an account on another platform "
        f"(1: platforms are joined independently; at most {MAX_RATE:,.0f}).",
    )
    initial_users: People = Field(0, description="Accounts opened on launch day (people; at most "
                                  "population.internet.capacity).")


DYNAMIC_PARAMETERS = (
    "platforms.*.users.innovation",
    "platforms.*.users.imitation",
    "platforms.*.users.multihoming",
    "population.internet.growth_rate",
)
"""The users' parameters a dated event may change."""


def check(scenario: "Scenario", at_most) -> None:
    """Internet users within the population, first platform users within the internet's capacity."""
    internet = scenario.population.internet
    at_most("population.internet.capacity", internet.capacity, "population.total", scenario.population.total)
    at_most("population.internet.initial_users", internet.initial_users, "population.internet.capacity",
            internet.capacity)
    for name, platform in scenario.platforms.items():
        at_most(f"platforms.{name}.users.initial_users", platform.users.initial_users,
                "population.internet.capacity", internet.capacity)
