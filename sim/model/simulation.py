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
from .mechanism import Engine, mechanisms, metric_names, written_metrics
from .population import AgencyPopulation, build_population
from .records import RunRecords
from .segments import apply_event, dated_events


class Run:
    """The state of one replication while it runs."""

    def __init__(self, scenario: Scenario, replication: int):
        self.scenario = scenario
        self.replication = replication
        self.horizon = scenario.horizon
        self.streams = Streams.for_run(scenario.seed, replication)
        self.env = simpy.Environment()
        self._metrics = {name: np.zeros(self.horizon.days, dtype=np.int64) for name in metric_names(scenario)}
        self.engines: dict[str, Engine] = {}
        for definition in mechanisms():
            self.engines[definition.name] = definition.engine(self)
        self.env.process(self._daily())

    @functools.cached_property
    def population(self) -> AgencyPopulation:
        """The synthetic agencies (stream ``population``), built for the first mechanism that asks."""
        return build_population(self.scenario, self.streams.generator("population"))

    def metric(self, name: str) -> np.ndarray:
        """The array of daily values of metric ``name``, for the mechanism that records it."""
        return self._metrics[name]

    def mechanism(self, name: str) -> Engine:
        """A mechanism's engine; only those of a lower order exist while a mechanism is being built."""
        return self.engines[name]

    def _daily(self):
        env, engines = self.env, list(self.engines.values())
        events: dict[int, list[str]] = {}
        for day, name in dated_events(self.scenario):
            events.setdefault(day, []).append(name)
        for day in range(self.horizon.days):
            if day in events:
                for name in events[day]:
                    self.scenario = apply_event(self.scenario, name)
                for engine in engines:
                    engine.reload(self.scenario)
            for engine in engines:
                engine.start_day(day)
            yield env.timeout(1)

    def _record(self, day: int) -> None:
        for engine in self.engines.values():
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
        for engine in self.engines.values():
            extra.update(engine.finish())
        return RunRecords(
            scenario=self.scenario.name,
            replication=self.replication,
            seed=self.scenario.seed,
            start=self.horizon.start,
            metrics={name: self._metrics[name] for name in written_metrics(self.scenario)},
            adoptions=extra["adoptions"],
            events=events,
        )


def simulate(scenario: Scenario, replication: int = 0) -> RunRecords:
    """Run replication ``replication`` of ``scenario`` and return its records."""
    return Run(scenario, replication).run()
