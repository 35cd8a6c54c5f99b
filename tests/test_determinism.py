"""Same scenario and seed, same numbers, bit for bit, however the work is spread."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from sim import Scenario, simulate


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_timeseries_identical_with_one_and_two_workers(tiny_path, tmp_path):
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        result = run_cli("run", tiny_path, "--replications", 4, "--workers", workers, "--out", out, "--no-progress")
        assert result.returncode == 0, result.stderr
        outputs.append(out)
    for name in ("timeseries.csv", "summary.csv", "adoptions.csv"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name


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
        assert np.array_equal(first.metrics[name], second.metrics[name], equal_nan=True), name
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
