"""Shift strings: when a team is on duty.

A shift is one line a person would write on a rota::

    mon-fri 09:00-17:00          the whole team, Monday to Friday, office hours
    daily 00:00-24:00            round the clock
    sat,sun 10:00-16:00 x1       one of the team at weekends
    daily 22:00-06:00 x2         two on the night shift (ends the next morning)

Days: ``daily``, ``weekdays``, ``weekends``, a day (``mon`` ... ``sun``), a
range (``mon-fri``; ``fri-mon`` wraps round the week) or a comma list of those.
Times are ``HH:MM`` from ``00:00`` to ``24:00``; a shift that ends before it
starts runs past midnight into the next day.  ``xN`` is how many of the team
are on duty (default: all of them).  Overlapping shifts add up, capped at the
team's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NAMED = {"daily": tuple(range(7)), "weekdays": tuple(range(5)), "weekends": (5, 6)}
FORMAT = "'<days> HH:MM-HH:MM [xN]', e.g. 'mon-fri 09:00-17:00' or 'daily 22:00-06:00 x2'"

_SHIFT = re.compile(r"^\s*(?P<days>[a-z,\-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})"
                    r"(?:\s+x(?P<staff>\d+))?\s*$")


@dataclass(frozen=True)
class Shift:
    days: tuple[int, ...]
    """Days the shift starts on, 0 = Monday."""
    start_hour: float
    end_hour: float
    """Hours after midnight of the start day (``end_hour > start_hour``; above 24 past midnight)."""
    staff: int | None
    """How many of the team are on duty; None: all of them."""


def parse_shift(text: str) -> Shift:
    """Parse one shift; ``ValueError`` with the expected format if it does not parse."""
    match = _SHIFT.match(text.lower()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"expected a shift {FORMAT}, got {text!r}")
    days = _days(match["days"], text)
    start, end = _hour(match["start"], text), _hour(match["end"], text)
    if start >= 24:
        raise ValueError(f"expected a start time before 24:00 in shift {text!r}")
    if end == start:
        raise ValueError(f"expected a shift of positive length, got {text!r}")
    if end < start:
        end += 24
    staff = int(match["staff"]) if match["staff"] is not None else None
    if staff == 0:
        raise ValueError(f"expected x1 or more staff in shift {text!r} (leave a shift out instead)")
    return Shift(days=days, start_hour=start, end_hour=end, staff=staff)


def _hour(clock: str, text: str) -> float:
    hours, minutes = (int(x) for x in clock.split(":"))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"expected times from 00:00 to 24:00 in shift {text!r}, got {clock}")
    return hours + minutes / 60


def _days(spec: str, text: str) -> tuple[int, ...]:
    chosen: set[int] = set()
    for part in spec.split(","):
        if part in NAMED:
            chosen.update(NAMED[part])
        elif part in DAYS:
            chosen.add(DAYS.index(part))
        elif "-" in part and all(p in DAYS for p in part.split("-", 1)):
            first, last = (DAYS.index(p) for p in part.split("-", 1))
            chosen.update((first + k) % 7 for k in range((last - first) % 7 + 1))
        else:
            raise ValueError(f"expected days as daily, weekdays, weekends, mon..sun, a range like mon-fri "
                             f"or a comma list in shift {text!r}, got {part!r}")
    return tuple(sorted(chosen))
