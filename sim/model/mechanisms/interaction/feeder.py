"""Messages into desks: each day's arrivals drawn at once, delivered one by one in SimPy.

At the start of day ``d`` (after the followers' daily step) :meth:`Feeder.start_day`
reads every stream's follower count, draws the day's arrivals of all streams
by thinning (:mod:`.arrivals`) and schedules each as a SimPy timeout; their
callbacks deliver the messages in time order (SimPy breaks ties by scheduling
order, which is the order of the sorted times).  Each message then draws
whether it is urgent, whether it is substantive and its sender's patience,
from the arrivals' own random stream, so the messages are the same whatever
the staffing (common random numbers across a staffing sweep; service times
come from each team's stream).
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
    """One account on one platform: where its messages go."""

    tally: StreamTally
    desk: DeskEngine
    platform: str


class Feeder:
    def __init__(self, env: simpy.Environment, messages: Messages, profile: Profile, streams: list[Stream],
                 followers: Callable[[], np.ndarray], surges: list[Surge], hits: np.ndarray,
                 rng: np.random.Generator):
        """``followers()`` gives every stream's current followers at once (0 while its account is closed)."""
        self.env = env
        self.streams = streams
        self.followers = followers
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
        return self.rates * self.followers()

    def start_day(self, day: int) -> None:
        """Draw the day's arrivals and schedule each as a SimPy timeout whose callback delivers the message."""
        bases = self.bases()
        if not bases.any():
            return
        times, streams = self.arrivals.day(day, bases)
        env, now, deliver = self.env, self.env.now, self._deliver
        for t, k in zip(times.tolist(), streams.tolist()):
            env.timeout(t - now, value=k).callbacks.append(deliver)

    def _deliver(self, event) -> None:
        """A message arrives: it draws its urgency, substance and sender's patience, and joins its desk."""
        coins = self.coins
        stream = self.streams[event.value]
        now = self.env.now
        priority = URGENT if coins.uniform() < self.messages.urgent_share else NORMAL
        substantive = coins.uniform() < self.messages.substantive_share
        stream.desk.arrive(Message(stream.tally, now, now + self.patience.draw(), priority, substantive))
        self.delivered += 1
