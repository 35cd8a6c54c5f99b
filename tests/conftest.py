"""Shared fixtures: paths of the shipped scenarios and of the small test scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


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
