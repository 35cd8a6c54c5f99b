"""The interaction loop's metrics: names, which are floats, and how a day's records become values.

Per named account ``a`` on platform ``p`` (all daily, like every metric):

``messages.a.p.received``, ``.answered``, ``.abandoned``, ``.prompt``
    messages so far (cumulative counts, the state at the end of the day like
    every count here): received, answered, given up by their senders, and
    answered within ``feedback.within_hours`` (the feedback's prompt answers);
``backlog.a.p``
    messages waiting or being handled at the end of the day;
``response_hours.a.p.p50``, ``.p90``
    median and 90th percentile of the response times (arrival to answer,
    hours) of the day's answers; NaN on a day without answers;
``appeal.a.p``
    the multiplier of the account's follow hazard in force that day (1: as
    responsive as the reference);

per named account: ``utilisation.a.staff`` and ``utilisation.a.department``,
the share of the time its staff were present that they were busy (NaN if
nobody was); and per agency level ``l`` with sampled ordinary accounts,
scaled up to the whole level (:mod:`.sampling`): ``messages.level.l.received``,
``.answered``, ``.abandoned``, ``.prompt`` and ``backlog.level.l``, each with
its standard error ``<name>.se``, and ``response_hours.level.l.p50``, ``.p90``
over the sampled accounts' answers.

Counts are int64; the hours, shares and standard errors are float64.
"""

from __future__ import annotations

import numpy as np

from ....scenario.schema import Scenario

COUNTS = ("received", "answered", "abandoned", "prompt")
LEVEL = "level"
"""The word that tells level metrics from account metrics (no account may be called so)."""


def account_metrics(scenario: Scenario) -> list[str]:
    names = []
    interaction = scenario.interaction
    for account, spec in scenario.accounts.items():
        for p in spec.platforms:
            names += [f"messages.{account}.{p}.{c}" for c in COUNTS]
            names += [f"backlog.{account}.{p}", f"response_hours.{account}.{p}.p50",
                      f"response_hours.{account}.{p}.p90", f"appeal.{account}.{p}"]
        names.append(f"utilisation.{account}.staff")
        if interaction.accounts[account].department is not None:
            names.append(f"utilisation.{account}.department")
    return names


def level_metrics(scenario: Scenario) -> list[str]:
    interaction = scenario.interaction
    if interaction.sample_per_level == 0:
        return []
    names = []
    for level in interaction.levels:
        for c in COUNTS:
            names += [f"messages.{LEVEL}.{level}.{c}", f"messages.{LEVEL}.{level}.{c}.se"]
        names += [f"backlog.{LEVEL}.{level}", f"backlog.{LEVEL}.{level}.se",
                  f"response_hours.{LEVEL}.{level}.p50", f"response_hours.{LEVEL}.{level}.p90"]
    return names


def metric_names(scenario: Scenario) -> list[str]:
    if scenario.interaction is None:
        return []
    return account_metrics(scenario) + level_metrics(scenario)


def is_float(name: str) -> bool:
    """Hours, shares and standard errors are floats; counts are integers."""
    return name.startswith(("response_hours.", "appeal.", "utilisation.")) or name.endswith(".se")


def is_stock(name: str) -> bool:
    """False for the loop's metrics that may fall: backlogs, response times, shares, standard errors."""
    return not (name.startswith(("backlog.", "response_hours.", "appeal.", "utilisation.")) or name.endswith(".se"))


def float_metrics(scenario: Scenario) -> list[str]:
    return [name for name in metric_names(scenario) if is_float(name)]


def percentiles_hours(responses) -> tuple[float, float]:
    """(p50, p90) of response times given in days, in hours; NaN without any.

    Linear interpolation between order statistics (numpy's default), in plain
    Python: a day has a few dozen answers, where numpy's call costs more than
    the sort.
    """
    values = sorted(responses.tolist() if isinstance(responses, np.ndarray) else responses)
    n = len(values)
    if n == 0:
        return float("nan"), float("nan")
    return _quantile(values, 0.5) * 24, _quantile(values, 0.9) * 24


def median(values: list[float]) -> float:
    """The median (numpy's linear interpolation) of a non-empty list."""
    return _quantile(sorted(values), 0.5)


def _quantile(ordered: list[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
