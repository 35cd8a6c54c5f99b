"""A team's weekly rota: how many of its staff are on duty at each moment.

The shifts (:mod:`sim.scenario.shifts`) are laid on a week of 7 days; the
number on duty is piecewise constant, the sum of the shifts covering the
moment, capped at the team's size.  Model time ``t`` (days since the start of
the horizon) falls on weekday ``(first_weekday + t) mod 7``.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from dataclasses import dataclass, field

from ....scenario.shifts import parse_shift

WEEK = 7.0


@dataclass(frozen=True)
class Rota:
    """On-duty counts over a week: ``counts[i]`` from ``starts[i]`` (days after Monday 00:00)."""

    size: int
    starts: tuple[float, ...]
    counts: tuple[int, ...]
    first_weekday: int
    """Weekday of model day 0 (0 = Monday)."""
    _before: tuple[float, ...] = field(init=False, repr=False, compare=False)
    """Staff-days from Monday 00:00 to the start of each piece, and (last) over the whole week."""
    _week_total: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ends = (*self.starts[1:], WEEK)
        before = tuple(itertools.accumulate((c * (e - s) for s, e, c in zip(self.starts, ends, self.counts)),
                                            initial=0.0))
        object.__setattr__(self, "_before", before)
        object.__setattr__(self, "_week_total", before[-1])

    @classmethod
    def of(cls, size: int, shifts: list[str], first_weekday: int) -> "Rota":
        pieces = []
        for text in shifts:
            shift = parse_shift(text)
            staff = size if shift.staff is None else shift.staff
            for day in shift.days:
                begin, end = day + shift.start_hour / 24, day + shift.end_hour / 24
                pieces += [(begin % WEEK, end - begin, staff)]
        cuts = sorted({0.0, *(b for b, _, _ in pieces), *((b + length) % WEEK for b, length, _ in pieces)})
        counts = []
        for cut in cuts:
            covered = sum(staff for begin, length, staff in pieces if (cut - begin) % WEEK < length)
            counts.append(min(size, covered))
        starts, merged = [], []
        for cut, count in zip(cuts, counts):
            if not merged or merged[-1] != count:
                starts.append(cut)
                merged.append(count)
        return cls(size=size, starts=tuple(starts), counts=tuple(merged), first_weekday=first_weekday)

    def _locate(self, t: float) -> tuple[int, int]:
        """(week, index of the piece) holding model time ``t``."""
        shift = t + self.first_weekday
        week = math.floor(shift / WEEK)
        return week, bisect_right(self.starts, shift - WEEK * week) - 1

    def _start(self, week: int, i: int) -> float:
        return WEEK * week + self.starts[i] - self.first_weekday

    def on_duty(self, t: float) -> int:
        """Staff on duty at model time ``t``."""
        return self.counts[self._locate(t)[1]]

    def segments(self, t: float):
        """``(begin, end, count)`` from ``t`` onwards: consecutive pieces of constant count.

        Walks the pieces by (week, index), never by looking times up again, so
        a boundary is never mistaken for the piece before it by rounding.
        """
        if self.always:
            yield t, math.inf, self.counts[0]
            return
        week, i = self._locate(t)
        begin = t
        while True:
            j, next_week = (i + 1, week) if i + 1 < len(self.starts) else (0, week + 1)
            end = self._start(next_week, j)
            if end > begin:
                yield begin, end, self.counts[i]
                begin = end
            week, i = next_week, j

    def staff_days(self, start: float, end: float) -> float:
        """Integral of the on-duty count over ``[start, end)``, in staff-days (O(log pieces), however long)."""
        return self._cumulative(end) - self._cumulative(start)

    def _cumulative(self, t: float) -> float:
        """Staff-days on duty from model time ``-first_weekday`` (a Monday, 00:00) to ``t``."""
        shift = t + self.first_weekday
        week = math.floor(shift / WEEK)
        w = shift - WEEK * week
        i = bisect_right(self.starts, w) - 1
        return week * self._week_total + self._before[i] + self.counts[i] * (w - self.starts[i])


    @property
    def always(self) -> bool:
        """True when the count never changes (no shift process needed)."""
        return len(self.counts) == 1
