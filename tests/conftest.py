"""Shared fixtures: paths of the shipped scenarios and of the small test scenario; how to start a command
that Ctrl-C can reach."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="session")
def foreground() -> dict:
    """``Popen`` keywords for a command that gets Ctrl-C as in a terminal's foreground: its own process group
    (the test signals the group, as a terminal does) with SIGINT at its default.

    A shell without job control starts background commands with SIGINT ignored, and an ignored signal is
    inherited across ``exec``; Python then installs no ``KeyboardInterrupt`` handler. Without the reset, the
    suite run as ``bash .ci/run &`` would see every "Ctrl-C" ignored and the command end with status 0.
    """
    return {"start_new_session": True, "preexec_fn": _sigint_as_in_a_terminal}


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    return SCENARIOS


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return SCENARIOS / "baseline.yaml"


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    """The baseline with 1% of its agencies and a horizon ending 2011-12-31 (runs in well under a second)."""
    return ROOT / "tests" / "data" / "tiny.yaml"


TINY_POSTERIOR = {
    "parameters": {
        "imitation": {"path": "agencies.levels.*.hazard.imitation", "apply": "multiply", "label": "agency imitation",
                      "range": [0.25, 4.0], "spacing": "log", "prior": {"uniform": "log"}},
        "push": {"path": "events.policy_push.changes.*.multiply", "apply": "set", "label": "size of the push",
                 "range": [1.0, 4.0], "spacing": "linear", "prior": {"uniform": "linear"}},
    },
    "values": [[0.5, 1.0], [0.8, 1.5], [1.0, 2.0], [1.25, 2.5], [1.6, 3.0], [2.0, 4.0]],
    "weights": [1.0, 0.0, 2.0, 1.0, 3.0, 1.0],
}
"""A small fake posterior over two parameters of the tiny scenario: draw 1 has weight 0."""


CONVERGED = {"converged": True, "max_rhat": 1.004, "min_ess_bulk": 812.0, "min_ess_tail": 655.0, "chains": 16}
"""What a converged calibration records (the tiny posterior's draws are handmade: it stands for one)."""


def write_tiny_posterior(directory: Path, tiny_path: Path, convergence: dict | None = CONVERGED) -> Path:
    import os

    from sim.posterior import write_posterior

    directory.mkdir()
    return write_posterior(directory, TINY_POSTERIOR["parameters"], TINY_POSTERIOR["values"],
                           TINY_POSTERIOR["weights"], calibration="tiny-fake",
                           base=os.path.relpath(tiny_path, directory), spec="none", sampler="handmade",
                           convergence=convergence)


@pytest.fixture
def tiny_posterior(tmp_path, tiny_path) -> Path:
    """A posterior directory in the ``bandwagon-posterior/1`` format whose base is the tiny scenario."""
    return write_tiny_posterior(tmp_path / "posterior", tiny_path)


@pytest.fixture(scope="module")
def tiny_posterior_module(tmp_path_factory, tiny_path) -> Path:
    """The same, shared by a module's tests (which must not change it)."""
    return write_tiny_posterior(tmp_path_factory.mktemp("posterior") / "posterior", tiny_path)
