"""Bad input to ``bandwagon calibrate``: one line naming file and field, exit 2, nothing written.

Also the unit-cube coordinates of free parameters (sim/calibration/parameters.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import Scenario
from sim.calibration import load_problem
from sim.cli import main as cli
from sim.errors import InputError


def spec_file(directory: Path, tiny_path: Path, **changes) -> Path:
    spec = {
        "base": str(tiny_path),
        "replications": 2,
        "budget": {"evaluations": 5},
        "parameters": {"imitation": {"path": "agencies.levels.*.hazard.imitation", "apply": "multiply",
                                     "range": [0.5, 2.0], "spacing": "log"}},
    }
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    path = directory / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


BAD = {
    "unknown parameter path": (
        {"parameters": {"x": {"path": "agencies.levels.*.hazard.imitaton", "range": [0, 1]}}},
        "parameters.x.path", "expected one of"),
    "bounds in the wrong order": (
        {"parameters": {"x": {"path": "population.internet.growth_rate", "range": [2.0, 0.5]}}},
        "parameters.x", "increasing order"),
    "target metric the model does not produce": (
        {"extra_targets": {"t": {"metric": "gov_accounts.weibo", "date": "2010-01-01", "value": 10}}},
        "extra_targets.t.metric", "expected a metric the model writes"),
    "target date outside the horizon": (
        {"extra_targets": {"t": {"metric": "gov_accounts.sina", "date": "2013-01-01", "value": 10}}},
        "extra_targets.t.date", "within the horizon"),
    "log range through zero": (
        {"parameters": {"x": {"path": "population.internet.growth_rate", "range": [0, 1], "spacing": "log"}}},
        "parameters.x", "positive low end"),
    "unknown key": ({"budjet": {"evaluations": 3}}, "budjet", "unknown key"),
    "path to a date": (
        {"parameters": {"x": {"path": "platforms.sina.launch", "range": [0, 1]}}},
        "parameters.x.path", "expected a path to numbers"),
    "range end giving an invalid scenario": (
        {"parameters": {"x": {"path": "population.internet.capacity", "range": [1e8, 6e8]}}},
        "parameters.x.range", "low end of the range"),
    "no budget": ({"budget": {}}, "budget", "evaluations, minutes, or both"),
    "unknown omitted target": ({"omit_targets": ["nonexistent"]}, "omit_targets.0", "expected one of the targets"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_exit_2_nothing_written(case, tiny_path, tmp_path, capsys):
    changes, field, words = BAD[case]
    spec = spec_file(tmp_path, tiny_path, **changes)
    out = tmp_path / "out"
    assert cli(["calibrate", str(spec), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"bandwagon calibrate: error: {spec}: {field}") or (f": {field}" in err), err
    assert words in err, err
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))  # no staging directory left behind


def test_bad_command_line_values(tiny_path, tmp_path, capsys):
    spec = spec_file(tmp_path, tiny_path)
    for option, value in (("--workers", "0"), ("--evaluations", "0"), ("--minutes", "-1")):
        assert cli(["calibrate", str(spec), option, value, "--out", str(tmp_path / "o")]) == 2
        assert option in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_missing_spec_and_base(tmp_path, capsys):
    assert cli(["calibrate", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({"base": "missing.yaml", "replications": 2, "budget": {"minutes": 1},
                                    "parameters": {"x": {"path": "seed", "range": [0, 1]}}}))
    assert cli(["calibrate", str(spec)]) == 2
    assert "base: expected an existing scenario file" in capsys.readouterr().err


def test_seed_is_not_a_parameter(tiny_path, tmp_path):
    spec = spec_file(tmp_path, tiny_path, parameters={"x": {"path": "seed", "range": [0, 10]}})
    with pytest.raises(InputError, match="not the run setting"):
        load_problem(spec)


def test_multiply_keeps_ratios_and_counts_stay_integers(tiny_path, tmp_path):
    spec = spec_file(tmp_path, tiny_path, parameters={
        "imitation": {"path": "agencies.levels.*.hazard.imitation", "apply": "multiply", "range": [0.5, 2.0],
                      "spacing": "log"},
        "counts": {"path": "agencies.levels.*.count", "apply": "multiply", "range": [0.5, 2.0]}})
    problem = load_problem(spec)
    base = Scenario.from_yaml(tiny_path)
    z = problem.space.unit([1.5, 1.37])
    scenario = problem.scenario(z)
    for name, level in base.agencies.levels.items():
        new = scenario.agencies.levels[name]
        assert new.hazard.imitation == pytest.approx(1.5 * level.hazard.imitation)
        assert new.count == round(1.37 * level.count)
    # The prior of a multiplier is 1 (the base itself).
    assert problem.space.values(problem.space.start()) == pytest.approx([1.0, 1.0])


def test_the_targets_file_defaults_to_the_base_scenarios(tiny_path, tmp_path):
    problem = load_problem(spec_file(tmp_path, tiny_path))
    assert len(problem.targets) == 8 and problem.targets_path.name == "beijing-review-2012.yaml"
    # Evaluations stop at the last day a target needs (the model is causal).
    assert problem.model_base.horizon.end == max(max(t.dates_needed()) for t in problem.targets.targets)


@settings(max_examples=60, deadline=None)
@given(low=st.floats(1e-3, 10), ratio=st.floats(1.01, 1e3), u=st.floats(0, 1), log=st.booleans())
def test_unit_coordinates_round_trip(low, ratio, u, log):
    from sim.calibration.parameters import FreeParameter

    p = FreeParameter(name="x", label="x", path="x", apply="set", low=low, high=low * ratio,
                      spacing="log" if log else "linear", start=low, paths=("x",), base_values=(low,))
    value = p.value(u)
    assert p.low * (1 - 1e-12) <= value <= p.high * (1 + 1e-12)
    assert p.unit(value) == pytest.approx(u, abs=1e-9)
    assert np.isclose(p.value(p.unit(value)), value, rtol=1e-9)
