"""The interaction loop inside the model: bookkeeping, determinism, feedback, sampling, and the twin."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy.integrate import quad
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Scenario, simulate
from sim.model import meanfield
from sim.model.mechanisms.following import expected_gain, follow_probability
from sim.model.mechanisms.interaction.arrivals import StreamArrivals
from sim.model.mechanisms.interaction.feedback import appeal, unfollow_probability
from sim.model.mechanisms.interaction.fluid import FluidDesk
from sim.model.mechanisms.interaction.intensity import Profile, Surge, base_rate, hourly_expected
from sim.model.mechanisms.interaction.metrics import COUNTS, metric_names
from sim.model.mechanisms.interaction.schedule import Rota
from sim.model.simulation import Run

END = dt.date(2012, 3, 31)


@pytest.fixture(scope="module")
def tiny(tiny_path) -> Scenario:
    return Scenario.from_yaml(tiny_path).with_overrides({"horizon.end": END.isoformat()})


def with_shifts(scenario: Scenario, shifts: dict[str, list[str]]) -> Scenario:
    """The scenario with the given teams' shifts replaced (lists cannot be set by dotted paths)."""
    data = scenario.to_dict()
    for where, value in shifts.items():
        node = data["interaction"]
        for part in where.split("."):
            node = node[part]
        node["shifts"] = value
    return Scenario.from_dict(data)


def thin(scenario: Scenario, **feedback) -> Scenario:
    """Shanghai City answered by one person in office hours, with the feedback switched on hard."""
    overrides = {
        "interaction.accounts.shanghai_city.staff.size": 1,
        "interaction.accounts.shanghai_city.staff.service.mean_hours": 0.5,
        "interaction.accounts.shanghai_city.department.size": 1,
        "interaction.messages.per_follower_per_day": 3e-5,
        "interaction.feedback.elasticity": 2.0,
        "interaction.feedback.unfollow_rate_per_day": 0.05,
    }
    overrides.update({f"interaction.feedback.{k}": v for k, v in feedback.items()})
    office = ["mon-fri 09:00-17:00"]
    return with_shifts(scenario.with_overrides(overrides), {"accounts.shanghai_city.staff": office,
                                                            "accounts.shanghai_city.department": office})


def named_streams(scenario: Scenario):
    return [(a, p) for a, spec in scenario.accounts.items() for p in spec.platforms]


# --- bookkeeping ---------------------------------------------------------------------------------
def test_every_message_is_answered_abandoned_or_still_in_the_backlog(tiny):
    scenario = thin(tiny)
    run = Run(scenario, 0)
    records = run.run()
    m = records.metrics
    for a, p in named_streams(scenario):
        received, answered, abandoned, prompt = (m[f"messages.{a}.{p}.{c}"] for c in COUNTS)
        backlog = m[f"backlog.{a}.{p}"]
        assert received[-1] > 100
        assert np.array_equal(received, answered + abandoned + backlog)  # conservation, every day
        assert np.all(np.diff(received) >= 0) and np.all(prompt <= answered)
        p50, p90 = m[f"response_hours.{a}.{p}.p50"], m[f"response_hours.{a}.{p}.p90"]
        answered_today = np.diff(answered, prepend=0)
        assert np.array_equal(np.isnan(p50), answered_today == 0)  # defined exactly on days with answers
        assert np.all(p50[~np.isnan(p50)] <= p90[~np.isnan(p90)])
    for name in ("utilisation.shanghai_city.staff", "utilisation.shanghai_city.department"):
        u = m[name][~np.isnan(m[name])]
        assert u.size and np.all((u >= 0) & (u <= 1 + 1e-12))
    for stream in run.engine("interaction").named:  # Little's law, sample-path form, over the run
        assert stream.area == pytest.approx(stream.closed + stream.open_age, rel=1e-9)


def test_level_estimates_are_consistent_and_a_census_has_no_sampling_error(tiny):
    census = tiny.with_overrides({"interaction.sample_per_level": 10_000})  # every agency of every level
    run = Run(census, 1)
    m = run.run().metrics
    engine = run.engine("interaction")
    for level, agencies in engine.levels.items():
        assert len(agencies) == engine.frame[level]
        received = m[f"messages.level.{level}.received"]
        assert np.all(m[f"messages.level.{level}.received.se"] == 0)
        total = sum(a.totals["received"] for a in agencies)
        assert received[-1] == total
        assert np.array_equal(received, m[f"messages.level.{level}.answered"] + m[f"messages.level.{level}.abandoned"]
                              + m[f"backlog.level.{level}"])
    assert m["messages.level.central.received"][-1] > 0


def test_sampled_level_totals_are_scaled_up_with_a_standard_error(tiny):
    m = simulate(tiny, 2).metrics
    engine_sample = tiny.interaction.sample_per_level
    assert engine_sample < tiny.agencies.levels["county"].count
    se = m["messages.level.central.received.se"]
    assert np.all(se[m["messages.level.central.received"] > 0] >= 0)
    assert np.nanmax(se) > 0


# --- determinism and separation ------------------------------------------------------------------------
def test_same_seed_same_numbers(tiny):
    a, b = simulate(tiny, 3).metrics, simulate(tiny, 3).metrics
    for name in metric_names(tiny):
        assert np.array_equal(a[name], b[name], equal_nan=True), name


def test_the_loop_without_feedback_changes_nothing_else(tiny):
    quiet = tiny.with_overrides({"interaction.feedback.elasticity": 0.0, "interaction.feedback.unfollow_rate_per_day": 0.0})
    without = tiny.model_copy(update={"interaction": None})
    with_loop, no_loop = simulate(quiet, 4).metrics, simulate(without, 4).metrics
    assert set(no_loop) < set(with_loop)
    for name, values in no_loop.items():
        assert np.array_equal(values, with_loop[name]), name  # own random streams: nothing else moves


# --- feedback ------------------------------------------------------------------------------------------
def test_a_poorly_answered_account_loses_appeal_and_followers(tiny):
    good, bad = tiny, thin(tiny)
    reps = range(3)
    good_f = np.mean([simulate(good, r).metrics["followers.shanghai_city.all"][-1] for r in reps])
    runs = [simulate(bad, r).metrics for r in reps]
    bad_f = np.mean([m["followers.shanghai_city.all"][-1] for m in runs])
    assert bad_f < 0.9 * good_f
    appeal_ = runs[0]["appeal.shanghai_city.sina"]
    assert appeal_.min() < 0.9 and appeal_.max() == 1.0


def test_adoption_feedback_is_off_by_default_and_moves_adoption_when_on(tiny):
    assert tiny.interaction.feedback.adoption_elasticity == 0.0
    on = tiny.with_overrides({"interaction.feedback.adoption_elasticity": 3.0,
                              "interaction.feedback.reference_share": 1.0})
    on = with_shifts(on, {f"levels.{level}.desk.staff": ["sat 10:00-11:00"] for level in tiny.interaction.levels})
    base = simulate(tiny, 5).metrics["gov_accounts.sina"][-1]
    slowed = simulate(on, 5).metrics["gov_accounts.sina"][-1]
    assert slowed < base  # sampled accounts answer badly: their levels adopt less


# --- engine and twin ---------------------------------------------------------------------------------
class MeanDraws:
    """A stand-in random generator whose every draw is its expectation."""

    def binomial(self, n, p):
        return n * p


class NoDraws:
    """A stand-in random generator whose every binomial draw is 0."""

    def binomial(self, n, p):
        return 0


settings_ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(day=st.integers(840, 960), followers=st.floats(1e3, 5e6), surge=st.floats(1.0, 20.0),
       decay=st.floats(0.1, 5.0), onset=st.floats(-3.0, 1.0))
def test_engine_and_twin_agree_on_the_message_rate(tiny, day, followers, surge, decay, onset):
    messages = tiny.interaction.messages
    profile = Profile.of(messages, tiny.horizon.start.weekday())
    surges = (Surge(onset=day + onset, excess=surge - 1, decay=decay),)
    base = base_rate(followers, messages, "sina")
    twin = hourly_expected(day, base, profile, surges)  # what the twin integrates, exactly
    arrivals = StreamArrivals(profile, list(surges), np.ones((1, 1)), np.random.default_rng(0))
    streams = np.zeros(1, dtype=np.int64)

    def engine_intensity(t):  # what the engine's thinning accepts against its bound
        times = np.array([t])
        return float(base * profile.cycle(times)[0] * arrivals.surge_factor(times, streams)[0])

    engine = [quad(engine_intensity, day + h / 24, day + (h + 1) / 24, points=[surges[0].onset], limit=200)[0]
              for h in range(24)]
    assert np.allclose(engine, twin, rtol=1e-7)
    bound = arrivals.bounds(day, np.array([base]))[0]
    grid = day + np.linspace(0, 1, 2001)[:-1]
    assert bound >= max(engine_intensity(t) for t in grid)  # thinning needs a true bound


@settings_
@given(day=st.integers(0, 400), shifts=st.lists(st.sampled_from(
    ["mon-fri 09:00-17:30", "daily 22:00-06:00 x1", "sat,sun 10:00-16:00 x1", "daily 08:00-23:00 x2", "wed 13:15-14:45"]),
    min_size=1, max_size=3), size=st.integers(1, 4), first_weekday=st.integers(0, 6))
def test_engine_and_twin_agree_on_the_staffing(day, shifts, size, first_weekday):
    from sim.scenario.schema import Desk, Messages
    spec = Desk(staff={"size": size, "shifts": shifts, "service": {"mean_hours": 1}})
    rota = Rota.of(size, shifts, first_weekday)
    fluid = FluidDesk(spec, Messages(per_follower_per_day=1), first_weekday)
    pieces = fluid.pieces[(first_weekday + day) % 7]
    twin_staff_days = sum((h1 - h0) / 24 * staff[0] for h0, h1, staff in pieces)
    assert twin_staff_days == pytest.approx(rota.staff_days(day, day + 1), abs=1e-9)
    for h0, h1, staff in pieces:  # and piece by piece, at the middle
        assert staff[0] == rota.on_duty(day + (h0 + h1) / 48)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.integers(1, 60), replication=st.integers(0, 1000))
def test_engine_and_twin_agree_on_the_feedback_step(tiny, day, replication):
    scenario = thin(tiny)
    run = Run(scenario, replication)
    launch = scenario.horizon.day(scenario.accounts["shanghai_city"].launch)
    run.env.run(until=launch + day + 0.5)  # a random state, mid-day
    engine = run.engine("interaction")
    following = run.engine("following")
    feedback = scenario.interaction.feedback
    before = dict(following.followers)
    following.rng = NoDraws()  # nobody starts following: the step below is the unfollowing alone
    following.unfollow_rng = MeanDraws()
    following.step(int(run.env.now) + 1)
    for stream in engine.named:
        entry = stream.entry
        tomorrow = following.appeal(entry)
        # the appeal the engine handed to following for tomorrow is the shared function of its measured state,
        # and so is the unfollowing it brings
        assert tomorrow == appeal(feedback, *engine.responsiveness(stream, launch + day))
        leaving = following.inputs["unfollow"][entry]
        assert leaving == unfollow_probability(feedback, tomorrow)
        # one unfollow step with expected draws is the twin's expected loss
        f0 = before[entry]
        assert f0 - following.followers[entry] == pytest.approx(f0 * leaving, abs=1)
        spec = scenario.accounts["shanghai_city"].platforms[entry[1]]
        today = stream.appeal_today
        assert expected_gain(spec, 1e8, 1000.0, day, today) == pytest.approx(
            (spec.reach * 1e8 - 1000.0) * follow_probability(spec, day, 1.0, today))


def test_messages_arrive_at_the_shared_rate_given_the_followers(tiny):
    # Given the followers' path, a stream's messages are Poisson with the integral of the shared intensity.
    scenario = tiny.with_overrides({"interaction.messages.per_follower_per_day": 3e-5})
    messages = scenario.interaction.messages
    profile = Profile.of(messages, scenario.horizon.start.weekday())
    observed = expected = 0.0
    for r in range(3):
        m = simulate(scenario, r).metrics
        for p in ("sina", "tencent"):
            followers = m[f"followers.shanghai_city.{p}"]
            observed += m[f"messages.shanghai_city.{p}.received"][-1]
            expected += sum(hourly_expected(d, base_rate(float(f), messages, p), profile).sum()
                            for d, f in enumerate(followers.tolist()) if f)
    assert abs(observed - expected) < 4 * math.sqrt(expected)


def test_twin_sees_the_feedback_cost_followers_as_the_engine_does(tiny):
    """The fluid desk is an approximation: the followers a thin desk costs, engine against twin, within 5 points."""
    good = tiny.with_overrides({"interaction.feedback.elasticity": 0.0, "interaction.feedback.unfollow_rate_per_day": 0.0})
    bad = thin(tiny, elasticity=1.0, unfollow_rate_per_day=0.02)
    name = "followers.shanghai_city.all"
    engine = np.mean([simulate(bad, r).metrics[name][-1] / simulate(good, r).metrics[name][-1] for r in range(4)])
    twin = meanfield(bad).metrics[name][-1] / meanfield(good).metrics[name][-1]
    assert engine < 0.95 and abs(twin - engine) < 0.05, (twin, engine)
