"""Evaluating candidates: the mean field and the stochastic model, the budget, the history.

Every evaluation, of either model, is recorded in the :class:`History`
(``history.csv``) and cached by its unit coordinates, so least squares asking
twice for the same point costs nothing.  The stochastic model runs the same
replication indices for every candidate (common random numbers, the spec's
``first_replication`` onwards), on the :class:`Workers` (the executor of
:mod:`sim.execution`: in-process, local processes or Dask); the mean field
runs in the calling process or, for batches (a population of the global
search, the profiles), on the workers too, in chunks.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ...errors import InputError
from ...execution import make_executor, task_context
from ...model import simulate
from ...model.meanfield import MeanFieldRecords, meanfield, meanfield_batch
from .objective import Point, point
from .problem import Problem

INVALID_ERROR = 10.0
"""Log error given to every target of a candidate the scenario format refuses (e.g. a ceiling below
the starting value): far worse than any real fit, yet finite for the optimisers."""


class BudgetExhausted(Exception):
    """The calibration's budget is spent: stop and report the best point so far."""


class Budget:
    """Evaluations of the stochastic model and wall-clock time, whichever runs out first."""

    def __init__(self, evaluations: int | None, minutes: float | None):
        self.evaluations = evaluations
        self.seconds = None if minutes is None else 60.0 * minutes
        self.started = time.perf_counter()
        self.used = 0
        self.durations: list[float] = []
        self.stopped: str | None = None
        """Why a stage stopped early, if it did."""
        self.extra = 0
        """Evaluations granted beyond the budget (one at the fit when the budget allowed none)."""

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def remaining(self) -> float:
        return math.inf if self.seconds is None else self.seconds - self.elapsed()

    def typical(self) -> float:
        """Median wall time of one stochastic evaluation so far (0 before the first)."""
        return float(np.median(self.durations)) if self.durations else 0.0

    def evaluations_left(self) -> float:
        return math.inf if self.evaluations is None else self.evaluations + self.extra - self.used

    def check(self, reserve: float = 0.0, evaluations: int = 0) -> None:
        """Raise :class:`BudgetExhausted` unless one more stochastic evaluation fits, keeping ``reserve``
        seconds and ``evaluations`` evaluations back."""
        if self.evaluations_left() - evaluations < 1:
            kept = (f", keeping {evaluations} back for the Jacobian at the fit" if evaluations
                    and self.evaluations_left() >= 1 else "")
            self.stopped = self.stopped or (f"evaluation budget ({self.evaluations}) reached after {self.used} "
                                            f"stochastic evaluation{'s' if self.used != 1 else ''}{kept}")
            raise BudgetExhausted(self.stopped)
        if self.remaining() - reserve < self.typical():
            kept = f", keeping {reserve:.0f} s back for the analysis and the files" if reserve >= 1 else ""
            self.stopped = self.stopped or (f"time budget ({self.seconds / 60:g} min) reached after "
                                            f"{self.elapsed():.0f} s{kept}")
            raise BudgetExhausted(self.stopped)

    def charge(self, seconds: float) -> None:
        self.used += 1
        self.durations.append(seconds)


@dataclass
class Record:
    stage: str
    model: str
    elapsed: float
    seconds: float
    point: Point


@dataclass
class History:
    """Every evaluation, in order."""

    records: list[Record] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def add(self, stage: str, model: str, p: Point, seconds: float) -> None:
        self.records.append(Record(stage, model, time.perf_counter() - self.started, seconds, p))

    def count(self, model: str) -> int:
        return sum(1 for r in self.records if r.model == model)


def _key(z: np.ndarray) -> tuple:
    return tuple(np.round(np.asarray(z, float), 12).tolist())


# --- workers ------------------------------------------------------------------------------
class WorkerContext:
    """What each of a calibration's workers holds: the problem, sent once (:class:`Workers`' initializer), and
    its twin, built there on first use (:func:`~.twin.worker_evaluator`: each worker compiles it once, or loads it
    from jax's compilation cache).

    The executor keeps it per worker under its own name and hands it to the calibration's tasks
    (:func:`worker_context`); no module holds it, so two calibrations in one process never share one."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.evaluator = None
        """The problem's twin in this worker (:class:`~.twin.Evaluator`), once a task has needed it."""


def worker_context() -> WorkerContext:
    """The context of the calibration whose task is running here (:func:`sim.execution.task_context`)."""
    return task_context()


def _replicate(args) -> dict[str, np.ndarray]:
    scenario, replication = args
    return simulate(scenario, replication).metrics


def _meanfield_values(z: np.ndarray) -> np.ndarray | None:
    return meanfield_values(worker_context().problem, z)


def meanfield_values(problem: Problem, z: np.ndarray) -> np.ndarray | None:
    """The mean field's target values at ``z``; None for a candidate the scenario format refuses."""
    try:
        scenario = problem.scenario(z)
    except InputError:
        return None
    return problem.targets.values(meanfield(scenario, days=problem.days).metrics)


def twin_batch(problem: Problem, z: np.ndarray) -> np.ndarray:
    """The mean field's target values at points ``(N, n)`` of the cube, solved together
    (:func:`sim.model.meanfield.meanfield_batch`: numpy over the batch); NaN rows where the scenario refuses a
    point."""
    out = np.full((len(z), len(problem.targets)), np.nan)
    scenarios, rows = [], []
    for i, zi in enumerate(z):
        try:
            scenarios.append(problem.scenario(zi))
        except InputError:
            continue
        rows.append(i)
    if scenarios:
        for i, records in zip(rows, meanfield_batch(scenarios, days=problem.days)):
            out[i] = problem.targets.values(records.metrics)
    return out


BATCH = 16
"""Points solved together by the batched mean field.  Fixed, whatever the number of workers: the batch's
ODE shares its adaptive steps, so its members' values (to the solver's tolerance) depend on who else is
in it, and the same candidates must meet in the same batches on one worker or many (bit for bit)."""


def batches(z: np.ndarray) -> list[np.ndarray]:
    """``z`` cut into consecutive batches of :data:`BATCH` points."""
    return [z[i:i + BATCH] for i in range(0, len(z), BATCH)]


def twin_chunk(z: np.ndarray) -> np.ndarray:
    """:func:`twin_batch` in a worker (which holds the problem)."""
    return twin_batch(worker_context().problem, z)


class Workers:
    """The calibration's executor (:mod:`sim.execution`), with the problem sent once to every worker
    (:class:`WorkerContext`).

    ``workers`` local processes (all cores by default; one: in this process), or a Dask
    ``scheduler`` (``local`` or ``tcp://host:port``).  :meth:`map` returns results in the
    order of the items, so nothing depends on where each evaluation ran.
    """

    def __init__(self, problem: Problem, workers: int | None = None, scheduler: str | None = None):
        self.problem = problem
        self.executor = make_executor(scheduler, workers, initializer=WorkerContext, initargs=(problem,))

    @property
    def workers(self) -> int:
        return self.executor.workers

    def map(self, fn, items: list, chunksize: int = 1) -> list:
        return list(self.executor.map(fn, items, chunksize=chunksize))

    def close(self, interrupted: bool = False) -> None:
        self.executor.close(interrupted)

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.close(interrupted=exc_type is not None)


# --- the two models -------------------------------------------------------------------------
class MeanFieldModel:
    """The mean-field objective (:mod:`sim.model.meanfield`), cached and recorded, on the problem's twin
    (:class:`~.twin.Evaluator`: compiled when it can be)."""

    name = "meanfield"

    def __init__(self, problem: Problem, history: History, evaluator, workers: Workers | None = None):
        self.problem = problem
        self.history = history
        self.workers = workers
        self.evaluator = evaluator
        """The problem's twin (:class:`~.twin.Evaluator`): ``evaluator(z)`` for points ``(N, n)`` -> ``(N, T)``."""
        self.cache: dict[tuple, Point] = {}

    def _point(self, z: np.ndarray, values: np.ndarray | None) -> Point:
        targets = self.problem.targets
        if values is None:
            values = np.array([t.value * math.exp(INVALID_ERROR) for t in targets.targets])
        return point(targets, z, values)

    def __call__(self, z: np.ndarray, stage: str) -> Point:
        return self.batch([np.asarray(z, float)], stage)[0]

    def batch(self, zs: list[np.ndarray], stage: str) -> list[Point]:
        """Many candidates at once (one call of the twin)."""
        todo = [z for z in dict((_key(z), z) for z in zs).values() if _key(z) not in self.cache]
        if todo:
            started = time.perf_counter()
            values = self.evaluator(np.asarray(todo, float))
            each = (time.perf_counter() - started) / len(todo)
            for z, v in zip(todo, values):
                p = self._point(z, None if np.isnan(v).any() else v)
                self.cache[_key(z)] = p
                self.history.add(stage, self.name, p, each)
        return [self.cache[_key(z)] for z in zs]

    def records(self, z: np.ndarray, full: bool = True) -> MeanFieldRecords:
        """Every metric of the mean field at ``z`` (the whole base horizon if ``full``)."""
        scenario = self.problem.full_scenario(z) if full else self.problem.scenario(z)
        return meanfield(scenario)


class StochasticModel:
    """The replication mean of the stochastic model, with common random numbers."""

    name = "stochastic"

    def __init__(self, problem: Problem, history: History, budget: Budget, workers: Workers):
        self.problem = problem
        self.history = history
        self.budget = budget
        self.workers = workers
        self.cache: dict[tuple, Point] = {}
        self.series: dict[tuple, dict[str, np.ndarray]] = {}
        """Daily series ``(R, days)`` of the target metrics at each evaluated point."""
        self.reserve = 0.0
        """Seconds the budget keeps back for the analysis and the outputs."""
        self.reserve_evaluations = 0
        """Stochastic evaluations the budget keeps back (a Jacobian at the fit)."""

    def __call__(self, z: np.ndarray, stage: str, force: bool = False) -> Point:
        """The stochastic mean at ``z`` (cached); ``force``: run it whatever the budget says (the fit, when the
        budget allowed no evaluation at all: its time may all have gone to compiling the twin)."""
        key = _key(z)
        if key in self.cache:
            return self.cache[key]
        if not force:
            self.budget.check(self.reserve + self.reserve_evaluations * self.budget.typical(),
                              evaluations=self.reserve_evaluations)
        started = time.perf_counter()
        targets = self.problem.targets
        try:
            scenario = self.problem.scenario(z)
        except InputError:
            values = np.array([t.value * math.exp(INVALID_ERROR) for t in targets.targets])
            p = point(targets, z, values)
        else:
            runs = self.workers.map(_replicate, [(scenario, r) for r in self.problem.replications])
            series = {m: np.stack([run[m] for run in runs]) for m in targets.metrics}
            replicates = targets.values(series)
            p = point(targets, z, replicates.mean(axis=0), replicates)
            self.series[key] = series
        seconds = time.perf_counter() - started
        self.budget.charge(seconds)
        self.cache[key] = p
        self.history.add(stage, self.name, p, seconds)
        return p

    def series_at(self, z: np.ndarray) -> dict[str, np.ndarray] | None:
        return self.series.get(_key(z))
