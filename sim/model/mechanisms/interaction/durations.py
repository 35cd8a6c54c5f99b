"""Random durations (service, patience) drawn in blocks, with their analytic moments.

Like a Ciw distribution, a sampler carries both its draws and its mean and
variance, so tests compare what the desk observed with what theory says.
Durations are written in hours in scenarios and drawn in days (model time).
"""

from __future__ import annotations

import math

import numpy as np

from ....scenario.schema import Duration

HOURS_PER_DAY = 24.0


class DurationSampler:
    """Draws of one duration, in days; ``inf`` forever when the duration is None (no patience)."""

    __slots__ = ("duration", "_rng", "_block", "_values", "_i", "mean", "variance")

    def __init__(self, duration: Duration | None, rng: np.random.Generator, block: int = 1024):
        self.duration = duration
        self._rng = rng
        self._block = block
        self._values: list[float] = []
        self._i = 0
        if duration is None:
            self.mean, self.variance = math.inf, math.nan
            return
        mean = duration.mean_hours / HOURS_PER_DAY
        cv = {"exponential": 1.0, "deterministic": 0.0}.get(duration.distribution, duration.cv)
        self.mean, self.variance = mean, (cv * mean) ** 2

    def draw(self) -> float:
        i = self._i
        if i == len(self._values):
            self._values = self._refill()
            i = 0
        self._i = i + 1
        return self._values[i]

    def _refill(self) -> list[float]:
        d, n = self.duration, self._block
        if d is None:
            return [math.inf] * n
        if d.distribution == "exponential":
            return (self.mean * self._rng.standard_exponential(n)).tolist()
        if d.distribution == "deterministic":
            return [self.mean] * n
        sigma2 = math.log1p(d.cv ** 2)  # log-normal with the given mean and coefficient of variation
        return self._rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), n).tolist()
