"""Bad input gets one clear line and exit status 2: never a traceback, never output.

Property-based: hypothesis mangles the baseline scenario (deletes, replaces,
renames and adds keys; corrupts the YAML text) and every result must either
load or raise :class:`InputError`.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Scenario
from sim.cli import main
from sim.errors import InputError

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def baseline_document(scenarios_dir) -> dict:
    data = yaml.safe_load((scenarios_dir / "baseline.yaml").read_text())
    data["outputs"]["targets"] = str(scenarios_dir / "targets" / "beijing-review-2012.yaml")
    return data


def all_paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from all_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from all_paths(value, (*prefix, i))


def parent_and_key(data, path):
    node = data
    for part in path[:-1]:
        node = node[part]
    return node, path[-1]


@st.composite
def mangled(draw, document):
    data = yaml.safe_load(yaml.safe_dump(document))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in all_paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent, key = parent_and_key(data, path)
        action = draw(st.sampled_from(["replace", "delete", "rename", "add", "negate"]))
        if action == "replace":
            parent[key] = draw(JUNK)
        elif action == "delete":
            del parent[key]
        elif action == "negate" and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
            parent[key] = -abs(parent[key]) - 1
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8)) + "_x"] = parent.pop(key)
        elif action == "add" and isinstance(parent[key], dict):
            parent[key][draw(st.text(min_size=1, max_size=8)) + "_y"] = draw(JUNK)
    return data


def check_loads_or_input_error(path):
    try:
        Scenario.from_yaml(path)
    except InputError as exc:
        line = exc.line()
        assert line and "\n" not in line and "Traceback" not in line


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mangled_scenarios_load_or_fail_cleanly(tmp_path, scenarios_dir, data):
    document = data.draw(mangled(baseline_document(scenarios_dir)))
    path = tmp_path / "mangled.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    check_loads_or_input_error(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(0, 1), insert=st.text(min_size=1, max_size=6), cut=st.integers(0, 20))
def test_corrupted_yaml_text_fails_cleanly(tmp_path, scenarios_dir, position, insert, cut):
    text = (scenarios_dir / "baseline.yaml").read_text().replace(
        "targets: targets/", f"targets: {scenarios_dir}/targets/")
    i = int(position * len(text))
    path = tmp_path / "corrupt.yaml"
    path.write_text(text[:i] + insert + text[i + cut:])
    check_loads_or_input_error(path)


def test_validate_command_reports_one_line_per_bad_file(tmp_path, capsys, baseline_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {baseline_path}\nreplications: 0\n")
    status = main(["validate", str(baseline_path), str(bad)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.strip().count("\n") == 0
    assert "replications" in captured.err and str(bad) in captured.err


@pytest.mark.parametrize("content, extra", [
    ("extends: {b}\nagencies: {{levels: {{county: {{count: -3}}}}}}\n", []),
    ("extends: {b}\nevents: {{policy_push: {{date: 2020-01-01}}}}\n", []),
    ("extends: {b}\nunknown_section: 1\n", []),
    ("extends: {b}\n", ["--replications", "0"]),
    ("extends: nowhere.yaml\n", []),
    ("extends: {b}\noutputs: {{targets: nowhere.yaml}}\n", []),
])
@pytest.mark.slow
def test_run_with_bad_input_exits_2_and_writes_nothing(tmp_path, baseline_path, content, extra):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(content.format(b=baseline_path))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "sim", "run", str(scenario), "--out", str(out), *extra],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_missing_scenario_file(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sim", "run", str(tmp_path / "none.yaml")],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert "none.yaml: file not found" in result.stderr
    assert not (tmp_path / "results").exists()
