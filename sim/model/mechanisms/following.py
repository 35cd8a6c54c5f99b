"""Followers of named government accounts (e.g. Shanghai City).

The article's theme is interaction: an account that answers people earns
followers.  A named account's audience on platform ``k`` is the share
``reach`` of the platform's micro-bloggers; each of them who does not yet
follow starts following at hazard

    appeal * (steady_rate_per_day + launch_rate_per_day * exp(-age / launch_decay_days))

a burst at launch (press coverage, novelty; Shanghai City had more than
410,000 Sina followers within two weeks of 2011-11-28, Beijing Review 2012)
decaying to a steady rate set by how active and responsive the account is.
Saturation comes from the finite audience.

Two inputs, per ``(account, platform)``, let another mechanism say how well
the account answers people (the interaction loop does): ``appeal``, which
multiplies the follow hazard (1 unless set), and ``unfollow``, the
probability that a follower leaves during the day (0 unless set), drawn
after the day's gain from the stream ``following.unfollow``.

The daily step draws ``Binomial(audience - followers, 1 - exp(-integral of
the hazard over the day))`` (:func:`follow_probability`), exact for a given
audience, which itself moves only once a day (see :mod:`.users`); the twin
moves the expected count by the same probability (:func:`expected_gain`).
Followers therefore never exceed the platform's micro-bloggers.

The agent view (``engine: agents``, :class:`FollowerProcesses`) makes each
named account on each platform a SimPy process whose followers arrive, one
event each, at the rate ``follow_hazard * (audience - followers)``
(:func:`follow_hazard`, the instantaneous form of the same hazard; the launch
burst, the steady rate and the saturation of the finite audience), and leave
one by one at the hazard that gives the day's ``unfollow`` probability: the
same law as the daily step's, which is the continuous process observed once a
day (the departures interleave with the arrivals instead of following them).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ...scenario.schema import AccountOnPlatform, Scenario
from ...streams import DrawBuffer
from ..arithmetic import exp, expm1, maximum
from ..compiled import Compiled
from ..mechanism import Definition, Engine, MeanField


def metric_names(scenario: Scenario) -> list[str]:
    names = []
    for account, spec in scenario.accounts.items():
        names += [f"followers.{account}.{p}" for p in spec.platforms]
        names.append(f"followers.{account}.all")
    return names


class FollowParameters(NamedTuple):
    """An account's following parameters on one platform: floats, or arrays over a batch in the twin."""

    reach: float
    launch_rate_per_day: float
    launch_decay_days: float
    steady_rate_per_day: float

    @classmethod
    def batch(cls, specs: list[AccountOnPlatform]) -> "FollowParameters":
        values = [[getattr(spec, f) for spec in specs] for f in cls._fields]
        return cls(*(v[0] if len(specs) == 1 else np.array(v, dtype=float) for v in values))


def follow_probability(spec: AccountOnPlatform | FollowParameters, age: float, dt: float = 1.0, appeal=1.0):
    """Probability that one person of the audience starts following within ``[age, age + dt)`` days of launch."""
    tau = spec.launch_decay_days
    burst = spec.launch_rate_per_day * tau * (exp(-age / tau) - exp(-(age + dt) / tau))
    return -expm1(-appeal * (spec.steady_rate_per_day * dt + burst))


def follow_hazard(spec: AccountOnPlatform | FollowParameters, age: float, appeal=1.0):
    """The hazard (per day) at which one person of the audience starts following, ``age`` days after launch.

    :func:`follow_probability` is one minus the exponential of its integral over ``[age, age + dt)``.  It
    never increases with age (the burst decays), which the agent view's thinning relies on.
    """
    return appeal * (spec.steady_rate_per_day + spec.launch_rate_per_day * exp(-age / spec.launch_decay_days))


def audience(spec: AccountOnPlatform | FollowParameters, platform_users):
    """People who may follow the account: its reach among the platform's users."""
    return spec.reach * platform_users


def expected_gain(spec: AccountOnPlatform | FollowParameters, platform_users, followers, age: float, appeal=1.0):
    """The expected new followers of one day (the twin's step; the engine draws a binomial with these terms)."""
    remaining = maximum(audience(spec, platform_users) - followers, 0.0)
    return remaining * follow_probability(spec, age, 1.0, appeal)


class Following(Engine):
    """Follower counts of every named account on every platform it is on (stream ``following``)."""

    def __init__(self, run) -> None:
        super().__init__(run)
        scenario = run.scenario
        self._streams(run)
        self.users = run.mechanism("users")
        self.platform_index = {p: k for k, p in enumerate(scenario.platforms)}
        self.entries = [(account, platform) for account, spec in scenario.accounts.items()
                        for platform in spec.platforms]
        self.launch_day = {account: scenario.horizon.day(spec.launch) for account, spec in scenario.accounts.items()}
        self.followers = {entry: 0 for entry in self.entries}
        self.open: set[str] = set()
        self.reload(scenario)
        self.out = [(run.metric(f"followers.{a}.{p}"), (a, p)) for a, p in self.entries]
        self.out_all = [(run.metric(f"followers.{a}.all"), [(a, p) for p in spec.platforms])
                        for a, spec in scenario.accounts.items()]

    def _streams(self, run) -> None:
        self.rng = run.streams.generator("following")
        self.unfollow_rng = run.streams.generator("following.unfollow")

    def reload(self, scenario: Scenario) -> None:
        self.params = {(a, p): scenario.accounts[a].platforms[p] for a, p in self.entries}

    def start_day(self, day: int) -> None:
        for account, launch in self.launch_day.items():
            if launch == day:
                self.open.add(account)
        self.step(day)

    def appeal(self, entry: tuple[str, str]) -> float:
        """The multiplier of ``entry``'s follow hazard in force (input ``appeal``; 1 unless set)."""
        return self.inputs["appeal"].get(entry, 1.0)

    def step(self, day: int, dt: float = 1.0) -> None:
        """Draw the new followers of every open account over ``[day, day + dt)``, then those who leave."""
        registered = self.users.registered
        unfollow = self.inputs["unfollow"]
        for entry in self.entries:
            account, platform = entry
            if account not in self.open:
                continue
            spec = self.params[entry]
            remaining = int(audience(spec, registered[self.platform_index[platform]])) - self.followers[entry]
            if remaining > 0:
                p = follow_probability(spec, day - self.launch_day[account], dt, self.appeal(entry))
                self.followers[entry] += self.rng.binomial(remaining, p)
            leaving = unfollow.get(entry, 0.0)
            if leaving > 0 and self.followers[entry] > 0:
                self.followers[entry] -= int(self.unfollow_rng.binomial(self.followers[entry], leaving))

    def record(self, day: int) -> None:
        followers = self.followers
        for out, entry in self.out:
            out[day] = followers[entry]
        for out, entries in self.out_all:
            out[day] = sum(followers[entry] for entry in entries)


class FollowerProcesses(Following):
    """The agent view: one SimPy process per named account and platform, each follower an event.

    Exact by thinning (Lewis and Shedler 1979) against a bound valid until the next synchronisation point,
    the start of the next day, when the audience, the appeal, the unfollowing and (by a dated event) the
    rates may change: from time ``t`` on, within the day, arrivals come at rate
    ``follow_hazard(age) * (audience - followers)``, which only falls (the burst decays, followers only
    use the audience up), and departures at ``theta * followers``, so ``follow_hazard(age(t)) * (audience -
    followers(t)) + theta * followers(t)`` bounds both until the next event, and is drawn afresh after each.
    A proposal past the end of the day is dropped and drawn again from the next day's state (exact: the
    proposals are memoryless).  Random stream: ``following.agents``.
    """

    def __init__(self, run) -> None:
        self.env = run.env
        self.day = -1
        """The last day whose start has been processed (its audience, appeal and unfollowing are in force)."""
        self.day_started = self.env.event()
        self.today: dict[tuple[str, str], tuple[AccountOnPlatform, int, float, float]] = {}
        """Per entry, the day's (parameters, audience, appeal, unfollow hazard): fixed within the day."""
        super().__init__(run)
        self.draws = DrawBuffer(run.streams.generator("following.agents"))
        for entry in self.entries:
            self.env.process(self.account(entry))

    def _streams(self, run) -> None:
        """None of the daily step's streams: the processes draw from ``following.agents``."""

    def start_day(self, day: int) -> None:
        registered = self.users.registered
        unfollow = self.inputs["unfollow"]
        for entry in self.entries:
            spec = self.params[entry]
            people = int(audience(spec, registered[self.platform_index[entry[1]]]))
            self.today[entry] = (spec, people, self.appeal(entry), -math.log1p(-unfollow.get(entry, 0.0)))
        self.day = day
        started, self.day_started = self.day_started, self.env.event()
        started.succeed()

    def account(self, entry: tuple[str, str]):
        """Named account ``entry = (account, platform)``: its followers arrive and leave, one event each."""
        env, draws, followers = self.env, self.draws, self.followers
        launch = self.launch_day[entry[0]]
        yield env.timeout(launch)
        while self.day < launch:
            yield self.day_started
        while True:
            spec, people, appeal, theta = self.today[entry]
            end = self.day + 1
            now = env.now
            n = followers[entry]
            bound = self.arrival_rate(spec, now - launch, appeal, people, n) + theta * n
            proposal = now + draws.exponential() / bound if bound > 0 else math.inf
            if proposal >= end:
                yield self.day_started  # the next day's state: draw afresh
                continue
            yield env.timeout(proposal - now)
            x = draws.uniform() * bound
            gain = self.arrival_rate(spec, env.now - launch, appeal, people, n)
            if gain > bound - theta * n:
                raise RuntimeError(f"{entry}: arrival rate {gain} above its thinning bound at day {env.now}")
            if x < gain:
                followers[entry] = n + 1
            elif x < gain + theta * n:
                followers[entry] = n - 1

    @staticmethod
    def arrival_rate(spec: AccountOnPlatform, age: float, appeal: float, people: int, followers: int) -> float:
        """New followers per day: everyone of the audience who does not follow yet, at the follow hazard."""
        return follow_hazard(spec, age, appeal) * max(people - followers, 0)


class FollowingMeanField(MeanField):
    """The expected follower counts, moved by the engine's daily probability."""

    def solve(self) -> dict[str, np.ndarray]:
        twin = self.twin
        scenario, D = twin.scenario, twin.days
        registered = twin.shared["registered"]                                   # (K, [B,] D)
        platforms = list(scenario.platforms)
        segments = twin.segment_members()
        metrics = {}
        for account, spec in scenario.accounts.items():
            launch = scenario.horizon.day(spec.launch)
            total = np.zeros((D, *twin.shape))
            for platform in spec.platforms:
                params = [FollowParameters.batch([s.accounts[account].platforms[platform] for s in members])
                          for members in segments]
                users = np.moveaxis(registered[platforms.index(platform)], -1, 0)  # (D, [B])
                series = np.zeros((D, *twin.shape))
                followers = 0.0
                for d in range(max(launch, 0), D):
                    followers = followers + expected_gain(params[twin.segment_of_day[d]], users[d], followers,
                                                          d - launch)
                    series[d] = followers
                metrics[f"followers.{account}.{platform}"] = series
                total += series
            metrics[f"followers.{account}.all"] = total
        return metrics


class FollowingCompiled(Compiled):
    """The numpy twin's recursion, from each account's launch in its own compiled loop (the interaction loop's
    compiled part replaces these series with the feedback's, as in the numpy twin)."""

    def solve(self) -> dict[str, object]:
        c = self.context
        xp, structure, D = c.xp, c.structure, c.days
        platforms = list(structure.platforms)
        metrics = {}
        for account, spec in structure.accounts.items():
            launch = structure.horizon.day(spec.launch)
            days = np.arange(min(max(launch, 0), D), D)
            total = xp.zeros(D)
            for platform in spec.platforms:
                users = c.shared["registered"][:, platforms.index(platform)]

                def step(followers, d, account=account, platform=platform, users=users, launch=launch):
                    params = FollowParameters.batch([c.on(d).accounts[account].platforms[platform]])
                    followers = followers + expected_gain(params, users[d], followers, d - launch)
                    return followers, followers

                _, series = c.lax.scan(step, xp.zeros(()), days)
                series = xp.concatenate([xp.zeros(D - days.size), series])
                metrics[f"followers.{account}.{platform}"] = series
                total = total + series
            metrics[f"followers.{account}.all"] = total
        return metrics


MECHANISM = Definition(name="following", order=20, metric_names=metric_names, engine=Following,
                       meanfield=FollowingMeanField, reads=("users.registered",), inputs=("appeal", "unfollow"),
                       agents=FollowerProcesses, compiled=FollowingCompiled)
