"""Same scenario and seed, same numbers, bit for bit, however the work is spread."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import Scenario, simulate


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def table_bytes(out: Path) -> dict[str, bytes]:
    """Every file of a run directory but its manifest (which records the wall time and the executor)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


@pytest.mark.parametrize("tables", ["csv.gz", "parquet"])
def test_run_files_identical_on_one_worker_two_workers_and_a_dask_local_cluster(tiny_path, tmp_path, tables):
    outputs = {}
    for name, options in {"1 worker": ["--workers", 1], "2 workers": ["--workers", 2],
                          "LocalCluster": ["--scheduler", "local", "--workers", 2]}.items():
        out = tmp_path / name.replace(" ", "-")
        result = run_cli("run", tiny_path, "--replications", 4, *options, "--tables", tables, "--out", out,
                         "--no-progress")
        assert result.returncode == 0, result.stderr
        assert json.loads((out / "manifest.json").read_text())["executor"].startswith(
            {"1 worker": "in-process", "2 workers": "local process pool", "LocalCluster": "Dask LocalCluster"}[name])
        outputs[name] = table_bytes(out)
    reference = outputs["1 worker"]
    assert set(reference) == {f"timeseries.{tables}", "summary.csv", f"adoptions.{tables}"}  # tiny: no figures
    for name, produced in outputs.items():
        assert produced == reference, name


def test_different_seeds_differ(tiny_path):
    scenario = Scenario.from_yaml(tiny_path)
    a = simulate(scenario, 0).metrics["gov_accounts.sina"]
    b = simulate(scenario.with_overrides({"seed": scenario.seed + 1}), 0).metrics["gov_accounts.sina"]
    c = simulate(scenario, 1).metrics["gov_accounts.sina"]
    assert not np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_same_seed_same_records(tiny_path):
    scenario = Scenario.from_yaml(tiny_path)
    first, second = simulate(scenario, 2), simulate(scenario, 2)
    assert first.metrics.keys() == second.metrics.keys()
    for name in first.metrics:
        assert np.array_equal(first.metrics[name], second.metrics[name]), name
    assert np.array_equal(first.adoptions.time, second.adoptions.time)
    assert first.events == second.events


def test_streams_are_separate_so_agency_changes_leave_users_alone(tiny_path):
    """Common random numbers: the users' draws do not depend on the agencies' parameters."""
    scenario = Scenario.from_yaml(tiny_path)
    changed = scenario.with_overrides({"agencies.levels.*.hazard.imitation": 0.0})
    a, b = simulate(scenario, 0), simulate(changed, 0)
    for name in ("internet_users", "microbloggers", "registered_users.sina", "registered_users.tencent"):
        assert np.array_equal(a.metrics[name], b.metrics[name]), name
    assert not np.array_equal(a.metrics["gov_accounts.sina"], b.metrics["gov_accounts.sina"])


def test_global_random_state_is_untouched(tiny_path):
    import random

    random.seed(123)
    np.random.seed(123)
    before = (random.random(), np.random.random())
    random.seed(123)
    np.random.seed(123)
    simulate(Scenario.from_yaml(tiny_path), 0)
    assert (random.random(), np.random.random()) == before
