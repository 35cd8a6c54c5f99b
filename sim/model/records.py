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
    followers of a named account on one platform, and summed over platforms;
``messages.<account>.<platform>.*``, ``backlog.*``, ``response_hours.*``, ``appeal.*``, ``utilisation.*``
    the interaction loop (:mod:`sim.model.mechanisms.interaction.metrics`).

Every metric is a value at the end of each day of the horizon: counts are
int64; hours and shares (``response_hours``, ``appeal``, ``utilisation``,
standard errors ``*.se``) are float64, NaN where undefined (a response time on
a day without answers).
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

    @classmethod
    def of(cls, population, platform_names, agency: np.ndarray, platform: np.ndarray,
           time: np.ndarray) -> "Adoptions":
        """The accounts opened, given who (agency indices of ``population``), where (platform indices) and when
        in any order: sorted by time, then platform, then agency (either view of the model calls this)."""
        order = np.lexsort((agency, platform, time))
        agency, platform, time = agency[order], platform[order], time[order]
        pop = population
        return cls(agency=agency, serial=pop.serial[agency], level=pop.level_of[agency],
                   province=pop.province_of[agency], platform=platform, time=time, level_names=pop.level_names,
                   province_names=pop.province_names, platform_names=tuple(platform_names),
                   named={index: name for name, index in pop.pinned.items()})

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
    """Metric name -> array, one value per day (end of day): int64 counts, float64 hours and shares."""
    adoptions: Adoptions
    events: int
    """SimPy events processed by the run."""
    processes: int = 0
    """SimPy processes the run started (the daily process, and with ``engine: agents`` one per agency and
    one per named account on each platform)."""
    engine: str = "race"
    """The view the run was simulated in: ``race`` or ``agents``."""
