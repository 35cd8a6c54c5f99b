"""The agent view of adoption: every agency a SimPy process that opens its own accounts.

This is the model as a SimPy user reads it first.  Each agency of the
synthetic population (:mod:`sim.model.population`) is one process,
:meth:`AgencyProcesses.agency`, a generator that owns the agency's identity
(its level, province, size weight and the population it serves) and its
platform accounts, and opens an account on platform ``k`` at the hazard of
:mod:`.hazard` (the one definition, also the race's and the twin's):
``w_i * hazard(c, S_k, F_level, F_cohort, F_parent)``, its shares read from
the accounts opened so far.  A named account (Shanghai City) opens on its
own date on the platforms it names, and races like any agency on the others.

Exact, by thinning (Lewis and Shedler 1979)
-------------------------------------------
Why thinning rather than each agency's cumulative hazard crossing its own
exponential threshold: the hazard moves with every adoption of the agency's
level, province and parent level and with the daily audience, so a
threshold-crossing time would have to be recomputed for every agency of a
level at each of those moments (tens of thousands of processes woken per
adoption), whereas thinning needs only an upper bound.  The bound here holds
until the next *synchronisation point* at which it could be exceeded, and
those are known in advance: every share is at most 1 and the audience (the
platform's users over the population) at most 1, so per unit weight the
hazard never exceeds ``innovation + audience_pull + imitation +
regional_imitation + upper_tier`` of the coefficients in force, which change
only at dated events (:func:`sim.model.segments.schedule`) and at a
platform's launch (0 before it).  Each agency therefore proposes times from a
Poisson process of that piecewise-constant rate times its weight, summed over
the platforms it has no account on (drawn by inverting the bound's
integral: :class:`Bound`), and at each proposal picks a platform in
proportion to its bound and opens the account with probability hazard /
bound, evaluated at that moment.  The proposals are exact whatever happens
between them, so an agency sleeps from one proposal to the next and no
adoption, audience change or event ever wakes another agency.  A change the
schedule did not foresee (another mechanism raising a level's ``multiplier``
input above the bound) is a synchronisation point: the bound is raised and
the level's agencies are interrupted to draw afresh (exact: the proposals are
memoryless).  Every proposal checks that the hazard is within its bound.

The price is the rejected proposals (the bound assumes every share and the
audience at 1): ``benchmarks/engine.py`` (section 8) gives the cost per
full-scale replication and the memory against the race of :mod:`.race`,
which is exact too and is the default.  ``tests/test_exact_law.py`` checks
both against the Kolmogorov forward equations, ``tests/test_agents.py`` the
two views against each other on the baseline.

Random streams: ``adoption.agents.<level>`` (each level's agencies draw their
proposals and coin flips from their level's stream, in the event order SimPy
fixes, so a run is reproducible bit for bit).
"""

from __future__ import annotations

import bisect
import math

import numpy as np
import simpy

from ....scenario.apportion import NATIONAL
from ....scenario.schema import Scenario
from ....streams import DrawBuffer
from ...mechanism import Engine
from ...records import Adoptions
from ...segments import schedule
from .hazard import Coefficients, coefficients, hazard


class Bound:
    """A level's thinning bound per unit weight, on a set of platforms: piecewise constant in time.

    ``rates[j]`` holds on ``[times[j], times[j + 1])``; ``cumulative[j]`` is its integral from 0 to
    ``times[j]``.  :meth:`next_time` is the first time after ``now`` at which the integral from
    ``now`` reaches ``target`` (an exponential over the agency's weight): the next proposal.
    """

    __slots__ = ("times", "rates", "cumulative")

    def __init__(self, times: list[float], rates: list[float]):
        self.times = times
        self.rates = rates
        self.cumulative = [0.0]
        for j in range(len(rates) - 1):
            self.cumulative.append(self.cumulative[-1] + rates[j] * (times[j + 1] - times[j]))

    def next_time(self, now: float, target: float) -> float:
        times, rates, cumulative = self.times, self.rates, self.cumulative
        j = bisect.bisect_right(times, now) - 1
        goal = cumulative[j] + rates[j] * (now - times[j]) + target
        while j + 1 < len(times) and cumulative[j + 1] <= goal:
            j += 1
        return times[j] + (goal - cumulative[j]) / rates[j] if rates[j] > 0 else math.inf


class AgencyProcesses(Engine):
    """One SimPy process per agency; the accounts they open, per platform, level and province."""

    def __init__(self, run) -> None:
        super().__init__(run)
        scenario = run.scenario
        population = run.population
        self.population = population
        self.env = run.env
        self.users = run.mechanism("users")
        self.people = scenario.population.total
        self.platforms = list(scenario.platforms)
        self.levels = list(population.level_names)
        K, L, P = len(self.platforms), len(self.levels), len(population.province_names)
        self.launch = [float(scenario.horizon.day(p.launch)) for p in scenario.platforms.values()]
        self.end = float(scenario.horizon.days)
        self.size = [[0] * P for _ in range(L)]
        """Agencies per level and province (named accounts included: they count in the shares)."""
        for li, cohorts in enumerate(population.cohorts):
            for cohort in cohorts:
                self.size[li][population.province_names.index(cohort.province)] = int(cohort.agencies.size)
        self.level_size = [sum(row) for row in self.size]
        self.parent: list[int | None] = [None] * L
        self.parent_province = [[-1] * P for _ in range(L)]
        """Per level and province: the province of the parent level whose share presses on it (-1: none)."""
        national = population.province_names.index(NATIONAL)
        for li, name in enumerate(self.levels):
            parent = scenario.agencies.levels[name].parent
            if parent is not None:
                pl = self.levels.index(parent)
                self.parent[li] = pl
                spans = {population.province_names.index(c.province) for c in population.cohorts[pl]}
                for p in range(P):
                    self.parent_province[li][p] = p if p in spans else national if national in spans else -1
        self.adopted = [[[0] * P for _ in range(L)] for _ in range(K)]
        """Accounts opened, per platform, level and province."""
        self.level_adopted = [[0] * L for _ in range(K)]
        self.audience = [0.0] * K
        self.log: list[list[tuple[int, float]]] = [[] for _ in range(K)]
        """Per platform, (agency, time) of every account opened, in order."""
        self.named: dict[int, list[tuple[float, int]]] = {}
        """Agency -> (day, platform) of the accounts it opens on a named account's own date."""
        for name, account in scenario.accounts.items():
            day = float(scenario.horizon.day(account.launch))
            self.named[population.pinned[name]] = [(day, self.platforms.index(p)) for p in account.platforms]
        segments = schedule(scenario)
        self.every_platform = (1 << K) - 1
        self.segment_starts = [float(first) for first, _ in segments]
        self.base_bound = [[[hazard(coefficients(s, platform, name), 1.0, 1.0, 1.0, 1.0) for _, s in segments]
                            for platform in self.platforms] for name in self.levels]
        """Per level, platform and segment of dated events: the hazard per unit weight with every share and
        the audience at 1 (the most it can be while those coefficients are in force)."""
        self.bound_multiplier = [1.0] * L
        self._bounds: dict[tuple[int, int], Bound] = {}
        self.draws = [DrawBuffer(run.streams.generator(f"adoption.agents.{name}")) for name in self.levels]
        self.never = self.env.event()
        """An event that never happens: an agency with no proposal within the horizon waits on it (and is
        interrupted if its bound rises)."""
        self.processes: list[list[simpy.Process]] = [[] for _ in range(L)]
        """Each level's agency processes (to interrupt them if their bound must rise)."""
        self.reload(scenario)
        self.out = [(run.metric(f"gov_accounts.{platform}"),
                     [run.metric(f"gov_accounts.{platform}.{level}") for level in self.levels])
                    for platform in self.platforms]
        level_of, province_of = population.level_of.tolist(), population.province_of.tolist()
        weight, served = population.weight.tolist(), population.population_served.tolist()
        for i in range(population.size):
            li = level_of[i]
            self.processes[li].append(self.env.process(self.agency(i, li, province_of[i], weight[i], served[i])))

    # --- the agency ---------------------------------------------------------------------------------
    def agency(self, i: int, level: int, province: int, weight: float, served: float):
        """Agency ``i``: proposes opening times at its bound, opens an account at its hazard.

        ``served`` (the population it serves) is part of its identity; it enters the hazard through
        ``weight``, the size weight drawn with the population.
        """
        env, draws, end = self.env, self.draws[level], self.end
        accounts: list[float | None] = [None] * len(self.platforms)
        """Platform -> time the agency's account opened (None: no account)."""
        named = sorted(self.named[i]) if i in self.named else []
        """(day, platform) of the accounts it opens on a named account's date, not at its hazard."""
        racing = self.every_platform & ~sum(1 << k for _, k in named)
        """Bit mask of the platforms it races to an account on."""
        while racing or named:
            now = env.now
            proposal = (self.bound(level, racing).next_time(now, draws.exponential() / weight)
                        if racing and weight > 0 else math.inf)
            wake = min(proposal, named[0][0]) if named else proposal
            try:
                yield env.timeout(wake - now) if wake < end else self.never
            except simpy.Interrupt:  # the bound rose: draw afresh (the proposals are memoryless)
                continue
            if named and wake == named[0][0]:
                k = named.pop(0)[1]
            else:
                k, x, bound = self.pick(level, racing, env.now, draws.uniform())
                h = self.hazard(k, level, province)
                if h > bound * (1 + 1e-12):
                    raise RuntimeError(f"agency {i}: hazard {h} above its thinning bound {bound} at day {env.now}")
                if x >= h:
                    continue
                racing &= ~(1 << k)
            accounts[k] = env.now
            self.open(i, k, level, province)

    def hazard(self, k: int, level: int, province: int) -> float:
        """The hazard per unit weight of an agency of ``level`` in ``province`` on platform ``k``, now."""
        size = self.size[level][province]
        return hazard(self.c[k][level], self.audience[k], self.level_adopted[k][level] / self.level_size[level],
                      self.adopted[k][level][province] / size if size else 0.0, self.parent_share(k, level, province))

    def parent_share(self, k: int, level: int, province: int) -> float:
        """The adopted share of ``level``'s parent level in the province that presses on ``province``."""
        parent, pp = self.parent[level], self.parent_province[level][province]
        if parent is None or pp < 0 or not self.size[parent][pp]:
            return 0.0
        return self.adopted[k][parent][pp] / self.size[parent][pp]

    def open(self, i: int, k: int, level: int, province: int) -> None:
        self.adopted[k][level][province] += 1
        self.level_adopted[k][level] += 1
        self.log[k].append((i, self.env.now))

    # --- the bound ------------------------------------------------------------------------------------
    def bound(self, level: int, racing: int) -> Bound:
        """The thinning bound per unit weight of ``level`` summed over the platforms in bit mask ``racing``."""
        key = (level, racing)
        found = self._bounds.get(key)
        if found is None:
            found = self._bounds[key] = self._build_bound(level, racing)
        return found

    def _build_bound(self, level: int, racing: int) -> Bound:
        times = sorted({0.0, *self.segment_starts, *self.launch})
        times = [t for t in times if t < self.end] + [self.end]
        rates = [sum(self.platform_bound(k, level, t) for k in range(len(self.platforms)) if racing >> k & 1)
                 for t in times]
        return Bound(times, rates)

    def platform_bound(self, k: int, level: int, t: float) -> float:
        """Level ``level``'s bound per unit weight on platform ``k`` at time ``t``: its coefficients with
        every share and the audience at 1, times the bound's multiplier; 0 before the platform's launch."""
        if t < self.launch[k] or t >= self.end:
            return 0.0
        segment = bisect.bisect_right(self.segment_starts, t) - 1
        return self.bound_multiplier[level] * self.base_bound[level][k][segment]

    def pick(self, level: int, racing: int, now: float, u: float) -> tuple[int, float, float]:
        """The platform of a proposal, chosen in proportion to the bounds, a uniform on ``[0, its bound)``,
        and its bound (per unit weight).

        One uniform on ``[0, total bound)`` does both: the platform whose slice holds it, and the position in
        that slice.
        """
        bounds = [(k, self.platform_bound(k, level, now)) for k in range(len(self.platforms)) if racing >> k & 1]
        x = u * sum(b for _, b in bounds)
        for k, b in bounds:
            if x < b or k == bounds[-1][0]:
                break
            x -= b
        return k, min(x, b), b

    # --- the engine's part of a run -------------------------------------------------------------------
    def reload(self, scenario: Scenario) -> None:
        """Coefficients in force (dated events, the ``multiplier`` input); the bound rises if they pass it."""
        multiplier = self.inputs["multiplier"]
        self.c = []
        for platform in self.platforms:
            row = []
            for name in self.levels:
                c = coefficients(scenario, platform, name)
                m = multiplier.get(name, 1.0)
                row.append(c if m == 1.0 else Coefficients(*(x * m for x in c)))
            self.c.append(row)
        for li, name in enumerate(self.levels):
            m = multiplier.get(name, 1.0)
            if m > self.bound_multiplier[li]:  # a synchronisation point the schedule did not foresee
                self.bound_multiplier[li] = m
                self._bounds = {key: b for key, b in self._bounds.items() if key[0] != li}
                for process in self.processes[li]:
                    if process.is_alive and not isinstance(process.target, simpy.events.Initialize):
                        process.interrupt("bound")
        now = self.env.now
        for li, k in ((li, k) for li in range(len(self.levels)) for k in range(len(self.platforms))):
            most = hazard(self.c[k][li], 1.0, 1.0, 1.0, 1.0)
            if now >= self.launch[k] and self.platform_bound(k, li, now) < most * (1 - 1e-12):
                raise RuntimeError(f"thinning bound below the hazard of {self.levels[li]} on {self.platforms[k]} "
                                   f"at day {now}: {self.platform_bound(k, li, now)} < {most}")

    def start_day(self, day: int) -> None:
        registered = self.users.registered
        for k in range(len(self.platforms)):
            self.audience[k] = registered[k] / self.people
            if self.audience[k] > 1.0:
                raise RuntimeError("the thinning bound takes the audience to be at most 1")

    def opened_since(self, k: int, start: int) -> list[int]:
        """The agencies that opened an account on platform ``k`` after the first ``start`` to do so, in order."""
        return [agency for agency, _ in self.log[k][start:]]

    def accounts(self, k: int) -> int:
        """Government accounts on platform ``k`` now."""
        return sum(self.level_adopted[k])

    def record(self, day: int) -> None:
        for k, (out_total, out_levels) in enumerate(self.out):
            counts = self.level_adopted[k]
            for out, count in zip(out_levels, counts):
                out[day] = count
            out_total[day] = sum(counts)

    def finish(self) -> dict[str, object]:
        agency = np.array([a for log in self.log for a, _ in log], dtype=np.int64)
        time = np.array([t for log in self.log for _, t in log], dtype=float)
        platform = np.concatenate([np.full(len(log), k, dtype=np.int16) for k, log in enumerate(self.log)])
        return {"adoptions": Adoptions.of(self.population, self.platforms, agency, platform, time)}
