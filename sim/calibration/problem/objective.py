"""The objective: the deviance of the model's values against the targets.

For target ``j`` (weight ``w_j``) and model value ``m_j`` (the mean over the
calibration's replications, or the mean field's value), the noise model of
:mod:`.likelihood` gives a log-likelihood term; the search minimises the
weighted deviance ``S = sum_j w_j * 2 (log L_j,max - log L_j)``, which least
squares sees as deviance residuals.  For an ``equal`` target that is
``((log m_j - log figure) / sigma_j)^2``, the chi-square of the figure; a
one-sided figure or an interval met with room to spare costs (nearly)
nothing.  The same noise model, with the search's Monte Carlo error, is the
posterior's likelihood (:mod:`sim.calibration.bayes.stage`).

The *log error* ``e_j`` (:meth:`sim.targets.Target.log_error`: ``log(m_j /
figure)`` for ``equal`` targets, the distance in log space to the violated
bound for the others) is what reports show and what the linearised intervals
(:mod:`sim.calibration.fit.identifiability`) differentiate, with each target's uncertainty in log
units:

* the figure's own: its tolerance read as the half-width of a 90% interval
  (``log(1 + tolerance) / 1.645``; an interval target's half-width in log
  space), never below the spec's ``figure_precision`` (a rounded figure); its
  ``sd`` if it states one;
* the structural discrepancy and the runs' intrinsic spread (:mod:`.likelihood`);
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

from functools import cached_property

from ...targets import Target
from .likelihood import Z90, Figures


@dataclass(frozen=True)
class TargetSet:
    """The targets of one calibration, in a fixed order."""

    names: tuple[str, ...]
    targets: tuple[Target, ...]
    start: dt.date
    """First day of the model's series."""
    precision: float
    """Relative precision of a figure with zero tolerance."""
    discrepancy: float = 0.0
    """Structural model discrepancy, log standard deviation (:mod:`.likelihood`)."""
    one_history: bool = True
    """The figures are one history of the world (the runs' spread about their mean is part of the noise)."""

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

    @cached_property
    def figures(self) -> Figures:
        return Figures.of(self.targets, self.precision)

    def sigma(self, values: np.ndarray, intrinsic: np.ndarray | float = 0.0,
              surrogate: np.ndarray | float = 0.0) -> np.ndarray:
        """The likelihood's total noise of each target at ``values`` (:meth:`.likelihood.Figures.sigma`)."""
        return self.figures.sigma(values, structural=self.discrepancy, intrinsic=intrinsic, surrogate=surrogate,
                                  one_history=self.one_history)

    def residuals(self, values: np.ndarray, sigma: np.ndarray | None = None) -> np.ndarray:
        """Deviance residuals (weighted) at ``values``; ``sigma`` defaults to the noise without Monte Carlo terms."""
        sigma = self.sigma(values) if sigma is None else sigma
        return self.figures.deviance_residuals(values, sigma)

    def objective(self, values: np.ndarray, sigma: np.ndarray | None = None) -> float:
        return float(np.sum(self.residuals(values, sigma) ** 2))

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
        """Each figure's own uncertainty in log units for the linearised analysis (module docstring): an
        interval's half-width read as a 90% half-width, the others as the likelihood reads them."""
        out = self.figures.own_sd.copy()
        for j, t in enumerate(self.targets):
            if t.two_sided:
                low, high = t.bounds
                out[j] = max(out[j], math.log(high / low) / 2 / Z90)
        return out


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
    """Log errors (:meth:`sim.targets.Target.log_error`)."""
    residuals: np.ndarray
    """Deviance residuals under the likelihood's noise model, this point's Monte Carlo error included."""
    objective: float
    """Weighted deviance: the sum of the squared residuals."""
    replicates: np.ndarray | None = None
    """``(R, T)`` values per replication (stochastic model only)."""

    @property
    def log_se(self) -> np.ndarray:
        return _relative(self.se, self.values)

    @property
    def log_spread(self) -> np.ndarray:
        """Standard deviation of single runs in log units (delta method); zeros for the mean field."""
        return _spread(self.values, self.replicates)


def _relative(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.divide(x, np.abs(values), out=np.zeros_like(np.asarray(x, float)), where=values != 0)


def _spread(values: np.ndarray, replicates: np.ndarray | None) -> np.ndarray:
    if replicates is None or replicates.shape[0] < 2:
        return np.zeros_like(values)
    return _relative(replicates.std(axis=0, ddof=1), values)


def point(targets: TargetSet, z: np.ndarray, values: np.ndarray, replicates: np.ndarray | None = None) -> Point:
    """A :class:`Point` from mean values (and, for the stochastic model, per-replication values)."""
    values = np.asarray(values, dtype=float)
    if replicates is not None and replicates.shape[0] > 1:
        se = replicates.std(axis=0, ddof=1) / math.sqrt(replicates.shape[0])
    else:
        se = np.zeros_like(values)
    errors = targets.errors(values)
    sigma = targets.sigma(values, intrinsic=_spread(values, replicates), surrogate=_relative(se, values))
    residuals = targets.residuals(values, sigma)
    return Point(z=np.asarray(z, float), values=values, se=se, errors=errors, residuals=residuals,
                 objective=float(np.sum(residuals ** 2)), replicates=replicates)
