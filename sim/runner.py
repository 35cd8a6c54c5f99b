"""Running replications of one scenario, on whichever executor (:mod:`sim.execution`).

Replication ``r`` is ``simulate(scenario, r)``: a pure function of the
scenario and ``r``, so results do not depend on which worker ran what or in
which order they finished; they are returned in replication order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from tqdm import tqdm

from .execution import Executor, default_workers, make_executor
from .model import RunRecords, simulate
from .scenario import Scenario

__all__ = ["Replications", "default_workers", "run_replications"]


@dataclass(frozen=True)
class Replications:
    runs: list[RunRecords]
    wall_seconds: float
    workers: int
    executor: str


def _simulate(args: tuple[Scenario, int]) -> RunRecords:
    scenario, replication = args
    return simulate(scenario, replication)


def run_replications(scenario: Scenario, replications: Sequence[int], *, executor: Executor | None = None,
                     workers: int | None = None, progress: bool = True,
                     description: str | None = None, scenarios: Sequence[Scenario] | None = None) -> Replications:
    """Run the given replication indices on ``executor`` (default: ``workers`` local processes, all cores).

    ``scenarios[i]``, if given, is the scenario of replication ``replications[i]``
    (``scenario`` with its posterior draw: :func:`sim.posterior.scenarios_for`).
    """
    if executor is None:
        with make_executor(None, workers, tasks=len(replications)) as local:
            return run_replications(scenario, replications, executor=local, progress=progress,
                                    description=description, scenarios=scenarios)
    tasks = list(zip(scenarios if scenarios is not None else [scenario] * len(replications), replications))
    started = time.perf_counter()
    bar = tqdm(total=len(replications), desc=description or scenario.name, unit="run",
               disable=not progress, leave=False)
    runs = []
    try:
        for run in executor.map(_simulate, tasks):
            runs.append(run)
            bar.update()
    finally:
        bar.close()
    return Replications(runs=runs, wall_seconds=time.perf_counter() - started, workers=executor.workers,
                        executor=executor.description)
