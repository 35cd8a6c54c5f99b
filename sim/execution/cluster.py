"""A Dask distributed cluster: a running scheduler (``tcp://host:port``) or a LocalCluster started here.

Dask is an optional extra (``pip install -e '.[distributed]'``), imported only
when asked for.  Every worker must run the same model version as this process
(:func:`sim.model_version`): checked when connecting, and again by every task,
since workers may join a running scheduler later.  The executor's initializer
arguments are sent once to every worker (``client.scatter(..., broadcast=True)``)
and its result kept there under the executor's token (:mod:`.context`) before
the first task of this executor, not pickled into every task.
"""

from __future__ import annotations

import time

from ..errors import InputError
from ..versioning import model_version
from . import context
from .base import Pooled, default_workers

CONNECT_TIMEOUT = "3s"


class WrongModelVersion(Exception):
    """A worker runs another model version than the process that sent it work."""


def run_task(expected_version: str, token: str, initializer, initargs, fn, item):
    """On a Dask worker: check the model version, keep this executor's context (built once per worker), run
    ``fn(item)``; with an initializer, ``item`` is the task pickled by :func:`.context.dumps` (``fn`` is in it)."""
    if model_version() != expected_version:
        raise WrongModelVersion(f"expected Dask workers running bandwagon {expected_version}, "
                                f"but one runs {model_version()} (install the same checkout on every worker)")
    if initializer is None:
        return fn(item)
    context.install(token, initializer, initargs)
    return context.run(token, item)


class DaskCluster(Pooled):
    def __init__(self, client, cluster=None, description: str = "dask", initializer=None, initargs=()):
        super().__init__(initializer, initargs)
        self.client = client
        self.cluster = cluster
        self.description = description
        self.version = model_version()
        self._threads, self._checked = 0, 0.0
        self._context = None
        if initializer is not None:  # once to every worker; workers joining later fetch it from a peer
            [self._context] = client.scatter([self.initargs], broadcast=True, hash=False)

    @property
    def workers(self) -> int:
        now = time.monotonic()
        if now - self._checked > 1.0:  # workers may join or leave while the work runs
            self._threads = sum(self.client.nthreads().values())
            self._checked = now
        return max(1, self._threads)

    @classmethod
    def connect(cls, address: str, workers: int | None, initializer=None, initargs=()) -> "DaskCluster":
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
            return cls(client, cluster, f"Dask LocalCluster, {n} workers", initializer, initargs)
        check_address(address)
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is the user's address
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise InputError(f"cannot reach a Dask scheduler at {address} ({reason})", source="--scheduler") from None
        try:
            check_versions(client)
            executor = cls(client, None, f"Dask scheduler {address}", initializer, initargs)
        except BaseException:
            client.close()
            raise
        executor.description += f", {executor.workers} worker threads now"
        return executor

    def _submit(self, fn, item):
        if self.initializer is not None:  # unpickled inside the context, on the worker
            fn, item = None, context.dumps(fn, item)
        return self.client.submit(run_task, self.version, self.token, self.initializer, self._context, fn, item,
                                  pure=False)

    def _result(self, future):
        try:
            return future.result()
        except WrongModelVersion as exc:
            raise InputError(str(exc), source="--scheduler") from None
        finally:
            future.release()

    def _cancel(self, futures):
        futures = list(futures)
        if futures and self.client.status == "running":  # a generator dropped after close() has nothing to cancel
            self.client.cancel(futures)

    def _wait_first(self, pending):
        from distributed import as_completed

        next(as_completed(list(pending), loop=self.client.loop))  # distributed.wait would need a default client
        done = {future for future in pending if future.done()}
        return done, pending - done

    def close(self, interrupted: bool = False) -> None:
        if self._context is not None:
            self._context.release()
            self._context = None
            if self.client.status == "running":  # the workers drop this executor's context
                try:
                    self.client.run(context.forget, self.token)
                except Exception:  # noqa: BLE001 - workers gone already hold nothing to drop
                    pass
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def check_address(address: str) -> None:
    """``local`` or ``scheme://host:port``, checked before anything else happens."""
    if address == "local":
        return
    scheme, sep, rest = address.partition("://")
    host, colon, port = rest.rpartition(":")
    if not sep or not scheme or not host or not colon or not port.isdigit():
        raise InputError(f"expected 'local' or a scheduler address like tcp://host:8786, got {address!r}",
                         source="--scheduler")


def check_versions(client) -> None:
    """Refuse workers running another model version: their runs would not be comparable."""
    expected = model_version()
    versions = client.run(_worker_model_version)
    other = {w: v for w, v in versions.items() if v != expected}
    if other:
        worker, version = next(iter(other.items()))
        raise InputError(f"expected Dask workers running bandwagon {expected}, but {worker} runs {version} "
                         f"(install the same checkout on every worker)", source="--scheduler")


def _worker_model_version() -> str:
    try:
        from sim.versioning import model_version as version
    except ImportError:
        return "not installed"
    return version()
