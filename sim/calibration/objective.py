"""The objective: weighted squared log errors of the model's values against the targets.

For target ``j`` with weight ``w_j`` and model value ``m_j`` (the mean over
the calibration's replications, or the mean field's value), the log error
``e_j`` is :meth:`sim.targets.Target.log_error`: ``log(m_j / figure)`` for
``equal`` targets, and for one-sided targets and intervals the distance in
log space to the violated bound (0 when the value is acceptable).  The
objective is ``S = sum_j w_j e_j^2``; least squares sees the residuals
``sqrt(w_j) e_j``.

Uncertainty of a target, in log units, used by the intervals and verdicts
(:mod:`.identifiability`), never by the search:

* the figure's own: its tolerance read as the half-width of a 90% interval
  (``log(1 + tolerance) / 1.645``; an interval target's half-width in log
  space), never below the spec's ``figure_precision`` (a rounded figure);
* the Monte Carlo error of the replication mean, ``se / mean`` (delta
  method), times the slope of ``e`` in ``log m`` (0 well inside a one-sided
  bound, 1 beyond it).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..targets import Target

Z90 = 1.6448536269514722
"""Standard normal quantile of 0.95: a tolerance is read as a 90% half-width."""


@dataclass(frozen=True)
class TargetSet:
    """The targets of one calibration, in a fixed order."""

    names: tuple[str, ...]
    targets: tuple[Target, ...]
    start: dt.date
    """First day of the model's series."""
    precision: float
    """Relative precision of a figure with zero tolerance."""

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def metrics(self) -> list[str]:
        return list(dict.fromkeys(t.metric for t in self.targets))

    @property
    def last_date(self) -> dt.date:
        return max(max(t.dates_needed()) for t in self.targets)

    @property
    def weights(self) -> np.ndarray:
        return np.array([t.weight for t in self.targets])

    def values(self, metrics: Mapping[str, np.ndarray]) -> np.ndarray:
        """Model values of every target, from daily series; ``(..., T)`` for ``(..., days)`` series."""
        return np.stack([t.model_value(metrics[t.metric], self.start) for t in self.targets], axis=-1)

    def errors(self, values: np.ndarray) -> np.ndarray:
        """Log errors ``e_j`` of a vector of model values (0 where acceptable)."""
        return np.array([t.log_error(v) for t, v in zip(self.targets, np.asarray(values, float))])

    def residuals(self, values: np.ndarray) -> np.ndarray:
        return np.sqrt(self.weights) * self.errors(values)

    def objective(self, values: np.ndarray) -> float:
        return float(np.sum(self.residuals(values) ** 2))

    def met(self, values: np.ndarray) -> np.ndarray:
        return np.array([t.met(v) for t, v in zip(self.targets, values)])

    def slopes(self, values: np.ndarray, log_se: np.ndarray) -> np.ndarray:
        """``de/dlog m`` of each target, smoothed over the Monte Carlo noise ``log_se``.

        1 for ``equal`` targets; for bounds, the fraction of a +-``log_se``
        move that lands beyond the bound (so a value sitting on its bound
        counts as half active).
        """
        out = np.ones(len(self))
        for j, (t, v, s) in enumerate(zip(self.targets, values, log_se)):
            if t.kind == "equal":
                continue
            delta = max(float(s), 1e-6)
            up, down = t.log_error(v * math.exp(delta)), t.log_error(v * math.exp(-delta))
            out[j] = abs(up - down) / (2 * delta)
        return out

    def figure_log_sd(self) -> np.ndarray:
        """Each figure's own uncertainty in log units (see the module docstring)."""
        floor = math.log1p(self.precision) / Z90
        out = []
        for t in self.targets:
            if t.kind == "interval":
                sd = math.log(t.high / t.low) / 2 / Z90
            else:
                sd = math.log1p(t.tolerance) / Z90
            out.append(max(sd, floor))
        return np.array(out)


@dataclass(frozen=True)
class Point:
    """The model at one candidate: target values, their Monte Carlo error, the objective."""

    z: np.ndarray
    """Unit coordinates of the candidate."""
    values: np.ndarray
    """Mean model value of each target (or the mean field's value)."""
    se: np.ndarray
    """Standard error of each mean (zeros for the mean field)."""
    errors: np.ndarray
    objective: float
    replicates: np.ndarray | None = None
    """``(R, T)`` values per replication (stochastic model only)."""

    @property
    def log_se(self) -> np.ndarray:
        return np.divide(self.se, np.abs(self.values), out=np.zeros_like(self.se), where=self.values != 0)


def point(targets: TargetSet, z: np.ndarray, values: np.ndarray, replicates: np.ndarray | None = None) -> Point:
    """A :class:`Point` from mean values (and, for the stochastic model, per-replication values)."""
    values = np.asarray(values, dtype=float)
    if replicates is not None and replicates.shape[0] > 1:
        se = replicates.std(axis=0, ddof=1) / math.sqrt(replicates.shape[0])
    else:
        se = np.zeros_like(values)
    errors = targets.errors(values)
    return Point(z=np.asarray(z, float), values=values, se=se, errors=errors,
                 objective=float(np.sum(targets.weights * errors ** 2)), replicates=replicates)
