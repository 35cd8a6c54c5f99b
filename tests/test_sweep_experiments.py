"""Examples are tests: every sweep spec in experiments/ plans in full and runs in a shortened form.

The shortened form is the command line's own: ``--base tests/data/tiny.yaml
--replications 1 --levels 2 --samples 2`` (levels shorten grids and
one-at-a-time designs, samples shorten Latin hypercubes and Sobol' designs).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.sweep.pipeline import plan_sweep

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def sweep_specs() -> list[Path]:
    """The YAML files of experiments/ that are sweep specs (other tools keep their files there too)."""
    specs = []
    for path in sorted(EXPERIMENTS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "design" in data and "parameters" in data:
            specs.append(path)
    return specs


def test_the_examples_are_there():
    names = {p.name for p in sweep_specs()}
    assert {"imitation-vs-policy.yaml", "global-sensitivity.yaml"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("spec", sweep_specs(), ids=lambda p: p.stem)
def test_full_spec_plans(spec):
    plan = plan_sweep(spec)  # every point's scenario validated against the real base scenario
    assert plan.runs == len(plan.points) * plan.sweep.spec.replications >= 2


@pytest.mark.slow
@pytest.mark.parametrize("spec", sweep_specs(), ids=lambda p: p.stem)
def test_shortened_spec_runs(spec, tiny_path, tmp_path, capsys):
    out = tmp_path / spec.stem
    status = main(["sweep", str(spec), "--out", str(out), "--base", str(tiny_path), "--replications", "1",
                   "--levels", "2", "--samples", "2", "--no-progress"])
    assert status == 0, capsys.readouterr().err
    plan = plan_sweep(spec, base=tiny_path, replications=1, levels=2, samples=2)
    with open(out / "runs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == plan.runs
    assert set(rows[0]) == {"point", "replication", *(p.name for p in plan.sweep.parameters),
                            *(c.name for c in plan.sweep.columns)}
    for name in ("points.csv", "sensitivity.csv", "sensitivity.png", "curves.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "heatmap.png").exists() == (plan.sweep.heatmap is not None)
    assert len(list((out / "points").glob("*/summary.csv"))) == len(plan.points)
