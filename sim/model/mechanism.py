"""What a mechanism is, and how the model finds and orders its mechanisms.

A *mechanism* is one part of the world the model simulates: internet users
joining micro-blogging, agencies opening verified accounts, people following
named accounts, and whatever a modeller adds next.  Each is one module of
:mod:`sim.model.mechanisms` and is the single home of everything about it:

* the **pure functions** that turn its parameters and the current state into
  per-day rates or probabilities.  Both the SimPy engine (:mod:`.simulation`)
  and the mean-field twin (:mod:`.meanfield`) call them, so the two can never
  drift apart (Ciw's distributions carry their sampler and their moments in
  one class for the same reason);
* its **metric names** and how it records them at the end of each day;
* how it **reloads** its parameters when a dated event changes the scenario;
* its part of a run (an :class:`Engine`) and of the twin (a :class:`MeanField`), and
  optionally of the compiled twin (:class:`~sim.model.compiled.Compiled`).

The module exposes ``MECHANISM``, a :class:`Definition`.  :func:`mechanisms`
discovers every module of the package (as ``sim.cli`` discovers commands), so
adding a mechanism is adding a file, plus its section of the scenario schema.
Mechanisms run in increasing ``order`` within a day, so a mechanism may read
the state of any mechanism with a lower order (following reads the users).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    from ..scenario.schema import Scenario
    from .compiled import Compiled
    from .meanfield import Twin
    from .simulation import Run


class Engine:
    """A mechanism's part of one SimPy run (:class:`~sim.model.simulation.Run`).

    Built complete by ``__init__(run)``: it reads the scenario, draws from its
    own named random streams (``run.streams.generator(name)``), takes the
    arrays of its metrics (``run.metric(name)``) and may look up mechanisms of
    a lower order (``run.mechanism("users")``).  The run then calls, at model
    time ``d`` (the start of day ``d``), :meth:`start_day` of every mechanism
    in order, and :meth:`record` at the end of each day.
    """

    def __init__(self, run: "Run") -> None:
        self.run = run

    def start_day(self, day: int) -> None:
        """What happens at the start of ``day``: openings due that day, then the day's aggregate step."""

    def reload(self, scenario: "Scenario") -> None:
        """A dated event has changed the parameters: read them again (the structure never changes)."""

    def record(self, day: int) -> None:
        """Write this mechanism's metrics for the end of ``day`` (element ``day`` of each metric's array)."""
        raise NotImplementedError

    def finish(self) -> dict[str, object]:
        """Records other than daily metrics (e.g. one row per account opened), once the run is over."""
        return {}


class MeanField:
    """A mechanism's part of the mean-field twin (:func:`~sim.model.meanfield.meanfield`).

    :meth:`solve` returns the expected daily metrics (the engine's names,
    floats) and may read what mechanisms of a lower order put in
    ``twin.shared`` (e.g. the expected registered users per platform).
    """

    def __init__(self, twin: "Twin") -> None:
        self.twin = twin

    def solve(self) -> dict[str, np.ndarray]:
        raise NotImplementedError


@dataclass(frozen=True)
class Definition:
    """Everything the model needs to know about a mechanism."""

    name: str
    order: int
    """Position within a day: lower orders step first and may be read by higher ones."""
    metric_names: Callable[["Scenario"], list[str]]
    engine: type[Engine]
    meanfield: type[MeanField]
    float_metrics: Callable[["Scenario"], list[str]] = lambda scenario: []
    """Metrics holding hours or shares (float64, NaN where undefined) rather than counts (int64)."""
    compiled: type["Compiled"] | None = None
    """Its part of the compiled twin (:mod:`.compiled`), from the same rate functions; None: the compiled twin
    refuses scenarios with this mechanism (the numpy twin still serves them)."""


@functools.cache
def mechanisms() -> tuple[Definition, ...]:
    """Every mechanism of :mod:`sim.model.mechanisms`, in their order within a day."""
    from . import mechanisms as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            found.append(module.MECHANISM)
    found.sort(key=lambda definition: (definition.order, definition.name))
    names = [definition.name for definition in found]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two mechanisms share a name: {names}")
    return tuple(found)


def metric_names(scenario: "Scenario") -> list[str]:
    """Every metric a run of ``scenario`` computes, mechanism by mechanism."""
    return [name for definition in mechanisms() for name in definition.metric_names(scenario)]


def float_metrics(scenario: "Scenario") -> set[str]:
    """The metrics of ``scenario`` that are floats; every other metric is an int64 count."""
    return {name for definition in mechanisms() for name in definition.float_metrics(scenario)}


def written_metrics(scenario: "Scenario") -> list[str]:
    """The metrics a run returns: those matching ``outputs.metrics``."""
    patterns = scenario.outputs.metrics
    return [name for name in metric_names(scenario) if any(fnmatchcase(name, p) for p in patterns)]
