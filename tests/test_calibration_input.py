"""Bad input to ``bandwagon calibrate``: one line naming file and field, exit 2, nothing written.

Also the unit-cube coordinates of free parameters (sim/calibration/problem/parameters.py).
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
    # the classes of bad input of issue 11
    "impossible target date": (
        {"extra_targets": {"t": {"metric": "gov_accounts.sina", "date": "2011-02-30", "value": 10}}},
        "extra_targets.t.date", "expected a valid date"),
    "replications as text": ({"replications": "2"}, "replications", "expected a valid integer"),
    "replications as a boolean": ({"replications": True}, "replications", "expected a valid integer"),
    "base with a NUL byte": ({"base": "a\x00b.yaml"}, "base", "without NUL bytes"),
    "base name too long": ({"base": "b" * 300 + ".yaml"}, "base", "at most 255 bytes"),
    "base is a directory": ({"base": "."}, "base", "expected an existing scenario file"),
    "range past the model's bound": (
        {"parameters": {"x": {"path": "population.internet.growth_rate", "range": [0.5, 1e7]}}},
        "parameters.x.range", "less than or equal to 1000000"),
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


@pytest.mark.parametrize("text, field, words", [
    ("replications: !!int 'two'", "replications", "expected a value of type int"),
    ("replications: " + "[" * 40 + "]" * 40, "replications.0", "levels of nesting"),
    ("? [a, b]\n: 2", None, "expected a text key"),
    ("budget: {evaluations: 5, minutes: !!float 'soon'}", "budget.minutes", "expected a value of type float"),
])
def test_yaml_classes_are_one_line_exit_2_nothing_written(text, field, words, tiny_path, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"base: {tiny_path}\n{text}\nbudget: {{evaluations: 5}}\nparameters:\n"
                    "  x: {path: population.internet.growth_rate, range: [0.3, 0.9]}\n".replace(
                        "budget: {evaluations: 5}\n", "" if text.startswith("budget") else "budget: {evaluations: 5}\n")
                    + ("replications: 2\n" if not text.startswith(("replications", "?")) else ""))
    out = tmp_path / "out"
    assert cli(["calibrate", str(spec), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err, err
    assert f"{spec}: {field}" in err if field else str(spec) in err
    assert not out.exists()


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
    from sim.calibration.problem.parameters import FreeParameter

    p = FreeParameter(name="x", label="x", path="x", apply="set", low=low, high=low * ratio,
                      spacing="log" if log else "linear", start=low, paths=("x",), base_values=(low,))
    value = p.value(u)
    assert p.low * (1 - 1e-12) <= value <= p.high * (1 + 1e-12)
    assert p.unit(value) == pytest.approx(u, abs=1e-9)
    assert np.isclose(p.value(p.unit(value)), value, rtol=1e-9)
