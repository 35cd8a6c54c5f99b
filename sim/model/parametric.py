"""A scenario whose numbers may be arrays: what the compiled twin traces.

The compiled twin (:mod:`.compiled`) evaluates the mechanisms' own rate
functions on a scenario in which some leaves, the *free* ones (a calibration's
parameters), hold traced arrays instead of numbers: the scenario is built once,
at trace time, and ``jax.jit`` turns the whole map from parameter values to
expected metrics into one compiled function.  No scenario is validated per
point; the free leaves' ranges were checked when the calibration loaded
(:func:`sim.calibration.problem.parameters.resolve_parameters`).

Two views of one parameter set:

* :func:`substitute` gives the **static** view: the scenario at the start, the
  free leaves replaced (the model's copy of a frozen pydantic model, without
  validation, so every attribute a mechanism reads is where it always is);
* :func:`day_view` gives the view **of a day**: every leaf a dated event changes
  is its value on that day (a traced day inside a compiled daily loop).  An event's change acts
  from the start of its day (``day >= event day``, a day mask), in the order a
  run applies the events (:func:`sim.scenario.events.dated_events`), so the
  rate functions, elementwise, give each day's rates at once.  An event's date
  may itself be free (the day mask is then traced); the order of events whose
  dates are free can change from one parameter set to another, so such events
  must change no leaf in an order-dependent way (:func:`check_commuting`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import numpy as np
from pydantic import BaseModel

from ..scenario import events as scenario_events
from ..scenario import paths
from ..scenario.schema import Scenario


class NotCompilable(ValueError):
    """A parameter the compiled twin cannot trace (it sets structure: a shape, a date of a launch, a count of
    staff), or events whose order would depend on the parameters.  The message says which."""


def get(node: Any, path: str) -> Any:
    """The value at dotted ``path`` (no wildcards) of a scenario view (models, dicts, lists)."""
    for part in paths.split(path):
        if isinstance(node, BaseModel):
            node = getattr(node, part)
        elif isinstance(node, dict):
            node = node[part]
        else:
            node = node[int(part)]
    return node


def substitute(node: Any, path: str, value: Any) -> Any:
    """``node`` with the leaf at dotted ``path`` replaced by ``value``: copies along the path, no validation."""
    return _substitute(node, paths.split(path), value)


def _substitute(node: Any, parts: list[str], value: Any) -> Any:
    head, rest = parts[0], parts[1:]
    if isinstance(node, BaseModel):
        child = getattr(node, head)
        return node.model_copy(update={head: value if not rest else _substitute(child, rest, value)})
    if isinstance(node, dict):
        copy = dict(node)
        copy[head] = value if not rest else _substitute(node[head], rest, value)
        return copy
    items = list(node)
    index = int(head)
    items[index] = value if not rest else _substitute(items[index], rest, value)
    return type(node)(items) if isinstance(node, tuple) else items


def event_dates(scenario: Scenario) -> dict[str, str]:
    """``{path of the date: event name}`` of the enabled events."""
    return {f"events.{name}.date": name for name, event in scenario.events.items() if event.enabled}


def changed_leaves(scenario: Scenario) -> dict[str, list[tuple[str, list[str]]]]:
    """Per enabled event, in the order a run applies them: each change's operation and the concrete paths it
    changes."""
    document = scenario.to_dict()
    out = {}
    for _, name in scenario_events.dated_events(scenario):
        out[name] = [(next(op for op in ("multiply", "add", "set") if getattr(change, op) is not None),
                      paths.expand(document, change.path)) for change in scenario.events[name].changes]
    return out


def check_commuting(scenario: Scenario, free: Iterable[str]) -> None:
    """Refuse free event dates when the events' order matters: two events whose dates may cross must change any
    leaf they share by multiplying both, or by adding both (both orders then give the same value)."""
    dates = event_dates(scenario)
    moving = {dates[path] for path in free if path in dates}
    if not moving:
        return
    touched: dict[str, list[tuple[str, str]]] = {}
    for name, changes in changed_leaves(scenario).items():
        for operation, concretes in changes:
            for concrete in concretes:
                touched.setdefault(concrete, []).append((name, operation))
    for concrete, by in touched.items():
        names = {name for name, _ in by}
        operations = {operation for _, operation in by}
        if len(names) > 1 and names & moving and (len(operations) > 1 or operations == {"set"}):
            raise NotCompilable(f"events {', '.join(sorted(names))} change {concrete} in an order that depends on "
                                f"their dates, and {', '.join(sorted(names & moving))} has a free date")


def day_view(static: Scenario, structure: Scenario, day, event_days: dict[str, Any], xp) -> Scenario:
    """The scenario in force on ``day``: every leaf a dated event changes is its value on that day (``day`` a
    traced day, or an array of days: the leaf is then an array of its values on each).

    ``static`` is the view at the start (free leaves substituted), ``structure`` the scenario the batch shares
    (whose events' changes are expanded to concrete paths), ``event_days`` the day of each event whose date
    is free (traced), the others' days coming from their dates.
    """
    current = static
    for name, changes in changed_leaves(structure).items():
        event = static.events[name]
        when = event_days.get(name)
        if when is None:
            when = structure.horizon.day(structure.events[name].date)
        passed = day >= when
        for change, (_, concretes) in zip(event.changes, changes):
            for concrete in concretes:
                before = get(current, concrete)
                current = substitute(current, concrete, xp.where(passed, change.apply(before), before))
    return current


def as_day(structure: Scenario, value) -> Any:
    """A free date's value (a proleptic ordinal, traced or not) as a day of the horizon."""
    return value - structure.horizon.start.toordinal()


def is_date(value: Any) -> bool:
    return isinstance(value, (dt.date, str)) and not isinstance(value, bool)


def stack_over_days(value, days: int, xp):
    """``value`` (a number, or an array over the days) as a ``(days,)`` array."""
    return xp.broadcast_to(xp.asarray(value, dtype=float), (days,)) if np.ndim(value) == 0 else value
