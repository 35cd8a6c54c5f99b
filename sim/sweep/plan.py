"""The plan: every point's scenario and every run's key.

A run is identified by a content hash of what determines its result: the
canonical JSON of the point's resolved scenario, the replication index and
the model version.  Replication ``r`` of every point uses the sweep's seed and
``SeedSequence(seed, spawn_key=(r,))`` (common random numbers across points),
so a run's numbers depend on nothing but its key: not on the worker, the
executor, or the order in which runs finish.

With a posterior (:mod:`sim.posterior`), replication ``r`` of every point
also takes the posterior draw ``d_r`` over the parameters the sweep does not
vary, and its key is that of the scenario it runs (the point's, with the draw
applied), so a resumed sweep finds exactly the runs it made.

Points are checked (every scenario re-validated) when the plan is made, before
any output exists; the plan keeps only overrides and keys, and rebuilds a
point's scenario when its runs are sent out, so memory does not grow with the
size of the scenarios.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Callable

from ..model import simulate
from ..posterior import DrawnModel
from ..scenario import Scenario
from ..versioning import model_version as current_model_version
from .design import Design, build
from .resolve import Sweep


def canonical_json(document) -> str:
    """Sorted keys, no whitespace, ASCII: equal documents give equal text."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def run_key(scenario_document: dict, replication: int, model_version: str | None = None) -> str:
    """SHA-256 of (resolved scenario, replication, model version: by default this process's)."""
    model_version = model_version or current_model_version()
    text = canonical_json({"scenario": scenario_document, "replication": replication, "model_version": model_version})
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def point_ids(count: int) -> list[str]:
    width = max(4, len(str(count - 1)))
    return [f"p{i:0{width}d}" for i in range(count)]


@dataclass(frozen=True, eq=False)
class Point:
    id: str
    index: int
    values: tuple
    """Parameter values, in parameter order."""
    overrides: dict
    keys: tuple[str, ...]
    """Run key of each replication."""


class Plan:
    def __init__(self, sweep: Sweep, design: Design, points: list[Point]):
        self.sweep = sweep
        self.design = design
        self.points = points

    @classmethod
    def make(cls, sweep: Sweep) -> "Plan":
        design = build(sweep)
        points = []
        replications = range(sweep.spec.replications)
        for index, (pid, values) in enumerate(zip(point_ids(len(design.points)), design.points)):
            overrides = {}
            for parameter, value in zip(sweep.parameters, values):
                overrides.update(parameter.overrides(value))
            scenario = sweep.base.with_overrides(overrides, source=f"{sweep.source}: point {pid}")
            if sweep.posterior is None:
                document = scenario.to_dict()
                keys = tuple(run_key(document, r) for r in replications)
            else:  # each replication's own scenario (its draw applied), checked now and keyed by what it runs
                keys = tuple(run_key(sweep.posterior.scenario(scenario, r).to_dict(), r) for r in replications)
            points.append(Point(pid, index, values, overrides, keys))
        return cls(sweep, design, points)

    @property
    def runs(self) -> int:
        return len(self.points) * self.sweep.spec.replications

    def scenario(self, point: Point) -> Scenario:
        """The point's scenario; with a posterior, :meth:`model` applies each replication's draw to it."""
        return self.sweep.base.with_overrides(point.overrides, source=f"{self.sweep.source}: point {point.id}")

    def model(self, model: Callable = simulate) -> Callable:
        """``model`` as the runs call it: on the replication's posterior draw, if the sweep has a posterior."""
        return model if self.sweep.posterior is None else DrawnModel(model, self.sweep.posterior)

    def parameter_values(self, point: Point) -> dict[str, object]:
        return {p.name: json_value(v) for p, v in zip(self.sweep.parameters, point.values)}

    def unique_runs(self) -> list[tuple[str, Point, int]]:
        """``(key, point, replication)`` of each distinct run, in point and replication order."""
        seen, runs = set(), []
        for point in self.points:
            for r, key in enumerate(point.keys):
                if key not in seen:
                    seen.add(key)
                    runs.append((key, point, r))
        return runs


def json_value(value):
    return value.isoformat() if isinstance(value, dt.date) else value
