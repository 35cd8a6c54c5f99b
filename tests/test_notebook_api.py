"""The notebook API: a scenario's replications as a pandas frame, the same numbers as the model's records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim import Scenario, load_scenario, replicate, simulate
from sim.posterior import load_posterior, scenarios_for


@pytest.fixture(scope="module")
def tiny(tiny_path) -> Scenario:
    return load_scenario(tiny_path)


def test_the_frame_holds_each_replications_records(tiny):
    runs = replicate(tiny, 2)
    assert runs.index.names == ["replication", "date"] and runs.columns.name == "metric"
    assert list(runs.index.get_level_values("replication").unique()) == [0, 1]
    for r in (0, 1):
        records = simulate(tiny, r)
        assert list(runs.columns) == list(records.metrics)
        one = runs.xs(r, level="replication")
        assert (one.index.values == records.dates()).all()
        for metric, values in records.metrics.items():
            np.testing.assert_array_equal(one[metric].to_numpy(), values)  # bit for bit, NaN where undefined
            assert one[metric].dtype == values.dtype                      # counts stay integers
    assert runs.attrs["holds"] == "replication noise only" and runs.attrs["scenario"] == "tiny"
    assert runs.attrs["model_version"] == sim.model_version()


def test_overrides_reach_the_model(tiny):
    """The tutorial's three lines: no imitation anywhere means fewer accounts in every replication."""
    without = tiny.with_overrides({"agencies.levels.*.hazard.imitation": 0, "agencies.levels.*.hazard.regional_imitation": 0})
    base, changed = replicate(tiny, 2), replicate(without, 2)
    last = base.index.get_level_values("date").max()
    assert (changed.xs(last, level="date")["gov_accounts.sina"] < base.xs(last, level="date")["gov_accounts.sina"]).all()


@pytest.mark.slow
def test_workers_give_the_same_frame(tiny):
    pd.testing.assert_frame_equal(replicate(tiny, 3, workers=2), replicate(tiny, 3))


def test_a_posterior_gives_each_replication_its_draw_and_says_so(tiny, tiny_posterior):
    runs = replicate(tiny, 3, posterior=str(tiny_posterior))
    assert "parameter uncertainty" in runs.attrs["holds"] and "tiny-fake" in runs.attrs["holds"]
    drawn = scenarios_for(tiny, 3, load_posterior(tiny_posterior))
    for r in range(3):
        expected = simulate(drawn[r], r).metrics["gov_accounts.sina"]
        np.testing.assert_array_equal(runs.xs(r, level="replication")["gov_accounts.sina"].to_numpy(), expected)


def test_bad_counts_are_refused(tiny):
    with pytest.raises(ValueError, match="at least 1 replication"):
        replicate(tiny, 0)
