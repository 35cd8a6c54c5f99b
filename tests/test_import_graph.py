"""The package's layers: no module imports its way back to itself.

A circle hides which layer depends on which; the one there was (the scenario
loader reaching up into the model and the targets to check metric names) sent
every dated event of a run back through that check.
"""

from __future__ import annotations

from pathlib import Path

import sim
from sim import importgraph


def test_no_module_imports_its_way_back_to_itself():
    assert importgraph.circles(importgraph.graph()) == []


def test_a_circle_is_found_even_through_a_deferred_import(tmp_path):
    """The check has power: a -> b at the top, b -> a inside a function (as the scenario loader did)."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def late():\n    from .a import thing\n    return thing\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    assert importgraph.circles(importgraph.graph(package)) == [["pkg.a", "pkg.b"]]


def test_the_scenario_format_knows_nothing_of_the_model_or_the_targets():
    edges = importgraph.graph(Path(sim.__file__).resolve().parent)
    below = importgraph.closure(["sim.scenario"], edges)
    assert not {m for m in below if m.startswith(("sim.model", "sim.targets", "sim.inputs"))}
