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
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ..errors import FieldError
from . import paths

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
"""Names of platforms, provinces, levels, accounts, events: they become parts
of metric names (``gov_accounts.sina.county``), so lower-case snake case."""

ScenarioName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
Rate = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
People = Annotated[float, Field(ge=0, allow_inf_nan=False)]

NATIONAL = "national"
"""Pseudo-province of bodies with national scope (central ministries)."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Horizon(Frozen):
    start: dt.date = Field(description="First simulated day (ISO date).")
    end: dt.date = Field(description="Last simulated day (ISO date), included.")

    @model_validator(mode="after")
    def _ordered(self) -> "Horizon":
        if self.end <= self.start:
            raise FieldError("horizon.end", f"expected a date after horizon.start ({self.start}), got {self.end}")
        return self


class InternetGrowth(Frozen):
    """Logistic growth of internet users: each non-user joins at hazard
    ``growth_rate * users / capacity`` per year."""

    initial_users: People = Field(description="Internet users on the first day (people).")
    capacity: People = Field(description="Saturation level of internet users (people).")
    growth_rate: Rate = Field(description="Logistic growth rate, per year.")


class Population(Frozen):
    total: Annotated[int, Field(gt=0)] = Field(description="Resident population (people).")
    internet: InternetGrowth


class PlatformUsers(Frozen):
    """Bass diffusion of a platform among internet users."""

    innovation: Rate = Field(description="Spontaneous joining hazard per internet user, per year.")
    imitation: Rate = Field(
        description="Joining hazard per year per unit share of internet users already on the platform."
    )
    multihoming: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        1.0,
        description="Hazard multiplier for users who already hold an account on another platform "
        "(1: platforms are joined independently).",
    )
    initial_users: People = Field(0, description="Accounts opened on launch day (people).")


class Platform(Frozen):
    label: str
    launch: dt.date = Field(description="Date the platform opens to users and agencies.")
    users: PlatformUsers
    agency_appeal: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        1.0, description="Multiplier of every agency's adoption hazard on this platform."
    )
    source: str | None = None


class Province(Frozen):
    label: str | None = None
    population: Annotated[int, Field(gt=0)] = Field(description="Resident population (people).")


class Hazard(Frozen):
    """Adoption hazard of one un-adopted agency, per year.

    ``w * [innovation + imitation*F_level + audience_pull*S_platform
    + regional_imitation*F_level,province + upper_tier*F_parent,province]``
    with ``F`` adopted shares, ``S`` the platform's users as a share of the
    population and ``w`` the agency's size weight (Bass 1969; Berry and Berry
    1990; Ma 2013, 2014).
    """

    innovation: Rate = Field(description="Spontaneous adoption hazard, per year.")
    imitation: Rate = Field(description="Per year, per unit share of the same level already adopted (nationwide).")
    regional_imitation: Rate = Field(
        0, description="Per year, per unit share of the same level adopted in the same province."
    )
    upper_tier: Rate = Field(
        0, description="Per year, per unit share of the parent level adopted in the same province."
    )
    audience_pull: Rate = Field(
        0, description="Per year, per unit share of the population holding an account on the platform."
    )
    size_elasticity: Finite = Field(
        0, description="Exponent of population served in the agency's weight (0: size does not matter)."
    )


class Level(Frozen):
    """A tier or kind of potential adopters: central ministries, county bodies, officials..."""

    label: str
    kind: Literal["institution", "official"] = "institution"
    count: Annotated[int, Field(ge=0)] = Field(description="Potential adopters (bodies or officials).")
    spread: Literal["national", "equal", "population"] = Field(
        description="How the count is split over provinces: one national group, equally, or by population."
    )
    parent: Key | None = Field(None, description="Level whose adoption exerts upper-tier pressure.")
    population_served: People = Field(description="Median population served by one adopter (people).")
    size_dispersion: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        0.5, description="Log-normal sigma of population served within the level."
    )
    hazard: Hazard
    source: str | None = None


class Agencies(Frozen):
    levels: dict[Key, Level] = Field(min_length=1)


class AccountOnPlatform(Frozen):
    """Following of a named account on one platform.

    Each micro-blogger of the platform within the account's reach who does
    not yet follow it starts following at hazard
    ``steady_rate_per_day + launch_rate_per_day * exp(-age / launch_decay_days)``.
    """

    reach: Share = Field(description="Share of the platform's micro-bloggers who may follow the account.")
    launch_rate_per_day: Rate = Field(description="Extra follow hazard at launch, per day.")
    launch_decay_days: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        description="E-folding time of the launch burst, days."
    )
    steady_rate_per_day: Rate = Field(description="Follow hazard after the burst, per day.")


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
    multiply: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    add: Finite | None = None
    set: Finite | None = None

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
    changes: list[Change] = Field(min_length=1)


class Outputs(Frozen):
    targets: str | None = Field(None, description="Targets file shown as markers on figures.")
    adoptions: bool = Field(True, description="Write adoptions.csv (one row per account).")
    figures: bool = Field(True, description="Draw figures after a run.")
    metrics: list[str] = Field(["*"], min_length=1, description="Glob patterns of metrics to write.")


DYNAMIC_PARAMETERS = (
    "agencies.levels.*.hazard.*",
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
provinces, dates) is fixed for the whole run."""


class Scenario(Frozen):
    """One fully resolved scenario (``extends`` and ``set`` already applied)."""

    name: ScenarioName
    description: str = ""
    horizon: Horizon
    seed: Annotated[int, Field(ge=0)] = Field(description="Root seed; replication r uses SeedSequence(seed, spawn_key=(r,)).")
    replications: Annotated[int, Field(ge=1)]
    population: Population
    provinces: dict[Key, Province] = Field(min_length=1)
    platforms: dict[Key, Platform] = Field(min_length=1)
    agencies: Agencies
    accounts: dict[Key, NamedAccount] = {}
    events: dict[Key, Event] = {}
    outputs: Outputs = Outputs()
    posterior: str | None = Field(
        None, description="Posterior directory written by bandwagon calibrate, relative to the file that sets it: "
        "replication r runs on a posterior draw chosen from the seed (inherited through extends; null: none).")

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
        """The resolved document, JSON-compatible (dates as ISO strings).

        Without a posterior the document has no ``posterior`` key, as before
        the key existed, so sweep run keys of such scenarios are unchanged.
        """
        return self.model_dump(mode="json", exclude={"posterior"} if self.posterior is None else None)

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
            if not h.start <= date <= h.end:
                raise FieldError(field, f"expected a date within the horizon {h.start}..{h.end}, got {date}")

        internet = self.population.internet
        if internet.capacity > self.population.total:
            raise FieldError(
                "population.internet.capacity",
                f"expected at most population.total ({self.population.total}), got {internet.capacity:g}",
            )
        if internet.initial_users > internet.capacity:
            raise FieldError(
                "population.internet.initial_users",
                f"expected at most population.internet.capacity ({internet.capacity:g}), got {internet.initial_users:g}",
            )
        for name, platform in self.platforms.items():
            within(f"platforms.{name}.launch", platform.launch)
        levels = self.agencies.levels
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
        from ..model.population import level_provinces  # the split the engine will use

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
                )
