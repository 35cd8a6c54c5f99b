"""The synthetic agency population and the race order (exact pieces, exact assertions)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim import Scenario
from sim.model.mechanisms.adoption.order import RaceOrder
from sim.model.population import build_population
from sim.scenario.apportion import largest_remainder, level_provinces
from sim.streams import Streams


@given(total=st.integers(0, 10**6), weights=st.lists(st.floats(0.01, 1e9), min_size=1, max_size=40))
def test_largest_remainder_is_exact_and_fair(total, weights):
    counts = largest_remainder(total, np.array(weights))
    assert counts.sum() == total
    quotas = total * np.array(weights) / np.sum(weights)
    assert np.all(np.abs(counts - quotas) < 1 + 1e-9)


def test_examples_of_largest_remainder():
    assert largest_remainder(10, np.array([1, 1, 1])).tolist() == [4, 3, 3]
    assert largest_remainder(7, np.array([5, 3, 2])).tolist() == [4, 2, 1]


def test_population_follows_the_scenario(baseline_path):
    scenario = Scenario.from_yaml(baseline_path)
    population = build_population(scenario, Streams.for_run(scenario.seed, 0).generator("population"))
    assert population.size == sum(level.count for level in scenario.agencies.levels.values())
    for li, (name, level) in enumerate(scenario.agencies.levels.items()):
        names, counts = level_provinces(scenario, name)
        cohorts = population.cohorts[li]
        assert [c.province for c in cohorts] == names
        assert [c.agencies.size for c in cohorts] == counts.tolist()
        weights = population.weight[population.level_of == li]
        assert abs(weights.mean() - 1) < 1e-9 if weights.size else True
    # Provincial bodies are spread equally, counties by population (Guangdong has the most).
    _, provincial = level_provinces(scenario, "provincial")
    assert provincial.max() - provincial.min() <= 1
    names, county = level_provinces(scenario, "county")
    assert names[int(np.argmax(county))] == "guangdong"
    shanghai = population.pinned["shanghai_city"]
    assert population.level_names[population.level_of[shanghai]] == "provincial"
    assert population.province_names[population.province_of[shanghai]] == "shanghai"


def test_lazy_race_order_equals_the_full_sort():
    rng = np.random.default_rng(4)
    n = 10_000
    weights = rng.lognormal(size=n)
    keys = rng.standard_exponential(n) / weights
    agencies = np.arange(n)[rng.random(n) < 0.7]
    order = RaceOrder(agencies, keys, weights)
    popped = []
    for _ in range(agencies.size):
        agency, weight, exhausted = order.pop()
        popped.append(agency)
        assert weight == weights[agency]
    assert exhausted and order.remaining == 0
    assert popped == agencies[np.argsort(keys[agencies], kind="stable")].tolist()


def test_race_order_is_weighted_sampling_without_replacement():
    """First and second picks: P(i then j) = w_i / W * w_j / (W - w_i), for every ordered pair."""
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    trials = 20_000
    rng = np.random.default_rng(8)
    agencies = np.arange(4)
    pairs = np.zeros((4, 4))
    for _ in range(trials):
        keys = rng.standard_exponential(4) / weights  # as PlatformRace draws them
        order = RaceOrder(agencies, keys, weights)
        first, _, _ = order.pop()
        second, _, _ = order.pop()
        pairs[first, second] += 1
    total = weights.sum()
    expected = np.array([[0.0 if i == j else weights[i] / total * weights[j] / (total - weights[i])
                          for j in range(4)] for i in range(4)])
    observed = pairs / trials
    se = np.sqrt(expected * (1 - expected) / trials)
    assert np.all(np.diag(pairs) == 0)  # no agency is picked twice
    off = ~np.eye(4, dtype=bool)
    assert np.all(np.abs(observed[off] - expected[off]) < 4 * se[off])
    # Power: picking with replacement (w_i w_j / W^2) would be rejected.
    with_replacement = np.outer(weights, weights) / total**2
    assert np.max(np.abs(observed[off] - with_replacement[off]) / se[off]) > 4
