"""The shared context of an executor's tasks: what its initializer returned, in the worker running the task.

A calibration's tasks need its problem (the scenario, the targets, the
compiled twin), which costs more to send than most tasks take to run.  The
executor's ``initializer(*initargs)`` builds it once in each worker; its
*result* is the context, kept by the worker under the executor's token, and
:func:`task_context` hands it to the task while the task runs (and while its
arguments are unpickled, so an argument may rebuild itself around it: a
calibration's density, its twin).  Nothing is installed in a module of the
model: two executors with different contexts in one process (two in-process
executors whose maps interleave, a Dask worker serving two clients) each see
their own, and a task run outside an executor is told so rather than given a
stale one.
"""

from __future__ import annotations

import pickle
import threading
import uuid
from contextvars import ContextVar
from typing import Any, Callable

_contexts: dict[str, Any] = {}
"""Per process: an executor's token -> its initializer's result in this process.  Owned by the executors
(:func:`install`, :func:`forget`); read only through :func:`task_context`, during a task."""
_installing = threading.Lock()
_current: ContextVar[tuple[str, Any] | None] = ContextVar("sim.execution.context", default=None)


class NoContext(RuntimeError):
    """A task asked for its executor's context outside a task of an executor with an initializer."""


def new_token() -> str:
    return uuid.uuid4().hex


def install(token: str, initializer: Callable, initargs: tuple) -> Any:
    """Run ``initializer(*initargs)`` once in this process for the executor ``token``; its result, kept."""
    if token not in _contexts:
        with _installing:
            if token not in _contexts:
                _contexts[token] = initializer(*initargs)
    return _contexts[token]


def forget(token: str) -> None:
    """Drop the executor ``token``'s context in this process (it is closed)."""
    _contexts.pop(token, None)


def task_context() -> Any:
    """The context of the executor running the current task (its initializer's result in this worker)."""
    current = _current.get()
    if current is None:
        raise NoContext("no executor context here: this runs only as a task of an executor built with an "
                        "initializer (e.g. the calibration's Workers)")
    return current[1]


def call(token: str, value: Any, fn: Callable, item: Any) -> Any:
    """``fn(item)`` with :func:`task_context` returning ``value`` for its duration (an in-process task)."""
    reset = _current.set((token, value))
    try:
        return fn(item)
    finally:
        _current.reset(reset)


def dumps(fn: Callable, item: Any) -> bytes:
    """A task for :func:`run`: pickled here, so that the worker unpickles it inside the context."""
    return pickle.dumps((fn, item), protocol=pickle.HIGHEST_PROTOCOL)


def run(token: str, task: bytes) -> Any:
    """In a worker: unpickle ``task`` (:func:`dumps`) and run it, with the executor ``token``'s context.

    The context was installed by the worker's initializer (a local pool) or by :func:`install` just before (Dask)."""
    try:
        value = _contexts[token]
    except KeyError:
        raise NoContext(f"executor {token} installed no context in this worker") from None
    reset = _current.set((token, value))
    try:
        fn, item = pickle.loads(task)
        return fn(item)
    finally:
        _current.reset(reset)
