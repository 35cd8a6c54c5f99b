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
twin (:func:`sim.calibration.problem.models.twin_batch`): :func:`compiled_twin` says
why in its note.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ...model.compiled import CompiledTwin, trace_check
from ...model.parametric import NotCompilable, event_dates
from .problem import Problem

CHUNK = 256
"""Largest batch of one call of the compiled twin (measured: beyond a few hundred points per call the time per point
grows again)."""
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
    from ...scenario import paths

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
        """Target values ``(N, T)`` at points ``(N, n)``, in chunks of at most :data:`CHUNK` (the twin's loop keeps a
        day's record of every point: a large batch costs memory traffic, not only arithmetic)."""
        z = np.atleast_2d(np.asarray(z, float))
        return np.vstack([np.asarray(self.values(z[i:i + CHUNK]), float) for i in range(0, len(z), CHUNK)])


class Evaluator:
    """The twin a calibration evaluates: ``evaluator(z)`` for points ``(N, n)`` of the cube -> ``(N, T)`` target
    values, NaN rows for points a scenario refuses.  The compiled twin, in this process, when it serves the
    problem; otherwise the numpy twin (:func:`~.models.twin_batch`), in batches of
    :data:`~.models.BATCH` on ``workers``.  :attr:`note` says which, and why."""

    def __init__(self, problem: Problem, workers=None, *, compiled: bool = True):
        self.problem = problem
        self.workers = workers
        self.compiled: ProblemTwin | None = None
        if not compiled:
            self.note = "the numpy twin (asked for)"
            return
        try:
            self.compiled = ProblemTwin(problem)
            self.note = "the compiled twin (jax)"
        except NotCompilable as exc:
            self.note = f"the numpy twin ({exc})"

    def timing(self) -> tuple[float, float] | None:
        """Seconds of one evaluation alone and per point of a batch of 32, measured (the compiled twin's first
        call compiles it, so timing it would mislead); None for the numpy twin, whose history tells."""
        if self.compiled is None:
            return None
        z = np.tile(self.problem.space.start(), (32, 1))
        self(z[:1])
        started = time.perf_counter()
        self(z[:1])
        alone = time.perf_counter() - started
        self(z)
        started = time.perf_counter()
        self(z)
        return alone, (time.perf_counter() - started) / len(z)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(np.asarray(z, float))
        if len(z) == 0:
            return np.zeros((0, len(self.problem.targets)))
        if self.compiled is not None:
            return self.compiled(z)
        from .models import batches, twin_batch, twin_chunk

        chunks = batches(z)
        if self.workers is not None and self.workers.workers > 1 and len(chunks) > 1:
            return np.vstack(self.workers.map(twin_chunk, chunks))
        return np.vstack([twin_batch(self.problem, chunk) for chunk in chunks])

    def spread(self, z: np.ndarray) -> np.ndarray:
        """:meth:`__call__` for a large batch, its chunks spread over the workers (the values are the same wherever a
        point is evaluated: the compiled twin's value for a point does not depend on its batch)."""
        z = np.atleast_2d(np.asarray(z, float))
        workers = getattr(self.workers, "workers", 1)
        if self.compiled is None or workers <= 1 or len(z) <= CHUNK:
            return self(z)
        return np.vstack(self.workers.map(_evaluate_chunk, [z[i:i + CHUNK] for i in range(0, len(z), CHUNK)]))

    def __reduce__(self):
        # In a worker (profiles, chains): the worker's own evaluator of the problem it holds.
        return (worker_evaluator, ())


def _evaluate_chunk(z: np.ndarray) -> np.ndarray:
    return worker_evaluator()(z)


def worker_evaluator() -> Evaluator:
    """The twin of the calibration whose task runs here (:class:`~.models.WorkerContext`), built on first use:
    each worker compiles it once (or loads it from jax's compilation cache)."""
    from .models import worker_context

    held = worker_context()
    if held.evaluator is None:
        held.evaluator = Evaluator(held.problem)
    return held.evaluator
