"""Day-by-day bookkeeping of one stream of messages (an account on a platform).

What is counted, and why it is enough to check Little's law
------------------------------------------------------------
Two independent ledgers are kept.  The *state* ledger integrates the number of
messages in the system, ``N(t)``, over each day (``area``), updated at every
arrival and exit.  The *message* ledger adds up, for the messages that left
during the day, the time each spent in the system (``closed``), and keeps the
number and the summed arrival times of those still inside, from which
``open_age(T) = sum over open messages of (T - arrival)``.  Little's law in its
sample-path form (Little 1961) says that for every day

    area_d = closed_d + open_age(end of d) - open_age(start of d)

whatever the queue does; the tests check it on every run, so a message that
leaves the state ledger without leaving the message ledger (or the reverse)
cannot go unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StreamDay:
    """One stream's day (model time in days; multiply by 24 for hours)."""

    day: int
    received: int
    answered: int
    abandoned: int
    prompt: int
    """Answers of the day given within the prompt delay of their message's arrival."""
    backlog: int
    """Messages waiting or being handled at the end of the day."""
    responses: np.ndarray
    """Response times (arrival to answer) of the day's answers, in days."""
    area: float
    """Integral of the number in system over the day (message-days)."""
    closed: float
    """Time in system of the messages answered or abandoned during the day (message-days)."""
    open_age: float
    """Sum over the messages in the system at the end of the day of their age then (message-days)."""


class StreamTally:
    """The running ledgers of one stream (see the module's docstring)."""

    __slots__ = ("name", "received", "answered", "abandoned", "prompt", "responses", "closed",
                 "in_system", "arrival_sum", "last", "area", "arrived_on", "prompt_on", "prompt_within")

    def __init__(self, name: str, prompt_within: float):
        self.name = name
        self.prompt_within = prompt_within
        """An answer within this many days counts as prompt (for the feedback)."""
        self.received = self.answered = self.abandoned = self.prompt = 0
        self.responses: list[float] = []
        self.closed = 0.0
        self.in_system = 0
        self.arrival_sum = 0.0
        self.last = 0.0
        self.area = 0.0
        self.arrived_on: dict[int, int] = {}
        """Messages received on each day; with ``prompt_on``, the share answered promptly by arrival day."""
        self.prompt_on: dict[int, int] = {}

    def _advance(self, t: float) -> None:
        self.area += self.in_system * (t - self.last)
        self.last = t

    def arrive(self, t: float) -> None:
        self._advance(t)
        self.in_system += 1
        self.arrival_sum += t
        self.received += 1
        day = int(t)
        self.arrived_on[day] = self.arrived_on.get(day, 0) + 1

    def answer(self, arrived: float, t: float) -> None:
        self._advance(t)
        self._leave(arrived, t)
        self.answered += 1
        response = t - arrived
        self.responses.append(response)
        if response <= self.prompt_within:
            self.prompt += 1
            day = int(arrived)
            self.prompt_on[day] = self.prompt_on.get(day, 0) + 1

    def abandon(self, arrived: float, deadline: float, now: float) -> None:
        """A sender gave up at ``deadline``, noticed at ``now >= deadline`` (the same day)."""
        self._advance(now)
        self.area -= now - deadline  # the message left the system at its deadline, not when noticed
        self._leave(arrived, deadline)
        self.abandoned += 1

    def _leave(self, arrived: float, t: float) -> None:
        self.in_system -= 1
        self.arrival_sum -= arrived
        self.closed += t - arrived

    def open_age(self, t: float) -> float:
        return self.in_system * t - self.arrival_sum

    def close(self, day: int) -> StreamDay:
        """The day's record (the state is flushed to the end of the day); counters restart."""
        end = day + 1.0
        self._advance(end)
        record = StreamDay(day=day, received=self.received, answered=self.answered, abandoned=self.abandoned,
                           prompt=self.prompt, backlog=self.in_system, responses=np.asarray(self.responses), area=self.area,
                           closed=self.closed, open_age=self.open_age(end))
        self.received = self.answered = self.abandoned = self.prompt = 0
        self.responses = []
        self.closed = self.area = 0.0
        return record

    def prompt_share(self, first_day: int, last_day: int) -> tuple[int, int]:
        """(messages received on days first..last, of which answered promptly)."""
        days = range(max(first_day, 0), last_day + 1)  # nothing arrives before day 0 (a window may reach back)
        return (sum(self.arrived_on.get(d, 0) for d in days), sum(self.prompt_on.get(d, 0) for d in days))
