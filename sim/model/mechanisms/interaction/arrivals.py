"""A day's message arrivals for many streams at once, by thinning (Lewis and Shedler 1979).

Each stream (an account on a platform) is a non-homogeneous Poisson process
with the intensity of :mod:`.intensity`.  Within a day its intensity is bounded
by ``bound_k = base_k * max(hourly) * weekly[weekday] * (1 + sum of the surges'
largest values that day)``: candidates arrive as a homogeneous Poisson process
at that bound (a Poisson count, uniform times; all streams' candidates drawn
together and split among them in proportion to their bounds) and each is kept
with probability ``lambda_k(t) / bound_k``.  The kept points are exactly the
non-homogeneous process (Lewis, P. A. W. and Shedler, G. S. (1979), Simulation
of nonhomogeneous Poisson processes by thinning, Naval Research Logistics
Quarterly 26(3)).  All streams are drawn together, vectorised, so a day costs
a handful of numpy calls however many streams there are.
"""

from __future__ import annotations

import numpy as np

from .intensity import Profile, Surge


class StreamArrivals:
    """Thinning for a fixed list of streams sharing a profile, each hit by some of the surges."""

    def __init__(self, profile: Profile, surges: list[Surge], hits: np.ndarray, rng: np.random.Generator):
        """``hits[i, k]``: surge ``i`` hits stream ``k`` (shape: surges x streams)."""
        self.profile = profile
        self.peak = float(profile.hourly.max())
        self.surges = surges
        self.hits = np.asarray(hits, dtype=float)
        self.rng = rng

    def surge_factor(self, t: np.ndarray, streams: np.ndarray) -> np.ndarray:
        """``surge_k(t)`` for each point (time, stream)."""
        if not self.surges:
            return 1.0
        factor = np.ones(t.shape)
        for i, surge in enumerate(self.surges):
            factor += self.hits[i, streams] * surge.at(t)
        return factor

    def bounds(self, day: int, bases: np.ndarray) -> np.ndarray:
        peak = self.peak * self.profile.weekly[self.profile.weekday(day)]
        if not self.surges:
            return bases * peak
        sup = np.array([s.sup(day, day + 1) for s in self.surges], dtype=float)
        return bases * peak * (1.0 + sup @ self.hits)

    def day(self, day: int, bases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(times, streams)`` of day ``day``'s arrivals, in time order; ``bases[k]`` is stream k's base rate.

        The candidates of all streams together are one Poisson process at the
        summed bound, each candidate belonging to stream ``k`` with probability
        ``bound_k / sum`` (Poisson splitting), so a day costs one Poisson draw and
        a few vectorised operations however many streams there are.
        """
        bounds = self.bounds(day, bases)
        cumulative = np.cumsum(bounds)
        total = float(cumulative[-1]) if cumulative.size else 0.0
        n = int(self.rng.poisson(total)) if total > 0 else 0
        if n == 0:
            return np.empty(0), np.empty(0, dtype=np.int64)
        which, within, coin = self.rng.random((3, n))
        streams = np.minimum(np.searchsorted(cumulative, which * total, side="right"), bases.size - 1)
        times = day + within  # within: the time of day, as a share of the day
        # lambda / bound = hourly[hour] / max(hourly) * surge / its bound (the weekly factor is the day's, in both)
        ratio = self.profile.hourly[(within * 24).astype(np.int64)] / self.peak
        if self.surges:
            ratio = ratio * self.surge_factor(times, streams) * bases[streams] * self.peak \
                * self.profile.weekly[self.profile.weekday(day)] / bounds[streams]
        keep = coin < ratio
        times, streams = times[keep], streams[keep]
        order = np.argsort(times, kind="stable")
        return times[order], streams[order]
