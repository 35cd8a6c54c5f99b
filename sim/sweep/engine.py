"""Running the runs a sweep still needs, and storing each the moment it finishes."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable

from tqdm import tqdm

from ..errors import InputError
from ..execution import Executor
from ..model import simulate
from ..versioning import model_version
from .plan import Plan
from .store import SweepStore
from .worker import RunTask, execute


@dataclass(frozen=True)
class Progress:
    total: int
    cached: int
    done: int
    seconds: float


def tasks_for(plan: Plan, runs, model: Callable = simulate):
    """The tasks of ``runs`` (``(key, point, replication)``), built lazily, one point's scenario at a time."""
    sweep = plan.sweep
    current, scenario = None, None
    for key, point, replication in runs:
        if point is not current:
            current, scenario = point, plan.scenario(point)
        yield RunTask(key=key, scenario=scenario, replication=replication, columns=sweep.columns,
                      summaries=sweep.summaries, curve=sweep.curve, model=model)


def cached_runs(plan: Plan, store: SweepStore) -> int:
    """How many of the plan's distinct runs the store already holds."""
    return sum(store.has(key) for key, _, _ in plan.unique_runs())


def run_sweep(plan: Plan, store: SweepStore, executor: Executor, *, progress: bool = True,
              model: Callable = simulate) -> Progress:
    """Execute every run not yet in ``store``; each result is written as soon as it arrives."""
    unique = plan.unique_runs()
    todo = [run for run in unique if not store.has(run[0])]
    cached = len(unique) - len(todo)
    started = time.perf_counter()
    bar = tqdm(total=len(unique), initial=cached, desc=plan.sweep.name, unit="run", disable=not progress,
               dynamic_ncols=True, postfix={"cached": cached})
    done = 0
    try:
        for record_json in executor.imap_unordered(execute, tasks_for(plan, todo, model)):
            key = _checked_key(record_json)
            store.put(key, record_json)
            done += 1
            bar.update()
    finally:
        bar.close()
    return Progress(total=len(unique), cached=cached, done=done, seconds=time.perf_counter() - started)


def _checked_key(record_json: bytes) -> str:
    """The record's key, after checking the worker ran this model version."""
    record = json.loads(record_json)
    if record["model_version"] != model_version():
        raise InputError(f"expected workers running bandwagon {model_version()}, but one runs "
                         f"{record['model_version']}", source="--scheduler")
    return record["key"]
