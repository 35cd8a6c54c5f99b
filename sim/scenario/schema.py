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
platforms, a horizon of at most :data:`MAX_DAYS` days, durations of at most
:data:`MAX_HOURS` hours, teams of at most :data:`MAX_STAFF`, at most
:data:`MAX_MESSAGES` messages in a run.  Every number of the
schema has a stated maximum (``bandwagon schema`` prints them), and the
input tests run the model at each one (``tests/test_input_bounds.py``).
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
from .loading import load_resolved, validate_model
from .shifts import parse_shift

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
"""Largest size elasticity (either sign) and size dispersion keep size weights within floating point; as
the elasticity of appeal or adoption to responsiveness, 10 already takes 65% off at a 10% shortfall."""
MAX_HOURS = 24.0 * MAX_DAYS
"""Longest duration, threshold or time scale in hours: the longest horizon (a patience of 1e308 hours
overflowed the moments of its distribution; anything longer than the horizon means "never")."""
MIN_HOURS = 0.001
"""Shortest duration or time scale in hours (3.6 seconds; in days, :data:`MIN_DAYS`): instantaneous for every
purpose here, and a smaller positive number underflows to 0 once turned into days (a log-normal service of
5e-324 hours failed on log(0))."""
MIN_DAYS = 0.0001
MAX_CV = 100.0
"""Largest coefficient of variation of a duration (a log-normal's sigma of 3; larger overflows its moments)."""
MAX_STAFF = 1_000
"""Most staff in one team: a shift change costs one claim per member of staff absent (a team of 1e9 ran out
of memory)."""
MAX_MESSAGES = 20_000_000
"""Most messages the desks of a run could receive were everyone within their reach to follow them (the
baseline: about 40,000; any shipped scenario under any draw of the shipped posterior: at most about
2,000,000).  A message costs a few SimPy events, about 15 us in all, so a run at this bound costs about 5
minutes a replication; a rate of 1e6 messages per follower a day, within its own bound, never ended."""

Rate = Annotated[float, Field(ge=0, le=MAX_RATE, allow_inf_nan=False)]
ChangeValue = Annotated[float, Field(ge=-MAX_RATE, le=MAX_RATE, allow_inf_nan=False)]
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


# --- the interaction loop: messages, staff, feedback -------------------------------------------
def _shift_text(text: str) -> str:
    parse_shift(text)  # ValueError with the expected format if it does not parse
    return text


ShiftText = Annotated[str, AfterValidator(_shift_text)]
Hours = Annotated[float, Field(ge=MIN_HOURS, le=MAX_HOURS, allow_inf_nan=False)]
Days = Annotated[float, Field(ge=MIN_DAYS, le=MAX_DAYS, allow_inf_nan=False)]
Elasticity = Annotated[float, Field(ge=0, le=MAX_ELASTICITY, allow_inf_nan=False)]
StaffCount = Annotated[int, Field(ge=0, le=MAX_STAFF)]


class Duration(Frozen):
    """A random duration in hours: exponential (the queueing-theory case), log-normal or fixed."""

    distribution: Literal["exponential", "lognormal", "deterministic"] = Field(
        "exponential", description="exponential (coefficient of variation 1), lognormal (give cv) or deterministic.")
    mean_hours: Hours = Field(description=f"Mean duration, hours ({MIN_HOURS:g} to {MAX_HOURS:,.0f}).")
    cv: Annotated[float, Field(gt=0, le=MAX_CV, allow_inf_nan=False)] | None = Field(
        None, description=f"Coefficient of variation (sd / mean, above 0, at most {MAX_CV:g}); lognormal only.")

    @model_validator(mode="after")
    def _cv_for_lognormal(self) -> "Duration":
        if (self.distribution == "lognormal") != (self.cv is not None):
            raise ValueError("expected cv exactly when distribution is lognormal")
        return self


class Team(Frozen):
    """People handling messages: a SimPy resource of ``size`` servers on duty in their shifts."""

    size: StaffCount = Field(description=f"Staff in the team (servers; at most {MAX_STAFF:,}).")
    shifts: list[ShiftText] = Field(
        ["daily 00:00-24:00"], min_length=1,
        description="When they are on duty: '<days> HH:MM-HH:MM [xN]' (e.g. 'mon-fri 09:00-17:00').")
    service: Duration = Field(description="Time one of them spends on one message.")


class Desk(Frozen):
    """How one account handles its messages (all its platforms share the desk)."""

    staff: Team = Field(description="The account's own staff: every message passes through them, urgent first.")
    department: Team | None = Field(
        None, description="Staff of the responsible department, who answer the substantive messages the account "
        "forwards; without it the account's staff answer those too.")


class Messages(Frozen):
    """Citizens' messages to government accounts: a non-homogeneous Poisson process per account and platform.

    Rate at time t: ``followers * per_follower_per_day * activity[platform] * hourly[hour] * weekly[weekday]
    * surge(t)``; ``hourly`` and ``weekly`` are relative (normalised to mean 1).
    """

    per_follower_per_day: Rate = Field(description="Messages needing an answer, per follower per day.")
    activity: dict[Key, Rate] = Field({}, description="Per platform multiplier of the rate (default 1).")
    hourly: list[Rate] = Field([1.0] * 24, min_length=24, max_length=24,
                               description="Relative rate in each hour of the day, 00-01 to 23-24.")
    weekly: list[Rate] = Field([1.0] * 7, min_length=7, max_length=7, description="Relative rate Monday..Sunday.")
    urgent_share: Share = Field(0.0, description="Share of messages that are urgent (served first).")
    substantive_share: Share = Field(0.0, description="Share needing a substantive answer (forwarded to the department).")
    patience: Duration | None = Field(None, description="How long a sender waits for an answer before giving up "
                                      "(while waiting; never during handling); none: forever.")

    @field_validator("hourly", "weekly")
    @classmethod
    def _some_positive(cls, weights: list[float], info) -> list[float]:
        if sum(weights) <= 0:
            raise ValueError(f"expected some positive {info.field_name} weight")
        return weights


class HotIssue(Frozen):
    """A dated surge of messages: the rate is multiplied by ``1 + (surge - 1) exp(-age / decay_days)``."""

    date: dt.date = Field(description="Day the issue breaks.")
    hour: Annotated[float, Field(ge=0, lt=24, allow_inf_nan=False)] = Field(0.0, description="Hour it breaks.")
    accounts: list[Key] = Field([], description="Named accounts it hits.")
    levels: list[Key] = Field([], description="Agency levels whose (sampled) ordinary accounts it hits.")
    surge: Annotated[float, Field(ge=1, le=MAX_RATE, allow_inf_nan=False)] = Field(
        description=f"Rate multiplier at onset (at least 1, at most {MAX_RATE:,.0f}).")
    decay_days: Days = Field(description=f"E-folding time of the surge, days ({MIN_DAYS:g} to {MAX_DAYS:,}).")
    description: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _targets(self) -> "HotIssue":
        if not self.accounts and not self.levels:
            raise ValueError("expected at least one of accounts or levels")
        return self


class Feedback(Frozen):
    """Responsiveness earns (or costs) followers.

    Responsiveness over the last ``window_days`` complete days: ``share``, the share of messages answered
    within ``within_hours`` (shrunk towards the reference by ``prior_messages`` pseudo-messages, so that a
    handful of messages cannot swing it), and ``median``, the median response time.  The account's appeal multiplies its
    follow hazard: ``min(1, share / reference_share)^elasticity * min(1, reference_median_hours /
    median)^delay_elasticity`` (1 for an account at least as responsive as the reference, which the calibrated
    follow rates describe), and followers unfollow at ``unfollow_rate_per_day * (1 - appeal)``.
    """

    window_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = Field(
        7, description=f"Days over which responsiveness is measured (1 to {MAX_DAYS:,}).")
    prior_messages: Annotated[float, Field(ge=0, le=MAX_PEOPLE, allow_inf_nan=False)] = Field(
        10.0, description="Followers judge a share from few messages cautiously: the prompt share is "
        "(prompt + prior_messages * reference_share) / (received + prior_messages); at most "
        f"{MAX_PEOPLE:,.0f}.")
    within_hours: Hours = Field(24.0, description="An answer within this many hours counts as prompt "
                                f"({MIN_HOURS:g} to {MAX_HOURS:,.0f}).")
    reference_share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        0.9, description="Share answered promptly at which appeal is full.")
    elasticity: Elasticity = Field(
        0.0, description=f"Elasticity of appeal to the prompt share below the reference (0: no feedback; at most {MAX_ELASTICITY:g}).")
    reference_median_hours: Hours = Field(24.0, description="Median response time at which appeal is full "
                                          f"({MIN_HOURS:g} to {MAX_HOURS:,.0f}).")
    delay_elasticity: Elasticity = Field(
        0.0, description=f"Elasticity of appeal to a median response time above the reference (at most {MAX_ELASTICITY:g}).")
    unfollow_rate_per_day: Rate = Field(0.0, description="Unfollow hazard per follower per day at zero appeal.")
    adoption_elasticity: Elasticity = Field(
        0.0, description="Optional: elasticity of a level's adoption hazard to its sampled accounts' prompt "
        f"share relative to the reference (0: off; at most {MAX_ELASTICITY:g}).")


class LevelDesks(Frozen):
    """The ordinary accounts of one agency level, simulated through a random sample of them."""

    follower_share: Share = Field(description="Followers of one account as a share of its platform's users.")
    desk: Desk


class Interaction(Frozen):
    """The interaction loop: citizens write, staff answer, responsiveness feeds back on followers."""

    messages: Messages
    accounts: dict[Key, Desk] = Field({}, description="The desk of every named account.")
    levels: dict[Key, LevelDesks] = Field({}, description="Ordinary accounts by agency level (sampled).")
    sample_per_level: Annotated[int, Field(ge=0, le=MAX_AGENCIES)] = Field(
        0, description="Agencies of each listed level simulated in full (all of a smaller level: a census); level "
        f"totals are scaled up from them (at most {MAX_AGENCIES:,}).")
    hot_issues: dict[Key, HotIssue] = Field({}, description="Dated surges of messages.")
    feedback: Feedback = Feedback()


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
    "interaction.messages.per_follower_per_day",
    "interaction.messages.activity.*",
    "interaction.messages.urgent_share",
    "interaction.messages.substantive_share",
    "interaction.feedback.elasticity",
    "interaction.feedback.delay_elasticity",
    "interaction.feedback.unfollow_rate_per_day",
    "interaction.feedback.adoption_elasticity",
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
        if self.interaction is not None:
            self._check_interaction(self.interaction, within)
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

    def _check_interaction(self, interaction: Interaction, within) -> None:
        prefix = "interaction"
        messages = interaction.messages
        for platform in messages.activity:
            if platform not in self.platforms:
                raise FieldError(f"{prefix}.messages.activity.{platform}",
                                 f"expected one of the platforms {sorted(self.platforms)}")
        for name in self.accounts:
            if name not in interaction.accounts:
                raise FieldError(f"{prefix}.accounts", f"expected a desk for every named account, missing {name!r}")
        for name, desk in interaction.accounts.items():
            if name not in self.accounts:
                raise FieldError(f"{prefix}.accounts.{name}", f"expected a named account {sorted(self.accounts)}")
            self._check_desk(f"{prefix}.accounts.{name}", desk, messages)
        for name, level in interaction.levels.items():
            if name not in self.agencies.levels:
                raise FieldError(f"{prefix}.levels.{name}", f"expected one of the levels {sorted(self.agencies.levels)}")
            self._check_desk(f"{prefix}.levels.{name}.desk", level.desk, messages)
        self._check_message_volume(interaction)
        for name, issue in interaction.hot_issues.items():
            within(f"{prefix}.hot_issues.{name}.date", issue.date)
            for i, account in enumerate(issue.accounts):
                if account not in interaction.accounts:
                    raise FieldError(f"{prefix}.hot_issues.{name}.accounts.{i}",
                                     f"expected a named account with a desk {sorted(interaction.accounts)}, got {account!r}")
            for i, level in enumerate(issue.levels):
                if level not in interaction.levels:
                    raise FieldError(f"{prefix}.hot_issues.{name}.levels.{i}",
                                     f"expected a level listed under interaction.levels {sorted(interaction.levels)}, "
                                     f"got {level!r}")

    def _check_message_volume(self, interaction: Interaction) -> None:
        """At most :data:`MAX_MESSAGES` in a run, were everyone within the desks' reach to follow them.

        The volume is a product of fields (the message rate, the platforms' activity, the people a desk can
        reach, the days it is open, the surges), so no single field's maximum can bound it: a rate of 1e6
        messages per follower a day, within its own bound, never ended.  The fields are named in the order
        the loader blames them (the one the most derived file set).
        """
        messages = interaction.messages
        capacity = self.population.internet.capacity
        weekday = max(messages.weekly) * len(messages.weekly) / sum(messages.weekly)
        horizon = self.horizon

        def extra_days(hits) -> float:  # a surge's excess integrates to (surge - 1) * decay_days days
            return sum((issue.surge - 1) * issue.decay_days for issue in interaction.hot_issues.values() if hits(issue))

        volumes: list[tuple[float, str, list[str]]] = []
        for name in interaction.accounts:
            account = self.accounts[name]
            people = sum(messages.activity.get(p, 1.0) * spec.reach * capacity for p, spec in account.platforms.items())
            days = (horizon.end - account.launch).days + 1 + extra_days(lambda issue: name in issue.accounts)
            volumes.append((messages.per_follower_per_day * weekday * people * days, f"{name}'s desk",
                            [f"interaction.messages.activity.{p}" for p in account.platforms]
                            + [f"accounts.{name}.platforms.{p}.reach" for p in account.platforms]))
        for name, level in interaction.levels.items():
            people = sum(messages.activity.get(p, 1.0) * level.follower_share * capacity for p in self.platforms)
            days = horizon.days + extra_days(lambda issue: name in issue.levels)
            desks = min(interaction.sample_per_level, self.agencies.levels[name].count)
            volumes.append((messages.per_follower_per_day * weekday * people * days * desks,
                            f"the {desks} sampled {name} desks",
                            [f"interaction.levels.{name}.follower_share", "interaction.sample_per_level"]))
        total = sum(volume for volume, _, _ in volumes)
        if total <= MAX_MESSAGES:
            return
        volume, desk, fields = max(volumes)
        expected = (f"expected at most {MAX_MESSAGES:,} messages in a run were everyone within reach to follow, got "
                    f"{total:.3g} ({desk}: {volume:.3g})")
        fields += [f"interaction.hot_issues.{n}.surge" for n in interaction.hot_issues]
        raise FieldError("interaction.messages.per_follower_per_day", expected,
                         alternatives=tuple((field, expected) for field in fields))

    @staticmethod
    def _check_desk(prefix: str, desk: Desk, messages: Messages) -> None:
        if messages.per_follower_per_day > 0 and desk.staff.size == 0:
            raise FieldError(f"{prefix}.staff.size", "expected at least 1 staff member: messages arrive "
                             "(interaction.messages.per_follower_per_day > 0)")
        if desk.department is not None and desk.department.size == 0 and messages.substantive_share > 0:
            raise FieldError(f"{prefix}.department.size", "expected at least 1 staff member: substantive messages "
                             "are forwarded (interaction.messages.substantive_share > 0)")
