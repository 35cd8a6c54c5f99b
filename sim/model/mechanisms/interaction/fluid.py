"""The desk's mean-field twin: a fluid queue stepped from one change of staffing to the next.

The fluid limit of a many-server queue with abandonment (Mandelbaum, Massey
and Reiman 1998, "Strong approximations for Markovian service networks",
Queueing Systems 30; Whitt 2006, "Fluid models for multiserver queues with
abandonments", Operations Research 54(1)) replaces the number of messages at
a team, ``x``, by the solution of

    dx/dt = lambda(t) - mu min(x, s(t)) - theta (x - s(t))+

with ``s(t)`` the staff on duty (:class:`.schedule.Rota`), ``mu`` the service
rate, ``theta`` one over the mean patience.  A day is cut where a shift of
either team begins or ends (midnight included), a few pieces a day; within a
piece the staffing is constant and the arrivals are the engine's exact expected
messages over the piece (:func:`.intensity.hour_fractions`) spread evenly,
so ``x`` relaxes exponentially (or linearly) towards the equilibrium of its
regime, under- or over-loaded, solved exactly with a switch of regime when
``x`` crosses ``s``.  Substantive messages flow on to the department's fluid
queue.  Stepping by pieces rather than hours keeps a day to about ten
elementary solutions, so the twin stays cheap.

What it is good for.  The fluid gets the means of a heavily loaded desk
right (backlog, answered, abandoned: the law of large numbers of the queue)
and the overnight and weekend accumulation of an office-hours desk; it is
blind to the randomness of a lightly loaded desk (it never queues below
capacity, where the stochastic desk sometimes does) and to peaks within a
piece.  The feedback needs a prompt share and a median response: the twin
takes the mean response ``R`` from Little's law on the fluid (waiting area
over arrivals, plus the mean service) and reads the share answered within
``H`` hours as ``(answered share) * (1 - exp(-H / R))`` and the median as
``R ln 2``, as if responses were exponential.

Within a piece each regime is linear in ``y = x - s``: ``dy/dt = excess - rate y``
with ``excess = lambda - mu s`` and ``rate`` ``mu`` (under-loaded, ``y <= 0``) or
``theta`` (over-loaded), so ``y(t) = E y + F excess`` and its integral is
``F y + G excess``, with ``E = exp(-rate t)``, ``F`` the integral of ``E`` and ``G``
that of ``F`` (:func:`relaxation`; ``theta = 0``, senders who never give up, is
the linear limit).  ``y`` moves monotonically towards ``excess / rate``, so it
changes regime at most once in a piece (where it reaches 0, after
``log(1 + rate q) / rate`` days, ``q = -y / excess``), and from ``y = 0`` it moves
away into the other regime for good: a piece is two sub-pieces at most.  While
nobody is on duty (a piece every rota leaves empty) messages only wait and
some senders give up.

A batch of scenarios.  The twin solves many parameter sets of one structure at
once (:func:`sim.model.meanfield.meanfield_batch`): the desks of a batch share
their shifts, so their pieces, and hold every value (staff on duty, service
rates, patience, arrivals, the fluid itself) as an array over the batch, or
as a float for one scenario.  Each member takes its own regime within a piece
(masks), and only a piece in which some member changes regime pays for the
second sub-piece.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Sequence

import numpy as np

from ....scenario.schema import Desk, Messages
from ...arithmetic import TINY, any_, batch_of, divide_where, exp, expm1, log1p_ratio, maximum, minimum, where
from .intensity import HOURS
from .schedule import WEEK, Rota

UNCAPPED = 10 ** 9
"""A team size no shift reaches: its rota changes wherever the shifts covering the moment change."""

SERIES_BELOW = 1e-3
"""Below this ``rate * t`` the second integral of the decay is taken from its series (no cancellation)."""


class Relaxation(NamedTuple):
    """How ``dy/dt = excess - rate y`` moves ``y`` over ``t`` days: ``y(t) = decay y + spent excess``, and the
    integral of ``y`` over the ``t`` days is ``spent y + spent_integral excess``."""

    decay: float
    """``exp(-rate t)``."""
    spent: float
    """``(1 - exp(-rate t)) / rate``: ``t`` at rate 0."""
    spent_integral: float
    """``(t - spent) / rate``: ``t^2 / 2`` at rate 0."""


def relaxation(rate, t) -> Relaxation:
    """:class:`Relaxation` at ``rate`` (may be 0) over ``t`` days; floats, or arrays over a batch."""
    return Relaxation(exp(-rate * t), *_spent(rate, t))


def _spent(rate, t):
    """(``spent``, ``spent_integral``) of :class:`Relaxation`."""
    total = rate + TINY
    z = total * t
    lost = expm1(-z)  # exp(-z) - 1
    second = where(z >= SERIES_BELOW, (z + lost) / maximum(z, SERIES_BELOW) ** 2,  # (z - 1 + exp(-z)) / z^2
                   0.5 - z * (1 / 6 - z * (1 / 24 - z / 120)))
    return -lost / total, t * t * second


def _to_boundary(z, ratio):
    """``(1 - log(1 + z) / z) / z`` from ``ratio = log(1 + z) / z``: the integral of ``y`` until it reaches 0 is
    ``y q`` times it (1/2 at ``z = 0``: a triangle)."""
    return where(z >= SERIES_BELOW, (1.0 - ratio) / maximum(z, SERIES_BELOW), 0.5 - z * (1 / 3 - z * (1 / 4 - z / 5)))


class Staffing(NamedTuple):
    """A team in one piece of the day: staff on duty, the messages a day they can serve, staff-days on duty."""

    on_duty: float
    capacity: float
    staff_days: float


class FluidTeam:
    """One team's fluid queue; ``x`` messages waiting or being handled (floats, or arrays over a batch).

    ``area`` and ``waiting`` add up the integrals of ``x`` and of ``(x - s)+`` until
    the desk starts a new day (:meth:`start_day`).
    """

    def __init__(self, mu, theta):
        self.mu = mu
        self.theta = theta
        self.x = 0.0 * theta  # a float, or zeros over the batch
        self.area = self.waiting = 0.0
        self._relaxations: dict[float, tuple[Relaxation, Relaxation]] = {}

    def start_day(self) -> None:
        self.area = self.waiting = 0.0

    def relaxations(self, duration: float) -> tuple[Relaxation, Relaxation]:
        """(under-loaded, over-loaded) relaxations over a piece of ``duration`` days (the pieces recur weekly)."""
        found = self._relaxations.get(duration)
        if found is None:
            found = self._relaxations[duration] = (relaxation(self.mu, duration), relaxation(self.theta, duration))
        return found

    def advance(self, duration: float, lam, staffing: Staffing):
        """Advance ``duration`` days at ``lam`` messages a day with ``staffing``; returns the messages served."""
        under, over = self.relaxations(duration)
        self.x, area, waiting = fluid_piece(self.x, lam, self.mu, self.theta, staffing, duration, under, over)
        self.area = self.area + area
        self.waiting = self.waiting + waiting
        return self.mu * (area - waiting)

    def wait(self, duration: float, lam) -> None:
        """Advance ``duration`` days at ``lam`` messages a day with nobody on duty: messages wait, some give up."""
        over = self.relaxations(duration)[1]
        x = self.x
        self.x = over.decay * x + over.spent * lam
        integral = over.spent * x + over.spent_integral * lam
        self.area = self.area + integral
        self.waiting = self.waiting + integral


def fluid_piece(x, lam, mu, theta, staffing: Staffing, horizon: float, under: Relaxation, over: Relaxation):
    """Solve ``dx/dt = lam - mu min(x, s) - theta (x - s)+`` over ``horizon`` days from ``x``, ``s`` on duty.

    Returns (x at the end, integral of x, integral of ``(x - s)+``: the waiting area), floats or arrays over a
    batch.  ``under`` and ``over`` are the regimes' relaxations over the whole piece.
    """
    s = staffing.on_duty
    excess = lam - staffing.capacity
    y = x - s
    overloaded = where(y != 0, y, excess) > 0  # on the boundary the flow decides
    spent = where(overloaded, over.spent, under.spent)
    end = where(overloaded, over.decay, under.decay) * y + spent * excess
    integral = spent * y + where(overloaded, over.spent_integral, under.spent_integral) * excess
    crossing = y * end < 0
    if not any_(crossing):
        return s + end, staffing.staff_days + integral, where(overloaded, integral, 0.0)
    # Some members reach the boundary y = 0 after ``dt`` days, and go on in the other regime for good.
    q = divide_where(-y, excess, crossing)  # 0 for the others
    z = where(overloaded, theta, mu) * q
    ratio = log1p_ratio(z)
    dt = minimum(q * ratio, horizon)
    switched = crossing & (dt < horizon)
    before = y * q * _to_boundary(z, ratio)
    spent, spent_integral = _spent(where(overloaded, mu, theta), horizon - dt)
    after = spent_integral * excess
    waiting = where(switched, where(overloaded, before, after), where(overloaded, integral, 0.0))
    end = where(switched, spent * excess, end)
    integral = where(switched, before + after, integral)
    return s + end, staffing.staff_days + integral, waiting


def day_pieces(rotas: list[Rota]) -> list[list[tuple[float, float, tuple[float, ...]]]]:
    """For each weekday (Monday first): ``(start hour, end hour, staff of each rota)`` pieces covering the day."""
    weekdays = []
    for weekday in range(7):
        cuts = {0.0, 24.0}
        for rota in rotas:
            for start in rota.starts:
                hour = (start - weekday) * 24
                if 0 < hour < 24:
                    cuts.add(hour)
        cuts = sorted(cuts)
        pieces = []
        for h0, h1 in zip(cuts[:-1], cuts[1:]):
            middle = (weekday + (h0 + h1) / 48) % WEEK  # Monday-based week time
            staff = tuple(float(rota.counts[_piece_index(rota, middle)]) for rota in rotas)
            pieces.append((h0, h1, staff))
        weekdays.append(pieces)
    return weekdays


def _piece_index(rota: Rota, week_time: float) -> int:
    index = 0
    for i, start in enumerate(rota.starts):
        if start <= week_time:
            index = i
    return index


@lru_cache(maxsize=1024)
def _on_duty(size: int, shifts: tuple[str, ...], middles: tuple[float, ...]) -> tuple[float, ...]:
    """Staff of a team of ``size`` on ``shifts`` on duty at each of ``middles`` (days after Monday 00:00)."""
    rota = Rota.of(size, list(shifts), 0)
    return tuple(float(rota.on_duty(t)) for t in middles)


@dataclass(frozen=True)
class FluidDay:
    answered: float
    abandoned: float
    backlog: float
    waiting: float
    """Message-days spent waiting (in either queue)."""
    busy: tuple = ()
    """Staff-days busy, per team (staff, then department)."""
    present: tuple = ()
    """Staff-days on duty, per team."""


class FluidDesk:
    """One desk's fluid twin: the staff's queue and, for substantive messages, the department's.

    Built from one desk (floats) or from the desks of a batch of scenarios, which share their shifts and
    whether there is a department (arrays over the batch).
    """

    def __init__(self, spec: Desk | Sequence[Desk], messages: Messages | Sequence[Messages], first_weekday: int):
        specs = [spec] if isinstance(spec, Desk) else list(spec)
        messages = [messages] if isinstance(messages, Messages) else list(messages)
        theta = batch_of([0.0 if m.patience is None else 24.0 / m.patience.mean_hours for m in messages])
        has_department = specs[0].department is not None
        self.substantive = batch_of([m.substantive_share if has_department else 0.0 for m in messages])
        self.mean_service = batch_of([d.staff.service.mean_hours / 24 + (
            m.substantive_share * d.department.service.mean_hours / 24 if has_department else 0.0)
            for d, m in zip(specs, messages)])
        self.first_weekday = first_weekday
        teams = [[d.staff for d in specs]] + ([[d.department for d in specs]] if has_department else [])
        self.teams = [FluidTeam(batch_of([24.0 / t.service.mean_hours for t in team]), theta) for team in teams]
        self.staff = self.teams[0]
        self.department = self.teams[1] if has_department else None
        shifts = [tuple(team[0].shifts) for team in teams]  # shared by the batch (its structure)
        cuts = day_pieces([Rota.of(UNCAPPED, list(team_shifts), 0) for team_shifts in shifts])
        middles = tuple(weekday + (h0 + h1) / 48 for weekday, pieces in enumerate(cuts) for h0, h1, _ in pieces)
        counts = [list(zip(*(_on_duty(t.size, team_shifts, middles) for t in team)))  # per piece: per member
                  for team_shifts, team in zip(shifts, teams)]
        self.pieces = []
        """Per weekday (Monday first): ``(start hour, end hour, staff on duty of each team)``, cut wherever a
        shift begins or ends, whatever the team's size (so the same for every member of a batch)."""
        self._staffing = []
        """Per weekday and piece: its duration (days) and each team's :class:`Staffing`, None while no shift covers
        the piece (nobody on duty, whatever the team's size)."""
        position = 0
        for pieces in cuts:
            self.pieces.append([(h0, h1, tuple(batch_of(team_counts[position + j]) for team_counts in counts))
                                for j, (h0, h1, _) in enumerate(pieces)])
            self._staffing.append([((h1 - h0) / HOURS, tuple(
                None if covered == 0 else Staffing(s, team.mu * s, s * (h1 - h0) / HOURS)
                for team, s, covered in zip(self.teams, staff, uncapped)))
                for (h0, h1, staff), (_, _, uncapped) in zip(self.pieces[-1], pieces)])
            position += len(pieces)
        self.shares = [hour_shares(pieces) for pieces in self.pieces]
        self.durations = [np.array([(h1 - h0) / HOURS for h0, h1, _ in pieces]) for pieces in self.pieces]
        self.present = [tuple(sum(staff[t] * (h1 - h0) / HOURS for h0, h1, staff in pieces)
                              for t in range(len(self.teams))) for pieces in self.pieces]

    def day(self, weekday: int, rates: Sequence) -> FluidDay:
        """Advance one day (a ``weekday``, Monday 0) with ``rates[i]`` messages a day arriving in piece ``i``."""
        staff, department = self.staff, self.department
        for team in self.teams:
            team.start_day()
        for (duration, staffing), lam in zip(self._staffing[weekday], rates):
            if staffing[0] is None:
                staff.wait(duration, lam)
                served = 0.0
            else:
                served = staff.advance(duration, lam, staffing[0])
            if department is not None:
                inflow = served * self.substantive / duration
                if staffing[1] is None:
                    department.wait(duration, inflow)
                else:
                    department.advance(duration, inflow, staffing[1])
        busy = tuple(team.area - team.waiting for team in self.teams)
        answered = staff.mu * busy[0]
        abandoned = staff.theta * staff.waiting
        backlog, waiting = staff.x, staff.waiting
        if department is not None:
            answered = answered * (1 - self.substantive) + department.mu * busy[1]
            abandoned = abandoned + department.theta * department.waiting
            backlog, waiting = backlog + department.x, waiting + department.waiting
        return FluidDay(answered=answered, abandoned=abandoned, backlog=backlog, waiting=waiting, busy=busy,
                        present=self.present[weekday])


def hour_shares(pieces: list[tuple[float, float, tuple[float, ...]]]) -> np.ndarray:
    """(pieces x 24): the share of each hour inside each piece, so arrivals per piece = shares @ hourly."""
    hours = np.arange(HOURS, dtype=float)
    return np.array([np.clip(np.minimum(hours + 1, h1) - np.maximum(hours, h0), 0.0, 1.0) for h0, h1, _ in pieces])


def responsiveness(received, closed, answered, waiting, mean_service, within):
    """(prompt messages, median response in hours) of a fluid desk over some days; NaN without messages.

    Arguments are the days' sums (floats, or arrays over a batch).  Mean response
    ``R`` = waiting area / received + mean service (Little's law); responses read
    as exponential with mean ``R``, so the prompt messages are
    ``received * (answered / closed) * (1 - exp(-H / R))``.
    """
    known = (received > 0) & (closed > 0)
    # Finite where unknown too, and NaN only at the very end, by a choice rather than by arithmetic: arithmetic on
    # NaN would send NaN into the compiled twin's gradients even where the value is discarded.
    mean = divide_where(waiting, received, known, 0.0) + mean_service
    prompt = received * divide_where(answered, closed, known, 0.0) * -expm1(-within / mean)
    return where(known, prompt, math.nan), where(known, mean * math.log(2) * 24, math.nan)
