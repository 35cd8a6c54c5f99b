"""The adoption mechanism's part of a run: one exact race per platform (:mod:`.race`).

Its input ``multiplier``, per level (1 unless set), scales every coefficient
of that level's hazard: the interaction loop's optional feedback of the
level's responsiveness on its adoption.  It is applied in :meth:`Adoption.reload`,
with the coefficients a dated event sets.
"""

from __future__ import annotations

import numpy as np

from ....scenario.apportion import NATIONAL
from ....scenario.schema import Scenario
from ....streams import DrawBuffer
from ...mechanism import Engine
from ...records import Adoptions
from .hazard import Coefficients, coefficients
from .race import LevelRace, PlatformRace


class Adoption(Engine):
    """Agencies racing to accounts on every platform (streams ``order.<platform>``, ``adoption.<platform>``)."""

    def __init__(self, run) -> None:
        super().__init__(run)
        scenario = run.scenario
        population = run.population
        self.population = population
        self.users = run.mechanism("users")
        self.people = scenario.population.total
        self.platforms = list(scenario.platforms)
        self.launch_day = [scenario.horizon.day(p.launch) for p in scenario.platforms.values()]
        self.openings: dict[int, list[tuple[int, int, str, int]]] = {}
        """Day -> named accounts opening: (platform, level, province, agency)."""
        for name, account in scenario.accounts.items():
            level = population.level_names.index(account.level)
            for platform in account.platforms:
                self.openings.setdefault(scenario.horizon.day(account.launch), []).append(
                    (self.platforms.index(platform), level, account.province, population.pinned[name]))
        self.races = [self._race(scenario, k, name) for k, name in enumerate(self.platforms)]
        self.out = [(race, run.metric(f"gov_accounts.{race.platform}"),
                     [(level, run.metric(f"gov_accounts.{race.platform}.{level.name}")) for level in race.levels])
                    for race in self.races]

    def _race(self, scenario: Scenario, k: int, platform: str) -> PlatformRace:
        population = self.population
        keys = self.run.streams.generator(f"order.{platform}").standard_exponential(population.size) / population.weight
        pinned = {agency for items in self.openings.values() for kk, _, _, agency in items if kk == k}
        levels = []
        for li, (name, cohorts) in enumerate(zip(population.level_names, population.cohorts)):
            # Largest provinces first: picking a province scans from the front (the order is immaterial).
            cohorts = sorted(cohorts, key=lambda c: -c.agencies.size)
            levels.append(LevelRace(name, li, [c.province for c in cohorts], [c.agencies for c in cohorts], pinned,
                                    keys, population.weight))
        by_name = {level.name: level for level in levels}
        for level in levels:
            parent = scenario.agencies.levels[level.name].parent
            if parent is not None:
                level.link_parent(by_name[parent], NATIONAL)
        race = PlatformRace(platform, levels, DrawBuffer(self.run.streams.generator(f"adoption.{platform}")))
        race.set_coefficients(self._coefficients(scenario, race), 0.0)
        return race

    def _coefficients(self, scenario: Scenario, race: PlatformRace) -> list[Coefficients]:
        """Each level's coefficients on the race's platform, times the level's input ``multiplier``."""
        multiplier = self.inputs["multiplier"]
        table = []
        for level in race.levels:
            c = coefficients(scenario, race.platform, level.name)
            m = multiplier.get(level.name, 1.0)
            table.append(c if m == 1.0 else Coefficients(*(x * m for x in c)))
        return table

    def start_day(self, day: int) -> None:
        for k, race in enumerate(self.races):
            if self.launch_day[k] == day:
                race.open_at(day)
        for k, level, province, agency in self.openings.get(day, ()):
            self.races[k].adopt_pinned(level, province, agency, day)
        registered = self.users.registered
        for k, race in enumerate(self.races):
            if race.open:
                race.set_audience(registered[k] / self.people, day)

    def opened_since(self, k: int, start: int) -> list[int]:
        """The agencies that opened an account on platform ``k`` after the first ``start`` to do so (race
        brought up to the current time), in order."""
        race = self.races[k]
        race.advance(self.run.env.now)
        return race.log_agency[start:]

    def accounts(self, k: int) -> int:
        """Government accounts on platform ``k`` now (the race brought up to the current time)."""
        race = self.races[k]
        race.advance(self.run.env.now)
        return sum(level.A for level in race.levels)

    def reload(self, scenario: Scenario) -> None:
        now = self.run.env.now
        for race in self.races:
            race.set_coefficients(self._coefficients(scenario, race), now)

    def record(self, day: int) -> None:
        for race, out_total, out_levels in self.out:
            race.advance(day + 1)
            total = 0
            for level, out in out_levels:
                out[day] = level.A
                total += level.A
            out_total[day] = total

    def finish(self) -> dict[str, object]:
        agency = np.concatenate([np.asarray(r.log_agency, dtype=np.int64) for r in self.races])
        time = np.concatenate([np.asarray(r.log_time, dtype=float) for r in self.races])
        platform = np.concatenate([np.full(len(r.log_agency), k, dtype=np.int16) for k, r in enumerate(self.races)])
        return {"adoptions": Adoptions.of(self.population, self.platforms, agency, platform, time)}
