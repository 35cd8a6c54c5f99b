"""The exact race of agencies to accounts on one platform, between synchronisation points.

What is simulated
-----------------
Every un-adopted agency has the hazard of :mod:`.hazard`, which is constant
between changes of state.  A change of state is either an adoption on the
platform (which moves the adopted shares) or a change from outside: the
daily audience update, a dated event, a named account opening.  Between two
changes the platform's next adoption comes after an exponential time with
rate ``R = sum_i hazard_i`` and is agency ``i`` with probability
``hazard_i / R`` (Gillespie's direct method; exact).

How it is simulated
-------------------
:meth:`PlatformRace.advance` draws the adoptions up to a time ``until`` in a
tight loop, and every change from outside first brings the race up to the
current time (``advance(now)``) and then changes the rates.  When the next
adoption would fall at or after ``until`` its draw is discarded: the
exponential is memoryless, so drawing afresh from ``until`` with the new
rates is exact.  The SimPy run therefore spends no event on an adoption:
it only schedules the synchronisation points (day boundaries, events,
launches), and the race is exact between them whatever they are, which the
exact-law tests (``tests/test_exact_law.py``) and the Bass tests check.  An
earlier engine with one SimPy process per level, interrupted at every
audience change and every adoption of a parent level, needed about 100,000
wake-ups and 35,000 interrupts per baseline replication for the same law.

Bookkeeping: a level's rate is ``W * level_wide + sum_r W_r * cohort_r``
with ``W_r`` the un-adopted weight in province ``r``; the level-wide part
per unit weight (exogenous + level network) is common to the level, the
cohort part (regional diffusion + upper-tier pressure) is kept per province
and updated only for the province an adoption touches, in its own level and
in the child levels whose parent share it moves.  Who adopts: the level in
proportion to its rate, then the level-wide part or a province's cohort part
in proportion to theirs, then the province (for the level-wide part, in
proportion to its un-adopted weight), then the next agency of that
province's :class:`~.order.RaceOrder`.  An adoption costs O(provinces) at
most, whatever the number of agencies.
"""

from __future__ import annotations

import math

import numpy as np

from ....streams import DrawBuffer
from .hazard import Coefficients, cohort_network_rate, exogenous_rate, level_network_rate
from .order import RaceOrder


class LevelRace:
    """One level's agencies on one platform: counts, weights and rates per province."""

    __slots__ = ("name", "index", "provinces", "N_r", "N", "per_agency_r", "per_agency", "A", "A_r", "orders", "W_r",
                 "W", "cohort", "cohort_total", "parent", "parent_slot", "children", "pressing", "pressed_levels",
                 "c", "audience", "per_weight")

    def __init__(self, name: str, index: int, provinces: list[str], cohorts: list[np.ndarray],
                 pinned: set[int], keys: np.ndarray, weight: np.ndarray):
        self.name = name
        self.index = index
        self.provinces = provinces
        self.N_r = [int(ids.size) for ids in cohorts]
        self.N = sum(self.N_r)
        # Shares are counts times these (0 for an empty province or level, which never adopts).
        self.per_agency_r = [1.0 / n if n else 0.0 for n in self.N_r]
        self.per_agency = 1.0 / self.N if self.N else 0.0
        self.A = 0
        self.A_r = [0] * len(cohorts)
        self.orders = [RaceOrder(ids[~np.isin(ids, list(pinned))] if pinned else ids, keys, weight)
                       for ids in cohorts]
        self.W_r = [order.total_weight for order in self.orders]
        self.W = math.fsum(self.W_r)
        self.cohort = [0.0] * len(cohorts)
        """Per province: ``W_r`` times the cohort part of the hazard per unit weight."""
        self.cohort_total = 0.0
        self.parent: LevelRace | None = None
        self.parent_slot = [-1] * len(cohorts)
        """Per province, the index of the parent level's province whose share presses on it."""
        self.children: list[tuple[LevelRace, list[list[int]]]] = []
        """Child levels, with (per own province) the child's provinces it presses on."""
        self.pressing: list[tuple[LevelRace, list[list[int]]]] = []
        """The children under upper-tier pressure (their ``upper_tier`` is not zero)."""
        self.pressed_levels: list[LevelRace] = []
        self.c = Coefficients(0.0, 0.0, 0.0, 0.0, 0.0)
        self.audience = 0.0
        self.per_weight = 0.0
        """Hazard per unit weight common to the level (exogenous and level network parts)."""

    # --- structure and coefficients ---------------------------------------------------------
    def link_parent(self, parent: "LevelRace", national: str) -> None:
        self.parent = parent
        slot = {name: j for j, name in enumerate(parent.provinces)}
        self.parent_slot = [slot.get(name, slot.get(national, -1)) for name in self.provinces]
        pressed = [[] for _ in parent.provinces]
        for j, pj in enumerate(self.parent_slot):
            if pj >= 0:
                pressed[pj].append(j)
        parent.children.append((self, pressed))

    def set_coefficients(self, c: Coefficients) -> None:
        self.c = c
        self.refresh()

    # --- rates -------------------------------------------------------------------------------
    def parent_share(self, j: int) -> float:
        pj = self.parent_slot[j]
        return self.parent.A_r[pj] * self.parent.per_agency_r[pj] if pj >= 0 else 0.0

    def set_audience(self, audience: float) -> None:
        self.audience = audience
        self.per_weight = (exogenous_rate(self.c, audience)
                           + level_network_rate(self.c, self.A * self.per_agency))

    def rate(self) -> float:
        """The level's total adoption rate (per day)."""
        return self.W * self.per_weight + self.cohort_total

    def cohort_rate(self, j: int) -> float:
        """Province ``j``'s adoption rate (per day), from the incremental bookkeeping."""
        return self.W_r[j] * self.per_weight + self.cohort[j]

    def update_cohort(self, j: int) -> None:
        """Recompute province ``j``'s cohort part after its own or its parent's share moved."""
        pj = self.parent_slot[j]
        parent_share = self.parent.A_r[pj] * self.parent.per_agency_r[pj] if pj >= 0 else 0.0
        term = self.W_r[j] * cohort_network_rate(self.c, self.A_r[j] * self.per_agency_r[j], parent_share)
        self.cohort_total += term - self.cohort[j]
        self.cohort[j] = term

    def refresh(self) -> None:
        """Recompute every part of the rate, and the cohort parts' exact sum (no rounding drift survives)."""
        self.set_audience(self.audience)
        for j in range(len(self.cohort)):
            self.update_cohort(j)
        self.cohort_total = math.fsum(self.cohort)

    # --- state changes -----------------------------------------------------------------------
    def count(self, j: int) -> None:
        """One more adopter in province ``j``: its shares, and the child levels' pressure, move."""
        self.A += 1
        self.A_r[j] += 1
        self.per_weight = exogenous_rate(self.c, self.audience) + level_network_rate(self.c, self.A * self.per_agency)
        self.update_cohort(j)
        for child, pressed in self.pressing:
            for cj in pressed[j]:
                child.update_cohort(cj)

    def adopt(self, x: float) -> int:
        """The adoption at position ``x`` of ``[0, rate)``: picks the province and the agency, counts it.

        Returns the agency; the rates of :attr:`pressed_levels` have moved with it.
        """
        level_part = self.W * self.per_weight
        if x < level_part:
            j = _pick(self.W_r, x / self.per_weight)
        else:
            j = _pick(self.cohort, x - level_part)
        agency, weight, exhausted = self.orders[j].pop()
        if exhausted:
            self.W_r[j] = 0.0
            self.W = math.fsum(self.W_r)
        else:
            self.W_r[j] -= weight
            self.W -= weight
        self.count(j)
        return agency


def _pick(values: list[float], target: float) -> int:
    """The first index where the running sum of ``values`` exceeds ``target``."""
    for j, value in enumerate(values):
        if target < value:
            return j
        target -= value
    return max(j for j, value in enumerate(values) if value > 0.0)  # rounding at the far end


class PlatformRace:
    """Every level's race on one platform, advanced exactly between synchronisation points."""

    def __init__(self, platform: str, levels: list[LevelRace], draws: DrawBuffer):
        self.platform = platform
        self.levels = levels
        self.draws = draws
        self.now = 0.0
        self.open = False
        self.audience = 0.0
        self.log_agency: list[int] = []
        self.log_time: list[float] = []

    def open_at(self, now: float) -> None:
        self.now = now
        self.open = True

    def set_audience(self, audience: float, now: float) -> None:
        self.advance(now)
        self.audience = audience
        for level in self.levels:
            level.set_audience(audience)

    def set_coefficients(self, table: list[Coefficients], now: float) -> None:
        self.advance(now)
        for level, c in zip(self.levels, table):
            level.set_coefficients(c)
        for level in self.levels:
            level.pressing = [(child, pressed) for child, pressed in level.children if child.c.upper_tier]
            level.pressed_levels = [child for child, _ in level.pressing]

    def adopt_pinned(self, level: int, province: str, agency: int, now: float) -> None:
        """A named account opens on its own date, not through the race."""
        self.advance(now)
        race = self.levels[level]
        race.count(race.provinces.index(province))
        self.log_agency.append(agency)
        self.log_time.append(now)

    def rate(self) -> float:
        return sum(level.rate() for level in self.levels)

    def advance(self, until: float) -> None:
        """Draw every adoption before ``until`` with the rates in force, and stop the clock there."""
        if not self.open or until <= self.now:
            self.now = max(self.now, until)
            return
        levels = self.levels
        draws = self.draws
        log_agency, log_time = self.log_agency.append, self.log_time.append
        rates = [level.rate() for level in levels]
        total = sum(rates)
        t = self.now
        while total > 0.0:
            t += draws.exponential() / total
            if t >= until:
                break
            x = draws.uniform() * total
            for li, r in enumerate(rates):
                if x < r:
                    break
                x -= r
            else:  # rounding at the far end
                li = max(i for i, r in enumerate(rates) if r > 0.0)
                x = 0.0
            level = levels[li]
            log_agency(level.adopt(x))
            log_time(t)
            for child in level.pressed_levels:
                rates[child.index] = child.rate()
            rates[li] = level.rate()
            total = sum(rates)
        self.now = until
