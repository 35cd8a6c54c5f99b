"""Reported figures the model answers to, as data.

A targets file (``scenarios/targets/*.yaml``) lists figures with their date or
period, the metric they correspond to, how to compare (``equal`` within a
relative tolerance, ``at_least``, ``at_most``, an ``interval``, or
``more_than``), optionally an absolute uncertainty ``sd`` in the metric's units,
a weight for calibration, the quoted sentence they come from and, for a figure
whose words need reading (``more_than`` always), how they are read and why.

``more_than``: "more than N" in a report is a rounded figure, and a reporter
rounds *down* to the nearest round number: so the truth is at least N and
below the next round number a reporter would have written
(:func:`next_round`): one unit of N's last significant digit (410,000 ->
below 420,000: with 425,000 the sentence would have said "more than
420,000"), or half a unit when N has a single significant digit (300 million
-> below 350 million, 1 million -> below 1.5 million: "more than 350
million" and "more than 1.5 million" are how a count past those marks is
written; a whole unit, 300 -> 400 million,
would let a reporter write "more than 300 million" for 390 million, where
"nearly 400 million" is what one writes).  The likelihood reads the range
with soft edges (:mod:`sim.calibration.problem.likelihood`), and the calibration's
report shows how the posterior moves when the figure is read as unbounded
above instead (:mod:`sim.calibration.bayes.sensitivity`).  The calibration's likelihood
(:mod:`sim.calibration.problem.likelihood`) reads the tolerance and ``sd`` as the
figure's own noise.  Figures, reports and the
calibration all read targets through this module.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from decimal import Decimal
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from .errors import InputError
from .scenario.loading import load_model
from .scenario.schema import Frozen


class Period(Frozen):
    start: dt.date = Field(description="First day of the flow (the change is counted from the day before).")
    end: dt.date = Field(description="Last day of the flow.")

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end < self.start:
            raise ValueError(f"expected end on or after start ({self.start}), got {self.end}")
        return self


class Target(Frozen):
    label: str | None = Field(None, description="How reports name the figure (default: its quantity and date).")
    metric: str = Field(description="A metric the model writes (e.g. gov_accounts.sina).")
    date: dt.date | None = Field(None, description="Date of a stock (value at the end of that day).")
    period: Period | None = Field(None, description="Period of a flow (change over the period).")
    kind: Literal["equal", "at_least", "at_most", "interval", "more_than"] = Field(
        "equal", description="equal: within the relative tolerance; at_least, at_most: one-sided (the tolerance is "
        "the slack allowed); interval: between low and high; more_than: a rounded \"more than value\", at least "
        "value and below the next round number a reporter would have written (one unit of value's last "
        "significant digit, half a unit when it has only one: 410,000 -> 420,000, 300 million -> 350 million); "
        "needs a reading.")
    value: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(description="The reported figure.")
    low: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(None, description="An interval's lower end.")
    high: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(None, description="An interval's upper "
                                                                               "end.")
    tolerance: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = Field(
        0.0, description="Relative uncertainty of the figure (0.05: +-5%), read as the half-width of a 90% interval.")
    sd: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None, description="Absolute uncertainty of the figure (one standard deviation, in the metric's units), "
        "e.g. a survey's standard error; adds to the noise its tolerance implies.")
    weight: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        1.0, description="Scales the figure's term in the calibration objective.")
    quote: str = Field("", description="The sentence the figure is quoted from.")
    reading: str | None = Field(None, description="How the quoted words are read as this target, and why "
                                "(required for more_than; reports show it).")
    source: str | None = Field(None, description="Where the figure is reported (default: the file's source).")

    @model_validator(mode="after")
    def _consistent(self) -> "Target":
        if (self.date is None) == (self.period is None):
            raise ValueError("expected exactly one of date (a stock) or period (a flow)")
        if self.kind == "interval":
            if self.low is None or self.high is None or not self.low <= self.high:
                raise ValueError("expected low <= high for an interval target")
        elif self.low is not None or self.high is not None:
            raise ValueError("expected low and high only for kind: interval")
        if self.kind == "more_than" and not (self.reading or "").strip():
            raise ValueError("expected a reading for kind: more_than (how the words are read, and why)")
        return self

    # --- where it sits ---------------------------------------------------------------
    @property
    def when(self) -> dt.date:
        """The date at which the target is plotted and checked."""
        return self.date if self.date is not None else self.period.end

    @property
    def bounds(self) -> tuple[float, float]:
        """The accepted range of the model's value."""
        if self.kind == "interval":
            return (self.low, self.high)
        lower = self.value * (1 - self.tolerance)
        upper = self.value * (1 + self.tolerance)
        if self.kind == "at_least":
            return (lower, math.inf)
        if self.kind == "at_most":
            return (0.0, upper)
        if self.kind == "more_than":
            return (lower, next_round(self.value) * (1 + self.tolerance))
        return (lower, upper)

    @property
    def two_sided(self) -> bool:
        """A range with both ends (interval, more_than): its likelihood is a soft-edged box, and it always binds."""
        return self.kind in ("interval", "more_than")

    def other_reading(self) -> "Target":
        """The figure read without the rounding's upper end: ``more_than`` as ``at_least`` (the sensitivity
        analysis's alternative); other kinds as they are."""
        if self.kind != "more_than":
            return self
        return self.model_copy(update={"kind": "at_least",
                                       "reading": f"{self.reading} (alternative: unbounded above)"})

    def dates_needed(self) -> list[dt.date]:
        if self.date is not None:
            return [self.date]
        return [self.period.start - dt.timedelta(days=1), self.period.end]

    # --- comparing -------------------------------------------------------------------
    def model_value(self, series: np.ndarray, start: dt.date) -> float:
        """The target's quantity from a daily series beginning on ``start``.

        Works on the last axis, so a (replications, days) array gives one value
        per replication.
        """
        series = np.asarray(series, dtype=float)
        if self.date is not None:
            return series[..., (self.date - start).days]
        before = (self.period.start - start).days - 1
        end = series[..., (self.period.end - start).days]
        return end - (series[..., before] if before >= 0 else 0.0)

    def log_error(self, value: float) -> float:
        """Signed error in log space: 0 when the value is acceptable.

        ``equal`` compares with the figure itself; one-sided kinds and
        intervals only penalise the side that is violated, measured from the
        violated bound.
        """
        value = max(float(value), 1e-12)
        if self.kind == "equal":
            return math.log(value / self.value)
        low, high = self.bounds
        if value < low:
            return math.log(value / low)
        if value > high:
            return math.log(value / high)
        return 0.0

    def met(self, value: float) -> bool:
        low, high = self.bounds
        return low <= value <= high


def next_round(value: float) -> float:
    """The round number above ``value`` that a reporter writing "more than ``value``" would have used had the
    truth reached it (module docstring): one unit of ``value``'s last significant digit, half a unit when it has
    a single significant digit.  410,000 -> 420,000; 300,000,000 -> 350,000,000; 1,000,000 -> 1,500,000;
    2.5 -> 2.6."""
    digits = Decimal(repr(float(value))).normalize().as_tuple()
    significant = len(digits.digits)
    unit = Decimal(1).scaleb(digits.exponent)
    step = unit / 2 if significant == 1 else unit
    return float(Decimal(repr(float(value))) + step)


class Targets(Frozen):
    """Reported figures the model answers to: what reports compare it with and what the calibration fits."""

    source: str = Field("", description="Where the figures come from (a publication).")
    targets: dict[str, Target] = Field(min_length=1, description="The figures, by name.")

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "Targets":
        return load_model(cls, path, what="a targets mapping")

    def check_against(self, metrics: set[str], start: dt.date, end: dt.date, source: str) -> None:
        """Refuse targets the model cannot answer: unknown metric, date outside the horizon."""
        for name, target in self.targets.items():
            if target.metric not in metrics:
                raise InputError(
                    f"expected a metric the model writes (e.g. {', '.join(sorted(metrics)[:4])}, ...), got {target.metric!r}",
                    source=source, field=f"targets.{name}.metric")
            for date in target.dates_needed():
                if date != start - dt.timedelta(days=1) and not start <= date <= end:
                    raise InputError(f"expected a date within the horizon {start}..{end}, got {date}",
                                     source=source, field=f"targets.{name}.{'date' if target.date else 'period'}")
