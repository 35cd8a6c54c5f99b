"""Experiment parameters bound to the scenario values they set.

A calibration's free parameter and a sweep's varied parameter are both a
dotted path (``*`` allowed) applied to a base scenario, either replacing the
values it matches (``set``) or scaling each of them (``multiply``, which keeps
the ratios between, say, levels).  :func:`bind` checks the path against the
base once, at load, and the resulting :class:`Binding` turns any value of the
parameter into scenario overrides.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from typing import Iterable

from ..errors import InputError
from . import paths


@dataclass(frozen=True)
class Binding:
    """A parameter's dotted path, resolved against a base scenario."""

    path: str
    apply: str
    """``set`` or ``multiply``."""
    paths: tuple[str, ...]
    """The concrete paths the pattern matches."""
    base_values: tuple
    """The base scenario's values at those paths."""

    @property
    def numeric(self) -> bool:
        return all(_is_number(v) for v in self.base_values)

    @property
    def integer(self) -> tuple[bool, ...]:
        """Which values are counts (integers): numbers set there are rounded."""
        return tuple(isinstance(v, int) and not isinstance(v, bool) for v in self.base_values)

    def overrides(self, value) -> dict[str, object]:
        """Scenario overrides for the parameter at ``value``."""
        out = {}
        for path, base, integer in zip(self.paths, self.base_values, self.integer):
            x = base * value if self.apply == "multiply" else value
            if _is_number(x):
                x = int(round(x)) if integer else float(x)
            out[path] = x
        return out


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def bind(path: str, apply: str, data: dict, *, source: str, field: str, numbers: bool) -> Binding:
    """Resolve ``path`` in the scenario document ``data``; one-line errors naming ``field``.

    ``numbers`` requires numeric values (ranges, calibration); ``multiply``
    always does.
    """
    try:
        matches = paths.expand(data, path)
    except ValueError:
        raise InputError(f"expected a dotted path like agencies.levels.county.hazard.imitation, got {path!r}",
                         source=source, field=field) from None
    if not matches:
        try:  # let the path module say where the path went wrong
            paths.assign(copy.deepcopy(data), path, None, source=source)
        except InputError as exc:
            raise InputError(f"{exc.expected} (in {path})", source=source, field=field) from None
        raise InputError(f"expected a path to a value of the scenario, got {path!r}", source=source, field=field)
    base_values = tuple(paths.get(data, p) for p in matches)
    for concrete, value in zip(matches, base_values):
        if (numbers or apply == "multiply") and not _is_number(value):
            raise InputError(f"expected a path to numbers, got {json.dumps(value, default=str)} at {concrete}",
                             source=source, field=field)
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"expected finite base values, got {value} at {concrete}", source=source, field=field)
    return Binding(path=path, apply=apply, paths=tuple(matches), base_values=base_values)


def check_disjoint(bindings: Iterable[tuple[str, Binding]], *, source: str) -> None:
    """Refuse two parameters that set the same scenario value."""
    seen: dict[str, str] = {}
    for name, binding in bindings:
        for concrete in binding.paths:
            if concrete in seen:
                raise InputError(f"expected each scenario value set by one parameter, but {concrete} is also set by "
                                 f"{seen[concrete]}", source=source, field=f"parameters.{name}.path")
            seen[concrete] = name
