"""The model version follows the model's code, and a sweep refuses to mix runs of two versions."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

import sim
from sim import versioning
from sim.cli import main

SPEC = """\
name: versioned
base: {base}
design: grid
replications: 1
seed: 3
parameters:
  imitation: {{path: agencies.levels.*.hazard.imitation, apply: multiply, values: [0.5, 2.0]}}
outcomes:
  oct: {{metric: gov_accounts.sina, at: 2011-10-31}}
"""


@pytest.fixture
def package_copy(tmp_path) -> Path:
    """A copy of the installed package's source tree, to edit."""
    copy = tmp_path / "sim"
    shutil.copytree(Path(sim.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_version_is_the_package_version_and_a_hash_of_the_model_source(package_copy):
    version = sim.model_version()
    release, _, digest = version.partition("+")
    assert release == sim.__version__ and len(digest) == 12 and int(digest, 16) >= 0
    assert versioning.model_version(package_copy) == version  # the same files, the same version


@pytest.mark.parametrize("changed", ["model/simulation.py", "scenario/schema.py", "scenario/apportion.py",
                                     "scenario/events.py", "scenario/loading.py", "scenario/paths.py",
                                     "scenario/shifts.py", "scenario/fields.py", "scenario/sections/interaction.py",
                                     "streams.py", "calendar.py", "files.py", "errors.py"])
def test_the_version_changes_when_a_model_file_changes(package_copy, changed):
    before = versioning.model_version(package_copy)
    path = package_copy / changed
    path.write_bytes(path.read_bytes() + b"\n# a change\n")
    versioning._version.cache_clear()
    assert versioning.model_version(package_copy) != before


def test_a_new_model_file_changes_the_version(package_copy):
    before = versioning.model_version(package_copy)
    (package_copy / "model" / "new_mechanism.py").write_text('"""A mechanism."""\n')
    versioning._version.cache_clear()
    assert versioning.model_version(package_copy) != before


def test_every_module_the_model_runs_is_hashed():
    """The import closure of ``simulate``, the twin and the mechanisms lies inside the hashed files."""
    assert versioning.unhashed_modules() == []


def test_a_module_left_out_of_the_hash_is_caught():
    """The check has power: drop the province split from the patterns and it is named."""
    patterns = tuple(p for p in versioning.MODEL_SOURCES if p != "scenario/apportion.py")
    assert versioning.unhashed_modules(patterns=patterns) == ["sim.scenario.apportion"]


def test_a_new_module_the_model_imports_is_caught(package_copy):
    """A new helper outside the hashed folders, imported by the run (inside a function: still run), is named."""
    (package_copy / "helper.py").write_text('"""A helper."""\nSCALE = 1.0\n')
    simulation = package_copy / "model" / "simulation.py"
    simulation.write_text(simulation.read_text().replace(
        "def simulate(scenario: Scenario, replication: int = 0) -> RunRecords:\n",
        "def simulate(scenario: Scenario, replication: int = 0) -> RunRecords:\n    from ..helper import SCALE\n", 1))
    assert "from ..helper import SCALE" in simulation.read_text()
    assert versioning.unhashed_modules(package_copy) == ["sim.helper"]


def test_the_hash_holds_nothing_the_model_does_not_run():
    """Every hashed file outside ``model/`` is run by the model (package ``__init__`` files, which only re-export,
    aside): an edit to a report never changes the version."""
    from sim import importgraph

    package = Path(sim.__file__).resolve().parent
    run = importgraph.closure(list(versioning.MODEL_ROOTS), importgraph.graph(package))
    names = {path: name for name, path in importgraph.modules(package).items()}
    extra = [names[path] for path in versioning.hashed_files(package)
             if names[path] not in run and not names[path].startswith("sim.model") and path.name != "__init__.py"]
    assert extra == []


def test_files_the_model_does_not_run_leave_the_version_alone(package_copy):
    before = versioning.model_version(package_copy)
    for name in ("plotting/style.py", "commands/run.py", "sweep/engine.py", "inputs.py", "targets.py",
                 "scenario/builders.py"):
        path = package_copy / name
        path.write_bytes(path.read_bytes() + b"\n# a change\n")
    versioning._version.cache_clear()
    assert versioning.model_version(package_copy) == before


def test_a_sweep_is_not_resumed_after_the_model_changed(tmp_path, tiny_path, monkeypatch, capsys):
    spec = tmp_path / "versioned.yaml"
    spec.write_text(textwrap.dedent(SPEC.format(base=tiny_path)), encoding="utf-8")
    out = tmp_path / "sweep"
    command = ["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]
    assert main(command) == 0
    assert main(command) == 0 and "(0 new, 2 cached)" in capsys.readouterr().out  # same model: resumed
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    monkeypatch.setattr(versioning, "_version", lambda package: f"{sim.__version__}+0123456789ab")
    assert main(command) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert f"holds runs of model version {before_version(out)}, but the model is now {sim.__version__}+0123456789ab" \
        in error
    assert f"delete {out} to rerun the sweep, or choose another --out" in error
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # nothing written or overwritten


def before_version(out: Path) -> str:
    import json

    return json.loads((out / "manifest.json").read_text())["model_version"]
