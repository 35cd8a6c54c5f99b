"""The mean-field twin: the expected daily metrics of a scenario, or of a batch of them at once.

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

:func:`meanfield_batch` solves many parameter sets of one structure together,
with numpy over the batch (a sampler's walkers, an optimiser's population):
the per-day Python work is paid once per batch instead of once per member.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..scenario.apportion import level_provinces
from ..scenario.schema import Scenario
from .mechanism import mechanisms, metric_names
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
    """What the mechanisms' twins share while solving one scenario, or a batch of one structure.

    ``members`` are the scenarios solved together; they share their structure
    (:func:`structure`): horizon, platforms and their launches, levels,
    provinces, named accounts.  Values that
    differ between members are floats for a batch of one and arrays over the
    batch otherwise (:meth:`values`), so a twin's arithmetic is the same code
    either way.
    """

    members: list[Scenario]
    days: int
    segments: list[list[tuple[int, Scenario]]]
    """Per member, ``(first day, scenario in force)`` (:func:`~.segments.schedule`), cut at the same days for
    every member (:func:`aligned`).  Metrics come back as ``(days,)`` arrays for one scenario and
    ``(days, batch)`` for a batch."""
    segment_of_day: list[int]
    shared: dict[str, object] = field(default_factory=dict)
    diagnostics: dict[str, object] = field(default_factory=dict)

    @property
    def scenario(self) -> Scenario:
        """The first member: what every member shares (the structure) is read from it."""
        return self.members[0]

    @property
    def shape(self) -> tuple[int, ...]:
        """``()`` for one scenario, ``(batch,)`` for a batch."""
        return () if len(self.members) == 1 else (len(self.members),)

    def values(self, read: Callable[[Scenario], float]):
        """``read`` of every member: a float for one scenario, an array over the batch otherwise."""
        if len(self.members) == 1:
            return read(self.members[0])
        return np.array([read(s) for s in self.members], dtype=float)

    def segment_members(self) -> list[list[Scenario]]:
        """For each parameter segment, every member's scenario in force."""
        return [[segments[i][1] for segments in self.segments] for i in range(len(self.segments[0]))]


def structure(scenario: Scenario) -> tuple:
    """What the members of a batch must share, everything but the parameters vectorised over.

    Parameter values (rates, counts, shares, staff sizes, service times, patience, elasticities, the
    profiles of messages over the day and week, the surges' dates, heights and decays) may differ.
    """
    h = scenario.horizon
    return (
        h.start, h.end,
        tuple((name, p.launch) for name, p in scenario.platforms.items()),
        tuple(scenario.provinces),
        tuple((name, level.parent, level.spread, tuple(level_provinces(scenario, name)[1] > 0))
              for name, level in scenario.agencies.levels.items()),
        tuple((name, a.level, a.province, a.launch, tuple(a.platforms)) for name, a in scenario.accounts.items()),
        tuple(metric_names(scenario)),  # e.g. with and without the interaction loop, or another set of desks
        _interaction_structure(scenario),
    )


def _interaction_structure(scenario: Scenario) -> tuple | None:
    """What the interaction twin needs a batch to share: the named desks' shifts (so their pieces) and whether
    they have a department, the hot issues and whom they hit, the feedback's window (whole days)."""
    interaction = scenario.interaction
    if interaction is None:
        return None
    return (
        tuple((name, tuple(desk.staff.shifts), None if desk.department is None else tuple(desk.department.shifts))
              for name, desk in interaction.accounts.items()),
        tuple((name, tuple(issue.accounts), tuple(issue.levels)) for name, issue in interaction.hot_issues.items()),
        interaction.feedback.window_days,
    )


def meanfield(scenario: Scenario, *, days: int | None = None) -> MeanFieldRecords:
    """The expected daily metrics of ``scenario`` over its first ``days`` days (all by default)."""
    return meanfield_batch([scenario], days=days)[0]


def meanfield_batch(scenarios: Sequence[Scenario], *, days: int | None = None) -> list[MeanFieldRecords]:
    """The expected daily metrics of each scenario, solved in batches of one structure (in input order)."""
    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(scenarios):
        groups.setdefault(structure(s), []).append(i)
    out: list[MeanFieldRecords | None] = [None] * len(scenarios)
    for indices in groups.values():
        members = [scenarios[i] for i in indices]
        for i, records in zip(indices, _solve(members, days)):
            out[i] = records
    return out


def aligned(schedules: list[list[tuple[int, Scenario]]]) -> list[list[tuple[int, Scenario]]]:
    """Every member's segments cut at the union of the members' change days (events may fall on different
    days for different members: a date is a parameter too), so segment ``i`` starts on the same day for all."""
    starts = sorted({day for segments in schedules for day, _ in segments})
    out = []
    for segments in schedules:
        days = [day for day, _ in segments]
        out.append([(start, segments[max(i for i, day in enumerate(days) if day <= start)][1]) for start in starts])
    return out


def _solve(members: list[Scenario], days: int | None) -> list[MeanFieldRecords]:
    first = members[0]
    D = first.horizon.days if days is None else max(1, min(int(days), first.horizon.days))
    segments = aligned([schedule(s) for s in members])
    twin = Twin(members=members, days=D, segments=segments, segment_of_day=segment_of_day(segments[0], D))
    metrics: dict[str, np.ndarray] = {}
    for definition in mechanisms():
        metrics.update(definition.meanfield(twin).solve())
    if len(members) == 1:
        return [MeanFieldRecords(scenario=first.name, start=first.horizon.start, metrics=metrics,
                                 diagnostics=twin.diagnostics)]
    return [MeanFieldRecords(scenario=s.name, start=s.horizon.start,
                             metrics={name: np.ascontiguousarray(values[:, b]) for name, values in metrics.items()},
                             diagnostics=twin.diagnostics)
            for b, s in enumerate(members)]
