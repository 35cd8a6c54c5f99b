"""The scenario as dated events change it: parameter segments.

A dated event (e.g. the State Internet Information Office's push of
2011-10-15) changes parameters from the start of its day on.  The engine
applies it when its day comes; the mean-field twin needs the whole
sequence at once.  Both take it from :func:`schedule`, so they change the
same values on the same day.
"""

from __future__ import annotations

from ..scenario import events
from ..scenario.schema import Scenario


def apply_event(scenario: Scenario, name: str) -> Scenario:
    """The scenario with event ``name``'s changes applied to the values in force.

    Loading has already applied every event once (:func:`sim.scenario.loading.check_events`), so a
    scenario that loaded never fails here.
    """
    data = scenario.to_dict()
    events.event_overrides(data, scenario.events[name], source=f"events.{name}")
    return Scenario.from_dict(data, source=f"events.{name}")


def dated_events(scenario: Scenario) -> list[tuple[int, str]]:
    """``(day, event name)`` of the enabled events, in the order they apply (by date, then name)."""
    return [(scenario.horizon.day(date), name) for date, name in events.dated_events(scenario)]


def schedule(scenario: Scenario) -> list[tuple[int, Scenario]]:
    """``(first day, scenario in force)`` segments; events of one day are merged into one segment."""
    segments = [(0, scenario)]
    current = scenario
    for day, name in dated_events(scenario):
        current = apply_event(current, name)
        if segments[-1][0] == day:
            segments[-1] = (day, current)
        else:
            segments.append((day, current))
    return segments


def segment_of_day(segments: list[tuple[int, Scenario]], days: int) -> list[int]:
    """For each day, the index of the segment in force."""
    index = [0] * days
    for i, (first, _) in enumerate(segments):
        for d in range(max(first, 0), days):
            index[d] = i
    return index
