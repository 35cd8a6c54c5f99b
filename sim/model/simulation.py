"""One run of the model: ``simulate(scenario, replication) -> RunRecords``.

The run is a SimPy environment with these processes:

* ``daily``: at the start of each day, steps the aggregate users
  (:mod:`.users`) and the named accounts' followers (:mod:`.following`),
  then tells each platform's race its new audience;
* ``launch`` (one per platform): opens the platform on its date and starts
  its adoption channels (:mod:`.adoption`);
* ``account`` (one per named account): opens the account on its date on every
  platform it is on;
* ``events``: applies the dated parameter changes (policy pushes).

Processes scheduled for the same instant run in the order they were created
(SimPy is FIFO within a priority), so on any day: platform launches, named
accounts and dated events first, then the users' step.  Each day is
recorded as it ends, outside the processes (see :meth:`Run.run`).  A run is a
pure function of (scenario, replication): no I/O, no global random state.
"""

from __future__ import annotations

import numpy as np
import simpy

from ..calendar import Horizon
from ..scenario import paths
from ..scenario.schema import Scenario
from ..streams import DrawBuffer, Streams
from .adoption import PlatformRace
from .following import FollowerBook
from .population import build_population
from .records import Adoptions, RunRecords, metric_names, written_metrics
from .users import UserPopulation


class Run:
    """The state of one replication while it runs."""

    def __init__(self, scenario: Scenario, replication: int):
        self.scenario = scenario
        self.replication = replication
        self.horizon = Horizon(scenario.horizon.start, scenario.horizon.end)
        streams = Streams.for_run(scenario.seed, replication)
        self.env = simpy.Environment()
        self.population = build_population(scenario, streams.generator("population"))
        self.platform_names = list(scenario.platforms)
        launch_days = {name: self.horizon.day(p.launch) for name, p in scenario.platforms.items()}
        self.users = UserPopulation(scenario, streams.generator("users"), launch_days)
        self.races = {
            name: PlatformRace(self.env, scenario, name, self.population,
                               streams.generator(f"order.{name}"),
                               DrawBuffer(streams.generator(f"adoption.{name}")))
            for name in self.platform_names
        }
        account_days = {name: self.horizon.day(a.launch) for name, a in scenario.accounts.items()}
        self.following = FollowerBook(scenario, streams.generator("following"), account_days)
        self.launched: list[str] = []
        self._metrics = self._allocate_metrics()

        for name in self.platform_names:
            self.env.process(self._launch(name, launch_days[name]))
        for name in scenario.accounts:
            self.env.process(self._account(name, account_days[name]))
        self.env.process(self._events())
        self.env.process(self._daily())

    # --- processes ----------------------------------------------------------------
    def _launch(self, name: str, day: int):
        if day:
            yield self.env.timeout(day)
        self.users.launch(self.platform_names.index(name))
        self.launched.append(name)
        self.races[name].start()

    def _account(self, name: str, day: int):
        if day:
            yield self.env.timeout(day)
        account = self.scenario.accounts[name]
        agency = self.population.pinned[name]
        for platform in account.platforms:
            race = self.races[platform]
            race.levels[self.population.level_names.index(account.level)].adopt_pinned(
                agency, account.province, self.env.now)
        self.following.launch(name)

    def _events(self):
        dated = sorted(
            ((self.horizon.day(e.date), name) for name, e in self.scenario.events.items() if e.enabled)
        )
        for day, name in dated:
            if day > self.env.now:
                yield self.env.timeout(day - self.env.now)
            self.scenario = apply_event(self.scenario, name)
            self.users.load(self.scenario)
            self.following.load(self.scenario)
            for race in self.races.values():
                race.parameters_changed(self.scenario)

    def _daily(self):
        env = self.env
        population = self.scenario.population.total
        for day in range(self.horizon.days):
            self.users.step()
            registered = {name: self.users.registered(k) for k, name in enumerate(self.platform_names)}
            self.following.step(day, registered)
            for name in self.launched:
                self.races[name].audience_changed(registered[name] / population)
            yield env.timeout(1)

    # --- records ------------------------------------------------------------------
    def _allocate_metrics(self) -> dict[str, np.ndarray]:
        return {name: np.zeros(self.horizon.days, dtype=np.int64) for name in metric_names(self.scenario)}

    def _record(self, day: int) -> None:
        m = self._metrics
        m["internet_users"][day] = self.users.internet_users
        m["microbloggers"][day] = self.users.microbloggers
        for k, p in enumerate(self.platform_names):
            m[f"registered_users.{p}"][day] = self.users.registered(k)
            race = self.races[p]
            m[f"gov_accounts.{p}"][day] = sum(level.A for level in race.levels)
            for level in race.levels:
                m[f"gov_accounts.{p}.{level.name}"][day] = level.A
        totals: dict[str, int] = {}
        for (account, platform), count in self.following.followers.items():
            m[f"followers.{account}.{platform}"][day] = count
            totals[account] = totals.get(account, 0) + count
        for account, total in totals.items():
            m[f"followers.{account}.all"][day] = total

    # --- running --------------------------------------------------------------------
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
        metrics = {name: self._metrics[name] for name in written_metrics(self.scenario)}
        return RunRecords(
            scenario=self.scenario.name,
            replication=self.replication,
            seed=self.scenario.seed,
            start=self.horizon.start,
            metrics=metrics,
            adoptions=self._adoptions(),
            events=events,
        )

    def _adoptions(self) -> Adoptions:
        agency, platform, time = [], [], []
        for k, name in enumerate(self.platform_names):
            race = self.races[name]
            agency.append(np.asarray(race.log_agency, dtype=np.int64))
            time.append(np.asarray(race.log_time, dtype=float))
            platform.append(np.full(len(race.log_agency), k, dtype=np.int16))
        agency, platform, time = (np.concatenate(x) for x in (agency, platform, time))
        order = np.lexsort((agency, platform, time))
        agency, platform, time = agency[order], platform[order], time[order]
        pop = self.population
        return Adoptions(
            agency=agency,
            serial=pop.serial[agency],
            level=pop.level_of[agency],
            province=pop.province_of[agency],
            platform=platform,
            time=time,
            level_names=pop.level_names,
            province_names=pop.province_names,
            platform_names=tuple(self.platform_names),
            named={index: name for name, index in pop.pinned.items()},
        )


def apply_event(scenario: Scenario, name: str) -> Scenario:
    """The scenario with event ``name``'s changes applied to current values."""
    data = scenario.to_dict()
    overrides = {}
    for change in scenario.events[name].changes:
        for concrete in paths.expand(data, change.path):
            value = change.apply(float(paths.get(data, concrete)))
            paths.assign(data, concrete, value, source=f"events.{name}")
            overrides[concrete] = value
    return scenario.with_overrides(overrides, source=f"events.{name}")


def simulate(scenario: Scenario, replication: int = 0) -> RunRecords:
    """Run replication ``replication`` of ``scenario`` and return its records."""
    return Run(scenario, replication).run()
