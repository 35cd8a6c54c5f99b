"""The desk's mean-field twin: a fluid queue stepped from one change of staffing to the next.

The fluid limit of a many-server queue with abandonment (Mandelbaum, Massey
and Reiman 1998, "Strong approximations for Markovian service networks",
Queueing Systems 30; Whitt 2006, "Fluid models for multiserver queues with
abandonments", Operations Research 54(1)) replaces the number of messages at
a team, ``x``, by the solution of

    dx/dt = lambda(t) - mu min(x, s(t)) - theta (x - s(t))+

with ``s(t)`` the staff on duty (:class:`.schedule.Rota`), ``mu`` the service
rate, ``theta`` one over the mean patience.  A day is cut where either team's
staffing changes (midnight included), a few pieces a day; within a piece the
staffing is constant and the arrivals are the engine's exact expected
messages over the piece (:func:`.intensity.hourly_expected`) spread evenly,
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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ....scenario.schema import Desk, Messages
from .intensity import HOURS
from .schedule import WEEK, Rota


class FluidTeam:
    """One team's fluid queue; ``x`` messages waiting or being handled."""

    def __init__(self, mu: float, theta: float):
        self.mu = mu
        self.theta = theta
        self.x = 0.0

    def advance(self, duration: float, arrivals: float, s: float) -> tuple[float, float, float, float]:
        """Advance ``duration`` days with ``arrivals`` messages and ``s`` staff: (served, abandoned, area, waiting area)."""
        x, area, waiting, left = self.x, 0.0, 0.0, duration
        lam = arrivals / duration
        while left > 1e-12:
            x, dt, a, overloaded = fluid_piece(x, lam, self.mu, s, self.theta, left)
            area += a
            if overloaded:
                waiting += a - s * dt
            left -= dt
        self.x = x
        busy = area - waiting
        return self.mu * busy, self.theta * waiting, area, waiting


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


def fluid_piece(x: float, lam: float, mu: float, s: float, theta: float, horizon: float):
    """Solve ``dx/dt = lam - mu min(x, s) - theta (x - s)+`` from ``x`` until ``horizon`` or a change of regime.

    Returns (x at the end, time elapsed, integral of x, whether the piece was over-loaded).
    Each regime is linear, so ``x`` moves exponentially (or linearly) towards its equilibrium.
    """
    overloaded = x > s or (x >= s and lam > mu * s)
    if not overloaded:
        eq, rate, boundary = lam / mu, mu, s if lam > mu * s else None
    elif theta > 0:
        eq, rate, boundary = s + (lam - mu * s) / theta, theta, s if lam < mu * s else None
    else:
        slope = lam - mu * s
        dt = horizon if slope >= 0 else min(horizon, (x - s) / -slope)
        return x + slope * dt, dt, (x + slope * dt / 2) * dt, True
    dt = horizon
    if boundary is not None and (x - eq) * (boundary - eq) > 0 and abs(boundary - eq) < abs(x - eq):
        dt = min(horizon, math.log((x - eq) / (boundary - eq)) / rate)
    decay = math.exp(-rate * dt)
    end = boundary if dt < horizon else eq + (x - eq) * decay
    return end, dt, eq * dt + (x - eq) * (1 - decay) / rate, overloaded


@dataclass(frozen=True)
class FluidDay:
    received: float
    answered: float
    abandoned: float
    backlog: float
    area: float
    waiting: float
    """Message-days spent waiting (in either queue)."""
    busy: tuple[float, ...] = ()
    """Staff-days busy, per team (staff, then department)."""
    present: tuple[float, ...] = ()
    """Staff-days on duty, per team."""


class FluidDesk:
    """One desk's fluid twin: the staff's queue and, for substantive messages, the department's."""

    def __init__(self, spec: Desk, messages: Messages, first_weekday: int):
        theta = 0.0 if messages.patience is None else 24.0 / messages.patience.mean_hours
        department = spec.department
        self.substantive = messages.substantive_share if department is not None else 0.0
        self.mean_service = spec.staff.service.mean_hours / 24 + self.substantive * (
            department.service.mean_hours / 24 if department is not None else 0.0)
        self.first_weekday = first_weekday
        rotas = [Rota.of(spec.staff.size, spec.staff.shifts, 0)]  # Monday-based: pieces are looked up by weekday
        self.staff = FluidTeam(24.0 / spec.staff.service.mean_hours, theta)
        self.department = None
        if department is not None:
            rotas.append(Rota.of(department.size, department.shifts, 0))
            self.department = FluidTeam(24.0 / department.service.mean_hours, theta)
        self.pieces = day_pieces(rotas)
        self.shares = [hour_shares(pieces) for pieces in self.pieces]

    def day(self, day: int, hourly_arrivals: np.ndarray) -> FluidDay:
        weekday = (self.first_weekday + day) % 7
        per_piece = (self.shares[weekday] @ hourly_arrivals).tolist()
        answered = abandoned = area = waiting = 0.0
        busy, present = [0.0, 0.0], [0.0, 0.0]
        for (h0, h1, staff), arrivals in zip(self.pieces[weekday], per_piece):
            duration = (h1 - h0) / HOURS
            served, lost, a, w = self.staff.advance(duration, arrivals, staff[0])
            abandoned += lost
            area += a
            waiting += w
            busy[0] += a - w
            present[0] += staff[0] * duration
            if self.department is not None:
                answered += served * (1 - self.substantive)
                served2, lost2, a2, w2 = self.department.advance(duration, served * self.substantive, staff[1])
                answered += served2
                abandoned += lost2
                area += a2
                waiting += w2
                busy[1] += a2 - w2
                present[1] += staff[1] * duration
            else:
                answered += served
        backlog = self.staff.x + (self.department.x if self.department is not None else 0.0)
        teams = 2 if self.department is not None else 1
        return FluidDay(received=float(hourly_arrivals.sum()), answered=answered, abandoned=abandoned,
                        backlog=backlog, area=area, waiting=waiting, busy=tuple(busy[:teams]),
                        present=tuple(present[:teams]))


def hour_shares(pieces: list[tuple[float, float, tuple[float, ...]]]) -> np.ndarray:
    """(pieces x 24): the share of each hour inside each piece, so arrivals per piece = shares @ hourly."""
    hours = np.arange(HOURS, dtype=float)
    return np.array([np.clip(np.minimum(hours + 1, h1) - np.maximum(hours, h0), 0.0, 1.0) for h0, h1, _ in pieces])


def responsiveness(received: float, closed: float, answered: float, waiting: float, mean_service: float,
                   within: float) -> tuple[float, float] | None:
    """(prompt messages, median response in hours) of a fluid desk over some days; None without messages.

    Arguments are the days' sums.  Mean response ``R`` = waiting area / received
    + mean service (Little's law); responses read as exponential with mean ``R``,
    so the prompt messages are ``received * (answered / closed) * (1 - exp(-H / R))``.
    """
    if received <= 0 or closed <= 0:
        return None
    mean = waiting / received + mean_service
    return received * answered / closed * -math.expm1(-within / mean), mean * math.log(2) * 24
