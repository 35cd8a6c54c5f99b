"""The documentation is tested: the README's and the tutorial's code blocks run as written, in order, in a
fresh copy of the repository; the reference pages generated from the schemas list every field the shipped
files use; CI runs the README's own test command.

A block may carry a marker on the line before its fence:

``<!-- test: fresh-clone -->``
    run as written, without any environment set up (the README's first command: it creates ``.venv``);
``<!-- test: ci -->``
    not run here: it is the test command itself, which ``.ci/run`` runs as written;
``<!-- test: sketch -->``
    not run: a shortened excerpt of the source, for reading; every function it defines and every method it
    calls on ``self`` must exist in the module its first comment line names, so the sketch cannot drift from
    the code without a test failing.

Every other ``bash`` block runs in the copy with its ``.venv`` active, every ``python`` block in one
namespace per page (the page's earlier blocks' names stay defined), every ``yaml`` block must parse.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TUTORIAL = ROOT / "docs" / "tutorial.md"
FENCE = re.compile(r"(?:<!-- test: (?P<mark>[\w-]+) -->\n)?^```(?P<lang>\w*)\n(?P<code>.*?)^```", re.S | re.M)
LANGUAGES = {"bash", "python", "yaml"}


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    lang: str
    code: str
    mark: str | None


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    return [Block(path.name, text.count("\n", 0, m.start()) + 1, m.group("lang"), m.group("code"), m.group("mark"))
            for m in FENCE.finditer(text)]


def reference_hook():
    spec = importlib.util.spec_from_file_location("docs_reference", ROOT / "docs" / "hooks" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- what the pages hold (quick) -------------------------------------------------------------------
@pytest.mark.parametrize("page", [README, TUTORIAL], ids=lambda p: p.name)
def test_every_block_is_one_the_tests_run(page):
    found = blocks(page)
    assert found, page
    for block in found:
        assert block.lang in LANGUAGES, f"{block.page}:{block.line}: a ```{block.lang} block the tests cannot run"
        assert block.mark in (None, "fresh-clone", "ci", "sketch"), f"{block.page}:{block.line}: unknown mark {block.mark}"
        if block.lang == "yaml":
            yaml.safe_load(block.code)


@pytest.mark.parametrize("page", [README, TUTORIAL], ids=lambda p: p.name)
def test_every_sketch_names_what_its_source_defines(page):
    for block in blocks(page):
        if block.mark != "sketch":
            continue
        where = f"{block.page}:{block.line}"
        first = block.code.splitlines()[0]
        source = re.search(r"#\s*(\S+\.py)", first)
        assert source, f"{where}: a sketch's first line names its source module in a comment"
        text = (ROOT / source.group(1)).read_text(encoding="utf-8")
        names = re.findall(r"def (\w+)\(", block.code) + re.findall(r"self\.(\w+)\(", block.code)
        assert names, where
        for name in names:
            assert re.search(rf"def {name}\(", text), f"{where}: {name} is not defined in {source.group(1)}"


def test_the_readme_stays_a_front_door():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 260
    marks = [block.mark for block in blocks(README)]
    assert marks[:2] == ["fresh-clone", "ci"]  # the two commands come first


def test_ci_runs_the_readmes_test_command_as_written():
    command = next(block.code for block in blocks(README) if block.mark == "ci")
    printed = subprocess.run([sys.executable, str(ROOT / ".ci" / "readme_command.py"), "ci"], capture_output=True,
                             text=True, check=True).stdout
    assert printed == command and "pytest" in command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'readme_test_command="$(python3 .ci/readme_command.py ci)"' in ci
    assert 'bash -euo pipefail -c "$readme_test_command"' in ci
    assert "mkdocs build --strict" in ci


def _leaves(data, prefix=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        for i, value in enumerate(data):
            yield from _leaves(value, f"{prefix}.{i}")
    else:
        yield prefix


def _listed(path: str, fields: list[str]) -> bool:
    for field in fields:
        pattern = "^" + "[^.]+".join(re.escape(part) for part in re.split(r"<[a-z]+>", field)) + "$"
        if re.match(pattern, path):
            return True
    return False


def _shipped(kind: str) -> list[dict]:
    if kind == "scenario":
        from sim import Scenario

        return [Scenario.from_yaml(ROOT / "scenarios" / "baseline.yaml").to_dict()]
    if kind == "targets":
        return [yaml.safe_load(p.read_text()) for p in (ROOT / "scenarios" / "targets").glob("*.yaml")]
    prefix = "calibrate-" if kind == "calibration" else ""
    specs = [p for p in (ROOT / "experiments").glob("*.yaml") if p.name.startswith("calibrate-") == bool(prefix)]
    return [yaml.safe_load(p.read_text()) for p in specs]


@pytest.mark.parametrize("kind", ["scenario", "targets", "sweep", "calibration"])
def test_the_generated_reference_lists_every_field_the_shipped_files_use(kind):
    """The reference is generated from the schema; this checks the generator misses no nesting of it."""
    fields = reference_hook().fields(kind)
    assert len(fields) == len(set(fields))
    documents = _shipped(kind)
    assert documents
    for document in documents:
        missing = [path for path in _leaves(document) if not _listed(path, fields)]
        assert not missing, f"{kind}: fields in shipped files but not in the reference: {missing[:5]}"


def test_the_cli_reference_has_every_subcommand_and_option():
    from sim.cli import build_parser

    text = reference_hook().cli_reference()
    help_text = build_parser().format_help()
    for command in ("run", "validate", "schema", "plot", "compare", "sweep", "calibrate"):
        assert f"## `bandwagon {command}`" in text and command in help_text
    for option in ("--replications", "--posterior", "--relative-to", "--dry-run", "--posterior-minutes",
                   "--scheduler", "--workers"):
        assert f"`{option}`" in text, option


def test_the_api_reference_names_what_sim_exports():
    import sim

    api = (ROOT / "docs" / "reference" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^::: ([\w.]+)", api, re.M))
    for name in sim.__all__:
        if not name.startswith("_"):
            target = getattr(sim, name)
            assert f"sim.{name}" in documented or f"{target.__module__}.{name}" in documented, name


# --- the pages run (slow: a fresh copy, an install, every command) -----------------------------------
@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory) -> Path:
    """The repository's files as a clone of the working tree has them (tracked and new, nothing ignored)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    copy = tmp_path_factory.mktemp("clone") / "bandwagon"
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


def _environment() -> dict:
    """The environment a newcomer's shell has: no virtual environment active, no pytest variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "VIRTUAL_ENV", "PYTHONPATH"))}
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(venv))
    env["MPLBACKEND"] = "Agg"
    return env


def run_page(page: Path, copy: Path, monkeypatch) -> None:
    namespace: dict = {"__name__": "__main__"}
    monkeypatch.chdir(copy)
    for block in blocks(page):
        where = f"{block.page}:{block.line}"
        if block.mark in ("ci", "sketch") or block.lang == "yaml":
            continue
        if block.lang == "bash":
            script = block.code if block.mark == "fresh-clone" else f". .venv/bin/activate\n{block.code}"
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=copy, env=_environment(),
                                  capture_output=True, text=True)
            assert done.returncode == 0, f"{where} failed ({done.returncode}):\n{block.code}\n{done.stderr[-3000:]}"
        else:
            exec(compile(block.code, where, "exec"), namespace)


@pytest.mark.slow
def test_the_readme_runs_as_written_on_a_fresh_clone(fresh_copy, monkeypatch):
    """The two commands' first (a new .venv, the install, the baseline), then the tour, block by block."""
    run_page(README, fresh_copy, monkeypatch)
    assert list((fresh_copy / "results" / "baseline").iterdir())  # the first command's run
    assert (fresh_copy / "results" / "compare" / "effects.csv").is_file()


@pytest.mark.slow
def test_the_tutorial_runs_as_written(fresh_copy, monkeypatch):
    run_page(TUTORIAL, fresh_copy, monkeypatch)
    assert (fresh_copy / "results" / "tutorial" / "calibration" / "posterior.csv").is_file()
