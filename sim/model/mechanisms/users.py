"""Internet users and micro-bloggers, as aggregate populations.

Hundreds of millions of people cannot each be a process.  They are counted
by state instead: not (yet) online; online with no micro-blog; and online
holding accounts on a *set* of platforms (a bit mask, so multi-homing is
explicit: ``registered_users.sina`` counts everybody whose set contains Sina,
``microbloggers`` everybody whose set is not empty).

Transitions
-----------
* A person within ``capacity`` who is not online joins the internet at hazard
  ``growth_rate * I / capacity`` (logistic growth; CNNIC's reports give the
  curve the baseline follows).
* An internet user without an account on a launched platform ``k`` opens one
  at hazard ``(innovation_k + imitation_k * R_k / I) * m``, where ``R_k`` is
  the platform's users and ``m`` is ``multihoming_k`` if the person already
  holds an account elsewhere, 1 otherwise (Bass 1969 among internet users).

The aggregate step and the exact process
----------------------------------------
The exact model is a continuous-time Markov chain in which every person
moves independently at the hazards above, evaluated at the current state.
The daily step holds the hazards at their values at the start of the day (a
binomial tau-leap; Tian and Burrage 2004): each person in a state leaves it
with probability ``1 - exp(-H dt)`` for total hazard ``H``, choosing among the
competing transitions in proportion to their hazards, so a step is one
multinomial draw per state.  :func:`opening_probabilities` and
:func:`joining_probability` are those probabilities; the engine draws counts
from them and the mean-field twin moves expected counts by them.
Consequences, each tested in ``tests/test_users.py``:

* when the hazards do not depend on the state (pure innovation) the step is
  exact: the counts have exactly the distribution of the continuous process
  observed daily;
* otherwise the mean follows the recursion ``x' = x + (1-x)(1-exp(-h(x) dt))``,
  an explicit first-order scheme for the ODE of the continuous process, so
  the step's bias is ``O(dt)``: about ``(p+q) dt / 2`` relative, 0.5% for a
  platform doubling in a few months stepped daily.  A person makes at most one
  transition per step (joining two platforms on the same day waits a day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ...calendar import per_day
from ...scenario.schema import Scenario
from ..arithmetic import count, expm1, fraction_leaving, maximum, minimum
from ..compiled import Compiled
from ..mechanism import Definition, Engine, MeanField

Openings = tuple[tuple[int, tuple[int, ...], tuple[int, ...]], ...]
"""For each state that can still open an account: (state, platforms it may join, their target states)."""


def metric_names(scenario: Scenario) -> list[str]:
    return ["internet_users", "microbloggers", *(f"registered_users.{p}" for p in scenario.platforms)]


@dataclass(frozen=True)
class UserRates:
    """The users' per-day rates as the scenario in force gives them (re-read after a dated event).

    Floats for one scenario; arrays over a batch of scenarios (:meth:`batch`) in the twin.
    """

    growth: float
    capacity: float
    innovation: tuple[float, ...]
    imitation: tuple[float, ...]
    multihoming: tuple[float, ...]

    @classmethod
    def of(cls, scenario: Scenario) -> "UserRates":
        users = [p.users for p in scenario.platforms.values()]
        return cls(growth=per_day(scenario.population.internet.growth_rate),
                   capacity=count(scenario.population.internet.capacity),
                   innovation=tuple(per_day(u.innovation) for u in users),
                   imitation=tuple(per_day(u.imitation) for u in users),
                   multihoming=tuple(u.multihoming for u in users))

    @classmethod
    def batch(cls, rates: list["UserRates"]) -> "UserRates":
        """One set of rates per member of a batch, as arrays (the single member's floats for a batch of one)."""
        if len(rates) == 1:
            return rates[0]
        return cls(growth=np.array([r.growth for r in rates]), capacity=np.array([r.capacity for r in rates]),
                   innovation=tuple(np.array(v) for v in zip(*(r.innovation for r in rates))),
                   imitation=tuple(np.array(v) for v in zip(*(r.imitation for r in rates))),
                   multihoming=tuple(np.array(v) for v in zip(*(r.multihoming for r in rates))))


def openings(launched: int, platforms: int) -> Openings:
    """The states that can open an account once the platforms in the bit mask ``launched`` are open."""
    out = []
    for state in range(1 << platforms):
        ks = tuple(k for k in range(platforms) if launched >> k & 1 and not state >> k & 1)
        if ks:
            out.append((state, ks, tuple(state | 1 << k for k in ks)))
    return tuple(out)


def open_platform(k: int, initial, by_state: list, registered: list) -> None:
    """Platform ``k`` opens: its first ``initial`` accounts (at most everybody online) come from people with none."""
    movers = minimum(initial, by_state[0])
    # Not in place: in the twin a count may be an array shared with another name.
    by_state[0] = by_state[0] - movers
    by_state[1 << k] = by_state[1 << k] + movers
    registered[k] = registered[k] + movers


def joining_probability(rates: UserRates, online, dt: float = 1.0):
    """Probability that a person within capacity who is offline goes online within ``dt`` days."""
    return -expm1(-rates.growth * online / maximum(rates.capacity, 1.0) * dt)


def opening_probabilities(rates: UserRates, registered, online, moves: Openings, dt: float = 1.0) -> list[list]:
    """For each state of ``moves``, the probability of opening each of its accounts within ``dt`` days.

    Competing risks with the hazards frozen at the start of the step: the
    state is left with probability ``1 - exp(-H dt)``, split in proportion to
    the hazards.
    """
    share = 1.0 / maximum(online, 1.0)
    base = [p + q * r * share for p, q, r in zip(rates.innovation, rates.imitation, registered)]
    multihoming = rates.multihoming
    out = []
    for state, ks, _ in moves:
        hazards = [base[k] * multihoming[k] for k in ks] if state else [base[k] for k in ks]
        scale = fraction_leaving(sum(hazards), dt)
        out.append([h * scale for h in hazards])
    return out


def expected_step(rates: UserRates, n: list, registered: list, online, moves: Openings, dt: float = 1.0):
    """The engine's step in expectation: moves the expected counts ``n`` and ``registered`` in place and
    returns the expected internet users after the step (floats, or arrays over a batch)."""
    joined = maximum(rates.capacity - online, 0.0) * joining_probability(rates, online, dt)
    flows = [[n[state] * p for p in probs]
             for (state, _, _), probs in zip(moves, opening_probabilities(rates, registered, online, moves, dt))]
    for (state, ks, targets), flow in zip(moves, flows):  # every state moves from its start-of-step count
        for k, target, f in zip(ks, targets, flow):
            n[state] = n[state] - f  # not in place: counts may be arrays shared with other names
            n[target] = n[target] + f
            registered[k] = registered[k] + f
    n[0] = n[0] + joined
    return online + joined


class Users(Engine):
    """Counts of people by state, stepped once a day with a multinomial per state (stream ``users``)."""

    def __init__(self, run) -> None:
        super().__init__(run)
        scenario = run.scenario
        self.rng = run.streams.generator("users")
        self.platforms = list(scenario.platforms)
        self.launch_days = [scenario.horizon.day(p.launch) for p in scenario.platforms.values()]
        self.initial = [int(p.users.initial_users) for p in scenario.platforms.values()]
        self.internet_users = int(scenario.population.internet.initial_users)
        self.capacity = int(scenario.population.internet.capacity)
        self.by_state = [0] * (1 << len(self.platforms))
        self.by_state[0] = self.internet_users
        self.registered = [0] * len(self.platforms)
        self.launched = 0
        self.moves: Openings = ()
        self.rates = UserRates.of(scenario)
        self.out_internet = run.metric("internet_users")
        self.out_micro = run.metric("microbloggers")
        self.out_registered = [run.metric(f"registered_users.{p}") for p in self.platforms]

    def reload(self, scenario: Scenario) -> None:
        self.rates = UserRates.of(scenario)

    def launch(self, k: int) -> None:
        """Open platform ``k``: its first accounts come from people with none."""
        self.launched |= 1 << k
        self.moves = openings(self.launched, len(self.platforms))
        open_platform(k, self.initial[k], self.by_state, self.registered)

    def start_day(self, day: int) -> None:
        if day in self.launch_days:
            self.launch(self.launch_days.index(day))
        self.step()

    def step(self, dt: float = 1.0) -> None:
        """Advance ``dt`` days with hazards frozen at the current state."""
        rng, rates, by_state, registered = self.rng, self.rates, self.by_state, self.registered
        online = self.internet_users
        offline = self.capacity - online
        joined = rng.binomial(offline, joining_probability(rates, online, dt)) if offline > 0 else 0
        probabilities = opening_probabilities(rates, registered, online, self.moves, dt)
        moved = []
        for (state, ks, targets), probs in zip(self.moves, probabilities):
            n = by_state[state]
            if n == 0 or not any(probs):
                continue
            counts = rng.multinomial(n, [*probs, max(0.0, 1.0 - math.fsum(probs))]).tolist()
            moved.append((state, ks, targets, counts))
        for state, ks, targets, counts in moved:  # every state moves from its start-of-step count
            for k, target, c in zip(ks, targets, counts):
                by_state[state] -= c
                by_state[target] += c
                registered[k] += c
        by_state[0] += joined
        self.internet_users = online + joined

    @property
    def microbloggers(self) -> int:
        return self.internet_users - self.by_state[0]

    def record(self, day: int) -> None:
        self.out_internet[day] = self.internet_users
        self.out_micro[day] = self.internet_users - self.by_state[0]
        for out, registered in zip(self.out_registered, self.registered):
            out[day] = registered


class UsersMeanField(MeanField):
    """Expected counts moved by the engine's own step probabilities; puts ``registered`` (K, D) in ``shared``."""

    def solve(self) -> dict[str, np.ndarray]:
        twin = self.twin
        scenario, D = twin.scenario, twin.days
        K = len(scenario.platforms)
        rates = [UserRates.batch([UserRates.of(s) for s in members]) for members in twin.segment_members()]
        segment = twin.segment_of_day
        launch_on: dict[int, list[int]] = {}
        for k, p in enumerate(scenario.platforms.values()):
            launch_on.setdefault(scenario.horizon.day(p.launch), []).append(k)
        initial = [twin.values(lambda s, p=p: float(int(s.platforms[p].users.initial_users))) for p in scenario.platforms]
        online = twin.values(lambda s: float(int(s.population.internet.initial_users)))
        n = [twin.values(lambda s: 0.0) for _ in range(1 << K)]
        n[0] = online
        registered = [twin.values(lambda s: 0.0) for _ in range(K)]
        launched, moves = 0, ()
        out_online, out_micro = np.empty((D, *twin.shape)), np.empty((D, *twin.shape))
        out_registered = np.empty((D, K, *twin.shape))
        for d in range(D):
            for k in launch_on.get(d, ()):
                launched |= 1 << k
                moves = openings(launched, K)
                open_platform(k, initial[k], n, registered)
            online = expected_step(rates[segment[d]], n, registered, online, moves)
            out_online[d] = online
            out_micro[d] = online - n[0]
            out_registered[d] = registered
        twin.shared["registered"] = np.moveaxis(out_registered, 0, -1)          # (K, [B,] D)
        metrics = {"internet_users": out_online, "microbloggers": out_micro}
        for k, platform in enumerate(scenario.platforms):
            metrics[f"registered_users.{platform}"] = out_registered[:, k]
        return metrics


class UsersCompiled(Compiled):
    """The numpy twin's recursion in one compiled loop (``lax.scan`` over the days): the same step
    (:func:`expected_step`) every day.  Every platform's openings are there from the first day, with a zero
    hazard until its launch (a zero hazard moves nobody and adds nothing to a sum, so the values are the numpy
    twin's), and a platform's first accounts move on its launch day by :func:`open_platform` with a count that
    is zero on every other day."""

    daily = True

    def __init__(self, context) -> None:
        super().__init__(context)
        structure = context.structure
        self.platforms = list(structure.platforms)
        self.launch = [structure.horizon.day(p.launch) for p in structure.platforms.values()]
        self.initial = [count(context.static.platforms[p].users.initial_users) for p in self.platforms]
        self.moves = openings((1 << len(self.platforms)) - 1, len(self.platforms))

    def start(self):
        xp, K = self.context.xp, len(self.platforms)
        online = xp.asarray(count(self.context.static.population.internet.initial_users), dtype=float)
        # One array (fewer loop-carried buffers, fewer copies per step): people by state, registered, online.
        return xp.zeros((1 << K) + K + 1).at[0].set(online).at[-1].set(online)

    def step(self, d, state, today):
        xp, K = self.context.xp, len(self.platforms)
        n, registered, online = list(state[:1 << K]), list(state[1 << K:-1]), state[-1]
        rates = UserRates.of(self.context.on(d))
        live = [d >= first for first in self.launch]
        rates = replace(rates, innovation=tuple(xp.where(on, v, 0.0) for on, v in zip(live, rates.innovation)),
                        imitation=tuple(xp.where(on, v, 0.0) for on, v in zip(live, rates.imitation)))
        for k, first in enumerate(self.launch):
            open_platform(k, xp.where(d == first, self.initial[k], 0.0), n, registered)
        online = expected_step(rates, n, registered, online, self.moves)
        state = xp.stack([*n, *registered, online])
        return state, {"users": state, "registered": state[1 << K:-1]}

    def solve(self) -> dict[str, object]:
        K = len(self.platforms)
        users = self.context.shared["users"]                                        # (D, 2^K + K + 1)
        metrics = {"internet_users": users[:, -1], "microbloggers": users[:, -1] - users[:, 0]}
        for k, platform in enumerate(self.platforms):
            metrics[f"registered_users.{platform}"] = users[:, (1 << K) + k]
        return metrics


MECHANISM = Definition(name="users", order=10, metric_names=metric_names, engine=Users, meanfield=UsersMeanField,
                       compiled=UsersCompiled)
