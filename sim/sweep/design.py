"""Designs: which parameter values a sweep visits.

``grid``
    Every combination of the parameters' values (the first parameter varies
    slowest).
``one_at_a_time``
    A baseline point, then each parameter over its values with the others at
    their baselines (values equal to the baseline are not repeated).
``lhs``
    A Latin hypercube of ``samples`` points (McKay, Beckman and Conover 1979),
    ``scipy.stats.qmc.LatinHypercube``.
``sobol``
    Saltelli's scheme for Sobol' indices (Saltelli et al. 2010, Computer
    Physics Communications 181, 259-270): a scrambled Sobol' sequence of
    ``2d`` dimensions gives two ``N x d`` matrices A and B, and each of the
    ``d`` matrices AB_i is A with column i taken from B; ``N (d + 2)`` points
    in all, in the order A, B, AB_1, ..., AB_d.  This is the layout
    ``scipy.stats.sobol_indices`` expects.

Continuous draws are mapped to values by each parameter's range (uniform on
the value or, for log spacing, on its logarithm); a list of values is drawn
as equally likely items.  Sampling draws from a generator of its own, derived
from the sweep's seed, so the design never shares random numbers with a run.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from ..streams import Streams
from .resolve import Sweep

DESIGN_SPAWN_KEY = 2**40
"""Spawn key of the sweep's own streams: replications use ``(r,)``, far below it."""


def design_generator(seed: int, name: str = "design") -> np.random.Generator:
    """A generator for sweep-level sampling, independent of every replication's streams."""
    return Streams(np.random.SeedSequence(seed, spawn_key=(DESIGN_SPAWN_KEY,))).generator(name)


@dataclass(frozen=True)
class Design:
    points: list[tuple]
    """One tuple of values (in parameter order) per point."""
    sobol_n: int | None = None
    """For sobol designs: the base sample N (points are A, B, AB_1..AB_d, N each)."""


def saltelli(n: int, d: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit-cube matrices ``A``, ``B`` (``n x d``) and ``AB`` (``d x n x d``), as in scipy's ``sobol_indices``."""
    sample = qmc.Sobol(d=2 * d, scramble=True, bits=64, rng=rng).random(n)
    a, b = sample[:, :d], sample[:, d:]
    ab = np.repeat(a[np.newaxis], d, axis=0)
    for i in range(d):
        ab[i, :, i] = b[:, i]
    return a, b, ab


def build(sweep: Sweep) -> Design:
    spec = sweep.spec
    specs = [spec.parameters[p.name] for p in sweep.parameters]
    if spec.design == "grid":
        return Design(points=list(itertools.product(*(s.grid_values("grid") for s in specs))))
    if spec.design == "one_at_a_time":
        baselines = [s.baseline if s.baseline is not None else p.default_baseline(sweep.source)
                     for s, p in zip(specs, sweep.parameters)]
        points = [tuple(baselines)]
        for i, s in enumerate(specs):
            for value in s.grid_values("one_at_a_time"):
                if value != baselines[i]:
                    points.append(tuple(value if j == i else b for j, b in enumerate(baselines)))
        return Design(points=points)
    rng = design_generator(spec.seed)
    d = len(specs)
    if spec.design == "lhs":
        unit = qmc.LatinHypercube(d=d, rng=rng).random(spec.samples)
        return Design(points=[_from_unit(specs, row) for row in unit])
    a, b, ab = saltelli(spec.samples, d, rng)
    rows = np.concatenate([a, b, ab.reshape(-1, d)])
    return Design(points=[_from_unit(specs, row) for row in rows], sobol_n=spec.samples)


def _from_unit(specs, row) -> tuple:
    return tuple(s.from_unit(float(u)) for s, u in zip(specs, row))
