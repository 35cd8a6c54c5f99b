"""Model time: rates per year in scenario files, per day in the engine.

The engine runs in continuous time measured in days (float), with day ``d``
covering ``[d, d + 1)`` of the scenario's :class:`~sim.scenario.schema.Horizon`.
Rates in scenario files are per year; :data:`DAYS_PER_YEAR` converts them.
"""

from __future__ import annotations

DAYS_PER_YEAR = 365.25


def per_day(rate_per_year: float) -> float:
    """Convert a rate per year (as written in scenarios) to a rate per day."""
    return rate_per_year / DAYS_PER_YEAR
