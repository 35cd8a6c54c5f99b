"""The agent view (``engine: agents``): how it is chosen, what it records, and its law.

Each agency and each named account on each platform is a SimPy process
(:mod:`sim.model.mechanisms.adoption.agents`, :class:`sim.model.mechanisms.following.FollowerProcesses`).
The agencies' law is checked against the Kolmogorov forward equations in
``tests/test_exact_law.py`` and against the Bass curve in ``tests/test_theory.py``; here, the followers'
law given the audience (exact, binomial day by day), and the two views against each other on the
baseline (mean and spread at the article's dates, paired by replication since both views draw the users
from the same stream).  Every law test also checks its power on a deliberate mistake in the agent view's
bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from scipy import integrate, stats

from sim import Scenario, simulate
from sim.cli import main
from sim.errors import InputError
from sim.model.mechanisms.adoption.agents import AgencyProcesses, Bound
from sim.model.mechanisms.following import FollowerProcesses, FollowParameters, follow_hazard, follow_probability
from sim.model.simulation import Run
from sim.runner import run_replications
from sim.sweep.pipeline import manifest, plan_sweep

LAUNCH = dt.date(2011, 11, 28)
"""Shanghai City's launch (Beijing Review 2012)."""


@pytest.fixture(scope="module")
def short(tiny_path, tmp_path_factory):
    """The tiny scenario to 2011-12-01, Shanghai City's reach a hundredth of the baseline's: runs in a second."""
    path = tmp_path_factory.mktemp("agents") / "short.yaml"
    path.write_text(f"extends: {tiny_path}\nname: short\nhorizon: {{end: 2011-12-01}}\nreplications: 2\n"
                    "outputs: {figures: false}\n"
                    "set: {accounts.shanghai_city.platforms.sina.reach: 7.0e-5, "
                    "accounts.shanghai_city.platforms.tencent.reach: 1.7e-4}\n")
    return path


# --- one definition ----------------------------------------------------------------------------------
def test_follow_probability_is_one_minus_the_exponential_of_the_integrated_hazard():
    """The daily step's probability and the agent view's instantaneous hazard are one definition."""
    rng = np.random.default_rng(19)
    for _ in range(50):
        spec = FollowParameters(reach=0.01, launch_rate_per_day=rng.uniform(0, 0.5),
                                launch_decay_days=rng.uniform(0.5, 30), steady_rate_per_day=rng.uniform(0, 0.01))
        age, dt_, appeal = rng.uniform(0, 60), rng.uniform(0.1, 2), rng.uniform(0.2, 1)
        integral, _ = integrate.quad(lambda a: follow_hazard(spec, a, appeal), age, age + dt_, epsabs=0, epsrel=1e-12)
        assert -math.log1p(-follow_probability(spec, age, dt_, appeal)) == pytest.approx(integral, rel=1e-9)
        assert follow_hazard(spec, age + dt_, appeal) <= follow_hazard(spec, age, appeal)  # the thinning's premise


def test_the_bound_is_inverted_exactly():
    """The next proposal after ``now`` is where the bound's integral from ``now`` reaches the target."""
    bound = Bound([0.0, 10.0, 25.0, 40.0, 100.0], [0.0, 0.5, 2.0, 1.0, 0.0])
    rng = np.random.default_rng(3)
    for _ in range(200):
        now, target = rng.uniform(0, 100), rng.exponential(10)
        t = bound.next_time(now, target)
        if math.isinf(t):
            assert integrate.quad(lambda s: np.interp(s, *zip(*_steps(bound))), now, 100, limit=200)[0] < target + 1e-6
        else:
            area = sum(max(0.0, min(t, b) - max(now, a)) * r for a, b, r in zip(bound.times, bound.times[1:], bound.rates))
            assert area == pytest.approx(target, rel=1e-12, abs=1e-12) and t > now


def _steps(bound: Bound):
    """Points of the bound's step function, for numerical integration."""
    points = []
    for a, b, r in zip(bound.times, bound.times[1:], bound.rates):
        points += [(a, r), (b - 1e-9, r)]
    return points


# --- how the view is chosen, and what a run records ------------------------------------------------------
def test_every_agency_and_named_account_is_a_process_and_the_manifest_says_so(short, tmp_path, capsys):
    scenario = Scenario.from_yaml(short)
    entries = sum(len(a.platforms) for a in scenario.accounts.values())
    agencies = sum(level.count for level in scenario.agencies.levels.values())
    for engine, processes in (("race", 1), ("agents", 1 + agencies + entries)):
        out = tmp_path / engine
        assert main(["run", str(short), "--engine", engine, "--replications", "1", "--out", str(out),
                     "--no-progress", "--workers", "1"]) == 0
        manifest_ = json.loads((out / "manifest.json").read_text())
        assert manifest_["engine"] == engine and manifest_["processes"] == [processes]
        assert manifest_["events"][0] > (agencies if engine == "agents" else 0)
        assert (out / "timeseries.csv.gz").exists() and (out / "adoptions.csv.gz").exists()
        assert manifest_["scenario"].get("engine", "race") == engine
    assert "agents:" in capsys.readouterr().out


def test_a_scenario_chooses_the_view_and_the_race_is_the_default(short, tmp_path):
    assert Scenario.from_yaml(short).engine == "race"
    assert "engine" not in Scenario.from_yaml(short).to_dict()  # documents (and sweep run keys) as before
    path = tmp_path / "agents.yaml"
    path.write_text(f"extends: {short}\nengine: agents\n")
    scenario = Scenario.from_yaml(path)
    assert scenario.engine == "agents" and scenario.to_dict()["engine"] == "agents"
    assert simulate(scenario, 0).engine == "agents"
    path.write_text(f"extends: {short}\nengine: agent\n")
    with pytest.raises(InputError) as info:
        Scenario.from_yaml(path)
    assert info.value.field == "engine" and "agents" in info.value.line()


def test_a_sweep_chooses_the_view(short, tmp_path):
    spec = tmp_path / "sweep.yaml"
    spec.write_text(f"name: views\nbase: {short}\ndesign: grid\nreplications: 1\nseed: 1\nengine: agents\n"
                    "parameters: {x: {path: population.internet.growth_rate, values: [0.5]}}\n"
                    "outcomes: {a: {metric: gov_accounts.sina, at: 2011-10-31}}\n")
    plan = plan_sweep(spec)
    assert plan.sweep.base.engine == "agents" and manifest(plan)["engine"] == "agents"
    assert plan.scenario(plan.points[0]).engine == "agents"
    assert plan_sweep(spec, engine="race").sweep.base.engine == "race"  # bandwagon sweep --engine race


def test_the_agent_view_is_reproducible_bit_for_bit_whatever_the_workers(short):
    scenario = Scenario.from_yaml(short).with_overrides({"engine": "agents"})
    one = run_replications(scenario, range(2), workers=1, progress=False).runs
    two = run_replications(scenario, range(2), workers=2, progress=False).runs
    again = simulate(scenario, 1)
    for a, b in zip(one, two):
        assert a.events == b.events and a.processes == b.processes
        for name in a.metrics:
            assert np.array_equal(a.metrics[name], b.metrics[name], equal_nan=True), name
        assert np.array_equal(a.adoptions.agency, b.adoptions.agency)
        assert np.array_equal(a.adoptions.time, b.adoptions.time)
    assert np.array_equal(one[1].adoptions.time, again.adoptions.time)
    assert not np.array_equal(one[0].adoptions.time[:50], one[1].adoptions.time[:50])


def test_the_agent_view_shares_the_population_and_the_users_with_the_race(short):
    """Common random numbers: the views draw the agencies' sizes and the users from the same streams."""
    scenario = Scenario.from_yaml(short)
    race, agents = Run(scenario, 0), Run(scenario.with_overrides({"engine": "agents"}), 0)
    assert np.array_equal(race.population.weight, agents.population.weight)
    a, b = race.run(), agents.run()
    for name in ("internet_users", "registered_users.sina", "registered_users.tencent"):
        assert np.array_equal(a.metrics[name], b.metrics[name])
    assert isinstance(agents.engine("adoption"), AgencyProcesses)
    assert isinstance(agents.engine("following"), FollowerProcesses)


# --- the followers' law ----------------------------------------------------------------------------------
FOLLOW_REPLICATIONS = 40
FOLLOW_DAYS = (0, 3, 10, 14)
"""Days after Shanghai City's launch at whose end the followers are checked."""


def followers_scenario(tiny_path, engine: str) -> Scenario:
    """The tiny baseline without the interaction loop (appeal 1, no unfollowing), to 2011-12-12, Shanghai
    City's reach a hundredth of the baseline's (fewer events; the law is the same for any reach)."""
    base = Scenario.from_yaml(tiny_path)
    data = {**base.to_dict(), "interaction": None}
    return Scenario.from_dict(data).with_overrides({
        "horizon.end": "2011-12-12", "engine": engine,
        "accounts.shanghai_city.platforms.sina.reach": 7.0e-5, "accounts.shanghai_city.platforms.tencent.reach": 1.7e-4})


def standardised_followers(scenario: Scenario) -> np.ndarray:
    """(replications, days x platforms) of ``(F - E[F]) / sd(F)``, the moments exact given each run's audience.

    Given the audience ``M_d`` of each day (``int(reach * registered users)``, recorded), the followers
    move by ``Binomial(M_d - F, p_d)`` a day, ``p_d`` the day's :func:`follow_probability`: so
    ``m_d = m + (M_d - m) p_d`` and ``v_d = v (1 - p_d)^2 + (M_d - m) p_d (1 - p_d)``.
    """
    launch = scenario.horizon.day(LAUNCH)
    z = []
    for r in range(FOLLOW_REPLICATIONS):
        records = simulate(scenario, r)
        row = []
        for platform, spec in scenario.accounts["shanghai_city"].platforms.items():
            users = records.metrics[f"registered_users.{platform}"]
            followers = records.metrics[f"followers.shanghai_city.{platform}"]
            mean = variance = 0.0
            for age in range(max(FOLLOW_DAYS) + 1):
                audience = int(spec.reach * users[launch + age])
                p = follow_probability(spec, age)
                mean, variance = mean + (audience - mean) * p, variance * (1 - p) ** 2 + (audience - mean) * p * (1 - p)
                if age in FOLLOW_DAYS:
                    row.append((followers[launch + age] - mean) / math.sqrt(variance))
        z.append(row)
    return np.array(z)


def law_holds(z: np.ndarray) -> bool:
    """Each column's mean within 4 standard errors of 0, its variance within the chi-square's 0.01%-99.99%."""
    n = z.shape[0]
    means_ok = np.all(np.abs(z.mean(axis=0)) < 4 / math.sqrt(n))
    scaled = (n - 1) * z.var(axis=0, ddof=1)
    return bool(means_ok and np.all((scaled > stats.chi2.ppf(1e-4, n - 1)) & (scaled < stats.chi2.ppf(1 - 1e-4, n - 1))))


@pytest.mark.parametrize("engine", ["race", "agents"])
def test_followers_have_their_exact_law_given_the_audience(tiny_path, engine):
    assert law_holds(standardised_followers(followers_scenario(tiny_path, engine)))


def test_the_followers_law_catches_a_follower_process_that_forgets_saturation(tiny_path, monkeypatch):
    """Power: the agent view with a deliberate mistake in its bookkeeping (new followers drawn from the whole
    audience, those already following included) fails the same test."""
    monkeypatch.setattr(FollowerProcesses, "arrival_rate", staticmethod(
        lambda spec, age, appeal, people, followers: follow_hazard(spec, age, appeal) * people))
    assert not law_holds(standardised_followers(followers_scenario(tiny_path, "agents")))


# --- the two views on the baseline ---------------------------------------------------------------------------
PAIRS = 20
CHECKS = [("gov_accounts.sina", "2011-01-01"), ("gov_accounts.sina", "2011-10-31"),
          ("gov_accounts.tencent", "2011-01-01"), ("gov_accounts.tencent", "2011-10-31"),
          ("followers.shanghai_city.sina", "2011-12-12"), ("followers.shanghai_city.all", "2011-12-12")]
"""The article's dates (Beijing Review 2012): Sina's 5,000 accounts at the start of 2011 and nearly 20,000
at the end of October, Shanghai City's followers two weeks after its launch."""


def views_scenario(tiny_path, reach: float = 1.0) -> Scenario:
    """The baseline at a hundredth of its agencies (everything else as shipped, the interaction loop
    included), to 2011-12-12; ``reach`` scales Shanghai City's reach (fewer follower events)."""
    base = Scenario.from_yaml(tiny_path).with_overrides({"horizon.end": "2011-12-12"})
    return base.with_overrides({f"accounts.shanghai_city.platforms.{p}.reach": spec.reach * reach
                                for p, spec in base.accounts["shanghai_city"].platforms.items()})


def view_values(scenario: Scenario, engine: str) -> np.ndarray:
    """(pairs, checks): the values of replications ``0..PAIRS-1`` in one view."""
    view = scenario.with_overrides({"engine": engine})
    runs = (simulate(view, r) for r in range(PAIRS))
    return np.array([[run.value(metric, dt.date.fromisoformat(date)) for metric, date in CHECKS] for run in runs],
                    dtype=float)


def permutation_p_values(race: np.ndarray, agents: np.ndarray, flips: int = 20_000) -> np.ndarray:
    """(checks, 2) two-sided p-values of the mean difference and of the log ratio of standard deviations.

    Replication ``r`` of both views shares its users (one stream) but nothing else, so if the views have one
    law, the two values of a pair are exchangeable: swapping them (a sign flip of the difference) leaves
    the law of the pairs unchanged.  The p-values are the share of random swaps giving a statistic at least
    as extreme as the data's: exact whatever the distribution (a rare drop of appeal gives the followers a
    long tail, which a normal-theory test of the spread would misread).
    """
    rng = np.random.default_rng(19)
    swap = rng.random((flips, race.shape[0])) < 0.5
    out = np.zeros((race.shape[1], 2))
    for j in range(race.shape[1]):
        x, y = agents[:, j], race[:, j]
        xs, ys = np.where(swap, y, x), np.where(swap, x, y)
        for s, statistic in enumerate((lambda a, b: (a - b).mean(axis=-1),
                                       lambda a, b: np.log(a.std(axis=-1, ddof=1) + 1e-12)
                                       - np.log(b.std(axis=-1, ddof=1) + 1e-12))):
            observed = abs(statistic(x, y))
            out[j, s] = (1 + np.sum(np.abs(statistic(xs, ys)) >= observed - 1e-12)) / (flips + 1)
    return out


FAMILY_ALPHA = 0.01


def views_agree(race: np.ndarray, agents: np.ndarray) -> bool:
    """Every mean and every spread agrees, at a family-wise false-alarm rate of 1% (Bonferroni)."""
    p = permutation_p_values(race, agents)
    return bool(np.all(p > FAMILY_ALPHA / p.size))


@pytest.fixture(scope="module")
def views(tiny_path):
    return views_scenario(tiny_path, reach=0.1)


@pytest.fixture(scope="module")
def race_values(views):
    return view_values(views, "race")


@pytest.mark.slow
def test_the_two_views_agree_on_the_baseline(views, race_values):
    """Mean and spread of Sina's and Tencent's accounts and Shanghai City's followers at the article's dates.

    The baseline at a hundredth of its agencies with the interaction loop as shipped; Shanghai City's reach
    a tenth of the baseline's (about 100,000 followers by 12 December instead of a million: the same law, a
    tenth of the agent view's events).  ``bandwagon run scenarios/baseline.yaml --engine agents`` at full scale
    is compared with the race in the documentation (docs/background/agents.md).
    """
    race, agents = race_values, view_values(views, "agents")
    assert np.all(race.std(axis=0) > 0) and np.all(agents.std(axis=0) > 0)
    assert views_agree(race, agents), permutation_p_values(race, agents).round(5).tolist()


@pytest.mark.slow
def test_the_comparison_catches_agencies_reading_the_audience_of_the_first_platform(views, race_values,
                                                                                    monkeypatch):
    """Power: a deliberate mistake in the agent view's bookkeeping (every platform's audience read from
    platform 0, Sina, so that Tencent's agencies feel Sina's larger audience) fails the same comparison."""
    correct = AgencyProcesses.start_day

    def sina_audience_everywhere(self, day):
        correct(self, day)
        self.audience[:] = [self.audience[0]] * len(self.audience)

    monkeypatch.setattr(AgencyProcesses, "start_day", sina_audience_everywhere)
    assert not views_agree(race_values, view_values(views, "agents"))


@pytest.mark.slow
def test_a_multiplier_above_the_bound_raises_it_and_the_views_still_agree(short):
    """The synchronisation point nobody can foresee: the interaction loop's feedback on adoption (off in the
    baseline) sets a level's ``multiplier`` above the bound; the level's agencies are interrupted and draw
    afresh from the raised bound, and the two views keep one law (Sina's and Tencent's accounts on
    2011-10-31, 12 pairs)."""
    scenario = Scenario.from_yaml(short).with_overrides({"interaction.feedback.adoption_elasticity": 3.0,
                                                          "interaction.feedback.reference_share": 0.5})
    run = Run(scenario.with_overrides({"engine": "agents"}), 0)
    run.run()
    assert max(run.engine("adoption").bound_multiplier) > 1
    checks = [("gov_accounts.sina", dt.date(2011, 10, 31)), ("gov_accounts.tencent", dt.date(2011, 10, 31))]
    values = {}
    for engine in ("race", "agents"):
        runs = (simulate(scenario.with_overrides({"engine": engine}), r) for r in range(12))
        values[engine] = np.array([[run.value(m, d) for m, d in checks] for run in runs], dtype=float)
    baseline_like = np.array([simulate(Scenario.from_yaml(short), r).value(*checks[0]) for r in range(12)])
    assert values["race"][:, 0].mean() > baseline_like.mean()  # the feedback does raise adoption
    assert np.all(permutation_p_values(values["race"], values["agents"]) > 0.01 / 4)
