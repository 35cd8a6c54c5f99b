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

Sections
--------
The core here is the structure every mechanism shares: the horizon, the
seed, the people, the provinces, the platforms, the named accounts, the
dated events, the outputs.  Each mechanism's own parameters are its section,
one module each in :mod:`sim.scenario.sections` (users, adoption, following,
interaction), which this module composes; the bounds every part shares are
in :mod:`sim.scenario.fields`.
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from ..errors import FieldError
from . import paths
from .apportion import NATIONAL, level_provinces
from .fields import (MAX_DAYS, MAX_PEOPLE, MAX_PLATFORMS, MAX_RATE, ChangeValue, FilePath, Frozen,
                     Key, Multiplier, PeopleCount, ScenarioName)
from .loading import load_resolved, validate_model
from .sections import adoption, following, interaction, users
from .sections.adoption import Agencies, Hazard, Level
from .sections.following import AccountOnPlatform
from .sections.interaction import Desk, Duration, Feedback, HotIssue, Interaction, LevelDesks, Messages, Team
from .sections.users import InternetGrowth, PlatformUsers

__all__ = ["NATIONAL", "AccountOnPlatform", "Agencies", "Change", "Desk", "Duration", "Event", "Feedback",
           "FilePath", "Frozen", "Hazard", "Horizon", "HotIssue", "Interaction", "InternetGrowth", "Key", "Level",
           "LevelDesks", "Messages", "NamedAccount", "Outputs", "Platform", "PlatformUsers", "Population",
           "Province", "Scenario", "ScenarioName", "Team"]


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


class Population(Frozen):
    total: PeopleCount = Field(description=f"Resident population (people, at most {MAX_PEOPLE:,.0f}).")
    internet: InternetGrowth


class Platform(Frozen):
    label: str = Field(description="How figures and reports name the platform.")
    launch: dt.date = Field(description="Date the platform opens to users and agencies.")
    users: PlatformUsers
    agency_appeal: Multiplier = Field(
        1.0, description=f"Multiplier of every agency's adoption hazard on this platform (at most {MAX_RATE:,.0f})."
    )
    source: str | None = Field(None, description="Where the values come from.")


class Province(Frozen):
    label: str | None = Field(None, description="How reports name the province.")
    population: PeopleCount = Field(description=f"Resident population (people, at most {MAX_PEOPLE:,.0f}).")


class NamedAccount(Frozen):
    """An account with its own launch date and following parameters (Shanghai City), opened by one agency."""

    label: str = Field(description="How figures and reports name the account.")
    level: Key = Field(description="Agency level the account's owner belongs to.")
    province: Key = Field(description="Province of the owner ('national' for national bodies).")
    launch: dt.date = Field(description="Date the account opens on each of its platforms.")
    platforms: dict[Key, AccountOnPlatform] = Field(min_length=1, description="Its platforms, each with how "
                                                    "it gains followers there.")
    source: str | None = None


class Change(Frozen):
    """One parameter change: exactly one of ``multiply``, ``add``, ``set``."""

    path: str = Field(description="Dotted path of a time-varying parameter; '*' matches any key.")
    multiply: Multiplier | None = Field(None, description=f"Multiplies the value (at most {MAX_RATE:,.0f}).")
    add: ChangeValue | None = Field(None, description=f"Added to the value (between -{MAX_RATE:,.0f} and "
                                    f"{MAX_RATE:,.0f}, the widest bound of a time-varying parameter).")
    set: ChangeValue | None = Field(None, description=f"The new value (between -{MAX_RATE:,.0f} and "
                                    f"{MAX_RATE:,.0f}).")

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

    date: dt.date = Field(description="The day the changes take effect (from its start).")
    enabled: bool = Field(True, description="false: the event is ignored (a counterfactual without it).")
    description: str | None = None
    source: str | None = Field(None, description="Where the event is reported.")
    changes: list[Change] = Field(min_length=1, max_length=1000, description="Applied in order, each to the value "
                                  "in force.")


class Outputs(Frozen):
    targets: FilePath | None = Field(None, description="Targets file shown as markers on figures.")
    adoptions: bool = Field(True, description="Write adoptions.csv (one row per account).")
    figures: bool = Field(True, description="Draw figures after a run.")
    metrics: list[str] = Field(["*"], min_length=1, description="Glob patterns of metrics to write.")


DYNAMIC_PARAMETERS = (*adoption.DYNAMIC_PARAMETERS, *users.DYNAMIC_PARAMETERS, *following.DYNAMIC_PARAMETERS,
                      *interaction.DYNAMIC_PARAMETERS)
"""Parameters a dated event may change mid-run, each section's; structure (counts, provinces, dates) and
the agencies' size weights are fixed for the whole run."""


class Scenario(Frozen):
    """One fully resolved scenario (``extends`` and ``set`` already applied)."""

    name: ScenarioName = Field(description="The scenario's name (default: the file's name); names output "
                               "directories.")
    description: str = Field("", description="What the scenario is, in a sentence or two (shown in reports).")
    horizon: Horizon
    seed: Annotated[int, Field(ge=0, lt=2**128)] = Field(
        description="Root seed; replication r uses SeedSequence(seed, spawn_key=(r,)).")
    replications: Annotated[int, Field(ge=1, le=10_000)] = Field(description="Replications of a run (1 to 10,000).")
    engine: Literal["race", "agents"] = Field(
        "race", description="race: agencies race to accounts exactly, between synchronisation points (fast, the "
        "default); agents: every agency and named account a SimPy process (the same law, slower).")
    population: Population
    provinces: dict[Key, Province] = Field(min_length=1, max_length=1000, description="Provinces (1 to 1,000).")
    platforms: dict[Key, Platform] = Field(min_length=1, max_length=MAX_PLATFORMS,
                                           description=f"Platforms (1 to {MAX_PLATFORMS}).")
    agencies: Agencies
    accounts: dict[Key, NamedAccount] = Field({}, max_length=1000, description="Named accounts (at most 1,000).")
    events: dict[Key, Event] = Field({}, max_length=1000, description="Dated events (at most 1,000).")
    interaction: Interaction | None = Field(None, description="The interaction loop (messages, staff, feedback); "
                                            "none: accounts only gain followers.")
    outputs: Outputs = Outputs()
    posterior: str | None = Field(
        None, description="Posterior directory written by bandwagon calibrate, relative to the file that sets it: "
        "replication r runs on a posterior draw chosen from the seed (inherited through extends; null: none).")

    @classmethod
    def from_yaml(cls, path) -> "Scenario":
        """Load, resolve (``extends``, ``set``) and validate a scenario file against the format.

        What needs the model or a targets file (``outputs.metrics`` patterns,
        ``outputs.targets``) is checked by :func:`sim.inputs.load_scenario`,
        which the commands use.
        """
        return load_resolved(path, cls)[0]

    @classmethod
    def from_dict(cls, data: dict, source: str = "<scenario>") -> "Scenario":
        """Validate an already resolved document against the format (the schema only); errors name ``source``."""
        return validate_model(cls, data, source)

    def to_dict(self) -> dict:
        """The resolved document, JSON-compatible (dates as ISO strings).

        Without a posterior the document has no ``posterior`` key, and with the
        default engine no ``engine`` key, as before the keys existed, so sweep
        run keys of such scenarios are unchanged.
        """
        exclude = {key for key, default in (("posterior", None), ("engine", "race")) if getattr(self, key) == default}
        return self.model_dump(mode="json", exclude=exclude or None)

    def with_overrides(self, overrides: dict[str, object], source: str = "<overrides>") -> "Scenario":
        """A new scenario with dotted-path values replaced (wildcards allowed).

        Used by calibration and sweeps; errors name ``source`` and the path.  Every key may be set, those
        :meth:`to_dict` leaves out at their default (``engine``, ``posterior``) included.
        """
        data = self.model_dump(mode="json")
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

        for name, platform in self.platforms.items():
            within(f"platforms.{name}.launch", platform.launch)
        users.check(self, at_most)
        adoption.check(self)
        for name, account in self.accounts.items():
            self._check_account(name, account, within)
        interaction.check(self, within)
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
