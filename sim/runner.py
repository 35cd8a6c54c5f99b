"""Running replications of one scenario on the local cores.

Replication ``r`` is ``simulate(scenario, r)``: a pure function of the
scenario and ``r``, so results do not depend on which worker ran what or in
which order they finished; they are returned in replication order.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Sequence

from tqdm import tqdm

from .model import RunRecords, simulate
from .scenario import Scenario


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Replications:
    runs: list[RunRecords]
    wall_seconds: float
    workers: int


def _simulate(args: tuple[Scenario, int]) -> RunRecords:
    scenario, replication = args
    return simulate(scenario, replication)


def run_replications(scenario: Scenario, replications: Sequence[int], *, workers: int | None = None,
                     progress: bool = True, description: str | None = None,
                     scenarios: Sequence[Scenario] | None = None) -> Replications:
    """Run the given replication indices, on ``workers`` processes (all cores by default).

    ``scenarios[i]``, if given, is the scenario of replication ``replications[i]``
    (``scenario`` with its posterior draw: :func:`sim.posterior.scenarios_for`).
    """
    workers = max(1, min(workers or default_workers(), len(replications)))
    tasks = list(zip(scenarios if scenarios is not None else [scenario] * len(replications), replications))
    started = time.perf_counter()
    bar = tqdm(total=len(replications), desc=description or scenario.name, unit="run",
               disable=not progress, leave=False)
    try:
        if workers == 1:
            runs = []
            for task in tasks:
                runs.append(_simulate(task))
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                runs = []
                for run in pool.map(_simulate, tasks):
                    runs.append(run)
                    bar.update()
    finally:
        bar.close()
    return Replications(runs=runs, wall_seconds=time.perf_counter() - started, workers=workers)
