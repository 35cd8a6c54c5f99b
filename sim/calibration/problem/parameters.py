"""Free parameters: from the optimiser's unit cube to scenario values and back.

The optimiser works on ``z`` in ``[0, 1]^n``: each parameter's range mapped
linearly, or linearly in the logarithm for ``spacing: log``, so a step of
0.05 is 5% of the range whatever the parameter's units, and the Jacobian and
its singular values are comparable across parameters ("scaled Jacobian").

The priors live on the same cube (:meth:`ParameterSpace.log_prior`,
:meth:`ParameterSpace.from_cube`): uniform by default (so log-uniform in the
value for ``spacing: log``), or the spec's normal, lognormal (on the value,
truncated to the range) or beta (on the unit coordinate).  A date parameter
moves in whole days, each day of its range an equal share of the cube.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

from ...arrays import namespace
from ...errors import InputError
from ...scenario import Scenario
from ...scenario.binding import Binding, bind, check_disjoint
from .spec import BetaPrior, LognormalPrior, NormalPrior, ParameterSpec, UniformPrior

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
    """Where the search starts: the base scenario's value (set) or 1 (multiply), unless the spec says otherwise."""
    prior: UniformPrior | NormalPrior | LognormalPrior | BetaPrior | None = None
    """None: uniform on the cube."""
    dated: bool = False
    """A date parameter: values are proleptic Gregorian ordinals of whole days (``datetime.date.toordinal``)."""

    @property
    def log(self) -> bool:
        return self.spacing == "log"

    @property
    def days(self) -> int:
        return int(round(self.high - self.low)) + 1

    def value(self, z: float) -> float:
        """The parameter's value at unit coordinate ``z``."""
        return float(self.values(np.array([z]))[0])

    def values(self, z: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`value` (numpy, or jax for the compiled twin)."""
        xp = namespace(z)
        z = xp.clip(xp.asarray(z, dtype=float), 0.0, 1.0)
        if self.dated:  # each whole day an equal share of [0, 1]
            return self.low + xp.minimum(xp.floor(z * self.days), self.days - 1)
        if self.log:
            return xp.exp(math.log(self.low) + z * (math.log(self.high) - math.log(self.low)))
        return self.low + z * (self.high - self.low)

    def unit(self, value: float) -> float:
        """The unit coordinate of ``value`` (not clipped; the middle of its day for a date)."""
        if self.dated:
            return (value - self.low + 0.5) / self.days
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def overrides(self, value) -> dict[str, object]:
        if self.dated:
            return {path: self.show(value) for path in self.paths}
        return super().overrides(value)

    def show(self, value: float) -> str:
        """The value as a person reads it: an ISO date, or the number."""
        if self.dated:
            return dt.date.fromordinal(int(round(value))).isoformat()
        return f"{value:g}"

    def describe(self) -> str:
        what = "x base" if self.apply == "multiply" else "="
        matches = f" ({len(self.paths)} values)" if len(self.paths) > 1 else ""
        return f"`{self.path}` {what}{matches}"

    # --- the prior on the unit coordinate --------------------------------------------------
    def _truncated(self):
        dist = self.prior.scipy()
        return dist, float(dist.cdf(self.low)), float(dist.cdf(self.high))

    def log_prior(self, z: np.ndarray) -> np.ndarray:
        """Log density of the prior at unit coordinates ``z`` (-inf outside [0, 1])."""
        z = np.asarray(z, float)
        inside = (z >= 0.0) & (z <= 1.0)
        out = np.where(inside, 0.0, -np.inf)
        if self.prior is None or isinstance(self.prior, UniformPrior):
            return out
        if isinstance(self.prior, BetaPrior):
            return out + np.where(inside, stats.beta(self.prior.a, self.prior.b).logpdf(np.clip(z, 0, 1)), 0.0)
        dist, lo, hi = self._truncated()
        v = self.values(z)
        jacobian = v * math.log(self.high / self.low) if self.log else np.full_like(v, self.high - self.low)
        return out + np.where(inside, dist.logpdf(v) + np.log(jacobian) - math.log(hi - lo), 0.0)

    def from_cube(self, u: np.ndarray) -> np.ndarray:
        """Unit coordinates of the prior's quantiles ``u`` (the inverse of its distribution function)."""
        u = np.clip(np.asarray(u, float), 0.0, 1.0)
        if self.prior is None or isinstance(self.prior, UniformPrior):
            return u
        if isinstance(self.prior, BetaPrior):
            return stats.beta(self.prior.a, self.prior.b).ppf(u)
        dist, lo, hi = self._truncated()
        v = np.clip(dist.ppf(lo + u * (hi - lo)), self.low, self.high)
        if self.log:
            return (np.log(v) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (v - self.low) / (self.high - self.low)

    def quantile(self, z: np.ndarray) -> np.ndarray:
        """The prior's distribution function at unit coordinates ``z``: the inverse of :meth:`from_cube`."""
        z = np.clip(np.asarray(z, float), 0.0, 1.0)
        if self.prior is None or isinstance(self.prior, UniformPrior):
            return z
        if isinstance(self.prior, BetaPrior):
            return stats.beta(self.prior.a, self.prior.b).cdf(z)
        dist, lo, hi = self._truncated()
        return np.clip((dist.cdf(self.values(z)) - lo) / (hi - lo), 0.0, 1.0)

    def describe_prior(self) -> str:
        prior = self.prior
        if prior is None or isinstance(prior, UniformPrior):
            shape = "uniform in days" if self.dated else ("log-uniform" if self.log else "uniform")
            return f"{shape} over the range" + (f" ({prior.source})" if prior is not None and prior.source else "")
        if isinstance(prior, NormalPrior):
            shape = f"normal(mean {prior.mean:g}, sd {prior.sd:g}), truncated"
        elif isinstance(prior, LognormalPrior):
            shape = f"lognormal(median {prior.median:g}, sigma {prior.sigma:g}), truncated"
        else:
            shape = f"beta({prior.a:g}, {prior.b:g}) on the {'log ' if self.log else ''}range"
        return f"{shape}; source: {prior.source}"


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

    def values_of(self, zs: np.ndarray) -> np.ndarray:
        """Values of many points ``(N, n)`` of the cube at once."""
        zs = np.atleast_2d(np.asarray(zs, float))
        return np.column_stack([p.values(zs[:, i]) for i, p in enumerate(self.parameters)])

    def log_prior(self, zs: np.ndarray) -> np.ndarray:
        """Log prior density of points ``(..., n)`` of the cube (independent parameters)."""
        zs = np.asarray(zs, float)
        return sum(p.log_prior(zs[..., i]) for i, p in enumerate(self.parameters))

    def from_cube(self, us: np.ndarray) -> np.ndarray:
        """The prior transform: uniform ``us`` ``(..., n)`` to prior-distributed unit coordinates."""
        us = np.asarray(us, float)
        return np.stack([p.from_cube(us[..., i]) for i, p in enumerate(self.parameters)], axis=-1)

    def quantile(self, zs: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`from_cube`: prior-distributed unit coordinates ``(..., n)`` to uniform ones."""
        zs = np.asarray(zs, float)
        return np.stack([p.quantile(zs[..., i]) for i, p in enumerate(self.parameters)], axis=-1)

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
    binding = bind(spec.path, spec.apply, data, source=source, field=field, numbers=not spec.dated)
    for concrete in binding.paths:
        if concrete in _NOT_PARAMETERS:
            raise InputError(f"expected a model parameter, not the run setting {concrete!r}", source=source,
                             field=field)
    if spec.dated:
        base = [_as_date(v, concrete, source, field) for v, concrete in zip(binding.base_values, binding.paths)]
        low, high = (d.toordinal() for d in spec.range)
        start = (spec.start or sorted(base)[len(base) // 2]).toordinal()
    else:
        low, high = spec.range
        if spec.start is not None:
            start = spec.start
        elif spec.apply == "multiply":
            start = 1.0
        else:
            start = float(np.median(binding.base_values))
    return FreeParameter(
        path=binding.path, apply=binding.apply, paths=binding.paths, base_values=binding.base_values,
        name=name, label=spec.label or name, low=float(low), high=float(high), spacing=spec.spacing,
        start=float(min(max(start, low), high)), prior=spec.prior, dated=spec.dated)


def _as_date(value, concrete: str, source: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"expected a path to dates for a range of dates, got {value!r} at {concrete}",
                         source=source, field=field) from None
