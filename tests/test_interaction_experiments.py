"""The interaction loop's examples run: its scenarios end to end, and the staffing sweep's figures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from sim import Scenario
from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("name", ["staffing-thin", "staffing-24h", "hot-issue"])
def test_interaction_scenarios_run(tmp_path, name):
    """Each scenario, shortened to two runs of the tiny agency counts, runs and shows its desk."""
    tiny = Scenario.from_yaml(ROOT / "tests" / "data" / "tiny.yaml")
    path = tmp_path / f"{name}.yaml"
    counts = "\n".join(f"  agencies.levels.{level}.count: {spec.count}" for level, spec in tiny.agencies.levels.items())
    path.write_text(f"extends: {ROOT / 'scenarios' / name}.yaml\nname: {name}\nreplications: 2\n"
                    f"horizon: {{end: 2012-01-31}}\noutputs: {{adoptions: false}}\nset:\n{counts}\n")
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert (out / "figures" / "interaction.png").stat().st_size > 0
    summary = (out / "summary.csv").read_text()
    assert "messages.shanghai_city.sina.received" in summary and "response_hours.shanghai_city.sina.p50" in summary


def test_staffing_sweep_figures(tmp_path, tiny_path):
    out = tmp_path / "staffing"
    assert main(["sweep", str(ROOT / "experiments" / "staffing.yaml"), "--out", str(out), "--base", str(tiny_path),
                 "--replications", "2", "--levels", "2", "--no-progress"]) == 0
    figures = load_script("staffing_figures")
    fig = figures.figure(out)
    heatmaps = [ax for ax in fig.axes if ax.images]
    assert len(heatmaps) == 3
    for ax in heatmaps:
        assert ax.images[0].get_array().shape == (2, 2)  # team x rate, shortened to two levels each
        assert ax.get_xlabel() and ax.get_ylabel()
    followers = heatmaps[2].images[0].get_array()
    assert followers.min() > 0
    target = tmp_path / "staffing.png"
    figures.save(fig, target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
