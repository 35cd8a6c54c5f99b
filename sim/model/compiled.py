"""The compiled twin: the mean-field twin as one jax function of the free parameters, batched and differentiable.

The numpy twin (:mod:`.meanfield`) solves a list of validated scenarios; a
calibration's sampler asks for hundreds of thousands of points, and building and
validating a scenario per point, then re-applying its dated events, cost more
than the solution itself.  The compiled twin instead takes the structure once (a
scenario: horizon, platforms, levels, provinces, named accounts, events) and the
dotted paths of its *free* leaves, and returns a function of their values that
``jax.jit`` compiles and ``jax.vmap`` batches: a parameter vector becomes arrays
once (:mod:`.parametric`: dated events as day masks, not segments), and each
mechanism's daily steps run in one compiled loop (``jax.lax.scan``).

Each mechanism brings its part (:class:`Compiled`, ``Definition.compiled``),
written with the same rate functions as its engine and its numpy twin
(:mod:`.arithmetic` dispatches them to ``jax.numpy``), so the three views of a
mechanism share one definition; where the compiled part's solver differs from
the numpy twin's (a daily scheme instead of an adaptive ODE solver) its
docstring says how, and ``tests/test_compiled_twin.py`` holds the two within
1e-4 in log on prior draws.  Being jax, the function has gradients (for NUTS)
and would run on an accelerator.

jax computes in single precision unless told otherwise; the twin needs double
precision (counts of hundreds of millions moved by daily probabilities of 1e-6),
so every trace and call runs inside ``jax.enable_x64(True)``, never setting it for
the whole process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..scenario import paths
from ..scenario.schema import Scenario
from .mechanism import mechanisms
from .parametric import NotCompilable, as_day, check_commuting, day_view, event_dates, substitute

DEFAULT_SIZE_LOG_SD = 0.8
"""Largest size dispersion (log sd of the agencies' weights, ``size_elasticity * size_dispersion``) the default
quadrature serves to about 1e-5 (:func:`sim.model.mechanisms.adoption.meanfield.nodes_for`)."""


@dataclass
class Context:
    """What a mechanism's compiled part sees while the twin is traced, for one member (``vmap`` batches it)."""

    structure: Scenario
    """The scenario every member shares: read shapes, launches, names and counts of things from it."""
    static: Scenario
    """The scenario at the start, the free leaves substituted (traced): read initial values from it."""
    event_days: dict[str, Any]
    """The day of each event whose date is free (traced)."""
    days: int
    xp: Any
    """``jax.numpy``."""
    lax: Any
    """``jax.lax``."""
    options: dict
    shared: dict = field(default_factory=dict)
    """What a mechanism leaves for those of a higher order (as in the numpy twin)."""

    def on(self, day) -> Scenario:
        """The scenario in force on ``day`` (the loop's traced day): read the day's rates from it, inside the loop,
        so that no ``(days, ...)`` array of parameters is ever built (memory traffic, not arithmetic, is what a
        daily loop over a batch pays for)."""
        return day_view(self.static, self.structure, day, self.event_days, self.xp)


class Compiled:
    """A mechanism's part of the compiled twin.

    A part that moves day by day takes part in the twin's one daily loop, as a mechanism takes part in a run's
    day: :meth:`start` gives its state before day 0, and :meth:`step` moves it over day ``d`` (traced), after
    the parts of a lower order, whose values of the day it reads in ``today``.  It returns its new state and
    what it records of the day (arrays); what it records is also in ``today`` for the parts of a higher order,
    and, after the loop, in ``context.shared`` as ``(days, ...)`` series, from which :meth:`solve` makes its
    metrics.  Records are few arrays rather than one number per metric: in a compiled loop every separate
    output costs a step of the loop its own pass.  A part that runs over part of the horizon only (a named
    account from its launch) has no :meth:`step` and computes its series in :meth:`solve`.
    """

    def __init__(self, context: Context) -> None:
        self.context = context

    daily = False
    """True: :meth:`start` and :meth:`step` take part in the daily loop."""

    def start(self) -> Any:
        raise NotImplementedError

    def step(self, day, state, today: dict) -> tuple[Any, dict[str, Any]]:
        """``(state after the day, the day's records)``."""
        raise NotImplementedError

    def solve(self) -> dict[str, Any]:
        """Metrics as ``(days,)`` series, after the daily loop (``context.shared`` holds every daily record)."""
        return {}


class CompiledTwin:
    """The twin of ``structure`` as a function of the values of its ``free`` leaves (dotted paths, no wildcards).

    A free leaf is a number of the scenario (a count is rounded to a whole number, with the gradient of the
    unrounded value passing through), or the date of an event (its value a proleptic ordinal,
    ``datetime.date.toordinal``).  Leaves the twin cannot trace (a launch date, a team's size, a window's
    length in days) raise :class:`~.parametric.NotCompilable` when the function is first traced.
    """

    def __init__(self, structure: Scenario, free: Sequence[str], *, days: int | None = None,
                 size_log_sd: float = DEFAULT_SIZE_LOG_SD):
        self.structure = structure
        self.free = tuple(free)
        self.days = structure.horizon.days if days is None else max(1, min(int(days), structure.horizon.days))
        document = structure.to_dict()
        dates = event_dates(structure)
        self.integer = []
        for path in self.free:
            if paths.WILDCARD in paths.split(path) or not paths.expand(document, path):
                raise NotCompilable(f"expected a path to one value of the scenario, got {path!r}")
            value = paths.get(document, path)
            if path in dates:
                self.integer.append(False)
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise NotCompilable(f"the compiled twin varies numbers and event dates, not {path} ({value!r})")
            else:
                self.integer.append(isinstance(value, int))
        check_commuting(structure, self.free)
        self.dates = dates
        from .mechanisms.adoption.meanfield import nodes_for

        self.options = {"size_nodes": nodes_for(size_log_sd)}
        self._compiled: dict[tuple, Callable] = {}

    def series(self, values) -> dict[str, Any]:
        """Every metric's expected daily series for one member (``values``: ``(free,)``); traceable."""
        import jax
        import jax.numpy as jnp

        static = self.structure
        event_days = {}
        for i, path in enumerate(self.free):
            value = values[i]
            if path in self.dates:
                event_days[self.dates[path]] = as_day(self.structure, value)
                continue
            if self.integer[i]:
                value = value + jax.lax.stop_gradient(jnp.round(value) - value)
            static = substitute(static, path, value)
        context = Context(structure=self.structure, static=static, event_days=event_days, days=self.days, xp=jnp,
                          lax=jax.lax, options=self.options)
        parts = []
        for definition in mechanisms():
            if definition.compiled is None:
                raise NotCompilable(f"the mechanism {definition.name!r} has no compiled twin")
            parts.append(definition.compiled(context))
        daily = [part for part in parts if part.daily]

        layout: list[tuple[str, tuple[int, ...]]] = []

        def day(states, d):
            today: dict[str, Any] = {}
            after = []
            for part, state in zip(daily, states):
                state, records = part.step(d, state, today)
                after.append(state)
                today.update(records)
            if not layout:  # the same at every step: what each slice of the day's record holds
                layout.extend((name, jnp.shape(value)) for name, value in today.items())
            # One record a day: every output of a loop step costs the loop a pass of its own.
            return tuple(after), jnp.concatenate([jnp.ravel(value) for value in today.values()])

        _, record = jax.lax.scan(day, tuple(part.start() for part in daily), np.arange(self.days))
        offset = 0
        for name, shape in layout:
            size = int(np.prod(shape))
            context.shared[name] = record[:, offset:offset + size].reshape((self.days, *shape))
            offset += size
        metrics: dict[str, Any] = {}
        for part in parts:
            metrics.update(part.solve())
        return metrics

    def function(self, pick: Callable[[dict[str, Any]], Any],
                 inputs: Callable[[Any], Any] | None = None) -> Callable[[np.ndarray], Any]:
        """A compiled, batched function: ``(N, free)`` values -> ``pick(series)`` of each, stacked ``(N, ...)``
        (numpy arrays, in whatever structure ``pick`` returns).

        ``pick`` chooses what leaves the compiled function (e.g. the targets' days of their metrics); what it
        does not use is never computed.  ``inputs`` maps a row of the input to the free leaves' values (e.g. a
        calibration's unit coordinates to the parameters' values and on to the leaves), compiled with the rest."""
        import jax

        use_compilation_cache()
        inputs = inputs or (lambda values: values)
        batched = jax.jit(jax.vmap(lambda row: pick(self.series(inputs(row)))))

        def run(values: np.ndarray):
            with jax.enable_x64(True):
                return jax.tree.map(np.asarray, batched(np.asarray(values, dtype=float)))

        return run

    def traceable(self, pick: Callable[[dict[str, Any]], Any]) -> Callable:
        """``values (free,) -> pick(series)`` for one member, to be composed inside a larger jax function (a
        log posterior and its gradient); call it under ``jax.enable_x64(True)``."""
        return lambda values: pick(self.series(values))


def use_compilation_cache() -> None:
    """Keep compiled twins on disk (jax's persistent compilation cache): a twin takes tens of seconds to compile,
    and every worker process of a calibration, and every later calibration of the same structure, would
    compile it again.  The directory is ``$BANDWAGON_JAX_CACHE``, by default ``~/.cache/bandwagon/jax``; jax keys
    each entry by the program, its own version and the machine, so a stale entry is never used."""
    import jax

    if jax.config.jax_compilation_cache_dir is None:
        jax.config.update("jax_compilation_cache_dir", os.environ.get(
            "BANDWAGON_JAX_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "bandwagon", "jax")))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


def trace_check(twin: CompiledTwin) -> None:
    """Trace the twin once (no computation) so that a free leaf it cannot vary is refused now, as a
    :class:`~.parametric.NotCompilable` naming the leaf, not later inside a sampler."""
    import jax

    with jax.enable_x64(True):
        try:
            jax.eval_shape(jax.vmap(twin.series), jax.ShapeDtypeStruct((2, len(twin.free)), np.float64))
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
                jax.errors.TracerIntegerConversionError, TypeError) as exc:
            leaf = _leaf_in(str(exc), twin.free)
            raise NotCompilable(f"the compiled twin cannot vary {leaf or 'one of the free leaves'}: it sets the "
                                f"scenario's structure (e.g. a date, a size, a length in days)") from exc


def _leaf_in(message: str, free: Sequence[str]) -> str | None:
    return next((path for path in free if path in message), None)
