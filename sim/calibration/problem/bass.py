"""A one-level Bass calibration problem built in memory, with its closed-form twin: a test bed.

Innovation ``p``, imitation ``q`` and the number of agencies ``N`` free
(log-uniform priors), ``equal`` figures of Sina's government accounts at a
few dates.  The mean field of the one-level scenario
(:func:`sim.scenario.builders.single_level`) is the closed form ``N F(t)``
(:func:`sim.theory.bass_share`), so tests whose answer must be known exactly
(the profile intervals, :mod:`.profiles`) use it as the twin.  The
simulation-based calibration of the real problem is :mod:`..bayes.sbc`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ...scenario.builders import single_level
from ...targets import Target
from ...theory import bass_share
from .objective import TargetSet
from .parameters import resolve_parameters
from .problem import Problem, _model_base
from .spec import CalibrationSpec

DATES = ("2009-11-30", "2010-03-31", "2010-07-31", "2010-11-30", "2011-03-31")
"""Where the synthetic figures are read (the scenario starts on 2009-08-14)."""
DAYS_PER_YEAR = 365.25


def bass_problem(tolerance: float = 0.2, dates=DATES) -> Problem:
    """The one-level Bass calibration problem: p, q and N free with log-uniform priors, an ``equal`` figure of
    tolerance ``tolerance`` at each date (their values are replaced by :func:`with_figures`)."""
    base = single_level(count=3000, innovation=0.05, imitation=1.5, days=2 * 365, name="sbc-bass")
    spec = CalibrationSpec.model_validate({
        "name": "sbc-bass", "base": "<memory>", "replications": 2, "budget": {"evaluations": 1},
        "likelihood": {"discrepancy": 0.0},
        "analysis": {"figure_precision": 1e-4},
        "parameters": {
            "innovation": {"path": "agencies.levels.agency.hazard.innovation", "range": [0.01, 0.2],
                           "spacing": "log"},
            "imitation": {"path": "agencies.levels.agency.hazard.imitation", "range": [0.3, 3.0], "spacing": "log"},
            "agencies": {"path": "agencies.levels.agency.count", "range": [1000, 10000], "spacing": "log"},
        }})
    targets = tuple(Target(metric="gov_accounts.sina", date=day, value=100.0, tolerance=tolerance) for day in dates)
    target_set = TargetSet(names=tuple(f"accounts_{d.replace('-', '_')}" for d in dates), targets=targets,
                           start=base.horizon.start, precision=spec.analysis.figure_precision, discrepancy=0.0)
    space = resolve_parameters(spec.parameters, base, "<bass>")
    return Problem(spec=spec, source="<bass>", base_path=None, base=base, model_base=_model_base(base, target_set),
                   targets_path=None, targets=target_set, space=space)


@dataclass(frozen=True)
class BassTwin:
    """The closed-form mean field of :func:`bass_problem`: ``N F(t_j; p, q)`` at each figure's date."""

    years: np.ndarray
    space: object
    whole: bool = True
    """Round the number of agencies to a whole number, as the scenario does (False: a smooth function)."""

    def __call__(self, z: np.ndarray) -> np.ndarray:
        values = self.space.values_of(z)
        counts = np.round(values[:, 2]) if self.whole else values[:, 2]
        return np.array([n * bass_share(self.years, p, q) for p, q, n in zip(values[:, 0], values[:, 1], counts)])


def bass_twin(problem: Problem, whole: bool = True) -> BassTwin:
    """The closed form for ``problem``'s figure dates (end of day, as the model records them)."""
    start = problem.targets.start
    years = np.array([((t.date - start).days + 1) / DAYS_PER_YEAR for t in problem.targets.targets])
    return BassTwin(years=years, space=problem.space, whole=whole)


def with_figures(problem: Problem, values: np.ndarray) -> Problem:
    """``problem`` with its figures' values replaced by ``values``."""
    targets = tuple(t.model_copy(update={"value": float(v)}) for t, v in zip(problem.targets.targets, values))
    return replace(problem, targets=replace(problem.targets, targets=targets))
