"""This machine: in the calling process (one worker), or a pool of local worker processes."""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Callable

from . import context
from .base import Executor, Pooled

TERMINATE_SECONDS = 5.0
"""How long an interrupted pool's workers get to exit once told to terminate."""


class InProcess(Executor):
    """One worker: the tasks run here, one after the other (no pickling, no processes)."""

    description = "in-process, 1 worker"

    _context = None

    def map(self, fn, items, *, chunksize=1):
        if self.initializer is None:
            for item in items:
                yield fn(item)
            return
        if self._context is None:
            self._context = (self.initializer(*self.initargs),)
        for item in items:  # the context set around each task alone: another executor's maps may interleave
            yield context.call(self.token, self._context[0], fn, item)

    def close(self, interrupted: bool = False) -> None:
        self._context = None

    def imap_unordered(self, fn, items):
        return self.map(fn, items)


def _worker_initializer(token: str, initializer: Callable | None, initargs: tuple) -> None:
    """Leave Ctrl-C to the parent, which cancels the work and stops the workers (no traceback from each); keep
    the executor's context in this worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        context.install(token, initializer, initargs)


class LocalPool(Pooled):
    """A pool of local worker processes, started on first use, kept until the executor is closed.

    Workers are fresh interpreters (``spawn``), not forks of the calling process: a calibration has jax running
    in the calling process by the time it first needs the pool, and forking a process whose runtime holds threads
    can deadlock the child (jax warns of it).  The work and its context reach the workers pickled, as they would
    on a Dask cluster, and the workers see the environment as it is when the pool starts."""

    def __init__(self, workers: int, initializer=None, initargs=()):
        super().__init__(initializer, initargs)
        self._workers = max(1, int(workers))
        self.description = f"local process pool, {self._workers} workers"
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self._workers, initializer=_worker_initializer,
                                             initargs=(self.token, self.initializer, self.initargs),
                                             mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def _submit(self, fn, item):
        if self.initializer is None:
            return self._started().submit(fn, item)
        return self._started().submit(context.run, self.token, context.dumps(fn, item))

    def _result(self, future):
        return future.result()

    def _wait_first(self, pending):
        done, not_done = wait(pending, return_when=FIRST_COMPLETED)
        return set(done), set(not_done)

    def close(self, interrupted: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not interrupted:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        # Interrupted (Ctrl-C, an error): do not wait for running tasks, which may be long (a calibration
        # profile).  ProcessPoolExecutor has no public way to stop them before Python 3.14.
        terminate = getattr(pool, "terminate_workers", None)
        if terminate is not None:
            terminate()
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        results = getattr(pool, "_result_queue", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(TERMINATE_SECONDS)
        # A worker terminated while sending a result leaves half a message in the results pipe, and the
        # pool's manager thread waits for the rest forever; the interpreter joins that thread at exit, so
        # the command would hang after saying "interrupted".  With the workers gone, closing our own end
        # for writing leaves the pipe without writers: the manager reads end-of-file and stops.
        writer = getattr(results, "_writer", None)
        if writer is not None and not any(p.is_alive() for p in processes):
            writer.close()
