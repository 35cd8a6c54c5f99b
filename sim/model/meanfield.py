"""The mean-field twin: ``meanfield(scenario)`` -> the expected daily metrics, in milliseconds.

The twin is the engine's deterministic counterpart with the same parameters,
for the global stage of a calibration, profiles and posterior sampling.  It
is assembled from the mechanisms (:mod:`.mechanism`): each mechanism's
:class:`~sim.model.mechanism.MeanField` solves its expected metrics with the
same rate functions its engine uses, in the mechanisms' order, reading what
lower mechanisms left in ``shared`` (the users' expected registered counts,
for the followers and the agencies' audience).  It follows the engine's
clock: on day ``d`` the dated events apply first, then each mechanism's step;
metrics are the state at the end of the day.  Where the twin is exact in
expectation and where it is not is said in each mechanism's twin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ..scenario.schema import Scenario
from .mechanism import mechanisms
from .records import DailyMetrics
from .segments import schedule, segment_of_day


@dataclass(frozen=True)
class MeanFieldRecords(DailyMetrics):
    """Expected daily metrics; the same names and layout as ``RunRecords.metrics`` (floats)."""

    scenario: str
    start: dt.date
    metrics: dict[str, np.ndarray]
    diagnostics: dict[str, object]
    """Solver statistics (e.g. ``adoption_ode_evaluations``)."""


@dataclass
class Twin:
    """What the mechanisms' twins share while solving one scenario."""

    scenario: Scenario
    days: int
    segments: list[tuple[int, Scenario]]
    segment_of_day: list[int]
    shared: dict[str, object] = field(default_factory=dict)
    diagnostics: dict[str, object] = field(default_factory=dict)


def meanfield(scenario: Scenario, *, days: int | None = None) -> MeanFieldRecords:
    """The expected daily metrics of ``scenario`` over its first ``days`` days (all by default)."""
    D = scenario.horizon.days if days is None else max(1, min(int(days), scenario.horizon.days))
    segments = schedule(scenario)
    twin = Twin(scenario=scenario, days=D, segments=segments, segment_of_day=segment_of_day(segments, D))
    metrics: dict[str, np.ndarray] = {}
    for definition in mechanisms():
        metrics.update(definition.meanfield(twin).solve())
    return MeanFieldRecords(scenario=scenario.name, start=scenario.horizon.start, metrics=metrics,
                            diagnostics=twin.diagnostics)
