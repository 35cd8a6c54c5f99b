"""Designs, parameters and outcomes: exact checks of the small deterministic pieces."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario import Scenario
from sim.sweep.design import build, saltelli
from sim.sweep.outcomes import Column, curve_features, measure, month_ends
from sim.sweep.plan import Plan, run_key
from sim.sweep.resolve import resolve
from sim.sweep.spec import SweepSpec


def spec(design="grid", parameters=None, **extra) -> SweepSpec:
    parameters = parameters or {
        "imitation": {"path": "agencies.levels.*.hazard.imitation", "apply": "multiply", "values": [0.5, 1.0, 2.0]},
        "push": {"path": "events.policy_push.changes.*.multiply", "values": [1.0, 3.0]},
    }
    return SweepSpec.model_validate({"name": "t", "base": "unused", "design": design, "replications": 2, "seed": 3,
                                     "parameters": parameters,
                                     "outcomes": {"oct": {"metric": "gov_accounts.sina", "at": "2011-10-31"}},
                                     **extra})


@pytest.fixture(scope="module")
def tiny(request) -> Scenario:
    from pathlib import Path

    return Scenario.from_yaml(Path(__file__).parent / "data" / "tiny.yaml")


def sweep_of(s: SweepSpec, tiny_scenario_path):
    return resolve(s, "spec.yaml", base_path=tiny_scenario_path)


def test_grid_is_the_product_with_the_first_parameter_slowest(tiny_path):
    design = build(sweep_of(spec(), tiny_path))
    assert design.points == [(0.5, 1.0), (0.5, 3.0), (1.0, 1.0), (1.0, 3.0), (2.0, 1.0), (2.0, 3.0)]


def test_multiply_scales_every_matched_value_and_set_replaces(tiny_path, tiny):
    plan = Plan.make(sweep_of(spec(), tiny_path))
    point = plan.points[4]  # imitation x2, push 1
    scenario = plan.scenario(point)
    for name, level in tiny.agencies.levels.items():
        assert scenario.agencies.levels[name].hazard.imitation == pytest.approx(2 * level.hazard.imitation)
    assert all(c.multiply == 1.0 for c in scenario.events["policy_push"].changes)
    assert scenario.seed == 3 and scenario.replications == 2


def test_one_at_a_time_holds_the_others_at_baseline(tiny_path):
    design = build(sweep_of(spec("one_at_a_time"), tiny_path))
    # baselines: imitation (multiply) 1, push (set) the base scenario's 2.0
    assert design.points == [(1.0, 2.0), (0.5, 2.0), (2.0, 2.0), (1.0, 1.0), (1.0, 3.0)]


def test_range_levels_linear_and_log(tiny_path):
    parameters = {"a": {"path": "platforms.sina.agency_appeal", "range": [1.0, 3.0], "levels": 3},
                  "b": {"path": "population.internet.growth_rate", "range": [0.1, 10.0], "spacing": "log", "levels": 3}}
    design = build(sweep_of(spec(parameters=parameters), tiny_path))
    assert [p[0] for p in design.points[::3]] == [1.0, 2.0, 3.0]
    assert [p[1] for p in design.points[:3]] == pytest.approx([0.1, 1.0, 10.0])


def test_counts_stay_integers(tiny_path):
    parameters = {"n": {"path": "agencies.levels.county.count", "apply": "multiply", "range": [0.5, 1.5], "levels": 3}}
    plan = Plan.make(sweep_of(spec(parameters=parameters), tiny_path))
    counts = [plan.scenario(p).agencies.levels["county"].count for p in plan.points]
    assert counts == [round(571 * 0.5), 571, round(571 * 1.5)]


def test_latin_hypercube_has_one_point_per_stratum(tiny_path):
    parameters = {"a": {"path": "platforms.sina.agency_appeal", "range": [0.0, 10.0]},
                  "b": {"path": "population.internet.growth_rate", "range": [1.0, 100.0], "spacing": "log"}}
    design = build(sweep_of(spec("lhs", parameters=parameters, samples=20), tiny_path))
    a = np.array([p[0] for p in design.points])
    b = np.log10([p[1] for p in design.points]) / 2 * 10  # log scale onto [0, 10)
    for column in (a, b):
        assert sorted(np.floor(column / 10 * 20).astype(int)) == list(range(20))


def test_saltelli_layout_matches_scipy():
    rng = np.random.default_rng(5)
    a, b, ab = saltelli(8, 3, rng)
    assert a.shape == b.shape == (8, 3) and ab.shape == (3, 8, 3)
    for i in range(3):
        expected = a.copy()
        expected[:, i] = b[:, i]
        np.testing.assert_array_equal(ab[i], expected)


def test_sobol_points_are_a_b_then_ab_blocks(tiny_path):
    parameters = {"a": {"path": "platforms.sina.agency_appeal", "range": [0.0, 1.0]},
                  "b": {"path": "population.internet.growth_rate", "range": [0.0, 1.0]}}
    design = build(sweep_of(spec("sobol", parameters=parameters, samples=4), tiny_path))
    points = np.array(design.points)
    assert design.sobol_n == 4 and points.shape == (4 * (2 + 2), 2)
    a, b, ab1, ab2 = points[:4], points[4:8], points[8:12], points[12:]
    np.testing.assert_array_equal(ab1[:, 0], b[:, 0])
    np.testing.assert_array_equal(ab1[:, 1], a[:, 1])
    np.testing.assert_array_equal(ab2[:, 0], a[:, 0])
    np.testing.assert_array_equal(ab2[:, 1], b[:, 1])


def test_the_design_is_a_function_of_the_seed(tiny_path):
    parameters = {"a": {"path": "platforms.sina.agency_appeal", "range": [0.0, 1.0]}}
    first = build(sweep_of(spec("lhs", parameters=parameters, samples=5), tiny_path)).points
    again = build(sweep_of(spec("lhs", parameters=parameters, samples=5), tiny_path)).points
    other = build(sweep_of(spec("lhs", parameters=parameters, samples=5, seed=4), tiny_path)).points
    assert first == again and first != other


@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.integers(0, 99), min_size=1, max_size=12, unique=True), k=st.integers(1, 6))
def test_shortened_keeps_both_ends_and_order(values, k):
    s = spec(parameters={"a": {"path": "platforms.sina.agency_appeal", "values": values}})
    short = s.shortened(levels=k).parameters["a"].values
    assert len(short) == min(k, len(values))
    assert all(v in values for v in short) and short == sorted(short, key=values.index)
    if k >= 2 and len(values) >= 2:
        assert short[0] == values[0] and short[-1] == values[-1]


def test_run_key_depends_on_scenario_replication_and_version(tiny):
    document = tiny.to_dict()
    key = run_key(document, 0, "1.0")
    assert key == run_key(dict(reversed(list(document.items()))), 0, "1.0")  # canonical: key order irrelevant
    assert len({key, run_key(document, 1, "1.0"), run_key(document, 0, "1.1"),
                run_key({**document, "seed": 1}, 0, "1.0")}) == 4


# --- outcomes --------------------------------------------------------------------------
START = dt.date(2011, 1, 30)


def test_at_reaches_and_never():
    series = np.array([0, 1, 3, 3, 7, 10])
    columns = (Column("at", "m", "count", at=2), Column("r", "m", "date", reaches=3),
               Column("never", "m", "date", reaches=11))
    values = measure(columns, {"m": series}, START)
    assert values["at"] == 3 and values["r"] == 2 and math.isnan(values["never"])


def test_curve_features_exactly():
    # 2011-01-30 .. 2011-03-05: January has 2 days, February 28, March 5
    days = 2 + 28 + 5
    series = np.zeros(days, dtype=np.int64)
    series[1] = 4                    # end of January: 4 (first month's increase 4 - 0)
    series[2:29] = 10
    series[29] = 50                  # end of February: 50 (increase 46, the peak)
    series[30:] = 60                 # end of March (horizon end): 60 (increase 10)
    f = curve_features(series, START)
    assert f["final"] == 60
    assert f["t10"] == 2              # first day >= 6
    assert f["t50"] == 29             # first day >= 30
    assert f["t90"] == 30             # first day >= 54
    assert f["peak_monthly"] == 46
    assert START + dt.timedelta(days=f["peak_month"]) == dt.date(2011, 2, 1)
    assert list(month_ends(START, days)) == [1, 29, 34]


def test_a_flat_zero_curve_has_no_dates():
    f = curve_features(np.zeros(40, dtype=np.int64), START)
    assert f["final"] == 0 and math.isnan(f["t50"]) and f["peak_monthly"] == 0
