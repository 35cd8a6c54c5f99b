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
from .posterior import assign, chosen, manifest_entry
from .scenario import Scenario
from .versioning import model_version

__all__ = ["Replications", "default_workers", "replicate", "run_replications"]


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


def replicate(scenario: Scenario, replications: int | None = None, *, workers: int = 1,
              posterior: str | None = None, no_posterior: bool = False, progress: bool = False):
    """Replications ``0..replications-1`` of ``scenario`` as a pandas frame: the notebook's ``bandwagon run``.

    Rows ``(replication, date)``, one column per metric (see
    :mod:`sim.results.frames`); nothing is written.  ``replications``
    defaults to the scenario's; ``workers`` > 1 runs them on a local process
    pool (the numbers are the same).  As ``bandwagon run``, a scenario that
    names a posterior (or ``posterior=DIR``) gives replication ``r`` its draw
    (``no_posterior=True``: replication noise only); ``frame.attrs["holds"]``
    says which uncertainty the spread of the replications holds.

        >>> runs = replicate(Scenario.from_yaml("scenarios/baseline.yaml"), 4)
        >>> runs["gov_accounts.sina"].unstack("replication").tail(1)
    """
    from .results.frames import frame

    n = scenario.replications if replications is None else int(replications)
    if n < 1:
        raise ValueError(f"expected at least 1 replication, got {replications}")
    drawn = chosen(scenario.posterior, posterior, no_posterior)
    scenarios, holds = None, "replication noise only"
    if drawn is not None:
        assignment = assign(drawn, scenario, n)
        scenarios = assignment.scenarios(scenario)
        entry = manifest_entry(drawn, assignment)
        holds = f"parameter uncertainty (posterior from {entry['calibration']}) and replication noise"
    runs = run_replications(scenario, range(n), workers=workers, progress=progress, scenarios=scenarios).runs
    return frame(runs, holds=holds, model_version=model_version())
