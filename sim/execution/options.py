"""``--workers`` and ``--scheduler``, the same on every command that runs the model, and the executor they ask for."""

from __future__ import annotations

import argparse
from typing import Callable

from ..errors import InputError
from .base import Executor, default_workers
from .cluster import DaskCluster, check_address
from .local import InProcess, LocalPool

WORKERS_HELP = ("worker processes (default: all cores); with --scheduler local, the LocalCluster's workers; "
                "ignored with a scheduler address (its workers decide)")
SCHEDULER_HELP = "run on a Dask scheduler (tcp://host:8786) or on a Dask LocalCluster started here (local)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, help=WORKERS_HELP)
    parser.add_argument("--scheduler", metavar="ADDRESS|local", help=SCHEDULER_HELP)


def check_arguments(args: argparse.Namespace) -> None:
    """One-line errors for a bad ``--workers`` or ``--scheduler``, before anything runs or is written."""
    if args.workers is not None and args.workers < 1:
        raise InputError(f"expected a positive number of workers, got {args.workers}", source="--workers")
    if args.scheduler is not None:
        check_address(args.scheduler)


def make_executor(scheduler: str | None = None, workers: int | None = None, *, tasks: int | None = None,
                  initializer: Callable | None = None, initargs: tuple = ()) -> Executor:
    """The executor asked for: Dask if ``scheduler`` is given (connecting now, so that a bad address fails
    before anything is written), else in-process for one worker, else a local process pool.

    ``workers`` defaults to every core; ``tasks``, if known, caps the local workers (no idle processes).
    ``initializer(*initargs)``, run once in each worker, returns the context its tasks read with
    :func:`sim.execution.task_context`.
    """
    n = workers or default_workers()
    if tasks is not None:
        n = min(n, max(1, tasks))
    if scheduler:
        return DaskCluster.connect(scheduler, n, initializer, initargs)
    if n == 1:
        return InProcess(initializer, initargs)
    return LocalPool(n, initializer, initargs)


def executor_from(args: argparse.Namespace, **kwargs) -> Executor:
    """:func:`make_executor` for the parsed ``--scheduler`` and ``--workers``."""
    return make_executor(args.scheduler, args.workers, **kwargs)
