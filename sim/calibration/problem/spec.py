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

A parameter whose path leads to a date (an event's date) takes a range of two
dates and moves in whole days.  Each parameter has a prior: uniform over its
range on its declared spacing unless the spec gives a ``prior`` (normal,
lognormal or beta) with its ``source``.

This module holds the file format only; :mod:`.problem` checks it against the
base scenario and the targets.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import ConfigDict, Field, model_validator
from scipy import stats

from ...scenario.loading import load_model
from ...scenario.schema import FilePath, Frozen, Key, ScenarioName
from ...targets import Target

Number = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Source = Annotated[str, Field(min_length=1, description="Where the prior comes from (a citation or a reason).")]

MIN_PRIOR_MASS = 0.5
"""A normal or lognormal prior must keep at least this share of its mass within the parameter's range:
otherwise the range, not the prior, decides, and the prior is not what its source says."""


class UniformPrior(Frozen):
    """Uniform over the range on the parameter's spacing (log-uniform for ``spacing: log``): the default."""

    distribution: Literal["uniform"]
    source: str | None = None


class NormalPrior(Frozen):
    """Normal on the parameter's value, truncated to its range."""

    distribution: Literal["normal"]
    mean: Number
    sd: Positive
    source: Source

    def scipy(self):
        return stats.norm(self.mean, self.sd)


class LognormalPrior(Frozen):
    """Log-normal on the parameter's value (``log value ~ N(log median, sigma^2)``), truncated to its range."""

    distribution: Literal["lognormal"]
    median: Positive
    sigma: Positive
    source: Source

    def scipy(self):
        return stats.lognorm(self.sigma, scale=self.median)


class BetaPrior(Frozen):
    """Beta(a, b) on the parameter's unit coordinate: its range mapped on its spacing to [0, 1]."""

    distribution: Literal["beta"]
    a: Positive
    b: Positive
    source: Source


Prior = Annotated[Union[UniformPrior, NormalPrior, LognormalPrior, BetaPrior], Field(discriminator="distribution")]


class ParameterSpec(Frozen):
    """One free parameter: a dotted path, how it is applied, its range and scale, its prior."""

    path: str = Field(description="Dotted path into the base scenario; '*' matches any key.")
    apply: Literal["set", "multiply"] = Field(
        "set", description="set: the value replaces every matched value; multiply: it scales each base value.")
    range: tuple[Number, Number] | tuple[dt.date, dt.date] = Field(
        description="[low, high]: the bounds of the search (two dates for a path to a date).")
    spacing: Literal["linear", "log"] = Field(
        "linear", description="Scale of the search and of the intervals: linear or log.")
    start: Number | dt.date | None = Field(
        None, description="Where the global stage starts and what ties are broken towards "
        "(default: the base scenario's value for set, 1 for multiply).")
    prior: Prior | None = Field(None, description="The prior (default: uniform over the range on its spacing).")
    label: str | None = Field(None, description="Name shown in the report and figures (default: the key).")

    @property
    def dated(self) -> bool:
        return isinstance(self.range[0], dt.date)

    @model_validator(mode="after")
    def _consistent(self) -> "ParameterSpec":
        low, high = self.range
        if self.dated:
            return self._consistent_dates()
        if not low < high:
            raise ValueError(f"expected a range in increasing order [low, high] with low < high, "
                             f"got [{low:g}, {high:g}]")
        if self.spacing == "log" and low <= 0:
            raise ValueError(f"expected a positive low end of the range for spacing: log, got {low:g}")
        if self.apply == "multiply" and low < 0:
            raise ValueError(f"expected non-negative factors for apply: multiply, got {low:g}")
        if self.start is not None and (isinstance(self.start, dt.date) or not low <= self.start <= high):
            raise ValueError(f"expected a start within the range [{low:g}, {high:g}], got {self.start}")
        if isinstance(self.prior, (NormalPrior, LognormalPrior)):
            self._prior_fits(low, high)
        return self

    def _consistent_dates(self) -> "ParameterSpec":
        low, high = self.range
        if not low < high:
            raise ValueError(f"expected a range of dates in increasing order, got [{low}, {high}]")
        if self.spacing != "linear" or self.apply != "set":
            raise ValueError("expected spacing: linear and apply: set for a range of dates (whole days)")
        if self.start is not None and (not isinstance(self.start, dt.date) or not low <= self.start <= high):
            raise ValueError(f"expected a start date within [{low}, {high}], got {self.start}")
        if self.prior is not None and not isinstance(self.prior, (UniformPrior, BetaPrior)):
            raise ValueError("expected a uniform or beta prior for a range of dates (days are its unit coordinate)")
        return self

    def _prior_fits(self, low: float, high: float) -> None:
        prior = self.prior
        where = prior.mean if isinstance(prior, NormalPrior) else prior.median
        name = "mean" if isinstance(prior, NormalPrior) else "median"
        if isinstance(prior, LognormalPrior) and low < 0:
            raise ValueError(f"expected a range of positive values for a lognormal prior, got [{low:g}, {high:g}]")
        if not low <= where <= high:
            raise ValueError(f"expected the prior's {name} within the range [{low:g}, {high:g}], got {where:g}")
        dist = prior.scipy()
        mass = float(dist.cdf(high) - dist.cdf(max(low, 0.0) if isinstance(prior, LognormalPrior) else low))
        if not mass >= MIN_PRIOR_MASS:
            raise ValueError(f"expected a prior with at least {MIN_PRIOR_MASS:.0%} of its mass within the range "
                             f"[{low:g}, {high:g}] (a wider range, or another prior), got {mass:.1%}")


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
    """The global search on the mean-field model (:mod:`sim.model.meanfield`)."""

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


class Likelihood(Frozen):
    """The noise model beyond the figures' own (:mod:`.likelihood`)."""

    discrepancy: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = Field(
        0.03, description="Structural model discrepancy: the log standard deviation of the model's error on any "
        "figure (Kennedy and O'Hagan 2001); 0.03 is a 90% error of +-5%, the tightest figure's own tolerance.")
    one_history: bool = Field(
        True, description="The figures are one history of the world, so the runs' spread about their mean is part of "
        "the noise; false for figures that are means of many runs (synthetic ones).")


class PosteriorStage(Frozen):
    """Sampling the posterior of the free parameters on the twin, corrected by the stochastic model (independent
    groups of random-walk Metropolis chains: :mod:`sim.calibration.bayes.chains`)."""

    enabled: bool = True
    sampler: Literal["metropolis"] = Field(
        "metropolis", description="Independent groups of adaptive random-walk Metropolis chains on the batched twin "
        "(the only sampler: benchmarks/posterior.py says why).")
    groups: Annotated[int, Field(ge=2, le=64)] = Field(
        4, description="Independent groups of chains (own random stream, own adaptation, dispersed starts); "
        "convergence is judged over at least 4 chains.")
    chains_per_group: Annotated[int, Field(ge=1, le=256)] = Field(
        4, description="Chains per group (they share the adapted kernel, and one batch of the twin a step).")
    explorers_per_group: Annotated[int, Field(ge=1, le=1024)] = Field(
        16, description="Chains per group in the exploration (random walks from dispersed starts; the sampling "
        "phase's proposal is fitted to their draws).")
    warmup: Annotated[int, Field(ge=20, le=100_000)] = Field(
        1500, description="Exploration iterations per explorer (the random walk adapted); the stochastic correction "
        "comes halfway through.")
    tries: Annotated[int, Field(ge=1, le=256)] = Field(
        8, description="Proposals of the independent multiple-try step per chain and iteration (all in one batch of "
        "the twin).")
    iterations: Annotated[int, Field(ge=100, le=10_000_000)] = Field(
        20_000, description="Sampling iterations per chain at most (the stage stops earlier once converged, or at "
        "its time).")
    thin: Annotated[int, Field(ge=1, le=1000)] = Field(
        2, description="Record every thin-th state of the sampling phase (each recorded state also costs one twin "
        "evaluation: the parameters drawn from their prior).")
    minutes: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        4.5, description="Wall-clock minutes of the posterior stage, its stochastic correction included; sampling "
        "stops earlier when every sampled parameter has converged.")
    correction_draws: Annotated[int, Field(ge=2)] = Field(
        16, description="Warm-up draws run on the stochastic model (the spec's replications each, common random "
        "numbers) to correct the twin and measure its departures.")
    draws: Annotated[int, Field(ge=100)] = Field(4000, description="Rows of posterior.csv (at most).")
    cross_validation_minutes: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        2.5, description="With --cross-validate: minutes of each leave-one-figure-out posterior.")
    seed: Annotated[int, Field(ge=0)] | None = Field(None, description="Seed of the sampler (default: the spec's).")


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
    likelihood: Likelihood = Likelihood()
    posterior: PosteriorStage = PosteriorStage()
    parameters: dict[Key, ParameterSpec] = Field(min_length=1)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "CalibrationSpec":
        return load_model(cls, path, what="a calibration spec mapping", defaults={"name": Path(path).stem})

