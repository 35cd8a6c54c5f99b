"""How fast messages arrive: the intensity of a non-homogeneous Poisson process.

For an account on a platform, at model time ``t`` (days) on day ``d``:

    lambda(t) = base_d * hourly[hour(t)] * weekly[weekday(d)] * surge(t)
    base_d    = followers_d * per_follower_per_day * activity[platform]
    surge(t)  = 1 + sum over hot issues i hitting it, begun at t_i <= t, of
                (surge_i - 1) * exp(-(t - t_i) / decay_i)

``hourly`` and ``weekly`` are normalised to mean 1, so ``base_d`` is the mean
rate per day of an ordinary week without surges; followers move once a day
(:mod:`sim.model.following`), so ``base_d`` is constant within a day.

These are the pure functions the engine samples from and the mean-field twin
integrates (:func:`expected_messages`), so the two cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ....arrays import namespace
from ....scenario.schema import Messages

HOURS = 24


@dataclass(frozen=True)
class Surge:
    """One hot issue as seen by a stream: onset (model time, days), height above 1, decay (days)."""

    onset: float
    excess: float
    decay: float

    def at(self, t):
        t = np.asarray(t, dtype=float)
        return np.where(t >= self.onset, self.excess * np.exp(-(np.maximum(t, self.onset) - self.onset) / self.decay),
                        0.0)

    def sup(self, start: float, end: float) -> float:
        """Largest value over ``[start, end)`` (the surge only decays after its onset)."""
        if self.onset >= end:
            return 0.0
        return self.excess * math.exp(-(max(start, self.onset) - self.onset) / self.decay)

    def integral(self, start: float, end: float) -> float:
        """Integral over ``[start, end)``."""
        lo = max(start, self.onset)
        if lo >= end:
            return 0.0
        tau = self.decay
        return self.excess * tau * (math.exp(-(lo - self.onset) / tau) - math.exp(-(end - self.onset) / tau))


@dataclass(frozen=True)
class Profile:
    """The daily and weekly cycles, normalised to mean 1."""

    hourly: np.ndarray
    weekly: np.ndarray
    first_weekday: int

    @classmethod
    def of(cls, messages: Messages, first_weekday: int) -> "Profile":
        hourly = np.asarray(messages.hourly, dtype=float)
        weekly = np.asarray(messages.weekly, dtype=float)
        return cls(hourly=hourly / hourly.mean(), weekly=weekly / weekly.mean(), first_weekday=first_weekday)

    def weekday(self, day: int) -> int:
        return (self.first_weekday + day) % 7

    def cycle(self, t) -> np.ndarray:
        """``hourly[hour(t)] * weekly[weekday(t)]`` at model times ``t``."""
        t = np.asarray(t, dtype=float)
        day = np.floor(t)
        hour = np.minimum(((t - day) * HOURS).astype(np.int64), HOURS - 1)
        return self.hourly[hour] * self.weekly[(self.first_weekday + day.astype(np.int64)) % 7]


def base_rate(followers: float, messages: Messages, platform: str) -> float:
    """Mean messages per day of an ordinary week: followers x per-follower rate x platform activity."""
    return followers * messages.per_follower_per_day * messages.activity.get(platform, 1.0)


def intensity(t, base: float, profile: Profile, surges: tuple[Surge, ...] = ()) -> np.ndarray:
    """``lambda(t)`` at model times ``t`` within one day (``base`` is that day's)."""
    factor = 1.0 + sum((s.at(t) for s in surges), np.zeros_like(np.asarray(t, dtype=float)))
    return base * profile.cycle(t) * factor


def hour_fractions(days, surges: tuple[Surge, ...] = ()) -> np.ndarray:
    """For each of ``days`` and each hour, the integral over the hour (days) of ``1 + surges``: ``(days, 24)``.

    The twin takes a batch of scenarios at once: surges whose onsets, heights or
    decays are arrays over the batch give ``(days, 24, batch)``.  An hour before a
    surge's onset integrates it over an empty interval, so it adds exactly 0.
    """
    xp = namespace(days, *(v for s in surges for v in (s.onset, s.excess, s.decay)))
    starts = xp.asarray(days, dtype=float)[:, None] + np.arange(HOURS) / HOURS
    batch = np.broadcast_shapes(*(np.shape(v) for s in surges for v in (s.onset, s.excess, s.decay)))
    starts = starts.reshape(starts.shape + (1,) * len(batch))
    hours = xp.full(np.broadcast_shapes(starts.shape, batch), 1.0 / HOURS)
    for s in surges:
        lo = xp.maximum(starts, s.onset)
        hi = xp.maximum(starts + 1.0 / HOURS, s.onset)
        tau = s.decay
        hours = hours + s.excess * tau * (xp.exp(-(lo - s.onset) / tau) - xp.exp(-(hi - s.onset) / tau))
    return hours


def hourly_expected(day: int, base: float, profile: Profile, surges: tuple[Surge, ...] = ()) -> np.ndarray:
    """Integral of ``lambda`` over each hour of day ``day``: the mean number of messages in each hour (exact)."""
    return base * profile.weekly[profile.weekday(day)] * profile.hourly * hour_fractions([day], surges)[0]


def expected_messages(day: int, base: float, profile: Profile, surges: tuple[Surge, ...] = ()) -> float:
    """Integral of ``lambda`` over day ``day``: the mean number of messages that day (exact)."""
    return float(hourly_expected(day, base, profile, surges).sum())
