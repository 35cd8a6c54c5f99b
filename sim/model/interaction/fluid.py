"""The desk's mean-field twin: a fluid queue stepped hour by hour.

The fluid limit of a many-server queue with abandonment (Mandelbaum, Massey
and Reiman 1998, "Strong approximations for Markovian service networks",
Queueing Systems 30; Whitt 2006, "Fluid models for multiserver queues with
abandonments", Operations Research 54(1)) replaces the number of messages at
a team, ``x``, by the solution of

    dx/dt = lambda(t) - mu min(x, s(t)) - theta (x - s(t))+

with ``s(t)`` the staff on duty (:class:`.schedule.Rota`), ``mu`` the service
rate, ``theta`` one over the mean patience.  Within each hour the arrival
rate is the exact hourly mean of the engine's intensity
(:func:`.intensity.hourly_expected`) and the staffing the rota's average over
the hour; ``x`` then relaxes exponentially towards the equilibrium of its
regime (under- or over-loaded), which is solved exactly with the regime held
over the hour.  Substantive messages flow on to the department's fluid queue.

What it is good for.  The fluid gets the means of a heavily loaded desk
right (backlog, answered, abandoned: the law of large numbers of the queue)
and is pessimistic-free but blind to the randomness of a lightly loaded one
(it never queues below capacity, where the stochastic desk sometimes does).
The feedback needs a prompt share and a median response: the twin takes the
mean response ``R`` from Little's law on the fluid (waiting area over
arrivals, plus the mean service) and reads the share answered within ``H``
hours as ``(answered share) * (1 - exp(-H / R))`` and the median as
``R ln 2``, as if responses were exponential; :mod:`tests.test_interaction_mechanism`
compares them with the engine's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...scenario.schema import Desk, Messages
from .intensity import HOURS
from .schedule import Rota

STEP = 1.0 / HOURS


@dataclass
class FluidTeam:
    rota: Rota
    mu: float
    theta: float
    x: float = 0.0

    def hour(self, start: float, arrivals: float) -> tuple[float, float, float, float]:
        """Advance one hour from ``start`` with ``arrivals`` messages: (served, abandoned, area, waiting area)."""
        s = self.rota.staff_days(start, start + STEP) / STEP
        x, area, waiting, left = self.x, 0.0, 0.0, STEP
        while left > 1e-15:
            x, dt, a, overloaded = fluid_piece(x, arrivals / STEP, self.mu, s, self.theta, left)
            area += a
            if overloaded:
                waiting += a - s * dt
            left -= dt
        self.x = x
        busy = area - waiting
        return self.mu * busy, self.theta * waiting, area, waiting


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


class FluidDesk:
    """One desk's fluid twin: the staff's queue and, for substantive messages, the department's."""

    def __init__(self, spec: Desk, messages: Messages, first_weekday: int):
        theta = 0.0 if messages.patience is None else 24.0 / messages.patience.mean_hours
        self.substantive = messages.substantive_share if spec.department is not None else 0.0
        self.mean_service = spec.staff.service.mean_hours / 24 + self.substantive * (
            spec.department.service.mean_hours / 24 if spec.department is not None else 0.0)
        self.staff = FluidTeam(Rota.of(spec.staff.size, spec.staff.shifts, first_weekday),
                               24.0 / spec.staff.service.mean_hours, theta)
        self.department = (FluidTeam(Rota.of(spec.department.size, spec.department.shifts, first_weekday),
                                     24.0 / spec.department.service.mean_hours, theta)
                           if spec.department is not None else None)

    def day(self, day: int, hourly_arrivals: np.ndarray) -> FluidDay:
        answered = abandoned = area = waiting = 0.0
        for h in range(HOURS):
            start = day + h * STEP
            served, lost, a, w = self.staff.hour(start, float(hourly_arrivals[h]))
            abandoned += lost
            area += a
            waiting += w
            if self.department is not None:
                answered += served * (1 - self.substantive)
                served2, lost2, a2, w2 = self.department.hour(start, served * self.substantive)
                answered += served2
                abandoned += lost2
                area += a2
                waiting += w2
            else:
                answered += served
        backlog = self.staff.x + (self.department.x if self.department is not None else 0.0)
        return FluidDay(received=float(hourly_arrivals.sum()), answered=answered, abandoned=abandoned,
                        backlog=backlog, area=area, waiting=waiting)


def responsiveness(days: list[FluidDay], mean_service: float, within: float) -> tuple[float | None, float | None]:
    """(prompt share, median response in hours) over ``days`` of a fluid desk; None without messages.

    Mean response ``R`` = waiting area / received + mean service (Little's law);
    responses read as exponential with mean ``R``.
    """
    received = sum(d.received for d in days)
    closed = sum(d.answered + d.abandoned for d in days)
    if received <= 0 or closed <= 0:
        return None, None
    mean = sum(d.waiting for d in days) / received + mean_service
    answered_share = sum(d.answered for d in days) / closed
    return answered_share * -math.expm1(-within / mean), mean * math.log(2) * 24
