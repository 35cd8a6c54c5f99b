"""Model time: days since the start of the horizon.

The engine runs in continuous time measured in days (float), with day ``d``
covering ``[d, d + 1)``.  Daily outputs report the state at the *end* of each
calendar day.  Rates in scenario files are per year; :data:`DAYS_PER_YEAR`
converts them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Horizon:
    """The simulated calendar span, both ends included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        """Number of simulated calendar days (the end day included)."""
        return (self.end - self.start).days + 1

    def day(self, date: dt.date) -> int:
        """Index of ``date``: 0 for the first day of the horizon."""
        return (date - self.start).days

    def dates(self) -> np.ndarray:
        """Every date of the horizon as ``datetime64[D]``."""
        start = np.datetime64(self.start, "D")
        return start + np.arange(self.days)


def per_day(rate_per_year: float) -> float:
    """Convert a rate per year (as written in scenarios) to a rate per day."""
    return rate_per_year / DAYS_PER_YEAR
