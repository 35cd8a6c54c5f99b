"""The vocabulary every part of the scenario format shares: frozen models, names, bounded numbers.

The core of the format (:mod:`.schema`) and each mechanism's section
(:mod:`.sections`) are built from these, so a bound is stated once.

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

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..files import os_path

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
