"""How the calibration's report names a figure and states a model value's error against it."""

from __future__ import annotations

from ...report.content import when_text
from ...targets import Target


def figure_label(name: str, target: Target) -> str:
    """A reader's name for a figure: its key in words, with its date or period ("Accounts sina (2011-10-31)")."""
    words = name.replace("_", " ")
    return f"{words[0].upper()}{words[1:]} ({when_text(target)})"


def log_error_text(target: Target, value: float) -> str:
    """The log error of a model value, or "met" for a one-sided or interval figure it meets (an error measured
    from the figure would mislead there: 107 accounts against "at least 1" is not +10,600% off)."""
    if target.kind != "equal" and target.met(value):
        return "met"
    return f"{target.log_error(value):+.3f}"
