"""How every report writes a number: counts with separators, small values to three significant digits.

One formatter for the run, comparison, sweep and calibration reports, so that a
figure reads the same wherever it appears.
"""

from __future__ import annotations

import json
import math


def number(x: float | None) -> str:
    """Counts with thousands separators (every one of them, 1,240 as 57,120); small values with three
    significant digits; a dash for nothing (None, NaN)."""
    if x is None or x != x:
        return "\u2013"
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.3g}"


def numbers_alike(values: list[float]) -> list[str]:
    """Several numbers of one quantity with the precision of the first (a mean and its quantiles).

    A mean of 107 accounts with its 5th percentile of 96.8 reads "107 (97\u2013120)", not "107 (96.8\u2013120)".
    """
    lead = abs(values[0])
    if lead >= 100 or float(values[0]).is_integer():
        return [f"{v:,.0f}" for v in values]
    decimals = max(0, 2 - math.floor(math.log10(lead))) if lead > 0 else 2
    return [f"{v:,.{decimals}f}" for v in values]


def value_text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if float(value).is_integer() and abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(", ", ": "))
    return "" if value is None else str(value)

