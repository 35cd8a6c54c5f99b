"""What a run returns: flat, typed records tagged with scenario and replication.

Curves and statistics are pure functions of these records; the model itself
writes nothing.  Each mechanism (:mod:`sim.model.mechanisms`) names its
metrics; today:

``internet_users``, ``microbloggers``
    people online; people holding at least one micro-blog account;
``registered_users.<platform>``
    people holding an account on the platform;
``gov_accounts.<platform>`` and ``gov_accounts.<platform>.<level>``
    verified government accounts on the platform (all levels, one level);
``followers.<account>.<platform>`` and ``followers.<account>.all``
    followers of a named account on one platform, and summed over platforms.

Every metric is a count at the end of each day of the horizon.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Adoptions:
    """One row per account opened: who, where, when (model days, float)."""

    agency: np.ndarray
    """Index of the agency in the run's population."""
    serial: np.ndarray
    """Number of the agency within its level and province."""
    level: np.ndarray
    province: np.ndarray
    platform: np.ndarray
    time: np.ndarray
    level_names: tuple[str, ...]
    province_names: tuple[str, ...]
    platform_names: tuple[str, ...]
    named: dict[int, str]
    """Agency index -> named account, for the agencies pinned to one."""

    def __len__(self) -> int:
        return int(self.time.size)

    def labels(self) -> list[str]:
        """Readable identities: ``county.guangdong.00017``, or the account's name."""
        levels, provinces, named = self.level_names, self.province_names, self.named
        return [
            named.get(a) or f"{levels[lv]}.{provinces[pr]}.{serial:05d}"
            for a, lv, pr, serial in zip(self.agency.tolist(), self.level.tolist(),
                                         self.province.tolist(), self.serial.tolist())
        ]


class DailyMetrics:
    """Access to ``metrics`` (one value per day from ``start``), shared by the
    engine's records and the calibration's mean field."""

    start: dt.date
    metrics: dict[str, np.ndarray]

    @property
    def days(self) -> int:
        return len(next(iter(self.metrics.values())))

    def dates(self) -> np.ndarray:
        return np.datetime64(self.start, "D") + np.arange(self.days)

    def value(self, metric: str, date: dt.date) -> float:
        """A metric at the end of ``date``."""
        return self.metrics[metric][(date - self.start).days].item()


@dataclass(frozen=True)
class RunRecords(DailyMetrics):
    scenario: str
    replication: int
    seed: int
    start: dt.date
    metrics: dict[str, np.ndarray]
    """Metric name -> int64 array, one value per day (end of day)."""
    adoptions: Adoptions
    events: int
    """SimPy events processed by the run."""
