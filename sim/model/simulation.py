"""One run of the model: ``simulate(scenario, replication) -> RunRecords``.

A run is one SimPy environment.  Its ``daily`` process, at model time ``d``
(the start of day ``d``), first applies the dated events of the day (every
mechanism reloads its parameters), then calls each mechanism's
``start_day(d)`` in the mechanisms' order (:mod:`.mechanism`): users join
the internet and platforms (launching a platform first on its day), named
accounts open and gain followers, agencies see their new audience.
Mechanisms may run SimPy processes of their own (their events interleave
with the daily process in time order).  Each day is recorded as it ends,
outside the processes (see :meth:`Run.run`).

What a mechanism reads of another, and the inputs it sets on another, are
declared in its :class:`~sim.model.mechanism.Definition` and enforced here:
a mechanism gets its peers through :meth:`Run.mechanism`, which hands out
only what it declared, and a mechanism whose inputs were set reloads as soon
as the setter's step is over (:meth:`Run._apply_inputs`).

A run is a pure function of (scenario, replication): no I/O, no global
random state; every mechanism draws from its own named streams of
``SeedSequence(seed, spawn_key=(replication,))`` (:mod:`sim.streams`).
"""

from __future__ import annotations

import functools

import numpy as np
import simpy

from ..scenario.schema import Scenario
from ..streams import Streams
from .mechanism import ContractError, Definition, Engine, Peer, float_metrics, mechanisms, metric_names, written_metrics
from .population import AgencyPopulation, build_population
from .records import RunRecords
from .segments import apply_event, dated_events


class Environment(simpy.Environment):
    """SimPy's environment, counting the processes started (a run's records report them)."""

    def __init__(self) -> None:
        super().__init__()
        self.processes = 0

    def process(self, generator) -> simpy.Process:
        self.processes += 1
        return super().process(generator)


class Run:
    """The state of one replication while it runs.

    Each mechanism runs the engine of the scenario's view (``engine``: the race, or the agent view where the
    mechanism has one: :meth:`~sim.model.mechanism.Definition.engine_for`).
    """

    def __init__(self, scenario: Scenario, replication: int):
        self.scenario = scenario
        self.replication = replication
        self.horizon = scenario.horizon
        self.streams = Streams.for_run(scenario.seed, replication)
        self.env = Environment()
        floats = float_metrics(scenario)
        self._metrics = {name: np.full(self.horizon.days, np.nan) if name in floats
                         else np.zeros(self.horizon.days, dtype=np.int64) for name in metric_names(scenario)}
        self._engines: dict[str, Engine] = {}
        self._changed: dict[str, None] = {}
        """Mechanisms whose inputs another has set since they last reloaded (in the order set)."""
        self.building: Definition | None = None
        """The mechanism whose engine is being built (the one :meth:`mechanism` answers)."""
        for definition in mechanisms():
            self.building = definition
            self._engines[definition.name] = definition.engine_for(scenario.engine)(self)
        self.building = None
        self.env.process(self._daily())

    @functools.cached_property
    def population(self) -> AgencyPopulation:
        """The synthetic agencies (stream ``population``), built for the first mechanism that asks."""
        return build_population(self.scenario, self.streams.generator("population"))

    def metric(self, name: str) -> np.ndarray:
        """The array of daily values of metric ``name``, for the mechanism that records it."""
        return self._metrics[name]

    def mechanism(self, name: str) -> Peer:
        """Mechanism ``name`` as the mechanism being built may see it: what its definition declares it reads
        (read-only) and the inputs it declares it sets (:class:`~sim.model.mechanism.Peer`)."""
        reader = self.building
        if reader is None:
            raise ContractError(f"run.mechanism({name!r}) outside a mechanism's __init__: a mechanism looks its "
                                "peers up when it is built (tests inspect engines with run.engine)")
        if not any(item.partition(".")[0] == name for item in (*reader.reads, *reader.sets)):
            raise ContractError(f"mechanism {reader.name!r} looks up {name!r}, but declares nothing it reads or "
                                "sets of it")
        if name not in self._engines:
            raise ContractError(f"mechanism {reader.name!r} looks up {name!r}, which is not built before it")
        return Peer(self._engines[name], name, reader, self._changed.setdefault)

    def engine(self, name: str) -> Engine:
        """Mechanism ``name``'s engine itself, unchecked: for tests and benchmarks that inspect a run, never
        for a mechanism (which uses :meth:`mechanism`)."""
        return self._engines[name]

    def _apply_inputs(self) -> None:
        """Every mechanism whose inputs changed reloads, at the current model time."""
        while self._changed:
            name = next(iter(self._changed))
            del self._changed[name]
            self._engines[name].reload(self.scenario)

    def _daily(self):
        env, engines = self.env, list(self._engines.values())
        changed, apply_inputs = self._changed, self._apply_inputs
        events: dict[int, list[str]] = {}
        for day, name in dated_events(self.scenario):
            events.setdefault(day, []).append(name)
        for day in range(self.horizon.days):
            if day in events:
                for name in events[day]:
                    self.scenario = apply_event(self.scenario, name)
                changed.clear()  # every mechanism reloads now, inputs included
                for engine in engines:
                    engine.reload(self.scenario)
                apply_inputs()
            for engine in engines:
                engine.start_day(day)
                if changed:
                    apply_inputs()
            yield env.timeout(1)

    def _record(self, day: int) -> None:
        for engine in self._engines.values():
            engine.record(day)

    def run(self) -> RunRecords:
        """Process every event of the horizon, recording each day as it ends.

        Day ``d`` is recorded just before the first event at or after time
        ``d + 1``, so the record is the state at the end of the day whatever
        order SimPy gives to simultaneous events.
        """
        env, days = self.env, self.horizon.days
        events, next_end = 0, 1
        step, peek, record = env.step, env.peek, self._record
        while (now := peek()) < days:
            while now >= next_end:
                record(next_end - 1)
                next_end += 1
            step()
            events += 1
        while next_end <= days:
            record(next_end - 1)
            next_end += 1
        extra: dict[str, object] = {}
        for engine in self._engines.values():
            extra.update(engine.finish())
        return RunRecords(
            scenario=self.scenario.name,
            replication=self.replication,
            seed=self.scenario.seed,
            start=self.horizon.start,
            metrics={name: self._metrics[name] for name in written_metrics(self.scenario)},
            adoptions=extra["adoptions"],
            events=events,
            processes=self.env.processes,
            engine=self.scenario.engine,
        )


def simulate(scenario: Scenario, replication: int = 0) -> RunRecords:
    """Run replication ``replication`` of ``scenario`` and return its records."""
    return Run(scenario, replication).run()
