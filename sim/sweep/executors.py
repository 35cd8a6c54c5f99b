"""Where runs execute: in-process, a local process pool, or a Dask cluster.

Every executor offers one operation, :meth:`imap_unordered`: apply a function
to a stream of tasks and yield the results as they finish.  Only a bounded
number of tasks is in flight at once (a few per worker), so neither the
tasks nor the results of a sweep of any size are ever held in memory
together.  Results carry their own keys; which worker ran what, and in which
order they finished, has no influence on any number.

Dask is an optional extra (``pip install -e '.[distributed]'``) and is only
imported when asked for.
"""

from __future__ import annotations

import itertools
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Callable, Iterable, Iterator

from ..errors import InputError
from ..runner import default_workers

CONNECT_TIMEOUT = "3s"
IN_FLIGHT_PER_WORKER = 2


class Executor:
    description = "executor"
    workers = 1

    def imap_unordered(self, fn: Callable, tasks: Iterable) -> Iterator:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class InProcess(Executor):
    """One worker: the runs execute here, one after the other (no pickling, no processes)."""

    description = "in-process, 1 worker"

    def imap_unordered(self, fn, tasks):
        for task in tasks:
            yield fn(task)


class LocalPool(Executor):
    """A pool of local worker processes."""

    def __init__(self, workers: int):
        self.workers = workers
        self.description = f"local process pool, {workers} workers"

    def imap_unordered(self, fn, tasks):
        tasks = iter(tasks)
        pool = ProcessPoolExecutor(max_workers=self.workers)
        try:
            pending = {pool.submit(fn, t) for t in itertools.islice(tasks, IN_FLIGHT_PER_WORKER * self.workers)}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    for task in itertools.islice(tasks, 1):
                        pending.add(pool.submit(fn, task))
                    yield result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster(Executor):
    """A Dask distributed scheduler: a running one (``tcp://host:port``) or a LocalCluster started here."""

    def __init__(self, client, cluster=None, description: str = "dask"):
        self.client = client
        self.cluster = cluster
        self.description = description
        self._threads, self._checked = 0, 0.0

    @property
    def workers(self) -> int:
        return max(1, self._nthreads())

    @classmethod
    def connect(cls, address: str, workers: int | None) -> "DaskCluster":
        """Connect to ``address``, or start a LocalCluster of ``workers`` processes if it is ``local``."""
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError("expected Dask distributed to be installed: pip install -e '.[distributed]'",
                             source="--scheduler") from None
        if address == "local":
            import logging

            n = workers or default_workers()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR)
            client = Client(cluster, set_as_default=False)
            return cls(client, cluster, f"Dask LocalCluster, {n} workers")
        check_address(address)
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is the user's address
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise InputError(f"cannot reach a Dask scheduler at {address} ({reason})", source="--scheduler") from None
        try:
            check_versions(client)
        except BaseException:
            client.close()
            raise
        executor = cls(client, None, f"Dask scheduler {address}")
        executor.description += f", {executor.workers} worker threads now"
        return executor

    def _nthreads(self) -> int:
        now = time.monotonic()
        if now - self._checked > 1.0:  # workers may join or leave during a sweep
            self._threads = sum(self.client.nthreads().values())
            self._checked = now
        return self._threads

    def imap_unordered(self, fn, tasks):
        from distributed import as_completed

        tasks = iter(tasks)

        def window() -> int:
            return max(4, IN_FLIGHT_PER_WORKER * self._nthreads())

        queue = as_completed(loop=self.client.loop)
        in_flight = 0
        for task in itertools.islice(tasks, window()):
            queue.add(self.client.submit(fn, task, pure=False))
            in_flight += 1
        try:
            for future in queue:
                result = future.result()
                future.release()
                in_flight -= 1
                for task in itertools.islice(tasks, max(0, window() - in_flight)):
                    queue.add(self.client.submit(fn, task, pure=False))
                    in_flight += 1
                yield result
        finally:
            queue.clear()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def check_address(address: str) -> None:
    scheme, sep, rest = address.partition("://")
    host, colon, port = rest.rpartition(":")
    if not sep or not scheme or not host or not colon or not port.isdigit():
        raise InputError(f"expected 'local' or a scheduler address like tcp://host:8786, got {address!r}",
                         source="--scheduler")


def check_versions(client) -> None:
    """Refuse workers running another model version: their runs would not be comparable."""
    from .. import __version__

    versions = client.run(_model_version)
    other = {w: v for w, v in versions.items() if v != __version__}
    if other:
        worker, version = next(iter(other.items()))
        raise InputError(f"expected Dask workers running bandwagon {__version__}, but {worker} runs {version}",
                         source="--scheduler")


def _model_version() -> str:
    try:
        from sim import __version__
    except ImportError:
        return "not installed"
    return __version__


def make_executor(scheduler: str | None, workers: int | None) -> Executor:
    """The executor the command line asks for (connects to Dask before anything is written)."""
    if scheduler:
        return DaskCluster.connect(scheduler, workers)
    n = workers or default_workers()
    return InProcess() if n == 1 else LocalPool(n)
