"""Dated events applied to a scenario document: what a run does on each event's date.

An event's changes act on the values current on its date, in the order they
are listed; events take effect in date order (then by name).  The loader
applies them all at load (:func:`sim.scenario.loading.check_events`), so that a
change a run would refuse (a rate pushed below zero) is refused before the run.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from . import paths

if TYPE_CHECKING:
    from .schema import Event, Scenario


def dated_events(scenario: "Scenario") -> list[tuple[dt.date, str]]:
    """Enabled events as ``(date, name)``, in the order a run applies them."""
    return sorted((event.date, name) for name, event in scenario.events.items() if event.enabled)


def event_overrides(document: dict, event: "Event", *, source: str) -> dict[str, float]:
    """Apply ``event``'s changes to ``document`` in place; returns each concrete path's new value."""
    changed: dict[str, float] = {}
    for change in event.changes:
        for concrete in paths.expand(document, change.path):
            value = change.apply(float(paths.get(document, concrete)))
            paths.assign(document, concrete, value, source=source)
            changed[concrete] = value
    return changed
