"""Free parameters: from the optimiser's unit cube to scenario values and back.

The optimiser works on ``z`` in ``[0, 1]^n``: each parameter's range mapped
linearly, or linearly in the logarithm for ``spacing: log``, so a step of
0.05 is 5% of the range whatever the parameter's units, and the Jacobian and
its singular values are comparable across parameters ("scaled Jacobian").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError
from ..scenario import Scenario
from ..scenario.binding import Binding, bind, check_disjoint
from .spec import ParameterSpec

_NOT_PARAMETERS = ("seed", "replications")
"""Numbers of a scenario that are not model parameters."""


@dataclass(frozen=True)
class FreeParameter(Binding):
    """One free parameter: a binding (the scenario values it sets) with a range to search."""

    name: str
    label: str
    low: float
    high: float
    spacing: str
    start: float
    """The prior value: the base scenario's (set) or 1 (multiply), unless the spec says otherwise."""

    @property
    def log(self) -> bool:
        return self.spacing == "log"

    def value(self, z: float) -> float:
        """The parameter's value at unit coordinate ``z``."""
        z = min(max(float(z), 0.0), 1.0)
        if self.log:
            return math.exp(math.log(self.low) + z * (math.log(self.high) - math.log(self.low)))
        return self.low + z * (self.high - self.low)

    def unit(self, value: float) -> float:
        """The unit coordinate of ``value`` (not clipped)."""
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def describe(self) -> str:
        what = "x base" if self.apply == "multiply" else "="
        matches = f" ({len(self.paths)} values)" if len(self.paths) > 1 else ""
        return f"`{self.path}` {what}{matches}"


@dataclass(frozen=True)
class ParameterSpace:
    """The free parameters of a calibration, in the spec's order."""

    parameters: tuple[FreeParameter, ...]

    def __len__(self) -> int:
        return len(self.parameters)

    def __iter__(self):
        return iter(self.parameters)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def values(self, z: Sequence[float]) -> np.ndarray:
        return np.array([p.value(zi) for p, zi in zip(self.parameters, z)])

    def unit(self, values: Sequence[float]) -> np.ndarray:
        return np.array([p.unit(v) for p, v in zip(self.parameters, values)])

    def start(self) -> np.ndarray:
        """Unit coordinates of the prior values."""
        return np.clip(self.unit([p.start for p in self.parameters]), 0.0, 1.0)

    def overrides(self, values: Sequence[float]) -> dict[str, float | int]:
        out: dict[str, float | int] = {}
        for p, v in zip(self.parameters, values):
            out.update(p.overrides(v))
        return out

    def scenario(self, base: Scenario, z: Sequence[float], source: str = "<calibration>") -> Scenario:
        """The base scenario with the parameters at unit coordinates ``z`` (raises InputError)."""
        return base.with_overrides(self.overrides(self.values(z)), source=source)


def resolve_parameters(specs: dict[str, ParameterSpec], base: Scenario, source: str) -> ParameterSpace:
    """Check every parameter against the base scenario; one-line errors naming the spec's field."""
    data = base.to_dict()
    parameters = [_resolve(name, spec, data, source) for name, spec in specs.items()]
    check_disjoint(((p.name, p) for p in parameters), source=source)
    for p in parameters:  # each end of each range must give a valid scenario
        for end, value in (("low", p.low), ("high", p.high)):
            try:
                base.with_overrides(p.overrides(value), source=source)
            except InputError as exc:
                raise InputError(f"expected the {end} end of the range ({value:g}) to give a valid scenario, but "
                                 f"{exc.field or ''}: {exc.expected}", source=source,
                                 field=f"parameters.{p.name}.range") from None
    return ParameterSpace(tuple(parameters))


def _resolve(name: str, spec: ParameterSpec, data: dict, source: str) -> FreeParameter:
    field = f"parameters.{name}.path"
    binding = bind(spec.path, spec.apply, data, source=source, field=field, numbers=True)
    for concrete in binding.paths:
        if concrete in _NOT_PARAMETERS:
            raise InputError(f"expected a model parameter, not the run setting {concrete!r}", source=source,
                             field=field)
    if spec.start is not None:
        start = spec.start
    elif spec.apply == "multiply":
        start = 1.0
    else:
        start = float(np.median(binding.base_values))
    low, high = spec.range
    return FreeParameter(
        path=binding.path, apply=binding.apply, paths=binding.paths, base_values=binding.base_values,
        name=name, label=spec.label or name, low=float(low), high=float(high), spacing=spec.spacing,
        start=float(min(max(start, low), high)))
