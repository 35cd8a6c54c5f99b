"""One run, on whichever worker: simulate, measure, and return a small record.

The record is canonical JSON text (a few tens of kilobytes): the outcomes,
the government-account curve at month ends for ``curves.png``, and the daily
series of the summary metrics, delta-encoded (first value, then day-to-day
changes), from which each point's ``summary.csv`` is built.  Keeping the
daily series per run, rather than running sums per point, is what lets a
point's 5th, 50th and 95th percentiles be computed exactly, in the same order
whatever order the runs finished in, and lets a killed sweep resume without
losing part of a point.  Nothing here depends on the worker: the same task
gives the same bytes on a local process, in-process, or on a Dask worker.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..model import simulate
from ..scenario import Scenario
from ..versioning import model_version
from .outcomes import Column, measure, monthly


@dataclass(frozen=True)
class RunTask:
    key: str
    scenario: Scenario
    replication: int
    columns: tuple[Column, ...]
    summaries: tuple[str, ...]
    curve: str
    model: Callable = simulate
    """``model(scenario, replication)`` returns records with ``metrics`` and ``start``
    (:class:`sim.RunRecords`); tests pass small deterministic models."""


def execute(task: RunTask) -> bytes:
    """Run the task and return its record as canonical JSON (UTF-8 bytes)."""
    records = task.model(task.scenario, task.replication)
    start = records.start
    metrics = records.metrics
    outcomes = measure(task.columns, metrics, start)
    ends, levels = monthly(metrics[task.curve], start)
    record = {
        "key": task.key,
        "replication": task.replication,
        "model_version": model_version(),
        "start": start.isoformat(),
        "days": int(len(metrics[task.curve])),
        "outcomes": {name: (None if math.isnan(v) else v) for name, v in outcomes.items()},
        "curve": {"metric": task.curve, "days": ends.tolist(), "values": levels.tolist()},
        "series": {m: delta_encode(metrics[m]) for m in task.summaries},
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()


def delta_encode(series: np.ndarray) -> list[int]:
    series = np.asarray(series, dtype=np.int64)
    return [int(series[0]), *np.diff(series).tolist()] if series.size else []


def delta_decode(encoded: list[int]) -> np.ndarray:
    return np.cumsum(np.asarray(encoded, dtype=np.int64))


def pack(record_json: bytes) -> bytes:
    """The stored form: gzip with no timestamp, so equal records give equal files."""
    return gzip.compress(record_json, compresslevel=6, mtime=0)


def unpack(data: bytes) -> dict:
    return json.loads(gzip.decompress(data))
