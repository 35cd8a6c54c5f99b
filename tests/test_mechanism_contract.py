"""Mechanisms keep to their contract, and the run enforces it.

A mechanism reads only the state of mechanisms of a lower order that its
definition declares (``reads``), read-only, and influences another only by
setting an input the other declares (``sets`` / ``inputs``), which the other
applies itself, at once (its ``reload``).  Each test below makes one of the
mistakes the contract forbids, with a small mechanism added to the model's
own, and sees the run refuse it; the last ones check that a declared input
does take effect, at the model time it was set.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import Scenario
from sim.model.mechanism import ContractError, Definition, Engine, MeanField, check_declarations

mechanism_module = importlib.import_module("sim.model.mechanism")
simulation_module = importlib.import_module("sim.model.simulation")


class Quiet(MeanField):
    def solve(self):
        return {}


class Probe(Engine):
    """A mechanism with no metrics of its own: each test gives it the one mistake (or input) it is about."""

    def record(self, day):
        pass


def definition(engine: type[Engine], **declared) -> Definition:
    return Definition(name="probe", order=50, metric_names=lambda scenario: [], engine=engine, meanfield=Quiet,
                      **declared)


@pytest.fixture
def add(monkeypatch):
    """Add a mechanism to the model's own for one test."""
    def adding(extra: Definition) -> None:
        extended = (*mechanism_module.mechanisms(), extra)
        check_declarations(extended)
        for module in (mechanism_module, simulation_module):
            monkeypatch.setattr(module, "mechanisms", lambda: extended)
    return adding


@pytest.fixture(scope="module")
def tiny(tiny_path) -> Scenario:
    return Scenario.from_yaml(tiny_path)


# --- declarations checked when the mechanisms are discovered -----------------------------------------
def test_the_shipped_mechanisms_declare_what_they_touch():
    found = {d.name: d for d in mechanism_module.mechanisms()}
    check_declarations(tuple(found.values()))
    assert "following.appeal" in found["interaction"].sets and "appeal" in found["following"].inputs
    assert "adoption.multiplier" in found["interaction"].sets and "multiplier" in found["adoption"].inputs


@pytest.mark.parametrize("declared, words", [
    ({"reads": ("interaction.named",)}, "does not come before it"),       # a mechanism of a higher order
    ({"reads": ("nowhere.thing",)}, "expected '<mechanism>.<name>'"),     # no such mechanism
    ({"sets": ("following.followers",)}, "does not declare as an input"),  # state, not an input
])
def test_declarations_that_break_the_contract_are_refused(declared, words):
    bad = Definition(name="probe", order=35, metric_names=lambda s: [], engine=Engine, meanfield=Quiet, **declared)
    with pytest.raises(ContractError, match=words):
        check_declarations((*mechanism_module.mechanisms(), bad))


# --- the run hands out only what is declared -----------------------------------------------------------
def run_with(add, tiny, engine: type[Engine], **declared):
    add(definition(engine, **declared))
    return simulation_module.Run(tiny, 0).run()


def test_writing_another_mechanisms_state_is_refused(add, tiny):
    """The mistake the interaction loop used to make: writing following's followers."""
    class Writer(Probe):
        def __init__(self, run):
            super().__init__(run)
            self.following = run.mechanism("following")

        def start_day(self, day):
            self.following.followers[("shanghai_city", "sina")] = 0

    with pytest.raises(TypeError):  # a read-only mapping
        run_with(add, tiny, Writer, reads=("following.followers",))


def test_assigning_an_attribute_of_another_mechanism_is_refused(add, tiny):
    class Assigner(Probe):
        def __init__(self, run):
            super().__init__(run)
            run.mechanism("following").appeal = {}

    with pytest.raises(ContractError, match="never writes another's state"):
        run_with(add, tiny, Assigner, reads=("following.followers",))


def test_reading_an_undeclared_attribute_is_refused(add, tiny):
    class Reader(Probe):
        def __init__(self, run):
            super().__init__(run)
            self.users = run.mechanism("users")

        def start_day(self, day):
            self.users.by_state  # declared: registered only

    with pytest.raises(ContractError, match="users.by_state"):
        run_with(add, tiny, Reader, reads=("users.registered",))


def test_reading_a_mutable_object_is_refused(add, tiny):
    class Racer(Probe):
        def __init__(self, run):
            super().__init__(run)
            run.mechanism("adoption").races  # declared, but the races could be changed through it

    with pytest.raises(ContractError, match="read-only accessor"):
        run_with(add, tiny, Racer, reads=("adoption.races",))


def test_setting_an_undeclared_input_is_refused(add, tiny):
    class Setter(Probe):
        def __init__(self, run):
            super().__init__(run)
            run.mechanism("following").set("unfollow", ("shanghai_city", "sina"), 0.5)

    with pytest.raises(ContractError, match="following.unfollow"):
        run_with(add, tiny, Setter, sets=("following.appeal",))


def test_a_mechanism_looks_its_peers_up_only_when_it_is_built(add, tiny):
    class Late(Probe):
        def start_day(self, day):
            self.run.mechanism("users")

    with pytest.raises(ContractError, match="outside a mechanism's __init__"):
        run_with(add, tiny, Late, reads=("users.registered",))


def test_no_mechanism_reaches_engines_through_the_back_door():
    """``run.engine`` (unchecked, for tests) and the run's engine table are not for mechanisms."""
    package = Path(sim.__file__).resolve().parent / "model" / "mechanisms"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\.engine\(|_engines", text), path


# --- declared inputs take effect, at once --------------------------------------------------------------
def test_an_input_set_takes_effect_at_the_time_it_was_set(add, tiny):
    """A multiplier of 0 on every level's adoption, set at the start of a day, stops every race from then on."""
    stop = 700

    class Stopper(Probe):
        def __init__(self, run):
            super().__init__(run)
            self.adoption = run.mechanism("adoption")
            self.levels = list(run.scenario.agencies.levels)

        def start_day(self, day):
            if day == stop:
                for level in self.levels:
                    self.adoption.set("multiplier", level, 0.0)

    records = run_with(add, tiny, Stopper, sets=("adoption.multiplier",))
    accounts = records.metrics["gov_accounts.sina"]
    named = tiny.horizon.day(tiny.accounts["shanghai_city"].launch)  # opens on its date, not through the race
    assert stop < named
    assert accounts[stop - 1] > accounts[stop - 30]  # still adopting before
    assert np.all(accounts[stop - 1:named] == accounts[stop - 1])  # nothing from the start of the day on
    assert np.all(accounts[named:] == accounts[stop - 1] + 1)  # but Shanghai City


def test_the_following_appeal_set_as_an_input_scales_the_follow_hazard(add, tiny):
    """Appeal 0 from launch: no one follows (the interaction loop would otherwise set it each day)."""
    no_loop = tiny.model_copy(update={"interaction": None})

    class Repellent(Probe):
        def __init__(self, run):
            super().__init__(run)
            self.following = run.mechanism("following")
            self.entries = [(a, p) for a, spec in run.scenario.accounts.items() for p in spec.platforms]

        def start_day(self, day):
            for entry in self.entries:
                self.following.set("appeal", entry, 0.0)

    add(definition(Repellent, sets=("following.appeal",)))
    records = simulation_module.Run(no_loop, 0).run()
    assert records.metrics["followers.shanghai_city.all"][-1] == 0
