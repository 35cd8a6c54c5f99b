"""Messages into desks: each day's arrivals drawn at once, delivered one by one in SimPy.

At the start of day ``d`` (after the followers' daily step) :meth:`Feeder.start_day`
reads every stream's follower count, draws the day's arrivals of all streams
by thinning (:mod:`.arrivals`) and starts one SimPy process that delivers them
in time order.  Each message then draws whether it is urgent, whether it is
substantive and its sender's patience, from the arrivals' own random stream,
so the messages are the same whatever the staffing (common random numbers
across a staffing sweep; service times come from each team's stream).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import simpy

from ....scenario.schema import Messages
from ....streams import DrawBuffer
from .arrivals import StreamArrivals
from .desk import NORMAL, URGENT, DeskEngine, Message
from .durations import DurationSampler
from .intensity import Profile, Surge, base_rate
from .tally import StreamTally


@dataclass
class Stream:
    """One account on one platform: where its messages go and how many follow it."""

    tally: StreamTally
    desk: DeskEngine
    platform: str
    followers: Callable[[], float]
    """Current followers (0 while the account is closed)."""


class Feeder:
    def __init__(self, env: simpy.Environment, messages: Messages, profile: Profile, streams: list[Stream],
                 surges: list[Surge], hits: np.ndarray, rng: np.random.Generator):
        self.env = env
        self.streams = streams
        arrivals_rng, coins_rng, patience_rng = rng.spawn(3)
        self.arrivals = StreamArrivals(profile, surges, hits, arrivals_rng)
        self.coins = DrawBuffer(coins_rng)
        self.patience = DurationSampler(messages.patience, patience_rng)  # not a time-varying parameter
        self.load(messages)
        self.delivered = 0

    def load(self, messages: Messages) -> None:
        """(Re)read the message parameters, e.g. after a dated event."""
        self.messages = messages
        self.rates = np.array([base_rate(1.0, messages, s.platform) for s in self.streams])

    def bases(self) -> np.ndarray:
        return self.rates * np.array([s.followers() for s in self.streams], dtype=float)

    def start_day(self, day: int) -> None:
        times, streams = self.arrivals.day(day, self.bases())
        if times.size:
            self.env.process(self._deliver(times.tolist(), streams.tolist()))

    def _deliver(self, times: list[float], streams: list[int]):
        env, coins, patience = self.env, self.coins, self.patience
        urgent_share, substantive_share = self.messages.urgent_share, self.messages.substantive_share
        for t, k in zip(times, streams):
            if t > env.now:
                yield env.timeout(t - env.now)
            stream = self.streams[k]
            now = env.now
            priority = URGENT if coins.uniform() < urgent_share else NORMAL
            substantive = coins.uniform() < substantive_share
            stream.desk.arrive(Message(stream.tally, now, now + patience.draw(), priority, substantive))
            self.delivered += 1
