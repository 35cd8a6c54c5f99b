"""The sweep machinery, exactly: a tiny deterministic model over two processes gives the expected rows.

After Mesa's ``tests/test_batch_run.py``: the model is replaced by one whose
outputs can be computed by hand, so every row of ``runs.csv`` and
``points.csv`` is asserted exactly, and the runs are spread over two worker
processes to show that where a run executes changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import textwrap
import time
from pathlib import Path

import numpy as np

from sim.model.records import RunRecords
from sim.output.tables import SUMMARY_COLUMNS, Summary
from sim.execution import InProcess, LocalPool
from sim.sweep.pipeline import plan_sweep, run

PIDS = "BANDWAGON_TEST_PIDS"


def linear_model(scenario, replication: int) -> RunRecords:
    """Accounts grow by ``a * b + replication`` a day, ``a`` and ``b`` the swept parameters."""
    if os.environ.get(PIDS):
        Path(os.environ[PIDS], str(os.getpid())).touch()
        time.sleep(0.05)  # long enough for both workers to take tasks
    a = scenario.agencies.levels["county"].hazard.imitation
    b = scenario.platforms["sina"].agency_appeal
    days = (scenario.horizon.end - scenario.horizon.start).days + 1
    series = np.rint((a * b + replication) * np.arange(days)).astype(np.int64)
    return RunRecords(scenario=scenario.name, replication=replication, seed=scenario.seed,
                      start=scenario.horizon.start, metrics={"gov_accounts.sina": series}, adoptions=None, events=0)


SPEC = """\
name: linear
base: {base}
design: grid
replications: 2
seed: 1
parameters:
  a: {{path: agencies.levels.county.hazard.imitation, values: [1.0, 2.0]}}
  b: {{path: platforms.sina.agency_appeal, values: [10.0, 20.0]}}
outcomes:
  day10: {{metric: gov_accounts.sina, at: 2009-08-24}}
  first1000: {{metric: gov_accounts.sina, reaches: 1000}}
  growth: {{metric: gov_accounts.sina, curve: [final]}}
summaries: [gov_accounts.sina]
"""

# slope a*b + r; day 10 = 10 slope; 1000 reached on day ceil(1000 / slope) after 2009-08-14; final = 869 slope
EXPECTED_RUNS = """\
point,replication,a,b,day10,first1000,growth.final
p0000,0,1,10,100,2009-11-22,8690
p0000,1,1,10,110,2009-11-13,9559
p0001,0,1,20,200,2009-10-03,17380
p0001,1,1,20,210,2009-10-01,18249
p0002,0,2,10,200,2009-10-03,17380
p0002,1,2,10,210,2009-10-01,18249
p0003,0,2,20,400,2009-09-08,34760
p0003,1,2,20,410,2009-09-08,35629
"""


def sweep(tmp_path: Path, tiny_path: Path, executor, out: str) -> Path:
    spec = tmp_path / "linear.yaml"
    spec.write_text(textwrap.dedent(SPEC.format(base=tiny_path)), encoding="utf-8")
    plan = plan_sweep(spec)
    with executor:
        run(plan, tmp_path / out, executor, progress=False, model=linear_model)
    return tmp_path / out


def test_two_processes_give_exactly_the_expected_rows(tmp_path, tiny_path, monkeypatch):
    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setenv(PIDS, str(pids))
    out = sweep(tmp_path, tiny_path, LocalPool(2), "pool")

    workers = {int(p.name) for p in pids.iterdir()}
    assert len(workers) == 2 and os.getpid() not in workers, "the runs were spread over two worker processes"
    assert (out / "runs.csv").read_text() == EXPECTED_RUNS

    with open(out / "points.csv", newline="") as handle:
        points = list(csv.DictReader(handle))
    assert [p["point"] for p in points] == ["p0000", "p0001", "p0002", "p0003"]
    first = points[0]
    assert (first["a"], first["b"], first["replications"]) == ("1", "10", "2")
    # mean and 5-95% of (100, 110); dates 2009-11-22 and 2009-11-13 average to 2009-11-17.5 -> 2009-11-18
    assert (first["day10.mean"], first["day10.p05"], first["day10.p95"]) == ("105", "100.5", "109.5")
    assert (first["first1000.mean"], first["first1000.reached"]) == ("2009-11-18", "1")


def test_point_directories_are_run_directories(tmp_path, tiny_path):
    import json

    out = sweep(tmp_path, tiny_path, InProcess(), "serial")
    point = out / "points" / "p0003"
    manifest = json.loads((point / "manifest.json").read_text())
    assert manifest["kind"] == "sweep-point"
    assert manifest["parameters"] == {"a": 2.0, "b": 20.0}
    assert manifest["scenario"]["agencies"]["levels"]["county"]["hazard"]["imitation"] == 2.0
    assert manifest["replications"] == 2 and manifest["seed"] == 1

    header = (point / "summary.csv").read_text().splitlines()[0]
    assert tuple(header.split(",")) == SUMMARY_COLUMNS
    summary = Summary.read(point / "summary.csv")
    assert summary.metrics == ["gov_accounts.sina"]
    assert summary.at("gov_accounts.sina", dt.date(2009, 8, 24)) == 405          # mean of 400 and 410
    assert summary.at("gov_accounts.sina", dt.date(2011, 12, 31), "p50") == (34760 + 35629) / 2


def test_in_process_and_pool_write_identical_files(tmp_path, tiny_path):
    serial = sweep(tmp_path, tiny_path, InProcess(), "serial")
    pool = sweep(tmp_path, tiny_path, LocalPool(2), "pool")
    for name in ("runs.csv", "points.csv", "sensitivity.csv", "manifest.json", "points/p0001/summary.csv"):
        assert (serial / name).read_bytes() == (pool / name).read_bytes(), name
