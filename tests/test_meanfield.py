"""The mean-field twin (sim/model/meanfield.py) against theory and against the engine.

* Deterministic checks: the Bass (1969) closed form for one well-mixed level,
  and the exact expected adoption ``N E[1 - exp(-W p t)]`` of heterogeneous
  agencies under pure innovation (reference by adaptive quadrature).
* With network and provincial effects off (no imitation, regional imitation
  or upper-tier pressure), the engine's adoption counts are independent given
  the audience, so the mean field is exact in expectation: it must lie within
  the stochastic model's Monte Carlo error, with the error bound set by a
  t-quantile at a family-wise false-alarm rate of 1%.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import t as t_dist

from sim import Scenario, simulate
from sim.calendar import DAYS_PER_YEAR
from sim.model import meanfield, metric_names
from sim.scenario.builders import single_level


def bass(t_days: np.ndarray, p_year: float, q_year: float) -> np.ndarray:
    p, q = p_year / DAYS_PER_YEAR, q_year / DAYS_PER_YEAR
    e = np.exp(-(p + q) * t_days)
    return (1 - e) / (1 + q / p * e)


def test_bass_closed_form():
    p, q = 0.3, 2.5
    scenario = single_level(count=5000, innovation=p, imitation=q, days=3 * 365)
    mf = meanfield(scenario)
    t = np.arange(1, mf.days + 1)  # day d is recorded at its end, model time d + 1
    expected = 5000 * bass(t, p, q)
    np.testing.assert_allclose(mf.metrics["gov_accounts.sina"], expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("dispersion", [0.5, 1.2])
def test_heterogeneous_weights_pure_innovation(dispersion):
    p, n = 0.8, 3000
    scenario = single_level(count=n, innovation=p, days=800, size_dispersion=dispersion, size_elasticity=1.0)
    mf = meanfield(scenario)
    s = dispersion

    def expected(t_days):
        def integrand(z):
            w = math.exp(s * z - s * s / 2)
            return -math.expm1(-w * p / DAYS_PER_YEAR * t_days) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        return n * integrate.quad(integrand, -12, 12, epsabs=1e-12, limit=200)[0]

    for day in (0, 30, 200, 799):
        assert mf.metrics["gov_accounts.sina"][day] == pytest.approx(expected(day + 1), rel=1e-4)


def test_metric_names_are_the_engines(tiny_path):
    scenario = Scenario.from_yaml(tiny_path)
    assert sorted(metric_names(scenario)) == sorted(simulate(scenario, 0).metrics)
    assert set(meanfield(scenario).metrics) == set(metric_names(scenario))


def test_agrees_with_engine_without_network_effects(tiny_path):
    """Imitation, regional imitation and upper-tier pressure off: the mean field is the engine's mean."""
    scenario = Scenario.from_yaml(tiny_path).with_overrides({
        "agencies.levels.*.hazard.imitation": 0.0,
        "agencies.levels.*.hazard.regional_imitation": 0.0,
        "agencies.levels.*.hazard.upper_tier": 0.0,
        "agencies.levels.*.hazard.innovation": 0.02,  # enough early adopters to test the innovation term too
        "horizon.end": "2011-12-12",
    })
    replications = 16
    runs = [simulate(scenario, r) for r in range(replications)]
    mf = meanfield(scenario)
    start = scenario.horizon.start
    dates = [dt.date(2009, 12, 31), dt.date(2010, 6, 30), dt.date(2011, 1, 1), dt.date(2011, 10, 31),
             dt.date(2011, 12, 12)]
    metrics = ["gov_accounts.sina", "gov_accounts.tencent", "gov_accounts.sina.county", "gov_accounts.sina.official",
               "internet_users", "registered_users.sina", "microbloggers", "followers.shanghai_city.all"]
    comparisons = [(m, d) for m in metrics for d in dates if m != "followers.shanghai_city.all" or d.month == 12
                   and d.year == 2011]
    # Family-wise 1% false-alarm rate over all comparisons (Bonferroni), t with R - 1 degrees of freedom.
    critical = t_dist.ppf(1 - 0.01 / (2 * len(comparisons)), replications - 1)
    for metric, date in comparisons:
        day = (date - start).days
        values = np.array([run.metrics[metric][day] for run in runs], dtype=float)
        mean = values.mean()
        # Counts of rare adoptions: the sample spread of a few replications can be zero by chance,
        # so the standard error is never taken below the Poisson one.
        se = max(values.std(ddof=1), math.sqrt(max(mean, 1.0))) / math.sqrt(replications)
        assert abs(mf.metrics[metric][day] - mean) <= critical * se, (metric, date, mean, mf.metrics[metric][day], se)
    # And the agency counts are not trivially small: the comparison has power.
    assert np.mean([run.value("gov_accounts.sina", dt.date(2011, 10, 31)) for run in runs]) > 200


def test_regional_imitation_acts_like_national_imitation_in_the_mean_field(tiny_path):
    """Provinces start alike, so in the mean field the provincial share equals the national one."""
    data = Scenario.from_yaml(tiny_path).with_overrides({"agencies.levels.*.hazard.upper_tier": 0.0}).to_dict()
    data["accounts"] = {}  # a named account pins one agency and so sets its province apart
    base = Scenario.from_dict(data)
    levels = base.agencies.levels
    moved = base.with_overrides({
        **{f"agencies.levels.{n}.hazard.imitation": lv.hazard.imitation + lv.hazard.regional_imitation
           for n, lv in levels.items()},
        "agencies.levels.*.hazard.regional_imitation": 0.0})
    a, b = meanfield(base), meanfield(moved)
    day = (dt.date(2011, 12, 30) - base.horizon.start).days
    for metric in ("gov_accounts.sina", "gov_accounts.tencent.county"):
        assert a.metrics[metric][day] == pytest.approx(b.metrics[metric][day], rel=1e-4)


def test_twin_follows_the_engine_with_regional_and_upper_tier_terms_in_a_large_population():
    """With thousands of agencies per cohort the random shares concentrate on their means (law of large
    numbers), so the twin must follow the engine's mean, network terms and all: within the Monte Carlo
    error plus the O(1/N) finite-size gap (taken as 1% of the count).  A twin that mixed up parents,
    provinces or levels would be off by far more: the power check shows a twin without the upper-tier
    pressure falls outside the allowance."""
    from sim.scenario.builders import two_tiers

    upper = {"innovation": 0.4, "imitation": 1.5, "regional_imitation": 1.0, "upper_tier": 0.0}
    lower = {"innovation": 0.1, "imitation": 0.5, "regional_imitation": 1.0, "upper_tier": 3.0}
    scenario = two_tiers(upper=upper, lower=lower, upper_count=3000, lower_count=6000, days=240, seed=4)
    replications = 8
    runs = np.stack([simulate(scenario, r).metrics["gov_accounts.sina.lower"] for r in range(replications)])
    twin = meanfield(scenario).metrics["gov_accounts.sina.lower"]
    days = np.array([59, 119, 179, 239])
    mean = runs[:, days].mean(axis=0)
    se = runs[:, days].std(axis=0, ddof=1) / np.sqrt(replications)
    allowance = 4 * se + 0.01 * mean
    assert np.all(np.abs(twin[days] - mean) < allowance), (twin[days], mean, allowance)
    without_pressure = meanfield(two_tiers(upper=upper, lower={**lower, "upper_tier": 0.0}, upper_count=3000,
                                           lower_count=6000, days=240, seed=4)).metrics["gov_accounts.sina.lower"]
    assert np.any(np.abs(without_pressure[days] - mean) > 3 * allowance)


def test_a_batch_gives_each_member_its_own_twin(tiny_path):
    """meanfield_batch solves many parameter sets at once (numpy over the batch): each member's metrics
    are those of its own evaluation, whatever else is in the batch (mixed structures are grouped)."""
    from sim.model.meanfield import meanfield_batch

    base = Scenario.from_yaml(tiny_path)
    members = [base.with_overrides({"agencies.levels.*.hazard.imitation": 0.1 * (i + 1),
                                    "platforms.sina.users.imitation": 1.0 + 0.3 * i,
                                    "agencies.levels.official.count": 4000 + 500 * i,
                                    "events.policy_push.changes.*.multiply": 1.0 + 0.5 * i}) for i in range(4)]
    members.append(base.with_overrides({"platforms.tencent.launch": "2010-09-01"}))  # another structure: own group
    batch = meanfield_batch(members)
    for member, records in zip(members, batch):
        single = meanfield(member)
        assert set(records.metrics) == set(single.metrics)
        for name, values in single.metrics.items():
            np.testing.assert_allclose(records.metrics[name], values, rtol=1e-5, atol=1e-6, err_msg=name)
