"""How the calibration's report writes numbers and names figures."""

from __future__ import annotations

import math

from ...targets import Target


def number(x: float | None, digits: int = 4) -> str:
    """A number for a table: 4 significant digits, thousands separated, no exponent below 1e9."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    if magnitude >= 4:
        return f"{round(x, -(magnitude - digits + 1)):,.0f}"
    if magnitude <= -4:
        return f"{x:.{digits - 1}e}"
    decimals = max(0, digits - 1 - magnitude)
    return f"{x:,.{decimals}f}"


def count(x: float | None) -> str:
    """A model value of a count (accounts, people, followers): whole numbers, thousands separated, from 10 up."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)) or abs(x) < 10:
        return number(x, 3)
    return number(x) if abs(x) >= 1e4 else f"{round(x):,d}"


def percent(x: float) -> str:
    return f"{x:+.1%}" if math.isfinite(x) else "-"


def target_label(name: str, target: Target) -> str:
    """A reader's name for a figure: its key in words, with its date or period."""
    words = name.replace("_", " ")
    when = str(target.date) if target.date is not None else f"{target.period.start} to {target.period.end}"
    return f"{words[0].upper()}{words[1:]} ({when})"


def reported(target: Target) -> str:
    """The figure as reported: "5,000 +-10%", "at least 1", "18,000 .. 20,000", "more than 410,000 (read:
    below 420,000)"."""
    if target.kind == "interval":
        return f"{count(target.low)} .. {count(target.high)}"
    if target.kind == "more_than":
        return f"more than {count(target.value)} (read: below {count(target.bounds[1])})"
    prefix = {"at_least": "at least ", "at_most": "at most "}.get(target.kind, "")
    tolerance = f" +-{target.tolerance:.0%}" if target.kind == "equal" and target.tolerance else ""
    sd = f" (sd {count(target.sd)})" if target.sd is not None else ""
    return f"{prefix}{count(target.value)}{tolerance}{sd}"


def error(target: Target, value: float) -> str:
    """The log error of a model value, or "met" for a one-sided or interval figure it meets (an error measured
    from the figure would mislead there: 107 accounts against "at least 1" is not +10,600% off)."""
    if target.kind != "equal" and target.met(value):
        return "met"
    return f"{target.log_error(value):+.3f}"
