"""The scenario format: frozen, validated data.

A scenario says everything a run needs: the horizon, the seed, the people,
the platforms, the agencies and their adoption hazard, the named accounts,
the dated events and the outputs.  It is built once, at load
(:meth:`Scenario.from_yaml`), and never changed afterwards; experiments derive
new scenarios with :meth:`Scenario.with_overrides`.

Units
-----
* Agency and user hazard coefficients are **per year** (per agency, or per
  internet user); the engine converts them to per day.
* Following rates are **per day**, as their field names say, because a launch
  burst lasts days, not years.
* Populations and counts are people or bodies, never thousands or millions.

Unknown keys are errors (``extra="forbid"``): a typo must never fall back to a
default silently.

Bounds
------
Every number is bounded by what the model can run with, and each bound is
stated in the field's description and in the error: rates at most
:data:`MAX_RATE`, people at most :data:`MAX_PEOPLE`, at most
:data:`MAX_AGENCIES` potential adopters over all levels, :data:`MAX_PLATFORMS`
platforms, a horizon of at most :data:`MAX_DAYS` days.
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from ..errors import FieldError
from ..files import os_path
from . import paths
from .apportion import NATIONAL, level_provinces

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
"""Names of platforms, provinces, levels, accounts, events: they become parts
of metric names (``gov_accounts.sina.county``), so lower-case snake case."""

ScenarioName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
FilePath = Annotated[str, StringConstraints(min_length=1), AfterValidator(os_path)]
"""A file named in an input file: a path the operating system can take (no NUL byte, names of at most
255 bytes), checked at validation so the error names the field."""
MAX_RATE = 1e6
"""Largest rate or multiplier (per year, or per day for following rates).  A hazard of a million per
year is an adoption within a minute; larger values mean nothing more and overflow products of rates."""
MAX_PEOPLE = 1e10
"""Largest number of people anywhere in a scenario: ten billion, above the world's population."""
MAX_AGENCIES = 10_000_000
"""Most potential adopters over all levels: each costs about 100 bytes per platform in a run
(the baseline has 578,428; ten times that runs in under 10 s)."""
MAX_PLATFORMS = 8
"""Most platforms: users are counted by the set of platforms they are on, 2**platforms states."""
MAX_DAYS = 36_525
"""Longest horizon, in days (100 years): the model records every metric every day."""
MAX_ELASTICITY = 10.0
"""Largest size elasticity (either sign) and size dispersion keep size weights within floating point."""

Rate = Annotated[float, Field(ge=0, le=MAX_RATE, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
People = Annotated[float, Field(ge=0, le=MAX_PEOPLE, allow_inf_nan=False)]
Multiplier = Annotated[float, Field(ge=0, le=MAX_RATE, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=MAX_AGENCIES)]
PeopleCount = Annotated[int, Field(gt=0, le=int(MAX_PEOPLE))]

class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Horizon(Frozen):
    """The simulated calendar span, both ends included.

    Model time is in days (float) from ``start``; day ``d`` covers ``[d, d + 1)``
    and daily outputs are the state at the end of each day.
    """

    start: dt.date = Field(description="First simulated day (ISO date).")
    end: dt.date = Field(description=f"Last simulated day (ISO date), included; at most {MAX_DAYS:,} days "
                         "after the start.")

    @property
    def days(self) -> int:
        """Number of simulated calendar days (the end day included)."""
        return (self.end - self.start).days + 1

    def day(self, date: dt.date) -> int:
        """Index of ``date``: 0 for the first day of the horizon."""
        return (date - self.start).days

    def dates(self):
        """Every date of the horizon as ``numpy.datetime64[D]``."""
        return np.datetime64(self.start, "D") + np.arange(self.days)

    @model_validator(mode="after")
    def _ordered(self) -> "Horizon":
        if self.end <= self.start:
            raise FieldError("horizon.end", f"expected a date after horizon.start ({self.start}), got {self.end}",
                             alternatives=(("horizon.start", f"expected a date before horizon.end ({self.end}), "
                                                             f"got {self.start}"),))
        days = (self.end - self.start).days + 1
        if days > MAX_DAYS:
            raise FieldError("horizon.end", f"expected a horizon of at most {MAX_DAYS:,} days, got {days:,}",
                             alternatives=(("horizon.start", f"expected a horizon of at most {MAX_DAYS:,} days, "
                                                             f"got {days:,}"),))
        return self


class InternetGrowth(Frozen):
    """Logistic growth of internet users: each non-user joins at hazard
    ``growth_rate * users / capacity`` per year."""

    initial_users: People = Field(description="Internet users on the first day (people; at most the capacity).")
    capacity: People = Field(description="Saturation level of internet users (people; at most population.total).")
    growth_rate: Rate = Field(description=f"Logistic growth rate, per year (at most {MAX_RATE:,.0f}).")


class Population(Frozen):
    total: PeopleCount = Field(description=f"Resident population (people, at most {MAX_PEOPLE:,.0f}).")
    internet: InternetGrowth


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


class Platform(Frozen):
    label: str
    launch: dt.date = Field(description="Date the platform opens to users and agencies.")
    users: PlatformUsers
    agency_appeal: Multiplier = Field(
        1.0, description=f"Multiplier of every agency's adoption hazard on this platform (at most {MAX_RATE:,.0f})."
    )
    source: str | None = None


class Province(Frozen):
    label: str | None = None
    population: PeopleCount = Field(description=f"Resident population (people, at most {MAX_PEOPLE:,.0f}).")


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
    population_served: Annotated[float, Field(gt=0, le=MAX_PEOPLE, allow_inf_nan=False)] = Field(
        description=f"Median population served by one adopter (people, above 0, at most {MAX_PEOPLE:,.0f}).")
    size_dispersion: Annotated[float, Field(ge=0, le=MAX_ELASTICITY, allow_inf_nan=False)] = Field(
        0.5, description=f"Log-normal sigma of population served within the level (at most {MAX_ELASTICITY:g})."
    )
    hazard: Hazard
    source: str | None = None


class Agencies(Frozen):
    levels: dict[Key, Level] = Field(min_length=1, max_length=100, description="Agency levels (1 to 100).")


class AccountOnPlatform(Frozen):
    """Following of a named account on one platform.

    Each micro-blogger of the platform within the account's reach who does
    not yet follow it starts following at hazard
    ``steady_rate_per_day + launch_rate_per_day * exp(-age / launch_decay_days)``.
    """

    reach: Share = Field(description="Share of the platform's micro-bloggers who may follow the account.")
    launch_rate_per_day: Rate = Field(description=f"Extra follow hazard at launch, per day (at most {MAX_RATE:,.0f}).")
    launch_decay_days: Annotated[float, Field(gt=0, le=MAX_DAYS, allow_inf_nan=False)] = Field(
        description=f"E-folding time of the launch burst, days (above 0, at most {MAX_DAYS:,})."
    )
    steady_rate_per_day: Rate = Field(description=f"Follow hazard after the burst, per day (at most {MAX_RATE:,.0f}).")


class NamedAccount(Frozen):
    label: str
    level: Key = Field(description="Agency level the account's owner belongs to.")
    province: Key = Field(description="Province of the owner ('national' for national bodies).")
    launch: dt.date
    platforms: dict[Key, AccountOnPlatform] = Field(min_length=1)
    source: str | None = None


class Change(Frozen):
    """One parameter change: exactly one of ``multiply``, ``add``, ``set``."""

    path: str = Field(description="Dotted path of a time-varying parameter; '*' matches any key.")
    multiply: Multiplier | None = None
    add: Finite | None = None
    set: Finite | None = None

    @field_validator("path")
    @classmethod
    def _dotted(cls, path: str) -> str:
        return paths.check(path)

    @model_validator(mode="after")
    def _one_operation(self) -> "Change":
        given = [op for op in ("multiply", "add", "set") if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of multiply, add, set; got {given or 'none'}")
        return self

    def apply(self, value: float) -> float:
        if self.multiply is not None:
            return value * self.multiply
        if self.add is not None:
            return value + self.add
        return float(self.set)


class Event(Frozen):
    """A dated change of parameters, e.g. a policy push."""

    date: dt.date
    enabled: bool = True
    description: str | None = None
    source: str | None = None
    changes: list[Change] = Field(min_length=1, max_length=1000)


class Outputs(Frozen):
    targets: FilePath | None = Field(None, description="Targets file shown as markers on figures.")
    adoptions: bool = Field(True, description="Write adoptions.csv (one row per account).")
    figures: bool = Field(True, description="Draw figures after a run.")
    metrics: list[str] = Field(["*"], min_length=1, description="Glob patterns of metrics to write.")


DYNAMIC_PARAMETERS = (
    "agencies.levels.*.hazard.innovation",
    "agencies.levels.*.hazard.imitation",
    "agencies.levels.*.hazard.regional_imitation",
    "agencies.levels.*.hazard.upper_tier",
    "agencies.levels.*.hazard.audience_pull",
    "platforms.*.agency_appeal",
    "platforms.*.users.innovation",
    "platforms.*.users.imitation",
    "platforms.*.users.multihoming",
    "population.internet.growth_rate",
    "accounts.*.platforms.*.reach",
    "accounts.*.platforms.*.launch_rate_per_day",
    "accounts.*.platforms.*.steady_rate_per_day",
)
"""Parameters a dated event may change mid-run; structure (counts,
provinces, dates) and the agencies' size weights (``size_elasticity``, which
sets each agency's weight once, when the population is laid out) are fixed
for the whole run."""


class Scenario(Frozen):
    """One fully resolved scenario (``extends`` and ``set`` already applied)."""

    name: ScenarioName
    description: str = ""
    horizon: Horizon
    seed: Annotated[int, Field(ge=0, lt=2**128)] = Field(
        description="Root seed; replication r uses SeedSequence(seed, spawn_key=(r,)).")
    replications: Annotated[int, Field(ge=1, le=10_000)] = Field(description="Replications of a run (1 to 10,000).")
    population: Population
    provinces: dict[Key, Province] = Field(min_length=1, max_length=1000, description="Provinces (1 to 1,000).")
    platforms: dict[Key, Platform] = Field(min_length=1, max_length=MAX_PLATFORMS,
                                           description=f"Platforms (1 to {MAX_PLATFORMS}).")
    agencies: Agencies
    accounts: dict[Key, NamedAccount] = Field({}, max_length=1000, description="Named accounts (at most 1,000).")
    events: dict[Key, Event] = Field({}, max_length=1000, description="Dated events (at most 1,000).")
    outputs: Outputs = Outputs()

    @classmethod
    def from_yaml(cls, path) -> "Scenario":
        """Load, resolve (``extends``, ``set``) and validate a scenario file."""
        from .loading import load_scenario

        return load_scenario(path)

    @classmethod
    def from_dict(cls, data: dict, source: str = "<scenario>") -> "Scenario":
        """Validate an already resolved document; errors name ``source``."""
        from .loading import validate_document

        return validate_document(data, source=source)

    def to_dict(self) -> dict:
        """The resolved document, JSON-compatible (dates as ISO strings)."""
        return self.model_dump(mode="json")

    def with_overrides(self, overrides: dict[str, object], source: str = "<overrides>") -> "Scenario":
        """A new scenario with dotted-path values replaced (wildcards allowed).

        Used by calibration and sweeps; errors name ``source`` and the path.
        """
        data = self.to_dict()
        for path, value in overrides.items():
            paths.assign(data, path, value, source=source)
        return Scenario.from_dict(data, source=source)

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        h = self.horizon

        def within(field: str, date: dt.date) -> None:
            if date < h.start:
                raise FieldError(field, f"expected a date within the horizon {h.start}..{h.end}, got {date}",
                                 alternatives=(("horizon.start", f"expected a date on or before {field} ({date}), "
                                                                 f"got {h.start}"),))
            if date > h.end:
                raise FieldError(field, f"expected a date within the horizon {h.start}..{h.end}, got {date}",
                                 alternatives=(("horizon.end", f"expected a date on or after {field} ({date}), "
                                                               f"got {h.end}"),))

        def at_most(field: str, value: float, bound_field: str, bound: float) -> None:
            if value > bound:
                raise FieldError(field, f"expected at most {bound_field} ({bound:,.0f}), got {value:,.0f}",
                                 alternatives=((bound_field, f"expected at least {field} ({value:,.0f}), "
                                                             f"got {bound:,.0f}"),))

        internet = self.population.internet
        at_most("population.internet.capacity", internet.capacity, "population.total", self.population.total)
        at_most("population.internet.initial_users", internet.initial_users, "population.internet.capacity",
                internet.capacity)
        for name, platform in self.platforms.items():
            within(f"platforms.{name}.launch", platform.launch)
            at_most(f"platforms.{name}.users.initial_users", platform.users.initial_users,
                    "population.internet.capacity", internet.capacity)
        levels = self.agencies.levels
        total = sum(level.count for level in levels.values())
        if total > MAX_AGENCIES:
            largest = max(levels, key=lambda name: levels[name].count)
            raise FieldError(f"agencies.levels.{largest}.count",
                             f"expected at most {MAX_AGENCIES:,} potential adopters over all levels, got {total:,}")
        for name, level in levels.items():
            self._check_parent(name, level)
        for name, account in self.accounts.items():
            self._check_account(name, account, within)
        for name, event in self.events.items():
            within(f"events.{name}.date", event.date)
            data = None
            for i, change in enumerate(event.changes):
                field = f"events.{name}.changes.{i}.path"
                data = data if data is not None else self.model_dump()
                matches = paths.expand(data, change.path)
                if not matches:
                    raise FieldError(field, f"expected a path to a parameter of this scenario, got {change.path!r}")
                for concrete in matches:
                    if not any(fnmatchcase(concrete, pattern) for pattern in DYNAMIC_PARAMETERS):
                        raise FieldError(
                            field,
                            f"expected a time-varying parameter ({', '.join(DYNAMIC_PARAMETERS)}), got {concrete!r}",
                        )
        return self

    def _check_parent(self, name: str, level: Level) -> None:
        levels = self.agencies.levels
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

    def _check_account(self, name: str, account: NamedAccount, within) -> None:
        levels = self.agencies.levels
        prefix = f"accounts.{name}"
        if account.level not in levels:
            raise FieldError(f"{prefix}.level", f"expected one of the levels {sorted(levels)}, got {account.level!r}")
        level = levels[account.level]
        if level.spread == "national":
            if account.province != NATIONAL:
                raise FieldError(f"{prefix}.province", f"expected {NATIONAL!r} for a national level, got {account.province!r}")
        elif account.province not in self.provinces:
            raise FieldError(f"{prefix}.province", f"expected one of the provinces, got {account.province!r}")
        within(f"{prefix}.launch", account.launch)
        names, counts = level_provinces(self, account.level)
        pinned_here = sum(1 for other in self.accounts.values()
                          if (other.level, other.province) == (account.level, account.province))
        available = int(counts[names.index(account.province)]) if account.province in names else 0
        if pinned_here > available:
            raise FieldError(f"agencies.levels.{account.level}.count",
                             f"expected a count giving {account.province} at least {pinned_here} bodies for its "
                             f"named accounts ({name}), but it gives {account.province} {available}")
        for platform in account.platforms:
            if platform not in self.platforms:
                raise FieldError(f"{prefix}.platforms.{platform}", f"expected one of the platforms {sorted(self.platforms)}")
            if account.launch < self.platforms[platform].launch:
                raise FieldError(
                    f"{prefix}.launch",
                    f"expected a date on or after {platform}'s launch ({self.platforms[platform].launch}), got {account.launch}",
                    alternatives=((f"platforms.{platform}.launch", f"expected a date on or before {name}'s launch "
                                                                   f"({account.launch}), got {self.platforms[platform].launch}"),),
                )
