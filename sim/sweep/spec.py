"""The sweep spec: what varies, how it is sampled, and what is recorded.

A sweep spec is a YAML file (``experiments/*.yaml``) validated once, at load,
like a scenario: unknown keys are errors, and every error is one line naming
the spec file and the field.  What varies is declared apart from the model
(EMA Workbench's parameters with ranges): each parameter is a dotted path into
the base scenario (``*`` wildcards allowed, see :mod:`sim.scenario.paths`)
with a list of ``values`` or a ``range`` (linear or log spacing), applied by
``set`` (the value replaces the base value) or ``multiply`` (the value scales
the base value of every path it matches, so one factor can scale the
imitation of all agency levels while keeping their ratios).

This module holds the file format only; :mod:`.resolve` checks it against the
base scenario.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from typing import Annotated, Literal, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StringConstraints, ValidationError, model_validator

from ..errors import FieldError
from ..scenario.loading import as_input_error, load_model
from ..scenario.schema import FilePath, Frozen, Key, ScenarioName

DESIGNS = ("grid", "lhs", "sobol", "one_at_a_time")
FEATURES = ("t10", "t50", "t90", "peak_monthly", "peak_month", "final")
"""Curve features: dates the metric first reaches 10%, 50% and 90% of its final
level; the largest increase within a calendar month and that month; the final
level (at the end of the horizon)."""

Scalar = Union[StrictBool, StrictInt, StrictFloat, dt.date, str]
Number = Annotated[float, Field(allow_inf_nan=False)]


class ParameterSpec(Frozen):
    """One varied parameter: a dotted path and its values or range."""

    path: str = Field(description="Dotted path into the base scenario; '*' matches any key.")
    apply: Literal["set", "multiply"] = Field(
        "set", description="set: the value replaces the base value; multiply: it scales the base value.")
    values: list[Scalar] | None = Field(None, description="The values to use (grid, one_at_a_time) or draw from.")
    range: tuple[Number, Number] | None = Field(None, description="[low, high] of a continuous parameter.")
    spacing: Literal["linear", "log"] = Field("linear", description="Spacing of a range: linear or log.")
    levels: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Evenly spaced values taken from a range by grid and one_at_a_time designs.")
    baseline: Scalar | None = Field(
        None, description="Value held while other parameters vary (one_at_a_time); default: the base "
        "scenario's value (set) or 1 (multiply).")
    label: str | None = Field(None, description="Name shown on figures (default: the parameter's key).")

    @model_validator(mode="after")
    def _consistent(self) -> "ParameterSpec":
        if (self.values is None) == (self.range is None):
            raise ValueError("expected exactly one of values (a list) or range ([low, high])")
        if self.values is not None:
            if not self.values:
                raise ValueError("expected at least one value, got an empty list")
            if self.levels is not None:
                raise ValueError("expected levels only with a range (values are already a list)")
            if self.spacing != "linear":
                raise ValueError("expected spacing only with a range")
        else:
            low, high = self.range
            if not low < high:
                raise ValueError(f"expected a non-empty range [low, high] with low < high, got [{low:g}, {high:g}]")
            if self.spacing == "log" and low <= 0:
                raise ValueError(f"expected a positive low end for a log range, got {low:g}")
        if self.apply == "multiply":
            numbers = self.values if self.values is not None else list(self.range)
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in numbers):
                raise ValueError("expected non-negative numbers for apply: multiply")
        return self

    def grid_values(self, design: str) -> list:
        """The values used by grid and one_at_a_time designs."""
        if self.values is not None:
            return list(self.values)
        if self.levels is None:
            raise FieldError("levels", f"expected levels (how many values to take from the range) for a {design} design")
        low, high = self.range
        if self.levels == 1:
            return [low if self.spacing == "linear" else math.sqrt(low * high)]
        steps = range(self.levels)
        if self.spacing == "log":
            ratio = math.log(high / low)
            return [low * math.exp(ratio * i / (self.levels - 1)) for i in steps]
        return [low + (high - low) * i / (self.levels - 1) for i in steps]

    def from_unit(self, u: float):
        """The value at quantile ``u`` in [0, 1): uniform on the range (or its log), or an equally likely item."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        low, high = self.range
        if self.spacing == "log":
            return low * math.exp(u * math.log(high / low))
        return low + u * (high - low)


class OutcomeSpec(Frozen):
    """One outcome per run: a metric at a date, the date it reaches a value, or curve features."""

    metric: str = Field(description="A metric of the model, e.g. gov_accounts.sina.")
    at: dt.date | None = Field(None, description="Record the metric at the end of this date.")
    reaches: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None, description="Record the first date the metric is at least this value.")
    curve: Literal["all"] | list[Literal[FEATURES]] | None = Field(
        None, description=f"Record curve features: all, or a list of {', '.join(FEATURES)}.")

    @model_validator(mode="after")
    def _one_kind(self) -> "OutcomeSpec":
        given = [k for k in ("at", "reaches", "curve") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of at (a date), reaches (a value), curve (features); got {given or 'none'}")
        if isinstance(self.curve, list) and not self.curve:
            raise ValueError("expected at least one curve feature")
        return self

    @property
    def features(self) -> tuple[str, ...]:
        if self.curve is None:
            return ()
        return FEATURES if self.curve == "all" else tuple(dict.fromkeys(self.curve))


class FigureSpec(Frozen):
    curve: str | None = Field(None, description="Metric drawn in curves.png (default: gov_accounts of the first platform).")
    colour_by: str | None = Field(None, description="Parameter colouring curves.png (default: the first).")
    heatmap: str | None = Field(None, description="Outcome column of heatmap.png for two-parameter grids (default: the first).")
    sensitivity: list[str] | None = Field(None, description="Outcome columns in sensitivity.png (default: up to six).")


class SweepSpec(Frozen):
    """A sweep: base scenario, parameters, design, replications, seed, outcomes."""

    name: ScenarioName
    description: str = ""
    base: FilePath = Field(description="Base scenario file, relative to the spec file.")
    design: Literal[DESIGNS] = Field(description="grid, lhs (Latin hypercube), sobol (Saltelli), or one_at_a_time.")
    samples: Annotated[int, Field(ge=1)] | None = Field(
        None, description="lhs: number of points; sobol: base sample N (a power of 2), giving N*(d+2) points.")
    replications: Annotated[int, Field(ge=1)] = Field(description="Replications per point.")
    seed: Annotated[int, Field(ge=0)] = Field(
        description="Root seed of every point (common random numbers) and of the design's sampling.")
    parameters: dict[Key, ParameterSpec] = Field(min_length=1)
    outcomes: dict[Key, OutcomeSpec] = Field(min_length=1)
    summaries: Annotated[list[Annotated[str, StringConstraints(min_length=1)]], Field(min_length=1)] | None = Field(
        None, description="Metric patterns in each point's summary.csv (default: platform totals, users, followers).")
    figures: FigureSpec = FigureSpec()
    engine: Literal["race", "agents"] | None = Field(
        None, description="The view every run is simulated in (race or agents, as a scenario's engine); default: "
        "the base scenario's.")

    @model_validator(mode="after")
    def _design(self) -> "SweepSpec":
        if self.design in ("lhs", "sobol"):
            if self.samples is None:
                raise FieldError("samples", f"expected samples (a number of points) for a {self.design} design")
            if self.design == "sobol" and self.samples & (self.samples - 1):
                raise FieldError("samples", f"expected a power of 2 for a sobol design (Saltelli's balance), got {self.samples}")
        elif self.samples is not None:
            raise FieldError("samples", f"expected no samples for a {self.design} design (it takes the parameters' values)")
        if self.design in ("grid", "one_at_a_time"):
            for name, parameter in self.parameters.items():
                try:
                    parameter.grid_values(self.design)
                except FieldError as exc:
                    raise FieldError(f"parameters.{name}.{exc.field}", exc.expected) from None
        return self

    def shortened(self, *, replications: int | None = None, samples: int | None = None,
                  levels: int | None = None, engine: str | None = None) -> "SweepSpec":
        """The same sweep made smaller: fewer replications, samples, or values per parameter (or run in
        another ``engine``'s view).

        ``levels`` keeps at most that many values of each parameter, evenly
        spread and including both ends, so a shortened grid still spans the
        full ranges.
        """
        data = self.model_dump()
        if engine is not None:
            data["engine"] = engine
        if replications is not None:
            data["replications"] = replications
        if samples is not None and self.design in ("lhs", "sobol"):
            data["samples"] = samples
        if levels is not None and self.design in ("grid", "one_at_a_time"):
            for parameter in data["parameters"].values():
                if parameter["values"] is not None:
                    parameter["values"] = _spread(parameter["values"], levels)
                else:
                    parameter["levels"] = min(parameter["levels"], levels)
        return SweepSpec.model_validate(data)


def _spread(values: list, k: int) -> list:
    if len(values) <= k:
        return values
    if k == 1:
        return [values[len(values) // 2]]
    return [values[round(i * (len(values) - 1) / (k - 1))] for i in range(k)]


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a sweep spec file, or raise a one-line :class:`InputError`."""
    source = str(path)
    return load_model(SweepSpec, path, what="a sweep spec mapping",
                      defaults={"name": os.path.splitext(os.path.basename(source))[0]})


def validated(spec: SweepSpec, source: str, **changes) -> SweepSpec:
    """``spec.shortened(**changes)`` with errors attributed to ``source``."""
    try:
        return spec.shortened(**changes)
    except (FieldError, ValidationError) as exc:
        raise as_input_error(exc, SweepSpec, source) from None
