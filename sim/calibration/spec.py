"""The calibration spec: which figures, which free parameters, how much effort.

A calibration spec is a YAML file (``experiments/calibrate-*.yaml``) validated
once, at load, like a scenario: unknown keys are errors, and every error is
one line naming the spec file and the field.  Free parameters use the sweep
spec's vocabulary (:mod:`sim.sweep.spec`), so a block can be copied between
the two: a dotted ``path`` into the base scenario (``*`` wildcards allowed),
``apply: set`` (the value replaces every matched value) or ``apply:
multiply`` (the value scales each matched base value, keeping the ratios
between, say, agency levels), a ``range`` and its ``spacing`` (the scale the
optimiser works on).

This module holds the file format only; :mod:`.problem` checks it against the
base scenario and the targets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from ..scenario.loading import load_model
from ..scenario.schema import FilePath, Frozen, Key, ScenarioName
from ..targets import Target

Number = Annotated[float, Field(allow_inf_nan=False)]


class ParameterSpec(Frozen):
    """One free parameter: a dotted path, how it is applied, its range and scale."""

    path: str = Field(description="Dotted path into the base scenario; '*' matches any key.")
    apply: Literal["set", "multiply"] = Field(
        "set", description="set: the value replaces every matched value; multiply: it scales each base value.")
    range: tuple[Number, Number] = Field(description="[low, high]: the bounds of the search.")
    spacing: Literal["linear", "log"] = Field(
        "linear", description="Scale of the search and of the intervals: linear or log.")
    start: Number | None = Field(
        None, description="Prior value: where the global stage starts and what ties are broken towards "
        "(default: the base scenario's value for set, 1 for multiply).")
    label: str | None = Field(None, description="Name shown in the report and figures (default: the key).")

    @model_validator(mode="after")
    def _consistent(self) -> "ParameterSpec":
        low, high = self.range
        if not low < high:
            raise ValueError(f"expected a range in increasing order [low, high] with low < high, "
                             f"got [{low:g}, {high:g}]")
        if self.spacing == "log" and low <= 0:
            raise ValueError(f"expected a positive low end of the range for spacing: log, got {low:g}")
        if self.apply == "multiply" and low < 0:
            raise ValueError(f"expected non-negative factors for apply: multiply, got {low:g}")
        if self.start is not None and not low <= self.start <= high:
            raise ValueError(f"expected a start within the range [{low:g}, {high:g}], got {self.start:g}")
        return self


class Budget(Frozen):
    """When to stop: whichever comes first.  The best point so far is always reported."""

    evaluations: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Evaluations of the stochastic model (each runs `replications` replications).")
    minutes: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None, description="Wall-clock minutes for the whole calibration, analysis and outputs included.")

    @model_validator(mode="after")
    def _some(self) -> "Budget":
        if self.evaluations is None and self.minutes is None:
            raise ValueError("expected evaluations, minutes, or both")
        return self


class GlobalStage(Frozen):
    """The global search on the mean-field model (:mod:`.meanfield`)."""

    method: Literal["differential_evolution", "sobol"] = Field(
        "differential_evolution", description="scipy.optimize.differential_evolution, or the best point "
        "of a scrambled Sobol' sample (scipy.stats.qmc).")
    evaluations: Annotated[int, Field(ge=8)] = Field(600, description="Mean-field evaluations of the global search.")
    polish: bool = Field(True, description="Polish the global optimum with least_squares on the mean field.")


class Refine(Frozen):
    """Local refinement on the stochastic model (scipy.optimize.least_squares)."""

    enabled: bool = True
    step: Annotated[float, Field(gt=0, le=0.5)] = Field(
        0.05, description="Finite-difference step, as a share of each parameter's scaled range: large "
        "against the Monte Carlo noise, because the stochastic model is not smooth in its parameters.")
    regularisation: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        0.01, description="Weak pull towards each parameter's start (per unit of scaled range): among "
        "equally good fits it picks the one nearest the prior; it enters no interval or verdict.")


class Analysis(Frozen):
    """Intervals, identifiability verdicts and profiles."""

    level: Annotated[float, Field(gt=0, lt=1)] = Field(0.9, description="Coverage of the intervals.")
    profile_points: Annotated[int, Field(ge=3, le=41)] = Field(9, description="Grid points of each profile.")
    figure_precision: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.01, description="Relative precision of a reported figure when its tolerance is zero (rounding).")


class CalibrationSpec(Frozen):
    """A calibration: base scenario, targets, free parameters, effort."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: ScenarioName | None = Field(None, description="Name of the calibration (default: the spec file's stem).")
    description: str = ""
    base: FilePath = Field(description="Base scenario file, relative to the spec file.")
    targets: FilePath | None = Field(
        None, description="Targets file, relative to the spec file (default: the base scenario's outputs.targets).")
    extra_targets: dict[Key, Target] = Field(
        {}, description="Targets added to (or replacing, by name) those of the targets file.")
    omit_targets: list[Key] = Field([], description="Targets of the file left out of this calibration.")
    replications: Annotated[int, Field(ge=2)] = Field(
        description="Replications per stochastic evaluation: the same indices for every candidate (common "
        "random numbers), at least 2 to estimate the Monte Carlo error.")
    first_replication: Annotated[int, Field(ge=0)] = Field(0, description="Index of the first replication used.")
    seed: Annotated[int, Field(ge=0)] = Field(0, description="Seed of the global search (not of the model).")
    budget: Budget
    global_stage: GlobalStage = Field(GlobalStage(), alias="global")
    refine: Refine = Refine()
    analysis: Analysis = Analysis()
    parameters: dict[Key, ParameterSpec] = Field(min_length=1)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "CalibrationSpec":
        return load_model(cls, path, what="a calibration spec mapping", defaults={"name": Path(path).stem})

