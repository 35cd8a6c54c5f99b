"""Invariants every run must satisfy, whatever its parameters."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Scenario, simulate
from sim.model.mechanisms.interaction.metrics import is_stock
from sim.scenario.apportion import level_provinces


def check_invariants(scenario: Scenario, records) -> None:
    m = records.metrics
    days = records.days
    assert days == (scenario.horizon.end - scenario.horizon.start).days + 1
    # Stocks only grow (not the interaction loop's backlogs, response times and shares).
    for name, values in m.items():
        if is_stock(name) and (name != "internet_users" or scenario.population.internet.growth_rate >= 0):
            assert np.all(np.diff(values) >= 0), name
    # Every message is answered, abandoned or still in the backlog.
    for account, acc in scenario.accounts.items():
        for platform in acc.platforms if scenario.interaction is not None else ():
            counts = [m[f"messages.{account}.{platform}.{c}"] for c in ("received", "answered", "abandoned")]
            assert np.array_equal(counts[0], counts[1] + counts[2] + m[f"backlog.{account}.{platform}"])
    # People: followers <= platform users <= micro-bloggers <= internet users <= capacity.
    assert np.all(m["microbloggers"] <= m["internet_users"])
    assert np.all(m["internet_users"] <= max(scenario.population.internet.capacity,
                                             scenario.population.internet.initial_users))
    for platform, spec in scenario.platforms.items():
        registered = m[f"registered_users.{platform}"]
        assert np.all(registered <= m["microbloggers"])
        launch = (spec.launch - scenario.horizon.start).days
        # Nothing on a platform before it opens.
        assert np.all(registered[:launch] == 0)
        assert np.all(m[f"gov_accounts.{platform}"][:launch] == 0)
        # Adopters never exceed the potential population of any level.
        for level, level_spec in scenario.agencies.levels.items():
            assert np.all(m[f"gov_accounts.{platform}.{level}"] <= level_spec.count)
        total = sum(m[f"gov_accounts.{platform}.{level}"] for level in scenario.agencies.levels)
        assert np.array_equal(total, m[f"gov_accounts.{platform}"])
        for account, acc in scenario.accounts.items():
            if platform in acc.platforms:
                followers = m[f"followers.{account}.{platform}"]
                assert np.all(followers <= registered)
                assert np.all(followers[: (acc.launch - scenario.horizon.start).days] == 0)
    # Adoption events: inside the horizon, after the platform's launch, once per agency and platform.
    a = records.adoptions
    assert np.all(a.time >= 0) and np.all(a.time < days)
    for k, platform in enumerate(a.platform_names):
        on = a.platform == k
        launch = (scenario.platforms[platform].launch - scenario.horizon.start).days
        assert np.all(a.time[on] >= launch)
        assert np.unique(a.agency[on]).size == on.sum()
    # Accounts per level and province never exceed that province's share of the level.
    for li, level in enumerate(a.level_names):
        names, counts = level_provinces(scenario, level)
        for k in range(len(a.platform_names)):
            rows = (a.level == li) & (a.platform == k)
            provinces, adopted = np.unique(a.province[rows], return_counts=True)
            limit = dict(zip(names, counts.tolist()))
            for province, n in zip(provinces.tolist(), adopted.tolist()):
                assert n <= limit[a.province_names[province]]
    # The daily counts agree with the adoption events.
    for k, platform in enumerate(a.platform_names):
        per_day = np.bincount(np.floor(a.time[a.platform == k]).astype(int), minlength=days)
        assert np.array_equal(np.cumsum(per_day), m[f"gov_accounts.{platform}"])


def test_baseline_replication_satisfies_invariants(baseline_path):
    scenario = Scenario.from_yaml(baseline_path)
    check_invariants(scenario, simulate(scenario, 0))


multiplier = st.floats(min_value=0.0, max_value=20.0, allow_nan=False)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(innovation=multiplier, imitation=multiplier, audience=multiplier, regional=multiplier, upper=multiplier,
       users=st.floats(min_value=0.0, max_value=5.0), replication=st.integers(0, 1000))
def test_invariants_hold_for_any_parameters(tiny_path, innovation, imitation, audience, regional, upper, users,
                                            replication):
    base = Scenario.from_yaml(tiny_path)
    overrides = {}
    for name, level in base.agencies.levels.items():
        h = level.hazard
        overrides[f"agencies.levels.{name}.hazard.innovation"] = max(h.innovation, 0.01) * innovation
        overrides[f"agencies.levels.{name}.hazard.imitation"] = h.imitation * imitation
        overrides[f"agencies.levels.{name}.hazard.audience_pull"] = h.audience_pull * audience
        overrides[f"agencies.levels.{name}.hazard.regional_imitation"] = h.regional_imitation * regional
        overrides[f"agencies.levels.{name}.hazard.upper_tier"] = h.upper_tier * upper
    overrides["platforms.*.users.imitation"] = users
    scenario = base.with_overrides(overrides)
    check_invariants(scenario, simulate(scenario, replication))


def test_saturation_never_overshoots(tiny_path):
    """With huge hazards every level fills up exactly to its count, and no further."""
    base = Scenario.from_yaml(tiny_path)
    scenario = base.with_overrides({"agencies.levels.*.hazard.innovation": 500.0})
    records = simulate(scenario, 0)
    check_invariants(scenario, records)
    for level, spec in scenario.agencies.levels.items():
        assert records.metrics[f"gov_accounts.sina.{level}"][-1] == spec.count


def test_named_account_opens_on_its_date(baseline_path):
    scenario = Scenario.from_yaml(baseline_path)
    records = simulate(scenario, 0)
    a = records.adoptions
    launch = scenario.accounts["shanghai_city"].launch
    day = (launch - scenario.horizon.start).days
    rows = [i for i, label in enumerate(a.labels()) if label == "shanghai_city"]
    assert len(rows) == len(scenario.accounts["shanghai_city"].platforms)
    assert all(a.time[i] == day for i in rows)
    followers = records.metrics["followers.shanghai_city.sina"]
    assert followers[day - 1] == 0 and followers[day + 13] > 0
