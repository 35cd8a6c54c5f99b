"""The loop's float metrics (hours, shares, NaN where undefined) survive every writer and reader."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from sim.model.records import RunRecords
from sim.output.tables import Summary, read_timeseries, write_timeseries
from sim.sweep.worker import delta_decode, delta_encode


def records(replication: int) -> RunRecords:
    return RunRecords(scenario="x", replication=replication, seed=1, start=dt.date(2011, 11, 28), adoptions=None,
                      events=0, metrics={"messages.a.sina.received": np.array([0, 3, 7], dtype=np.int64),
                                         "response_hours.a.sina.p50": np.array([np.nan, 1.25, 0.1 + replication])})


@pytest.mark.parametrize("fmt", ["csv.gz", "csv", "parquet"])
def test_timeseries_round_trip_keeps_counts_hours_and_nan(tmp_path, fmt):
    path = tmp_path / f"timeseries.{fmt}"
    write_timeseries(path, [records(0), records(1)])
    dates, series = read_timeseries(path)
    assert dates.size == 3
    np.testing.assert_array_equal(series["messages.a.sina.received"], [[0, 3, 7], [0, 3, 7]])
    np.testing.assert_array_equal(series["response_hours.a.sina.p50"], [[np.nan, 1.25, 0.1], [np.nan, 1.25, 1.1]])


def test_summary_is_over_the_runs_where_a_value_is_defined():
    runs = [records(0), records(1)]
    runs[1].metrics["response_hours.a.sina.p50"][1] = np.nan
    stats = Summary.of(runs).stats["response_hours.a.sina.p50"]
    assert np.isnan(stats["mean"][0])  # no run answered that day
    assert stats["mean"][1] == 1.25  # one run did
    assert stats["mean"][2] == pytest.approx(0.6)


def test_sweep_records_keep_floats_and_nan():
    for series in (np.array([0, 3, 7], dtype=np.int64), np.array([np.nan, 1.25, 0.1])):
        decoded = delta_decode(json.loads(json.dumps(delta_encode(series))))
        np.testing.assert_array_equal(decoded, series)
        assert decoded.dtype.kind == series.dtype.kind
