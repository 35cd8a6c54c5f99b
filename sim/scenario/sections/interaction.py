"""The interaction loop's section (:mod:`sim.model.mechanisms.interaction`): messages, staff, feedback.

``interaction``: citizens' messages (rates, daily and weekly cycles, hot
issues), the desks of the named accounts and of sampled ordinary accounts
(teams in shifts, service times), and how responsiveness feeds back on
followers (and, optionally, on adoption).  None: accounts only gain
followers.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from ...errors import FieldError
from ..fields import (MAX_AGENCIES, MAX_CV, MAX_DAYS, MAX_ELASTICITY, MAX_HOURS, MAX_MESSAGES, MAX_PEOPLE, MAX_RATE,
                      MAX_STAFF, MIN_DAYS, MIN_HOURS, Frozen, Key, Rate, Share)
from ..shifts import parse_shift

if TYPE_CHECKING:
    from ..schema import Scenario



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
    "interaction.messages.per_follower_per_day",
    "interaction.messages.activity.*",
    "interaction.messages.urgent_share",
    "interaction.messages.substantive_share",
    "interaction.feedback.elasticity",
    "interaction.feedback.delay_elasticity",
    "interaction.feedback.unfollow_rate_per_day",
    "interaction.feedback.adoption_elasticity",
)
"""The interaction loop's parameters a dated event may change."""


def check(scenario: "Scenario", within) -> None:
    """The loop against the rest of the scenario: its platforms, accounts, levels and dates exist, and the
    messages a run could receive are within :data:`~sim.scenario.fields.MAX_MESSAGES`."""
    interaction = scenario.interaction
    if interaction is None:
        return
    prefix = "interaction"
    messages = interaction.messages
    for platform in messages.activity:
        if platform not in scenario.platforms:
            raise FieldError(f"{prefix}.messages.activity.{platform}",
                             f"expected one of the platforms {sorted(scenario.platforms)}")
    for name in scenario.accounts:
        if name not in interaction.accounts:
            raise FieldError(f"{prefix}.accounts", f"expected a desk for every named account, missing {name!r}")
    for name, desk in interaction.accounts.items():
        if name not in scenario.accounts:
            raise FieldError(f"{prefix}.accounts.{name}", f"expected a named account {sorted(scenario.accounts)}")
        _check_desk(f"{prefix}.accounts.{name}", desk, messages)
    for name, level in interaction.levels.items():
        if name not in scenario.agencies.levels:
            raise FieldError(f"{prefix}.levels.{name}", f"expected one of the levels {sorted(scenario.agencies.levels)}")
        _check_desk(f"{prefix}.levels.{name}.desk", level.desk, messages)
    _check_message_volume(scenario, interaction)
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


def _check_message_volume(scenario: "Scenario", interaction: Interaction) -> None:
    """At most :data:`MAX_MESSAGES` in a run, were everyone within the desks' reach to follow them.

    The volume is a product of fields (the message rate, the platforms' activity, the people a desk can
    reach, the days it is open, the surges), so no single field's maximum can bound it: a rate of 1e6
    messages per follower a day, within its own bound, never ended.  The fields are named in the order
    the loader blames them (the one the most derived file set).
    """
    messages = interaction.messages
    capacity = scenario.population.internet.capacity
    weekday = max(messages.weekly) * len(messages.weekly) / sum(messages.weekly)
    horizon = scenario.horizon

    def extra_days(hits) -> float:  # a surge's excess integrates to (surge - 1) * decay_days days
        return sum((issue.surge - 1) * issue.decay_days for issue in interaction.hot_issues.values() if hits(issue))

    volumes: list[tuple[float, str, list[str]]] = []
    for name in interaction.accounts:
        account = scenario.accounts[name]
        people = sum(messages.activity.get(p, 1.0) * spec.reach * capacity for p, spec in account.platforms.items())
        days = (horizon.end - account.launch).days + 1 + extra_days(lambda issue: name in issue.accounts)
        volumes.append((messages.per_follower_per_day * weekday * people * days, f"{name}'s desk",
                        [f"interaction.messages.activity.{p}" for p in account.platforms]
                        + [f"accounts.{name}.platforms.{p}.reach" for p in account.platforms]))
    for name, level in interaction.levels.items():
        people = sum(messages.activity.get(p, 1.0) * level.follower_share * capacity for p in scenario.platforms)
        days = horizon.days + extra_days(lambda issue: name in issue.levels)
        desks = min(interaction.sample_per_level, scenario.agencies.levels[name].count)
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


def _check_desk(prefix: str, desk: Desk, messages: Messages) -> None:
    if messages.per_follower_per_day > 0 and desk.staff.size == 0:
        raise FieldError(f"{prefix}.staff.size", "expected at least 1 staff member: messages arrive "
                         "(interaction.messages.per_follower_per_day > 0)")
    if desk.department is not None and desk.department.size == 0 and messages.substantive_share > 0:
        raise FieldError(f"{prefix}.department.size", "expected at least 1 staff member: substantive messages "
                         "are forwarded (interaction.messages.substantive_share > 0)")
