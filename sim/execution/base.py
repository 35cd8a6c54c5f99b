"""What every executor offers: an ordered map and an unordered stream, a bounded number of tasks in flight.

``map(fn, items)`` yields ``fn(item)`` in the order of ``items`` (replications
of a run, candidates of a calibration); ``imap_unordered(fn, items)`` yields
them as they finish (a sweep, whose results carry their own keys).  Both
submit only a few tasks per worker ahead of the results taken, so neither
the tasks nor the results of a job of any size are held in memory together,
and both cancel what is still pending when the consumer stops, fails or is
interrupted.

``initializer(*initargs)`` runs once in each worker before its first task,
and its result is the context of this executor's tasks there
(:func:`sim.execution.task_context`): the place for what is expensive to send with
every task (the calibration's problem).  The executor keeps it under its own
token, so executors with different contexts never see each other's.

Which worker ran what, and in which order results finished, changes no
number: every task is a pure function of its arguments.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections import deque
from typing import Any, Callable, Iterable, Iterator

from . import context

IN_FLIGHT_PER_WORKER = 2
"""Tasks submitted per worker ahead of the results taken: enough to keep every worker busy."""


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def apply_chunk(fn: Callable, chunk: list) -> list:
    """``fn`` over a chunk of items: one task for many short ones."""
    return [fn(item) for item in chunk]


def chunked(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while chunk := list(itertools.islice(items, size)):
        yield chunk


class Executor:
    """Where tasks run.  Use as a context manager: leaving it shuts the workers down."""

    description = "executor"

    def __init__(self, initializer: Callable[..., Any] | None = None, initargs: tuple = ()):
        self.initializer = initializer
        self.initargs = tuple(initargs)
        self.token = context.new_token()
        """Names this executor's context in every worker (:mod:`sim.execution.context`)."""

    @property
    def workers(self) -> int:
        """Tasks that can run at once (a Dask cluster's worker threads, which may change)."""
        return 1

    def map(self, fn: Callable, items: Iterable, *, chunksize: int = 1) -> Iterator:
        """``fn(item)`` for each item, in the order of ``items``; ``chunksize`` items per task."""
        raise NotImplementedError

    def imap_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        """``fn(item)`` for each item, in the order they finish."""
        raise NotImplementedError

    def close(self, interrupted: bool = False) -> None:
        """Release the workers; ``interrupted``: stop running tasks rather than wait for them."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.close(interrupted=exc_type is not None)


class Pooled(Executor):
    """An executor with futures: the windowed ordered and unordered loops, over four primitives."""

    def _submit(self, fn: Callable, item: Any):
        raise NotImplementedError

    def _result(self, future) -> Any:
        raise NotImplementedError

    def _wait_first(self, pending: set) -> tuple[set, set]:
        """``(done, not done)`` once at least one of ``pending`` is done."""
        raise NotImplementedError

    def _cancel(self, futures: Iterable) -> None:
        for future in futures:
            future.cancel()

    def window(self) -> int:
        return max(4, IN_FLIGHT_PER_WORKER * self.workers)

    def map(self, fn, items, *, chunksize=1):
        if chunksize > 1:
            for results in self._ordered(functools.partial(apply_chunk, fn), chunked(items, chunksize)):
                yield from results
        else:
            yield from self._ordered(fn, items)

    def _ordered(self, fn, items) -> Iterator:
        items = iter(items)
        queue: deque = deque()
        try:
            queue.extend(self._submit(fn, item) for item in itertools.islice(items, self.window()))
            while queue:
                result = self._result(queue.popleft())
                queue.extend(self._submit(fn, item) for item in itertools.islice(items, max(0, self.window() - len(queue))))
                yield result
        finally:
            self._cancel(queue)

    def imap_unordered(self, fn, items):
        items = iter(items)
        pending = {self._submit(fn, item) for item in itertools.islice(items, self.window())}
        try:
            while pending:
                done, pending = self._wait_first(pending)
                for future in done:
                    result = self._result(future)
                    pending.update(self._submit(fn, item)
                                   for item in itertools.islice(items, max(0, self.window() - len(pending))))
                    yield result
        finally:
            self._cancel(pending)
