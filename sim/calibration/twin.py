"""The calibration's twin: the compiled twin of the problem, from unit coordinates to the targets' values.

A calibration evaluates its twin at hundreds of thousands of points.  The
compiled twin (:mod:`sim.model.compiled`) takes the problem's base once, with
the concrete scenario values its parameters set (:class:`Leaf`: a
parameter's value, or the base value times it), and compiles the whole map
from a batch of points of the unit cube to the targets' values: the
parameters' values (:meth:`~.parameters.FreeParameter.values`, the same
function the rest of the calibration uses), the leaves, the twin's daily
loop, the targets' days.  No scenario is built or validated per point; the
parameters' ranges were checked against the base when the spec loaded
(:func:`~.parameters.resolve_parameters`), and a point is not checked again
for combinations a scenario would refuse (none of the shipped specs has
any: the parity test compares every point with the numpy twin, which would).

A problem the compiled twin cannot serve (a parameter that sets structure,
such as a team's size; a target on a metric it leaves out) keeps the numpy
twin (:func:`sim.calibration.models.twin_batch`): :func:`compiled_twin` says
why in its note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..model.compiled import CompiledTwin, trace_check
from ..model.parametric import NotCompilable, event_dates
from .problem import Problem

SIZE_LOG_SD_MARGIN = 1.05
"""The quadrature of the agencies' size weights is chosen for the largest dispersion any parameter's range
reaches (times this margin)."""


@dataclass(frozen=True)
class Leaf:
    """A concrete scenario value a parameter sets: the parameter's value (``set``), or ``base`` times it."""

    path: str
    parameter: int
    multiply: bool
    base: float


def free_leaves(problem: Problem) -> list[Leaf]:
    """The scenario values the problem's parameters set, in the model base (events cut with the horizon are
    gone; a base of 0 multiplied stays 0 and is not free)."""
    document = problem.model_base.to_dict()
    dates = event_dates(problem.model_base)
    leaves = []
    for i, parameter in enumerate(problem.space):
        for path, base in zip(parameter.paths, parameter.base_values):
            if path.startswith("events.") and not _exists(document, path):
                continue  # an event after the last target date: cut from the model base
            if parameter.dated and path not in dates:
                raise NotCompilable(f"the compiled twin moves event dates only, not {path}")
            multiply = parameter.apply == "multiply"
            if multiply and base == 0:
                continue
            leaves.append(Leaf(path=path, parameter=i, multiply=multiply, base=float(base) if multiply else 0.0))
    return leaves


def _exists(document: dict, path: str) -> bool:
    from ..scenario import paths

    return bool(paths.expand(document, path))


def size_log_sd_bound(problem: Problem) -> float:
    """The largest size dispersion (``size_elasticity * size_dispersion``) over the base and each parameter at
    either end of its range, the others at their start."""
    def largest(scenario) -> float:
        return max(abs(level.hazard.size_elasticity) * level.size_dispersion
                   for level in scenario.agencies.levels.values())

    start = problem.space.start()
    bound = largest(problem.model_base)
    for i in range(len(problem.space)):
        for end in (0.0, 1.0):
            z = start.copy()
            z[i] = end
            bound = max(bound, largest(problem.scenario(z)))
    return bound * SIZE_LOG_SD_MARGIN


def _pick(problem: Problem) -> Callable:
    """From the twin's daily series to the targets' values, ``(T,)``."""
    start = problem.targets.start
    picks = []
    for target in problem.targets.targets:
        if target.date is not None:
            picks.append((target.metric, (target.date - start).days, None))
        else:
            before = (target.period.start - start).days - 1
            picks.append((target.metric, (target.period.end - start).days, before if before >= 0 else None))

    def pick(series):
        import jax.numpy as jnp

        return jnp.stack([series[metric][end] - (series[metric][before] if before is not None else 0.0)
                          for metric, end, before in picks])

    return pick


class ProblemTwin:
    """The compiled twin of a problem: ``values(z)`` for points ``(N, n)`` of the cube -> ``(N, T)``."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.leaves = free_leaves(problem)
        metrics = set(problem.targets.metrics)
        self.twin = CompiledTwin(problem.model_base, [leaf.path for leaf in self.leaves], days=problem.days,
                                 size_log_sd=size_log_sd_bound(problem))
        trace_check(self.twin)
        provided = self._provided()
        missing = sorted(metrics - provided)
        if missing:
            raise NotCompilable(f"the compiled twin does not compute {', '.join(missing)}")
        self.values = self.twin.function(_pick(problem), inputs=self.leaf_values)

    def _provided(self) -> set[str]:
        import jax

        with jax.enable_x64(True):
            shapes = jax.eval_shape(self.twin.series, jax.ShapeDtypeStruct((len(self.leaves),), np.float64))
        return set(shapes)

    def leaf_values(self, z):
        """The free leaves' values at unit coordinates ``z`` (``(n,)``, traced)."""
        import jax.numpy as jnp

        parameters = self.problem.space.parameters
        values = [parameters[i].values(z[i]) for i in range(len(parameters))]
        return jnp.stack([values[leaf.parameter] * leaf.base if leaf.multiply else values[leaf.parameter]
                          for leaf in self.leaves])

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(self.values(np.atleast_2d(np.asarray(z, float))), float)


def compiled_twin(problem: Problem) -> tuple[ProblemTwin | None, str]:
    """The problem's compiled twin and a note, or None and why not (the numpy twin then serves)."""
    try:
        return ProblemTwin(problem), "the compiled twin (jax)"
    except NotCompilable as exc:
        return None, f"the numpy twin ({exc})"
