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

**What a mechanism may touch of another** is declared in its definition and
checked by the run (:class:`~sim.model.simulation.Run`):

* ``reads``: ``"users.registered"`` -- state of a mechanism of a lower order
  (mechanisms run in increasing ``order`` within a day, so that state is
  today's).  It is handed out read-only: a mapping as a read-only proxy, a list
  as a tuple, an array as a read-only view; a method (``adoption.accounts``) is
  the owner's own accessor.  Anything else (a mutable object) is refused.
* ``sets``: ``"following.appeal"`` -- an *input* another mechanism declares
  (``inputs``).  A mechanism never writes another's state; it sets an input,
  keyed (by account, by level), and the owner applies it itself: it reads its
  inputs when it uses them, and its :meth:`Engine.reload` is called as soon as
  the setting mechanism's step is over, so that one that caches rates
  (adoption's races) recomputes them at the same model time.

Reading or setting anything undeclared raises :class:`ContractError`, as
does a declaration that names a missing mechanism, a mechanism of a higher
order (reads) or an input its owner does not declare (sets).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass
from fnmatch import fnmatchcase
from types import MappingProxyType, MethodType
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    from ..scenario.schema import Scenario
    from .compiled import Compiled
    from .meanfield import Twin
    from .simulation import Run


class ContractError(RuntimeError):
    """A mechanism touched another's state beyond what its :class:`Definition` declares."""


class Engine:
    """A mechanism's part of one SimPy run (:class:`~sim.model.simulation.Run`).

    Built complete by ``__init__(run)``: it reads the scenario, draws from its
    own named random streams (``run.streams.generator(name)``), takes the
    arrays of its metrics (``run.metric(name)``) and looks up the mechanisms
    it declares it reads or sets (``run.mechanism("users")``: a :class:`Peer`).
    The run then calls, at model time ``d`` (the start of day ``d``),
    :meth:`start_day` of every mechanism in order, and :meth:`record` at the
    end of each day.
    """

    def __init__(self, run: "Run") -> None:
        self.run = run
        self.inputs: dict[str, dict] = {name: {} for name in run.building.inputs}
        """The inputs other mechanisms set (:attr:`Definition.inputs`), each keyed as its owner says."""

    def start_day(self, day: int) -> None:
        """What happens at the start of ``day``: openings due that day, then the day's aggregate step."""

    def reload(self, scenario: "Scenario") -> None:
        """A dated event has changed the parameters, or another mechanism an input: read them again (the
        structure never changes)."""

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
    reads: tuple[str, ...] = ()
    """``"mechanism.attribute"``: state of mechanisms of a lower order that the engine reads."""
    sets: tuple[str, ...] = ()
    """``"mechanism.input"``: inputs of other mechanisms that the engine sets (never their state)."""
    inputs: tuple[str, ...] = ()
    """Names of the inputs other mechanisms may set on this one; it applies them itself."""
    agents: type[Engine] | None = None
    """The engine of the agent view (``engine: agents``): one SimPy process per agency or account, from the
    same rate functions as :attr:`engine`; None: the mechanism runs :attr:`engine` in both views."""

    def engine_for(self, view: str) -> type[Engine]:
        """The engine of ``view`` (a scenario's ``engine``: ``race`` or ``agents``)."""
        return self.agents if view == "agents" and self.agents is not None else self.engine


def check_declarations(definitions: tuple[Definition, ...]) -> None:
    """Every ``reads`` names a mechanism of a lower order, every ``sets`` an input its owner declares."""
    by_name = {definition.name: definition for definition in definitions}
    for definition in definitions:
        for kind, declared in (("reads", definition.reads), ("sets", definition.sets)):
            for item in declared:
                owner_name, _, attribute = item.partition(".")
                owner = by_name.get(owner_name)
                if owner is None or not attribute:
                    raise ContractError(f"mechanism {definition.name!r} {kind} {item!r}: expected "
                                        f"'<mechanism>.<name>' with a mechanism of {sorted(by_name)}")
                if kind == "reads" and owner.order >= definition.order:
                    raise ContractError(f"mechanism {definition.name!r} reads {item!r}, but {owner_name!r} does "
                                        f"not come before it in a day (order {owner.order} >= {definition.order})")
                if kind == "sets" and attribute not in owner.inputs:
                    raise ContractError(f"mechanism {definition.name!r} sets {item!r}, which {owner_name!r} does "
                                        f"not declare as an input (its inputs: {', '.join(owner.inputs) or 'none'})")


def _immutable(value: object) -> bool:
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return True
    return isinstance(value, (tuple, frozenset)) and all(_immutable(item) for item in value)


def read_only(value: object, where: str) -> object:
    """``value`` as a reader may hold it: immutable, a read-only view of it, or the owner's own method.

    Containers are handed out as read-only views of values that cannot be
    changed (numbers, text, tuples of them): a list of objects would let the
    reader change the objects.
    """
    if isinstance(value, MethodType) or _immutable(value):
        return value
    if isinstance(value, dict) and all(_immutable(k) and _immutable(v) for k, v in value.items()):
        return MappingProxyType(value)
    if isinstance(value, list) and all(_immutable(item) for item in value):
        return tuple(value)
    if isinstance(value, set) and all(_immutable(item) for item in value):
        return frozenset(value)
    if isinstance(value, np.ndarray) and value.dtype != object:
        view = value.view()
        view.flags.writeable = False
        return view
    raise ContractError(f"{where} is a {type(value).__name__}, which a reader could change: expose a "
                        "read-only accessor (a method, a number, a mapping, a list or an array) instead")


class Peer:
    """Another mechanism as one mechanism sees it: the state it declared it reads, read-only, and
    :meth:`set` for the inputs it declared it sets.  Nothing else gets through."""

    __slots__ = ("_engine", "_owner", "_reader", "_reads", "_sets", "_changed")

    def __init__(self, engine: Engine, owner: str, reader: Definition, changed: Callable[[str], None]) -> None:
        for slot, value in (("_engine", engine), ("_owner", owner), ("_reader", reader.name),
                            ("_reads", {i.partition(".")[2] for i in reader.reads if i.partition(".")[0] == owner}),
                            ("_sets", {i.partition(".")[2] for i in reader.sets if i.partition(".")[0] == owner}),
                            ("_changed", changed)):
            object.__setattr__(self, slot, value)

    def __getattr__(self, attribute: str):
        where = f"{self._owner}.{attribute}"
        if attribute not in self._reads:
            raise ContractError(f"mechanism {self._reader!r} reads {where!r}, which its Definition.reads does "
                                f"not declare")
        return read_only(getattr(self._engine, attribute), where)

    def __setattr__(self, attribute: str, value) -> None:
        raise ContractError(f"mechanism {self._reader!r} writes {self._owner}.{attribute}: a mechanism never "
                            f"writes another's state; it sets a declared input (Peer.set)")

    def set(self, name: str, key, value) -> None:
        """Set input ``name`` of this mechanism at ``key``; its owner applies it (see the module's docstring)."""
        if name not in self._sets:
            raise ContractError(f"mechanism {self._reader!r} sets {self._owner}.{name}, which its "
                                f"Definition.sets does not declare")
        store = self._engine.inputs[name]
        if key not in store or store[key] != value:
            store[key] = value
            self._changed(self._owner)


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
    check_declarations(tuple(found))
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
