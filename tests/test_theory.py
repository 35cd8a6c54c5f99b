"""The adoption engine against theory.

With one well-mixed level adopting through innovation and imitation only,
the agencies' adoption is the Bass (1969) process; its mean share converges
to the closed form as the population grows (the finite-size bias is O(1/N),
negligible here beside the Monte Carlo error).  Tolerances are 4 standard
errors of the replication mean, estimated from the replications themselves.
Both views of the model are held to it: the race, and the agent view (one
SimPy process per agency, ``engine: agents``).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.calendar import DAYS_PER_YEAR
from sim.scenario.builders import single_level
from sim.theory import bass_share

MONTH = 30


def monthly_mean_and_se(scenario, replications):
    runs = [simulate(scenario, r).metrics["gov_accounts.sina"] for r in range(replications)]
    counts = np.stack(runs).astype(float)
    days = np.arange(MONTH - 1, counts.shape[1], MONTH)  # end of each 30-day month
    sample = counts[:, days]
    return days, sample.mean(axis=0), sample.std(axis=0, ddof=1) / np.sqrt(replications)


def end_of_day_years(days):
    """Model time at the end of day ``d`` (when the daily value is recorded), in years."""
    return (days + 1) / DAYS_PER_YEAR


@pytest.mark.slow
@pytest.mark.parametrize("provinces, engine, n", [(1, "race", 20_000), (31, "race", 20_000), (31, "agents", 5_000)])
def test_mean_adoption_follows_the_bass_curve(provinces, engine, n):
    p, q, reps = 0.25, 2.0, 30
    scenario = single_level(count=n, innovation=p, imitation=q, days=3 * 365, provinces=provinces,
                            seed=7).with_overrides({"engine": engine})
    days, mean, se = monthly_mean_and_se(scenario, reps)
    expected = n * bass_share(end_of_day_years(days), p, q)
    assert np.all(se > 0)
    z = (mean - expected) / se
    assert np.all(np.abs(z) < 4), f"months off the Bass curve: {np.flatnonzero(np.abs(z) >= 4).tolist()}, z={z.round(1)}"
    # The test has power: a 10% error in the imitation rate would be detected.
    wrong = n * bass_share(end_of_day_years(days), p, 1.1 * q)
    assert np.max(np.abs((mean - wrong) / se)) > 4


def test_innovation_only_is_exponential():
    n, p, reps = 5_000, 0.8, 40
    scenario = single_level(count=n, innovation=p, days=3 * 365, seed=11)
    days, mean, se = monthly_mean_and_se(scenario, reps)
    share = bass_share(end_of_day_years(days), p)
    expected = n * share
    # Independent adoptions: the count is binomial, so its standard error is known exactly.
    exact_se = np.sqrt(n * share * (1 - share) / reps)
    assert np.all(np.abs(mean - expected) < 4 * exact_se)
    assert np.all(np.abs(mean - expected) < 4 * se + 1e-9)


@pytest.mark.parametrize("engine", ["race", "agents"])
def test_heterogeneous_sizes_follow_the_weighted_exponential(engine):
    """Agencies with size weights w_i adopt at rate w_i p: E[A(t)] = sum_i (1 - exp(-w_i p t))."""
    from sim.model.population import build_population
    from sim.streams import Streams

    n, p, reps = 3_000, 0.6, 40
    scenario = single_level(count=n, innovation=p, days=2 * 365, size_dispersion=1.0, size_elasticity=1.0,
                            seed=5).with_overrides({"engine": engine})
    days, mean, se = monthly_mean_and_se(scenario, reps)
    expected = np.zeros(days.size)
    variance = np.zeros(days.size)
    for r in range(reps):  # the population (and so the weights) is drawn per replication
        weights = build_population(scenario, Streams.for_run(scenario.seed, r).generator("population")).weight
        adopted = 1 - np.exp(-np.outer(end_of_day_years(days), weights) * p)
        expected += adopted.sum(axis=1) / reps
        variance += (adopted * (1 - adopted)).sum(axis=1) / reps**2
    assert np.all(np.abs(mean - expected) < 4 * np.sqrt(variance))
    # Heterogeneity matters: the homogeneous curve is rejected.
    homogeneous = n * bass_share(end_of_day_years(days), p)
    assert np.max(np.abs(mean - homogeneous) / np.sqrt(variance)) > 4
