"""Same numbers however a sweep is run: killed and resumed, on 1 or 2 workers, or on a Dask LocalCluster.

The real model over the tiny scenario, on a Latin hypercube with two
replications per point, so that parameter values are arbitrary floats and
each run has its own random streams.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sim.cli import main

pytestmark = pytest.mark.slow  # every test here runs whole sweeps in subprocesses

SPEC = """\
name: reproducible
base: {base}
design: lhs
samples: 4
replications: 2
seed: 11
parameters:
  imitation: {{path: agencies.levels.*.hazard.imitation, apply: multiply, range: [0.5, 2.0], spacing: log}}
  pull: {{path: agencies.levels.*.hazard.audience_pull, apply: multiply, range: [0.5, 2.0]}}
outcomes:
  oct: {{metric: gov_accounts.sina, at: 2011-10-31}}
  first200: {{metric: gov_accounts.sina, reaches: 200}}
  sina: {{metric: gov_accounts.sina, curve: all}}
"""
RUNS = 8
VOLATILE = {"sessions.jsonl", ".lock"}
"""The session log records each invocation (so differs by design); the lock file is empty."""


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in VOLATILE}


def run_files(root: Path) -> list[Path]:
    return list((root / "runs").glob("*/*.json.gz")) if (root / "runs").exists() else []


def sweep(spec: Path, out: Path, *options: str) -> None:
    assert main(["sweep", str(spec), "--out", str(out), "--no-progress", *options]) == 0


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("spec")
    path = directory / "reproducible.yaml"
    tiny = Path(__file__).parent / "data" / "tiny.yaml"
    path.write_text(textwrap.dedent(SPEC.format(base=tiny)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(spec, tmp_path_factory) -> dict[str, bytes]:
    """An uninterrupted sweep on one worker (in-process)."""
    out = tmp_path_factory.mktemp("reference") / "sweep"
    sweep(spec, out, "--workers", "1")
    return files(out)


def test_reference_has_every_result(reference):
    for name in ("manifest.json", "runs.csv", "points.csv", "sensitivity.csv", "sensitivity.png", "curves.png",
                 "report.html", "report.md", "points/p0000/summary.csv", "points/p0003/manifest.json"):
        assert name in reference, name
    assert sum(name.startswith("runs/") for name in reference) == RUNS
    assert reference["runs.csv"].count(b"\n") == 1 + RUNS


def test_killed_sweep_resumes_byte_identical(spec, reference, tmp_path, capsys):
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "sim", "sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(run_files(out)) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()
    stored = len(run_files(out))
    assert 3 <= stored < RUNS, "killed part-way through its runs"
    assert not (out / "runs.csv").exists()

    sweep(spec, out, "--workers", "1")
    assert f"({RUNS - stored} new, {stored} cached)" in capsys.readouterr().out
    assert files(out) == reference

    sweep(spec, out, "--workers", "1")  # a finished sweep: nothing to run, same files
    assert f"(0 new, {RUNS} cached)" in capsys.readouterr().out
    assert files(out) == reference


def test_two_workers_give_the_same_files(spec, reference, tmp_path):
    out = tmp_path / "pool"
    sweep(spec, out, "--workers", "2")
    assert files(out) == reference


def test_a_dask_local_cluster_gives_the_same_files(spec, reference, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    sweep(spec, out, "--scheduler", "local", "--workers", "2")
    produced = files(out)
    assert produced["runs.csv"] == reference["runs.csv"]
    assert produced == reference


def test_ctrl_c_stops_a_sweep_cleanly_and_it_resumes_byte_identical(spec, reference, tmp_path, capsys, foreground):
    """Ctrl-C signals the process group: the sweep and its two workers.  Exit 130, one line, every stored
    run complete (no temporary file), and resuming ends with the uninterrupted sweep's files."""
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "sim", "sweep", str(spec), "--out", str(out), "--workers", "2", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               **foreground)
    deadline = time.monotonic() + 120
    while not run_files(out) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGINT)  # at the first stored run: seven are still to come
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and stderr.strip() == "bandwagon sweep: interrupted", stderr
    stored = len(run_files(out))
    assert 1 <= stored < RUNS and not list(out.rglob(".*.tmp")) and not (out / "runs.csv").exists()

    sweep(spec, out, "--workers", "2")
    assert f"({RUNS - stored} new, {stored} cached)" in capsys.readouterr().out
    assert files(out) == reference
