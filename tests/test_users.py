"""The aggregate user step and its relation to the exact process (see sim/model/mechanisms/users.py).

* With hazards that do not depend on the state the daily step is exact.
* With the Bass hazard the simulated step is checked against the exact law of
  the daily chain (computed by matrix powers, no sampling), and that chain is
  checked against the continuous-time Markov chain (matrix exponential): their
  means differ by O(dt), within the first-order bound, and halving the step
  halves the difference.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.stats import binom, chi2

from sim.calendar import DAYS_PER_YEAR
from sim.model.simulation import Run
from sim.scenario.builders import single_level


def users_scenario(people: int, platforms: dict[str, dict], seed: int = 3):
    """A fixed population of internet users (no growth) and the given platforms."""
    base = single_level(count=1, innovation=0.0, seed=seed)
    data = base.to_dict()
    data["population"] = {"total": people, "internet": {"initial_users": people, "capacity": people, "growth_rate": 0}}
    data["platforms"] = {name: {"label": name, "launch": data["horizon"]["start"], "users": users}
                         for name, users in platforms.items()}
    return type(base).from_dict(data)


def simulate_users(scenario, days: int, replications: int, dt: float = 1.0) -> np.ndarray:
    """States after ``days`` days: array (replications, 2**platforms)."""
    out = []
    for r in range(replications):
        users = Run(scenario, r).engine("users")  # the users' engine of replication r, outside its run
        for k in range(len(scenario.platforms)):
            users.launch(k)
        for _ in range(int(round(days / dt))):
            users.step(dt)
        out.append(list(users.by_state))
    return np.array(out)


def test_constant_hazard_step_is_exact():
    people, p_year, days, reps = 50_000, 0.9, 200, 200
    scenario = users_scenario(people, {"sina": {"innovation": p_year, "imitation": 0}})
    registered = simulate_users(scenario, days, reps)[:, 1]
    share = 1 - np.exp(-p_year / DAYS_PER_YEAR * days)
    mean, var = people * share, people * share * (1 - share)
    assert abs(registered.mean() - mean) < 4 * np.sqrt(var / reps)
    # The spread is binomial too (chi-square bounds on the sample variance).
    statistic = (reps - 1) * registered.var(ddof=1) / var
    assert chi2.ppf(0.0005, reps - 1) < statistic < chi2.ppf(0.9995, reps - 1)


def test_independent_platforms_multihome_independently():
    people, days, reps = 40_000, 300, 150
    rates = {"sina": 0.7, "tencent": 0.4}
    scenario = users_scenario(people, {k: {"innovation": v, "imitation": 0, "multihoming": 1.0}
                                       for k, v in rates.items()})
    both = simulate_users(scenario, days, reps)[:, 3]
    f = [1 - np.exp(-rate / DAYS_PER_YEAR * days) for rate in rates.values()]
    share = f[0] * f[1]
    assert abs(both.mean() - people * share) < 4 * np.sqrt(people * share * (1 - share) / reps)


def test_exclusive_platforms_have_no_multihomers():
    scenario = users_scenario(10_000, {k: {"innovation": 1.0, "imitation": 1.0, "multihoming": 0.0}
                                       for k in ("sina", "tencent")})
    states = simulate_users(scenario, 200, 5)
    assert np.all(states[:, 3] == 0)
    assert np.all(states[:, 1] > 0) and np.all(states[:, 2] > 0)


# --- Bass hazard: the daily chain, exactly, against the continuous chain --------------------------

N, P_YEAR, Q_YEAR = 200, 0.5, 3.0


def daily_chain(dt_days: float) -> np.ndarray:
    """Transition matrix of the tau-leap step on the number of users of one platform."""
    p, q = P_YEAR / DAYS_PER_YEAR, Q_YEAR / DAYS_PER_YEAR
    matrix = np.zeros((N + 1, N + 1))
    for r in range(N + 1):
        prob = -np.expm1(-(p + q * r / N) * dt_days)
        matrix[r, r:] = binom.pmf(np.arange(N - r + 1), N - r, prob)
    return matrix


def continuous_chain() -> np.ndarray:
    """Generator of the exact continuous-time chain (per day)."""
    p, q = P_YEAR / DAYS_PER_YEAR, Q_YEAR / DAYS_PER_YEAR
    generator = np.zeros((N + 1, N + 1))
    for r in range(N):
        rate = (N - r) * (p + q * r / N)
        generator[r, r + 1], generator[r, r] = rate, -rate
    return generator


def exact_means(days: np.ndarray, dt_days: float) -> tuple[np.ndarray, np.ndarray]:
    start = np.zeros(N + 1)
    start[0] = 1.0
    step = np.linalg.matrix_power(daily_chain(dt_days), int(round(30 / dt_days)))
    states = np.arange(N + 1)
    leap, continuous = [], []
    dist = start
    for month in range(len(days)):
        dist = dist @ step
        leap.append(dist @ states)
        continuous.append((start @ expm(continuous_chain() * days[month])) @ states)
    return np.array(leap), np.array(continuous)


def test_simulated_step_matches_its_exact_law():
    reps = 300
    scenario = users_scenario(N, {"sina": {"innovation": P_YEAR, "imitation": Q_YEAR}})
    simulated = simulate_users(scenario, 360, reps)[:, 1]
    dist = np.zeros(N + 1)
    dist[0] = 1.0
    dist = dist @ np.linalg.matrix_power(daily_chain(1.0), 360)
    states = np.arange(N + 1)
    mean = dist @ states
    sd = np.sqrt(dist @ states**2 - mean**2)
    assert abs(simulated.mean() - mean) < 4 * sd / np.sqrt(reps)


@pytest.mark.slow
def test_daily_step_is_first_order_close_to_the_continuous_process():
    days = 30.0 * np.arange(1, 13)
    daily, continuous = exact_means(days, 1.0)
    half_day, _ = exact_means(days, 0.5)
    # First order: the bias is at most about (p + q) dt of the population...
    bound = (P_YEAR + Q_YEAR) / DAYS_PER_YEAR * 1.0 * N
    assert np.max(np.abs(daily - continuous)) < bound
    # ...and halves with the step.
    ratio = np.max(np.abs(daily - continuous)) / np.max(np.abs(half_day - continuous))
    assert 1.7 < ratio < 2.3
