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


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_calibration_is_the_same_on_one_worker_two_workers_and_a_dask_local_cluster(tmp_path):
    """A shortened calibration (stopped by its number of evaluations, never by the clock): the same
    fitted point and every evaluation of either model with the same values, in the same order."""
    import yaml

    from sim.calibration import calibrate, load_problem
    from sim.scenario.builders import single_level

    scenario = single_level(count=2000, innovation=0.08, imitation=1.0, days=500, replications=1)
    (tmp_path / "one.yaml").write_text(yaml.safe_dump(scenario.to_dict(), sort_keys=False), encoding="utf-8")
    spec = {"base": "one.yaml", "replications": 3, "budget": {"evaluations": 5}, "global": {"evaluations": 24},
            "analysis": {"profile_points": 3},
            "extra_targets": {"mid": {"metric": "gov_accounts.sina", "date": "2010-04-30", "value": 300,
                                      "tolerance": 0.1}},
            "parameters": {"imitation": {"path": "agencies.levels.*.hazard.imitation", "apply": "multiply",
                                         "range": [0.5, 2.0], "spacing": "log"},
                           "innovation": {"path": "agencies.levels.*.hazard.innovation", "apply": "multiply",
                                          "range": [0.5, 2.0]}}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")

    def history(**executor) -> tuple:
        result = calibrate(load_problem(tmp_path / "spec.yaml"), progress=False, **executor)
        evaluations = [(r.stage, r.model, r.point.objective, r.point.z.tolist(), r.point.values.tolist())
                       for r in result.history.records]
        return result.z.tolist(), result.point.values.tolist(), evaluations

    reference = history(workers=1)
    stages = {(stage, model) for stage, model, *_ in reference[2]}
    assert {("global", "meanfield"), ("profile", "meanfield"), ("jacobian", "stochastic")} <= stages  # every kind of work
    assert history(workers=2) == reference
    pytest.importorskip("distributed")
    assert history(workers=2, scheduler="local") == reference
