"""Bad sweep input: one line on stderr, exit status 2, nothing written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.cli import main
from sim.sweep.pipeline import manifest, plan_sweep

SPEC = """\
name: trial
base: {base}
design: grid
replications: 1
seed: 7
parameters:
  imitation:
    path: agencies.levels.*.hazard.imitation
    apply: multiply
    values: [0.5, 2.0]
outcomes:
  accounts: {{metric: gov_accounts.sina, at: 2011-10-31}}
"""


def write_spec(directory: Path, tiny_path: Path, text: str = SPEC, **replace: str) -> Path:
    body = text.format(base=tiny_path)
    for old, new in replace.items():
        assert old in body, old
        body = body.replace(old, new)
    path = directory / "spec.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def run_cli(capsys, *argv) -> tuple[int, str]:
    status = main(["sweep", *map(str, argv), "--no-progress"])
    err = capsys.readouterr().err
    return status, err


def assert_refused(capsys, out: Path, *argv, expect: str) -> None:
    status, err = run_cli(capsys, *argv, "--out", out)
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("bandwagon sweep: error: ")
    assert expect in lines[0], lines[0]
    assert not out.exists(), "nothing may be written"


@pytest.mark.parametrize("replace, expect", [
    ({"agencies.levels.*.hazard.imitation": "agencies.levels.*.hazard.imitaton"},
     "parameters.imitation.path: expected one of"),
    ({"agencies.levels.*.hazard.imitation": "agencies.levelz.county.hazard.imitation"},
     "parameters.imitation.path: expected one of"),
    ({"values: [0.5, 2.0]": "range: [2.0, 2.0]\n    levels: 3"}, "expected a non-empty range"),
    ({"values: [0.5, 2.0]": "range: [3.0, 1.0]\n    levels: 3"}, "expected a non-empty range"),
    ({"values: [0.5, 2.0]": "values: []"}, "expected at least one value, got an empty list"),
    ({"design: grid": "design: factorial"}, "design: expected 'grid', 'lhs', 'sobol' or 'one_at_a_time'"),
    ({"design: grid": "design: sobol\nsamples: 6"}, "samples: expected a power of 2"),
    ({"values: [0.5, 2.0]": "range: [0.5, 2.0]"}, "parameters.imitation.levels: expected levels"),
    ({"at: 2011-10-31": "at: 2013-01-01"}, "outcomes.accounts.at: expected a date within the horizon"),
    ({"gov_accounts.sina, at": "gov_accounts.weibo, at"}, "outcomes.accounts.metric: expected a metric"),
    ({"seed: 7\n": ""}, "seed: missing required field"),
    ({"apply: multiply": "apply: multiply\n    colour: red"}, "unknown key"),
])
def test_bad_spec_is_one_line_exit_2_nothing_written(tmp_path, tiny_path, capsys, replace, expect):
    spec = write_spec(tmp_path, tiny_path, **replace)
    assert_refused(capsys, tmp_path / "out", spec, expect=expect)


CLASSES = [  # the classes of bad input of issue 11, in a sweep spec
    ({"at: 2011-10-31": "at: 2011-02-30"}, "outcomes.accounts.at: expected a valid date"),
    ({"at: 2011-10-31": "at: '2011-13-01'"}, "outcomes.accounts.at: expected a valid date"),
    ({"replications: 1": "replications: !!int 'one'"}, "replications: expected a value of type int"),
    ({"replications: 1": "replications: '1'"}, "replications: expected a valid integer"),
    ({"seed: 7": "seed: true"}, "seed: expected a valid integer"),
    ({"seed: 7": "seed: 7.0"}, "seed: expected a valid integer"),
    ({"seed: 7": "? [a, b]\n: 7"}, "expected a text key"),
    ({"values: [0.5, 2.0]": "values: " + "[" * 40 + "]" * 40}, "parameters.imitation.values.0"),
    ({"base: {base}": "base: missing.yaml"}, "base: expected an existing scenario file"),
    ({"base: {base}": "base: ."}, "base: expected a scenario file, but"),
    ({"base: {base}": "base: /dev/null"}, "base: expected a scenario file, but /dev/null: expected a regular file"),
    ({"base: {base}": "base: " + "b" * 300}, "base: expected file names of at most 255 bytes"),
    ({"agencies.levels.*.hazard.imitation\n    apply: multiply\n    values: [0.5, 2.0]":
      "agencies.levels.county.count\n    values: [1000000000]"}, "point p0000: agencies.levels.county.count"),
    ({"agencies.levels.*.hazard.imitation\n    apply: multiply\n    values: [0.5, 2.0]":
      "agencies.levels.*.hazard.innovation\n    values: [-1.0]"}, "point p0000: agencies.levels"),
]


@pytest.mark.parametrize("replace, expect", CLASSES)
def test_each_class_of_bad_spec_is_refused(tmp_path, tiny_path, capsys, replace, expect):
    body = SPEC.replace("{{", "{").replace("}}", "}")
    for old, new in replace.items():
        assert old in body, old
        body = body.replace(old, new)
    spec = tmp_path / "spec.yaml"
    spec.write_text(body.replace("{base}", str(tiny_path)), encoding="utf-8")
    assert_refused(capsys, tmp_path / "out", spec, expect=expect)


def test_an_event_a_point_pushes_too_far_is_refused_before_anything_runs(tmp_path, tiny_path, capsys):
    spec = write_spec(tmp_path, tiny_path, **{
        "path: agencies.levels.*.hazard.imitation\n    apply: multiply\n    values: [0.5, 2.0]":
        "path: agencies.levels.*.hazard.imitation\n    values: [900000.0]"})  # valid, until the push doubles it
    assert_refused(capsys, tmp_path / "out", spec, expect="point p0000: events.policy_push.changes.1")


def test_a_point_the_scenario_rejects_is_refused_before_anything_runs(tmp_path, tiny_path, capsys):
    # multiply keeps counts integral; set with a value the schema refuses (a negative rate) fails at its point
    spec = write_spec(tmp_path, tiny_path, **{"apply: multiply\n    values: [0.5, 2.0]": "values: [0.5, -1.0]"})
    assert_refused(capsys, tmp_path / "out", spec, expect="point p0001")


@pytest.mark.parametrize("argv, expect", [
    (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler: cannot reach a Dask scheduler at tcp://127.0.0.1:9"),
    (["--scheduler", "somewhere"], "--scheduler: expected 'local' or a scheduler address"),
    (["--workers", "0"], "--workers: expected a positive number"),
    (["--replications", "0"], "--replications: expected a positive number"),
    (["--base", "no/such/scenario.yaml"], "--base: expected an existing scenario file, got no/such/scenario.yaml"),
    (["--base", "."], "--base: expected a scenario file, but .: expected a file, got a directory"),
])
@pytest.mark.slow
def test_bad_options_are_one_line_exit_2_nothing_written(tmp_path, tiny_path, capsys, argv, expect):
    spec = write_spec(tmp_path, tiny_path)
    assert_refused(capsys, tmp_path / "out", spec, *argv, expect=expect)


def test_missing_spec_file(tmp_path, capsys):
    assert_refused(capsys, tmp_path / "out", tmp_path / "nope.yaml", expect="nope.yaml: file not found")


def test_out_that_is_a_file_or_holds_something_else(tmp_path, tiny_path, capsys):
    spec = write_spec(tmp_path, tiny_path)
    afile = tmp_path / "afile"
    afile.write_text("x")
    status, err = run_cli(capsys, spec, "--out", afile)
    assert status == 2 and "is a file" in err
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    status, err = run_cli(capsys, spec, "--out", other)
    assert status == 2 and "expected an empty directory or a sweep directory" in err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_a_changed_spec_or_model_version_is_refused_not_mixed(tmp_path, tiny_path, capsys):
    spec = write_spec(tmp_path, tiny_path)
    out = tmp_path / "out"
    out.mkdir()
    content = manifest(plan_sweep(spec))
    (out / "manifest.json").write_text(json.dumps(content))
    before = sorted(p.name for p in out.iterdir())

    changed = write_spec(tmp_path, tiny_path, **{"replications: 1": "replications: 2"})
    status, err = run_cli(capsys, changed, "--out", out)
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "holds a different sweep" in err and "changed: replications" in err

    (out / "manifest.json").write_text(json.dumps({**content, "model_version": "0.0.1"}))
    status, err = run_cli(capsys, write_spec(tmp_path, tiny_path), "--out", out)
    assert status == 2 and "holds runs of model version 0.0.1" in err
    assert sorted(p.name for p in out.iterdir()) == before


def test_dry_run_prints_points_runs_and_estimate_and_writes_nothing(tmp_path, tiny_path, capsys):
    spec = write_spec(tmp_path, tiny_path, **{"replications: 1": "replications: 3"})
    out = tmp_path / "out"
    status = main(["sweep", str(spec), "--out", str(out), "--dry-run", "--workers", "2"])
    text = capsys.readouterr().out
    assert status == 0
    assert "points: 2; replications: 3; runs: 6 (6 distinct, 0 already in" in text
    assert "p0000: imitation=0.5\n" in text and "p0001: imitation=2\n" in text
    estimate = re.search(r"estimate: about (\d+) s on 2 worker\(s\), between (\d+) s and (\d+) s", text)
    assert estimate and int(estimate[2]) <= int(estimate[1]) <= int(estimate[3]), text
    assert "one run timed at each of 2 points across the design" in text  # two points: both timed
    assert not out.exists()


def test_dry_run_times_the_cheapest_middle_and_dearest_points(tmp_path, tiny_path):
    from sim.commands.sweep import estimate_samples

    spec = write_spec(tmp_path, tiny_path, **{
        "path: agencies.levels.*.hazard.imitation\n    apply: multiply\n    values: [0.5, 2.0]":
        "path: agencies.levels.county.count\n    values: [900, 100, 500, 300, 700]"})
    plan = plan_sweep(spec)
    picked = [dict(plan.parameter_values(p))["imitation"] for p in estimate_samples(plan)]
    assert picked == [100, 500, 900]


def test_dry_run_piped_into_head_ends_quietly(tmp_path, tiny_path):
    spec = write_spec(tmp_path, tiny_path)
    result = subprocess.run(f"{sys.executable} -m sim sweep {spec} --dry-run --out {tmp_path / 'out'} | head -1",
                            shell=True, capture_output=True, text=True)
    assert result.stdout.startswith("trial: grid design") and result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr


# --- any mangled spec: an InputError, never a traceback ------------------------------------------
import copy  # noqa: E402

import yaml  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sim.errors import InputError  # noqa: E402

JUNK = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
                 st.text(max_size=8), st.lists(st.integers(-2, 3), max_size=3),
                 st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_mangled_spec_is_an_input_error(tmp_path, tiny_path, data):
    document = yaml.safe_load(SPEC.format(base=tiny_path))
    document["outcomes"]["curve"] = {"metric": "gov_accounts.sina", "curve": ["t50", "final"]}
    mangled = copy.deepcopy(document)
    targets = [p for p in _paths(mangled) if p]
    for path in data.draw(st.lists(st.sampled_from(targets), min_size=1, max_size=3, unique=True)):
        node = mangled
        for key in path[:-1]:
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            if isinstance(node, dict) and path[-1] in node:
                if data.draw(st.booleans()):
                    del node[path[-1]]
                else:
                    node[path[-1]] = data.draw(JUNK)
    spec = tmp_path / "mangled.yaml"
    spec.write_text(yaml.safe_dump(mangled), encoding="utf-8")
    try:
        plan_sweep(spec)
    except InputError as exc:
        assert "\n" not in exc.line()
