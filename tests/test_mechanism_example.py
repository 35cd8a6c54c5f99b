"""The documentation's worked example of adding a mechanism runs, in both views, and they agree.

The example (``docs/how-to/add-a-mechanism.md``, its first Python block) is executed as written,
registered next to the model's own mechanisms, and run on the small test
scenario: its metric appears in the engine's records and the twin's, and
the engine's mean over replications matches the twin within the Monte
Carlo error (mentions are Poisson given the accounts, so the twin is exact
in expectation given the expected accounts).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest

from sim import Scenario

# By module path: ``sim.model.meanfield`` as an attribute is the function the package exports.
mechanism_module = importlib.import_module("sim.model.mechanism")
meanfield_module = importlib.import_module("sim.model.meanfield")
simulation_module = importlib.import_module("sim.model.simulation")

HOW_TO = Path(__file__).resolve().parents[1] / "docs" / "how-to" / "add-a-mechanism.md"


def example_mechanism():
    code = re.search(r"```python\n(.*?)```", HOW_TO.read_text(encoding="utf-8"), re.S).group(1)
    namespace: dict = {"__name__": "docs_example"}
    exec(compile(code, "docs/how-to/add-a-mechanism.md", "exec"), namespace)
    return namespace["MECHANISM"]


@pytest.fixture
def with_example(monkeypatch):
    extended = (*mechanism_module.mechanisms(), example_mechanism())
    for module in (mechanism_module, simulation_module, meanfield_module):
        monkeypatch.setattr(module, "mechanisms", lambda: extended)
    return extended[-1]


def test_the_documented_example_mechanism_runs_and_its_views_agree(with_example, tiny_path):
    scenario = Scenario.from_yaml(tiny_path)
    names = with_example.metric_names(scenario)
    assert names and all(name in mechanism_module.metric_names(scenario) for name in names)
    runs = [simulation_module.simulate(scenario, r) for r in range(6)]
    twin = meanfield_module.meanfield(scenario)
    for name in names:
        values = np.stack([run.metrics[name] for run in runs]).astype(float)
        assert np.all(np.diff(values, axis=1) >= 0)  # a cumulative count
        final = values[:, -1]
        # Poisson given the accounts: the variance is at least the mean, so that is the floor of the error.
        se = max(final.std(ddof=1), np.sqrt(final.mean())) / np.sqrt(len(final))
        assert final.mean() > 100
        assert abs(twin.metrics[name][-1] - final.mean()) < 4 * se + 0.01 * final.mean(), name
