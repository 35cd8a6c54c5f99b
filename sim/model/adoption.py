"""Agencies adopting micro-blog accounts: an exact race, run by SimPy processes.

The hazard
----------
An agency ``i`` of level ``l`` in province ``r`` that has no account on
platform ``k`` opens one at hazard (per day)

    w_i * c_k * [ p_l + q_l*F_l + a_l*S_k                (level-wide part)
                  + rho_l*F_lr + u_l*F_parent(l),r ]      (regional part)

``F_l`` is the share of level ``l`` already on ``k`` nationwide, ``F_lr`` the
share in the same province, ``F_parent(l),r`` the share of the parent level in
the same province (upper-tier pressure), ``S_k`` the platform's users as a
share of the population (audience pull), ``c_k`` the platform's
``agency_appeal`` and ``w_i`` the agency's size weight.  With only ``p`` and
``q`` on one well-mixed level this is the Bass (1969) model; the other terms
express the drivers found by Ma (2013, 2014) after Berry and Berry (1990):
government size, regional diffusion, upper-tier pressure and the internet
audience.  Dated events change the coefficients (e.g. the 2011-10-15 push).

Why this structure
------------------
One SimPy process per agency, simulated by thinning, needs an upper bound on
a hazard that grows with everybody else's adoptions; the loose bound costs
several rejected events per agency, and the baseline has over half a million
potential adopters per platform (``benchmarks/engine.py`` measures it: about
4 events per agency and 50 times the time of this engine on a one-level Bass
model).  Instead each level is one SimPy process, a *channel*, that draws the
next adoption among the level's un-adopted agencies.  (A first version with
one channel per hazard part, level-wide and per province, needed an interrupt
for most adoptions and took twice as long on the baseline.)

* Between changes of state every hazard is constant, so the level's next
  adoption comes after an exponential time with rate ``sum_i hazard_i``
  (Gillespie's direct method, exact).  When the rate changes from outside
  (an adoption in the parent level, the daily audience update, a dated event)
  the channel is interrupted and redraws its wait, which is exact because the
  exponential is memoryless.  The level's own adoptions change its rate too,
  but the channel is the one that made them, so it simply draws again.
* The rate is kept incrementally: ``W * (p + q F + a S)`` for the level-wide
  part, with ``W`` the un-adopted weight, plus the sum over provinces of
  ``W_r * (rho F_r + u F_parent,r)``, updated for the one province an
  adoption touches.  An adoption costs O(provinces) at most, whatever the
  number of agencies.

Who adopts: the channel picks the level-wide part or a province's regional
part in proportion to their rates, then the province (for the level-wide
part, in proportion to its un-adopted weight).  Within a province every
agency is picked with probability proportional to ``w_i``; successive
weighted picks without replacement are the order of ``E_i / w_i`` with
``E_i`` unit exponentials (the order in which independent exponential clocks
of rates ``w_i`` ring), so each province's order is drawn once, vectorised,
at the start, and a pick is a pointer increment.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate

import numpy as np
import simpy
from simpy import Interrupt

from ..calendar import per_day
from ..scenario.schema import NATIONAL, Scenario
from ..streams import DrawBuffer
from .population import AgencyPopulation


class LevelRace:
    """The race of one level's agencies on one platform, run by one channel."""

    def __init__(self, platform: "PlatformRace", level_index: int, population: AgencyPopulation,
                 keys: np.ndarray, pinned: np.ndarray):
        self.platform = platform
        self.env = platform.env
        self.draws = platform.draws
        self.index = level_index
        self.name = population.level_names[level_index]
        cohorts = population.cohorts[level_index]
        self.provinces = [c.province for c in cohorts]
        self.N_r = [int(c.agencies.size) for c in cohorts]
        self.N = sum(self.N_r)
        self.A = 0
        self.A_r = [0] * len(cohorts)
        self.F_r = [0.0] * len(cohorts)
        """Adopted share per province, read by the child levels' upper-tier terms."""
        self.orders = [RaceOrder(c.agencies[~np.isin(c.agencies, pinned)], keys, population.weight)
                       for c in cohorts]
        self.W_r = [order.total_weight for order in self.orders]
        self.W = math.fsum(self.W_r)
        # Regional part: per province W_r * (rho F_r + u F_parent,r), and their sum.
        self.regional = [0.0] * len(cohorts)
        self.regional_total = 0.0
        self.parent: LevelRace | None = None
        self.parent_slot: list[int] = [-1] * len(cohorts)
        self.children: list[tuple[LevelRace, list[list[int]]]] = []
        self.p = self.q = self.a = self.rho = self.u = 0.0
        self._rho_per_agency = [0.0] * len(cohorts)
        self.process = None
        self.waiting = False
        self.pending = False
        self.idle = self.env.event()

    # --- structure and parameters -------------------------------------------------
    def link_parent(self, parent: "LevelRace") -> None:
        self.parent = parent
        slot = {name: j for j, name in enumerate(parent.provinces)}
        self.parent_slot = [slot.get(name, slot.get(NATIONAL, -1)) for name in self.provinces]
        children_of = [[] for _ in parent.provinces]
        for j, pj in enumerate(self.parent_slot):
            if pj >= 0:
                children_of[pj].append(j)
        parent.children.append((self, children_of))

    def load(self, scenario: Scenario) -> None:
        hazard = scenario.agencies.levels[self.name].hazard
        appeal = scenario.platforms[self.platform.name].agency_appeal
        self.p = per_day(hazard.innovation) * appeal
        self.q = per_day(hazard.imitation) * appeal
        self.a = per_day(hazard.audience_pull) * appeal
        self.rho = per_day(hazard.regional_imitation) * appeal
        self.u = per_day(hazard.upper_tier) * appeal if self.parent is not None else 0.0
        self._rho_per_agency = [self.rho / n if n else 0.0 for n in self.N_r]
        self.refresh_regional()

    def start(self) -> None:
        if self.N:
            self.process = self.env.process(self._channel())

    # --- the channel ------------------------------------------------------------------
    def _channel(self):
        env, draws, platform = self.env, self.draws, self.platform
        timeout, exponential, uniform = env.timeout, draws.exponential, draws.uniform
        orders, W_r, regional = self.orders, self.W_r, self.regional
        log_agency, log_time = platform.log_agency.append, platform.log_time.append
        while True:
            level_part = self.W * (self.p + self.q * self.A / self.N + self.a * platform.audience)
            rate = level_part + self.regional_total
            self.waiting = True
            try:
                if rate > 0.0:
                    yield timeout(exponential() / rate)
                else:
                    yield self.idle
            except Interrupt:
                self.waiting = self.pending = False
                continue
            self.waiting = False
            target = uniform() * rate
            if target < level_part:
                j = _pick(W_r, target / level_part * self.W)
            else:
                j = _pick(regional, target - level_part)
            agency, weight, exhausted = orders[j].pop()
            log_agency(agency)
            log_time(env.now)
            if exhausted:  # re-sum exactly, so no rounding drift survives
                W_r[j] = 0.0
                self.W = math.fsum(W_r)
            else:
                W_r[j] -= weight
                self.W -= weight
            self._count(j)
            if exhausted:
                self.refresh_regional()

    # --- state changes ----------------------------------------------------------------
    def adopt_pinned(self, agency: int, province: str, now: float) -> None:
        """A named account opens on its own date (not through the race)."""
        self.platform.log(agency, now)
        self._count(self.provinces.index(province))
        self.poke()

    def _count(self, j: int) -> None:
        """One more adopter in province ``j``: update shares and the regional terms that use them."""
        self.A += 1
        a_r = self.A_r[j] = self.A_r[j] + 1
        self.F_r[j] = a_r / self.N_r[j]
        self._update_regional(j)
        for child, slots in self.children:
            if child.u:
                for cj in slots[j]:
                    child._update_regional(cj)
                child.poke()

    def _update_regional(self, j: int) -> None:
        pj = self.parent_slot[j]
        g = self._rho_per_agency[j] * self.A_r[j] + (self.u * self.parent.F_r[pj] if pj >= 0 else 0.0)
        term = self.W_r[j] * g
        self.regional_total += term - self.regional[j]
        self.regional[j] = term

    def refresh_regional(self) -> None:
        """Recompute every regional term and their exact sum (no drift)."""
        for j in range(len(self.regional)):
            self._update_regional(j)
        self.regional_total = math.fsum(self.regional)

    def poke(self) -> None:
        """Make the channel redraw its wait: its rate has changed from outside."""
        if self.waiting and not self.pending:
            self.pending = True
            self.process.interrupt()


def _pick(weights: list[float], target: float) -> int:
    """Index ``j`` where the running sum of ``weights`` first exceeds ``target``."""
    j = bisect_right(list(accumulate(weights)), target)
    if j == len(weights) or not weights[j]:  # rounding: take the last non-empty entry
        j = max(i for i, w in enumerate(weights) if w > 0.0)
    return j


class RaceOrder:
    """The agencies of one cohort in the order they adopt, revealed lazily.

    The order is that of ``E_i / w_i`` (see the module docstring).  Most
    agencies of a large cohort never adopt within the horizon, so instead of
    sorting the whole cohort up front the order is revealed in chunks of
    doubling size: the next chunk is the smallest remaining keys
    (``argpartition``, linear time), sorted.  The result is the full sort's
    order, at the cost of the part actually used.
    """

    __slots__ = ("_ids", "_keys", "_weight_of", "_agencies", "_weights", "_next", "_chunk", "remaining", "total_weight")

    def __init__(self, agencies: np.ndarray, keys: np.ndarray, weight_of: np.ndarray):
        self._ids = agencies
        self._keys = keys[agencies]
        self._weight_of = weight_of
        self._agencies: list[int] = []
        self._weights: list[float] = []
        self._next = 0
        self._chunk = 64
        self.remaining = int(agencies.size)
        self.total_weight = math.fsum(weight_of[agencies].tolist())

    def pop(self) -> tuple[int, float, bool]:
        """The next adopter, its weight, and whether the cohort is now exhausted."""
        i = self._next
        if i == len(self._agencies):
            self._reveal()
            i = 0
        self._next = i + 1
        self.remaining -= 1
        return self._agencies[i], self._weights[i], self.remaining == 0

    def _reveal(self) -> None:
        keys, ids = self._keys, self._ids
        k = min(self._chunk, keys.size)
        if k < keys.size:
            head = np.argpartition(keys, k - 1)[:k]
            rest = np.ones(keys.size, dtype=bool)
            rest[head] = False
            self._keys, self._ids = keys[rest], ids[rest]
        else:
            head = np.arange(keys.size)
            self._keys, self._ids = keys[:0], ids[:0]
        head = head[np.argsort(keys[head], kind="stable")]
        chosen = ids[head]
        self._agencies = chosen.tolist()
        self._weights = self._weight_of[chosen].tolist()
        self._next = 0
        self._chunk = min(self._chunk * 4, 1 << 16)


class PlatformRace:
    """All agencies' race for accounts on one platform."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, name: str,
                 population: AgencyPopulation, order_rng: np.random.Generator,
                 draws: DrawBuffer):
        self.env = env
        self.name = name
        self.draws = draws
        self.audience = 0.0
        pinned = np.array([population.pinned[a] for a, acc in scenario.accounts.items() if name in acc.platforms],
                          dtype=np.int64)
        keys = order_rng.standard_exponential(population.size) / population.weight
        self.levels = [LevelRace(self, li, population, keys, pinned) for li in range(len(population.level_names))]
        by_name = {level.name: level for level in self.levels}
        for level in self.levels:
            parent = scenario.agencies.levels[level.name].parent
            if parent is not None:
                level.link_parent(by_name[parent])
        self.log_agency: list[int] = []
        self.log_time: list[float] = []
        self.load(scenario)

    def log(self, agency: int, now: float) -> None:
        self.log_agency.append(agency)
        self.log_time.append(now)

    def load(self, scenario: Scenario) -> None:
        for level in self.levels:
            level.load(scenario)

    def start(self) -> None:
        for level in self.levels:
            level.start()

    def audience_changed(self, audience: float) -> None:
        """The daily user step moved the audience: redraw where it matters."""
        self.audience = audience
        for level in self.levels:
            if level.a:
                level.poke()

    def parameters_changed(self, scenario: Scenario) -> None:
        self.load(scenario)
        for level in self.levels:
            level.poke()
