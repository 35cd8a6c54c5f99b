"""One desk on its own: the queueing core run without the rest of the model.

``run_single_desk`` wires one account's desk to one stream of messages with a
given follower count and runs it day by day, exactly as the model does (the
day's arrivals are drawn at its start, every day is closed at its end).  It is
what the tests hold against queueing theory, and a quick way to try a staffing
plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import simpy

from ....scenario.schema import Desk, Messages
from .desk import DeskEngine
from .durations import DurationSampler
from .feeder import Feeder, Stream
from .intensity import Profile, Surge
from .schedule import Rota
from .tally import StreamDay, StreamTally


class WaitLoggingDesk(DeskEngine):
    """The desk, noting each message's wait in each queue when someone starts on it.

    For the checks against theory (tests, ``experiments/interaction_theory.py``);
    the model itself keeps no per-message log.  ``waits`` holds ``(team name,
    priority, arrival, wait in that team's queue)``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.waits: list[tuple[str, int, float, float]] = []
        self._queued: dict[tuple[int, str], float] = {}

    def _queue(self, team, message, granted) -> None:
        self._queued[id(message), team.name] = self.env.now
        super()._queue(team, message, granted)

    def _start(self, team, request, done) -> bool:
        started = super()._start(team, request, done)
        message = request.message
        queued = self._queued.pop((id(message), team.name))
        if started:
            self.waits.append((team.name, message.priority, message.arrived, self.env.now - queued))
        return started

    def waits_at(self, team: str = "desk.staff") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(priority, arrival, wait) of the messages someone started on at ``team``."""
        rows = np.array([w[1:] for w in self.waits if w[0] == team])
        return rows[:, 0].astype(int), rows[:, 1], rows[:, 2]


@dataclass(frozen=True)
class SingleDeskRun:
    days: list[StreamDay]
    staff: list[tuple[float, float]]
    """(busy, present) staff-days of the account's staff, per day."""
    department: list[tuple[float, float]]
    desk: DeskEngine


def build_desk(env: simpy.Environment, spec: Desk, rng: np.random.Generator, first_weekday: int,
               name: str = "desk", desk_class: type[DeskEngine] = DeskEngine, **options) -> DeskEngine:
    """A desk whose teams draw their service times from their own streams spawned from ``rng``.

    ``options`` go to the desk (``timed``, ``busy``: see :class:`.desk.DeskEngine`)."""
    staff_rng, department_rng = rng.spawn(2)
    staff_rota = Rota.of(spec.staff.size, spec.staff.shifts, first_weekday)
    department = spec.department
    return desk_class(
        env, spec, staff_rota, DurationSampler(spec.staff.service, staff_rng),
        Rota.of(department.size, department.shifts, first_weekday) if department else None,
        DurationSampler(department.service, department_rng) if department else None, name=name, **options)


def run_single_desk(spec: Desk, messages: Messages, followers: Callable[[], float] | float, days: int,
                    seed: int | np.random.SeedSequence, first_weekday: int = 0, surges: tuple[Surge, ...] = (),
                    prompt_within_days: float = 1.0, desk_class: type[DeskEngine] = DeskEngine) -> SingleDeskRun:
    """Run one desk for ``days`` days; ``followers`` is a count or a callable read at each day's start."""
    rng = np.random.default_rng(seed)
    arrivals_rng, desk_rng = rng.spawn(2)
    env = simpy.Environment()
    desk = build_desk(env, spec, desk_rng, first_weekday, desk_class=desk_class)
    tally = StreamTally("stream", prompt_within_days)
    desk.tallies.append(tally)
    count = followers if callable(followers) else (lambda: float(followers))
    feeder = Feeder(env, messages, Profile.of(messages, first_weekday), [Stream(tally, desk, "platform")],
                    lambda: np.array([count()], dtype=float), list(surges), np.ones((len(surges), 1)), arrivals_rng)
    records, staff, department = [], [], []
    for day in range(days):
        feeder.start_day(day)
        env.run(until=day + 1)
        streams, teams = desk.close_day(day)
        records.append(streams[0])
        staff.append(teams[0])
        if len(teams) > 1:
            department.append(teams[1])
    return SingleDeskRun(days=records, staff=staff, department=department, desk=desk)
