"""Regional imitation and upper-tier pressure against their exact law.

A handful of agencies in two tiers and two provinces of unequal size
(:func:`sim.scenario.builders.two_tiers`): three upper-tier bodies (two in
province p0, one in p1) and three lower-tier bodies under upper-tier pressure
(two in p0, one in p1).  The state is the number adopted in each of the four
cohorts, 36 states in all, and the Kolmogorov forward equations give its
exact distribution at any time, ``P(t) = P(0) expm(Q t)``.  The generator
``Q`` is written here from the hazard as the model's documentation states it
(per agency, per year):

    upper in r:  p_u + q_u A_u / N_u + rho_u A_ur / N_ur
    lower in r:  p_l + q_l A_l / N_l + rho_l A_lr / N_lr + u_l A_ur / N_ur

independently of the engine's code.  The simulated joint distribution must
match it (chi-square over the states at several dates; each cohort's mean
within 4 standard errors), in both views of the model: the race
(:mod:`sim.model.mechanisms.adoption.race`) and the agent view, one SimPy
process per agency (:mod:`sim.model.mechanisms.adoption.agents`).  Each test
also checks its power: the laws of the bookkeeping mistakes a review once
made (a child reading its parent's share in the wrong province; a child not
told that its parent adopted) are rejected by the same data, and the exact
law rejects the agent view's data when its processes read the parent's share
in province 0.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.stats import chi2

from sim import simulate
from sim.calendar import DAYS_PER_YEAR
from sim.model.mechanisms.adoption.agents import AgencyProcesses
from sim.scenario.apportion import level_provinces
from sim.scenario.builders import two_tiers

UPPER = {"innovation": 0.6, "imitation": 2.0, "regional_imitation": 3.0, "upper_tier": 0.0}
LOWER = {"innovation": 0.2, "imitation": 1.0, "regional_imitation": 2.5, "upper_tier": 9.0}
DAYS = 180
CHECK_DAYS = (44, 89, 179)  # end of these days: model times 45, 90, 180
REPLICATIONS = 1500


def scenario(engine: str = "race"):
    return two_tiers(upper=UPPER, lower=LOWER, days=DAYS, seed=20240611).with_overrides({"engine": engine})


def cohort_sizes(s) -> tuple[int, int, int, int]:
    """(upper p0, upper p1, lower p0, lower p1)."""
    _, upper = level_provinces(s, "upper")
    _, lower = level_provinces(s, "lower")
    return (*upper.tolist(), *lower.tolist())


def generator(sizes, upper=UPPER, lower=LOWER, parent_province=None, stale_parent=False):
    """The exact generator (per day) over states (a_u0, a_u1, a_l0, a_l1).

    ``parent_province`` forces the province whose upper-tier share presses on
    every lower cohort (a mistake); ``stale_parent`` makes the lower tier see
    upper tier's share in its province only as it was when that lower cohort
    last adopted (a child not told of its parent's adoptions).  The stale variant needs the
    remembered shares in the state, so it is built on an extended state space.
    """
    n_u0, n_u1, n_l0, n_l1 = sizes
    ranges = [range(n + 1) for n in sizes]
    if stale_parent:  # remembered parent counts (seen by lower p0, lower p1) join the state
        ranges += [range(n_u0 + 1), range(n_u1 + 1)]
    states = list(itertools.product(*ranges))
    index = {s: i for i, s in enumerate(states)}
    Q = np.zeros((len(states), len(states)))
    for s in states:
        a_u0, a_u1, a_l0, a_l1 = s[:4]
        A_u, A_l = a_u0 + a_u1, a_l0 + a_l1
        share_u = (a_u0 / n_u0, a_u1 / n_u1)
        if stale_parent:
            seen = (s[4] / n_u0, s[5] / n_u1)
        elif parent_province is not None:
            seen = (share_u[parent_province],) * 2
        else:
            seen = share_u
        hazards = [
            upper["innovation"] + upper["imitation"] * A_u / (n_u0 + n_u1) + upper["regional_imitation"] * share_u[0],
            upper["innovation"] + upper["imitation"] * A_u / (n_u0 + n_u1) + upper["regional_imitation"] * share_u[1],
            lower["innovation"] + lower["imitation"] * A_l / (n_l0 + n_l1) + lower["regional_imitation"] * a_l0 / n_l0
            + lower["upper_tier"] * seen[0],
            lower["innovation"] + lower["imitation"] * A_l / (n_l0 + n_l1) + lower["regional_imitation"] * a_l1 / n_l1
            + lower["upper_tier"] * seen[1],
        ]
        for c in range(4):
            if s[c] < sizes[c]:
                target = list(s)
                target[c] += 1
                if stale_parent and c >= 2:  # a lower cohort adopting refreshes what it knows of its parent
                    target[2 + c] = s[c - 2]
                rate = (sizes[c] - s[c]) * hazards[c] / DAYS_PER_YEAR
                Q[index[s], index[tuple(target)]] += rate
                Q[index[s], index[s]] -= rate
    return states, Q


def exact_distributions(sizes, **mistake) -> dict[int, np.ndarray]:
    """Day -> exact probabilities of the 36 cohort states at the end of that day."""
    states, Q = generator(sizes, **mistake)
    start = np.zeros(len(states))
    start[0] = 1.0
    out = {}
    for day in CHECK_DAYS:
        p = start @ expm(Q * (day + 1))
        marginal: dict[tuple, float] = {}
        for s, prob in zip(states, p):
            marginal[s[:4]] = marginal.get(s[:4], 0.0) + prob
        out[day] = np.array([marginal[s] for s in itertools.product(*[range(n + 1) for n in sizes])])
    return out


def simulate_cohorts(s) -> dict[int, np.ndarray]:
    """Day -> (replications, 4) cohort counts at the end of that day."""
    levels = {name: i for i, name in enumerate(s.agencies.levels)}
    provinces = list(s.provinces)
    counts = {day: np.zeros((REPLICATIONS, 4), dtype=int) for day in CHECK_DAYS}
    for r in range(REPLICATIONS):
        a = simulate(s, r).adoptions
        cohort = 2 * (a.level == levels["lower"]) + np.array([provinces.index(a.province_names[p])
                                                              for p in a.province.tolist()], dtype=int)
        for day in CHECK_DAYS:
            counts[day][r] = np.bincount(cohort[a.time < day + 1], minlength=4)
    return counts


@pytest.fixture(scope="module", params=["race", "agents"])
def simulated(request):
    """Day -> (replications, 4) cohort counts at the end of that day, in each view of the model."""
    return simulate_cohorts(scenario(request.param))


def chi_square(observed_counts: np.ndarray, sizes, law: np.ndarray) -> tuple[float, int]:
    """Pearson's statistic over the states, states with expected count below 5 pooled together."""
    states = list(itertools.product(*[range(n + 1) for n in sizes]))
    index = {s: i for i, s in enumerate(states)}
    observed = np.zeros(len(states))
    for row in observed_counts:
        observed[index[tuple(row.tolist())]] += 1
    expected = law * len(observed_counts)
    small = expected < 5
    obs = np.append(observed[~small], observed[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    keep = exp > 0
    statistic = float(np.sum((obs[keep] - exp[keep]) ** 2 / exp[keep]))
    return statistic, int(keep.sum()) - 1


def critical(dof: int) -> float:
    """Chi-square critical value at a family-wise false-alarm rate of 1% over the checked days."""
    return float(chi2.ppf(1 - 0.01 / len(CHECK_DAYS), dof))


@pytest.mark.slow
def test_joint_law_of_the_cohorts_is_exact(simulated):
    sizes = cohort_sizes(scenario())
    assert sizes == (2, 1, 2, 1)  # unequal provinces: a mix-up of provinces changes the law
    law = exact_distributions(sizes)
    for day in CHECK_DAYS:
        statistic, dof = chi_square(simulated[day], sizes, law[day])
        assert statistic < critical(dof), (day, statistic, dof)


def test_cohort_means_are_exact(simulated):
    sizes = cohort_sizes(scenario())
    law = exact_distributions(sizes)
    states = np.array(list(itertools.product(*[range(n + 1) for n in sizes])))
    for day in CHECK_DAYS:
        mean = law[day] @ states
        sd = np.sqrt(law[day] @ states**2 - mean**2)
        observed = simulated[day].mean(axis=0)
        assert np.all(np.abs(observed - mean) < 4 * sd / np.sqrt(REPLICATIONS)), (day, observed, mean)


@pytest.mark.parametrize("mistake", [{"parent_province": 0}, {"stale_parent": True}],
                         ids=["parent-share-of-province-0", "child-not-told-of-parent-adoption"])
def test_the_data_reject_the_known_mistakes(simulated, mistake):
    """Power: the laws of the bookkeeping mistakes are rejected at some date by the same data."""
    sizes = cohort_sizes(scenario())
    wrong = exact_distributions(sizes, **mistake)
    rejected = []
    for day in CHECK_DAYS:
        statistic, dof = chi_square(simulated[day], sizes, wrong[day])
        rejected.append(statistic > critical(dof))
    assert any(rejected)


def test_the_exact_law_rejects_agents_reading_the_parent_share_in_province_0(monkeypatch):
    """Power, the other way round: the agent view with a deliberate mistake in its bookkeeping (every agency's
    parent share read in province 0, p0) gives data the exact law rejects."""
    correct = AgencyProcesses.parent_share
    monkeypatch.setattr(AgencyProcesses, "parent_share", lambda self, k, level, province: correct(self, k, level, 0))
    sizes = cohort_sizes(scenario())
    law = exact_distributions(sizes)
    mistaken = simulate_cohorts(scenario("agents"))
    rejected = []
    for day in CHECK_DAYS:
        statistic, dof = chi_square(mistaken[day], sizes, law[day])
        rejected.append(statistic > critical(dof))
    assert any(rejected)
