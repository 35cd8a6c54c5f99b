"""End to end: ``bandwagon run`` writes every file with the promised columns."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys

import numpy as np
import pytest

from sim import Scenario, model_version, simulate
from sim.output.tables import ADOPTION_COLUMNS, SUMMARY_COLUMNS, TIMESERIES_COLUMNS


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim", "run", *map(str, args), "--no-progress"],
                          capture_output=True, text=True, cwd=cwd)


def read(path):
    """The rows of a CSV table, gzip-compressed or not, as dicts."""
    with (gzip.open if path.suffix == ".gz" else open)(path, "rt", newline="") as handle:
        return list(csv.DictReader(handle))


def header(path):
    with (gzip.open if path.suffix == ".gz" else open)(path, "rt", newline="") as handle:
        return tuple(next(csv.reader(handle)))


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory, scenarios_dir):
    out = tmp_path_factory.mktemp("runs") / "baseline"
    result = run(scenarios_dir / "baseline.yaml", "--replications", 2, "--out", out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.slow
def test_run_writes_every_file_with_its_columns(baseline_run):
    out = baseline_run
    assert header(out / "timeseries.csv.gz") == TIMESERIES_COLUMNS
    assert header(out / "summary.csv") == SUMMARY_COLUMNS
    assert header(out / "adoptions.csv.gz") == ADOPTION_COLUMNS
    png = (out / "figures" / "adoption.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 20120126 and manifest["replications"] == 2
    assert len(manifest["events"]) == 2 and all(e > 0 for e in manifest["events"])
    assert manifest["scenario"]["name"] == "baseline"
    assert Scenario.from_dict(manifest["scenario"]).agencies.levels["county"].count > 0
    assert manifest["environment"]["packages"]["simpy"]
    assert manifest["wall_seconds"] > 0
    assert manifest["model_version"] == model_version()
    assert manifest["tables"] == {"timeseries": "timeseries.csv.gz", "summary": "summary.csv",
                                  "adoptions": "adoptions.csv.gz"}


def test_timeseries_has_one_row_per_replication_day_and_metric(baseline_run):
    rows = read(baseline_run / "timeseries.csv.gz")
    metrics = {r["metric"] for r in rows}
    for name in ("internet_users", "microbloggers", "registered_users.sina", "registered_users.tencent",
                 "gov_accounts.sina", "gov_accounts.sina.county", "followers.shanghai_city.sina",
                 "followers.shanghai_city.all"):
        assert name in metrics
    days = {r["date"] for r in rows}
    assert min(days) == "2009-08-14" and max(days) == "2012-06-30"
    assert len(rows) == 2 * len(days) * len(metrics)
    keys = {(r["replication"], r["date"], r["metric"]) for r in rows}
    assert len(keys) == len(rows)


def test_summary_is_the_statistics_of_the_timeseries(baseline_run):
    from sim.output.tables import Summary, read_timeseries

    dates, series = read_timeseries(baseline_run / "timeseries.csv.gz")
    summary = Summary.read(baseline_run / "summary.csv")
    assert np.array_equal(dates, summary.dates)
    for metric in ("gov_accounts.sina", "microbloggers"):
        values = series[metric]
        assert values.shape[0] == 2
        np.testing.assert_allclose(summary.stats[metric]["mean"], values.mean(axis=0), rtol=1e-11)
        np.testing.assert_allclose(summary.stats[metric]["p95"], np.percentile(values, 95, axis=0), rtol=1e-11)


@pytest.mark.slow
def test_adoptions_match_the_counts(baseline_run):
    rows = [r for r in read(baseline_run / "adoptions.csv.gz") if r["replication"] == "0" and r["platform"] == "sina"]
    from sim.output.tables import read_timeseries

    dates, series = read_timeseries(baseline_run / "timeseries.csv.gz")
    assert len(rows) == series["gov_accounts.sina"][0, -1]
    shanghai = [r for r in rows if r["agency"] == "shanghai_city"]
    assert shanghai and shanghai[0]["date"] == "2011-11-28" and shanghai[0]["province"] == "shanghai"


@pytest.mark.slow
def test_existing_directory_is_not_overwritten_without_force(tiny_path, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    result = run(tiny_path, "--replications", 1, "--out", out)
    assert result.returncode == 2 and "--force" in result.stderr
    assert (out / "keep.txt").read_text() == "precious" and len(list(out.iterdir())) == 1
    result = run(tiny_path, "--replications", 1, "--out", out, "--force")
    assert result.returncode == 0, result.stderr
    assert not (out / "keep.txt").exists() and (out / "timeseries.csv.gz").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_default_output_directory(tiny_path, tmp_path):
    result = run(tiny_path, "--replications", 1, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (stamp,) = (tmp_path / "results" / "tiny").iterdir()
    assert stamp.name.endswith("Z") and (stamp / "summary.csv").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["no-policy-push", "no-imitation", "tencent-early"])
def test_every_shipped_counterfactual_runs(scenarios_dir, name):
    scenario = Scenario.from_yaml(scenarios_dir / f"{name}.yaml")
    records = simulate(scenario, 0)
    assert records.metrics["gov_accounts.sina"][-1] > 0
