"""The one kind of error a user is shown: bad input, reported in one line.

Every check of user input (scenario files, experiment specs, command-line
arguments, run directories) raises :class:`InputError`.  The command-line entry
point turns it into a single line on stderr and exit status 2, so a typo never
produces a traceback and never leaves half-written output behind.
"""

from __future__ import annotations

import unicodedata


class InputError(Exception):
    """Bad input: ``file: field: what was expected``.

    ``source`` is the file (or other origin) the bad value came from, ``field``
    the dotted path of the offending field, if any, and ``expected`` a
    sentence saying what would have been accepted.
    """

    def __init__(self, expected: str, *, source: str | None = None, field: str | None = None):
        self.source = source
        self.field = field
        self.expected = expected
        super().__init__(self.line())

    def line(self) -> str:
        """The message on one line: control characters (from keys, values) are escaped."""
        parts = [p for p in (self.source, self.field) if p]
        return _one_line(": ".join([*parts, self.expected]))

    def located(self, source: str) -> "InputError":
        """The same error attributed to ``source`` if it has no origin yet."""
        if self.source:
            return self
        return InputError(self.expected, source=source, field=self.field)


class FieldError(Exception):
    """A semantic error in a scenario field, raised during validation.

    Deliberately *not* a ``ValueError``: pydantic lets it through unwrapped,
    so the loader can attribute it to the file that set the field.

    A check comparing two fields gives, in ``alternatives``, the same
    complaint phrased for the other field(s) as ``(field, expected)``: the
    loader names whichever field the most derived file set, so that a
    counterfactual changing one side is told about the side it changed.
    """

    def __init__(self, field: str, expected: str, *, alternatives: tuple[tuple[str, str], ...] = ()):
        self.field = field
        self.expected = expected
        self.alternatives = tuple(alternatives)
        super().__init__(f"{field}: {expected}")


def _one_line(text: str) -> str:
    return "".join(
        char.encode("unicode_escape").decode("ascii") if unicodedata.category(char).startswith("C") else char
        for char in text
    )
