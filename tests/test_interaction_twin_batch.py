"""The interaction loop's twin on a batch of scenarios: numpy over the members, each member its own answer.

* A batch whose members differ in the interaction's parameters (staff sizes, service times, patience, message
  rates, the feedback's elasticities and reference, a hot issue's height) gives every member exactly the metrics
  of its own single evaluation, NaN where that gives NaN: masks pick each member's regime, never another's.
* The fluid piece (per-member regimes, the change of regime within a piece, senders who never give up) against
  an independent numerical solution of its ODE, and the batch against the same piece solved member by member.
* The feedback's functions on arrays give, member by member, what they give on floats (the engine's), with NaN
  where the engine's spelling is None.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from sim import Scenario
from sim.model import meanfield
from sim.model.meanfield import meanfield_batch, structure
from sim.model.mechanisms.interaction.feedback import (FeedbackParameters, appeal, prompt_share,
                                                       unfollow_probability)
from sim.model.mechanisms.interaction.fluid import Staffing, fluid_piece, relaxation, responsiveness
from sim.model.mechanisms.interaction.intensity import Profile, Surge, base_rate, hour_fractions, hourly_expected
from sim.scenario.schema import Feedback

ACCOUNT = "shanghai_city"
TWIN_METRICS = ("messages.", "backlog.", "response_hours.", "appeal.", "utilisation.", "followers.")


@pytest.fixture(scope="module")
def loop(tiny_path) -> Scenario:
    """The tiny scenario run past Shanghai City's launch, with a hot issue hitting it and a level."""
    data = Scenario.from_yaml(tiny_path).with_overrides({"horizon.end": "2012-02-29"}).to_dict()
    data["interaction"]["hot_issues"] = {"incident": {"date": dt.date(2011, 12, 19), "hour": 15, "accounts": [ACCOUNT],
                                                      "levels": ["police"], "surge": 20, "decay_days": 2}}
    return Scenario.from_dict(data)


def without(scenario: Scenario, path: str) -> Scenario:
    """The scenario with the section at ``path`` removed (set to null)."""
    data = scenario.to_dict()
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[last] = None
    return Scenario.from_dict(data)


def variants(loop: Scenario) -> list[Scenario]:
    """Members of one structure whose interaction parameters differ, thin and loaded desks among them."""
    desk = f"interaction.accounts.{ACCOUNT}"
    out = []
    for i in range(8):
        out.append(loop.with_overrides({
            f"{desk}.staff.size": 1 + i % 4,
            f"{desk}.department.size": 1 + (i + 1) % 3,
            f"{desk}.staff.service.mean_hours": 0.15 * (1 + i % 3),
            f"{desk}.department.service.mean_hours": 0.5 + 0.5 * (i % 2),
            "interaction.messages.per_follower_per_day": 1e-5 * (1, 4, 12, 30)[i % 4],
            "interaction.messages.substantive_share": 0.1 + 0.1 * (i % 3),
            "interaction.messages.patience.mean_hours": (6.0, 48.0, 200.0)[i % 3],
            "interaction.feedback.elasticity": (0.0, 1.0, 2.5)[i % 3],
            "interaction.feedback.delay_elasticity": 0.5 * (i % 2),
            "interaction.feedback.unfollow_rate_per_day": 0.05 * (i % 2),
            "interaction.feedback.reference_share": 0.6 + 0.05 * i,
            "interaction.feedback.prior_messages": float(i % 3) * 5,
            "interaction.feedback.within_hours": 12.0 + 6 * (i % 3),
            "interaction.hot_issues.incident.surge": 5.0 + 10 * i,
            "interaction.hot_issues.incident.decay_days": 0.5 + i / 4,
            "interaction.levels.police.follower_share": 1e-5 * (1 + i),
        }))
    out.append(without(out[2], "interaction.messages.patience"))  # senders who never give up, in the same batch
    return out


def assert_same_metrics(batch, single, rtol=1e-9):
    assert set(batch) == set(single)
    for name, values in single.items():
        np.testing.assert_array_equal(np.isnan(batch[name]), np.isnan(values), err_msg=name)
        np.testing.assert_allclose(batch[name], values, rtol=rtol, atol=1e-9, equal_nan=True, err_msg=name)


def test_a_batch_gives_each_member_its_own_interaction_twin(loop):
    members = variants(loop)
    assert len({structure(s) for s in members}) == 1  # one batch, solved with numpy over its members
    batch = meanfield_batch(members)
    singles = [meanfield(s) for s in members]
    for records, single in zip(batch, singles):
        assert_same_metrics(records.metrics, single.metrics)
        assert all(values.flags.writeable and values.flags.c_contiguous for values in records.metrics.values())
    # The members really differ, in every part of the loop (so a mask applied to the wrong members shows).
    final = {name: np.array([s.metrics[name][-1] for s in singles]) for name in singles[0].metrics
             if name.startswith(TWIN_METRICS) and not np.isnan(singles[0].metrics[name][-1])}
    for name in (f"messages.{ACCOUNT}.sina.answered", f"messages.{ACCOUNT}.sina.abandoned",
                 f"followers.{ACCOUNT}.all", f"backlog.{ACCOUNT}.tencent", "messages.level.police.received"):
        assert np.ptp(final[name]) > 0.05 * np.abs(final[name]).max(), name
    appeals = np.array([s.metrics[f"appeal.{ACCOUNT}.sina"].min() for s in singles])
    assert appeals.min() < 0.8 and appeals.max() == 1.0  # the feedback bites for some members only
    assert np.isnan(singles[0].metrics["messages.level.police.answered"]).all()  # what the twin leaves out


def test_members_of_other_structures_are_solved_apart_and_still_get_their_own_twin(loop):
    members = variants(loop)[:3]
    members.append(without(members[0], f"interaction.accounts.{ACCOUNT}.department"))
    data = members[1].to_dict()
    data["interaction"]["accounts"][ACCOUNT]["staff"]["shifts"] = ["mon-fri 09:00-17:30"]
    members.append(Scenario.from_dict(data))
    members.append(members[2].with_overrides({"interaction.feedback.window_days": 3}))
    assert len({structure(s) for s in members}) == 4
    for records, member in zip(meanfield_batch(members), members):
        assert_same_metrics(records.metrics, meanfield(member).metrics)


def test_a_batch_stops_where_it_is_asked_to(loop):
    """``days=`` (a calibration's last target) cuts the named accounts' metrics short, unchanged (the levels' follow
    the adoption twin's ODE, solved to its own tolerance over a shorter span)."""
    members = variants(loop)[:4]
    last = loop.horizon.day(dt.date(2011, 12, 31)) + 1
    for short, full in zip(meanfield_batch(members, days=last), meanfield_batch(members)):
        for name, values in short.metrics.items():
            assert values.shape == (last,)
            if name.startswith(TWIN_METRICS):
                rtol = 1e-5 if ".level." in name else 1e-12
                np.testing.assert_allclose(values, full.metrics[name][:last], rtol=rtol, equal_nan=True, err_msg=name)


def test_the_twins_messages_are_expected_arrivals_and_every_one_is_accounted_for(loop):
    """Per platform, the messages received are the engine's expected messages given the twin's followers (the
    shared intensity, hot issue included); and the fluid loses none: received = answered + abandoned + backlog."""
    members = variants(loop)[:4]
    for member, records in zip(members, meanfield_batch(members)):
        m = records.metrics
        messages = member.interaction.messages
        profile = Profile.of(messages, member.horizon.start.weekday())
        issue = member.interaction.hot_issues["incident"]
        surge = Surge(onset=member.horizon.day(issue.date) + issue.hour / 24, excess=issue.surge - 1,
                      decay=issue.decay_days)
        total = 0.0
        for p in member.accounts[ACCOUNT].platforms:
            daily = [hourly_expected(d, base_rate(f, messages, p), profile, (surge,)).sum()
                     for d, f in enumerate(m[f"followers.{ACCOUNT}.{p}"].tolist())]
            np.testing.assert_allclose(m[f"messages.{ACCOUNT}.{p}.received"], np.cumsum(daily), rtol=1e-12)
            total = total + np.array([m[f"messages.{ACCOUNT}.{p}.{c}"] for c in ("received", "answered", "abandoned")]
                                     + [m[f"backlog.{ACCOUNT}.{p}"]])
        assert total[0, -1] > 100
        np.testing.assert_allclose(total[0], total[1] + total[2] + total[3], rtol=1e-10)


# --- the fluid piece ---------------------------------------------------------------------------------------
def reference_piece(x, lam, mu, s, theta, horizon):
    """(x at the end, integral of x, integral of (x - s)+) by a general-purpose ODE solver."""
    def rhs(t, state):
        x = state[0]
        return [lam - mu * min(x, s) - theta * max(x - s, 0.0), x, max(x - s, 0.0)]

    solution = solve_ivp(rhs, (0.0, horizon), [x, 0.0, 0.0], method="DOP853", rtol=1e-11, atol=1e-12,
                         max_step=horizon / 400)
    return solution.y[:, -1]


def piece_cases():
    rng = np.random.default_rng(20120126)
    n = 160
    s = rng.integers(0, 4, n).astype(float)
    mu = rng.uniform(1.0, 200.0, n)
    theta = np.where(rng.random(n) < 0.25, 0.0, rng.uniform(0.05, 12.0, n))
    horizon = rng.uniform(0.01, 1.0, n)
    x = rng.uniform(0.0, 3.0, n) * s + rng.exponential(3.0, n) * (rng.random(n) < 0.7)
    lam = rng.uniform(0.0, 2.5, n) * np.maximum(mu * s, 5.0)
    # Edges: on the boundary with the flow either way, in balance, an empty desk, nobody on duty.
    x[:6] = s[:6] = 2.0
    lam[:6] = mu[:6] * 2.0 * np.array([1.5, 0.5, 1.0, 1.5, 0.5, 1.0])
    theta[3:6] = 0.0
    x[6], lam[6] = 0.0, 0.0
    s[7] = 0.0
    return x, lam, mu, s, theta, horizon


def solve(x, lam, mu, s, theta, horizon):
    return fluid_piece(x, lam, mu, theta, Staffing(s, mu * s, s * horizon), horizon, relaxation(mu, horizon),
                       relaxation(theta, horizon))


@pytest.mark.slow
def test_the_fluid_piece_solves_its_ode_in_every_regime():
    cases = piece_cases()
    changed = 0
    for x, lam, mu, s, theta, horizon in zip(*(c.tolist() for c in cases)):
        end, area, waiting = solve(x, lam, mu, s, theta, horizon)
        expected = reference_piece(x, lam, mu, s, theta, horizon)
        scale = x + s + lam * horizon + 1.0
        assert end == pytest.approx(expected[0], abs=1e-9 * scale)
        assert area == pytest.approx(expected[1], abs=1e-9 * scale * horizon)
        assert waiting == pytest.approx(expected[2], abs=1e-9 * scale * horizon)
        changed += (x - s) * (end - s) < 0
    assert changed > 20  # many pieces change regime within them


def test_a_batch_of_fluid_pieces_is_each_piece_solved_alone():
    cases = piece_cases()
    for horizon in (0.3, cases[-1]):  # one piece for all, or each its own length
        arrays = [np.asarray(c, dtype=float) for c in cases[:-1]]
        batch = fluid_piece(arrays[0], arrays[1], arrays[2], arrays[4],
                            Staffing(arrays[3], arrays[2] * arrays[3], arrays[3] * horizon), horizon,
                            relaxation(arrays[2], horizon), relaxation(arrays[4], horizon))
        for b in range(arrays[0].size):
            h = horizon if np.isscalar(horizon) else float(horizon[b])
            alone = solve(*(float(a[b]) for a in arrays), h)
            np.testing.assert_allclose([v[b] for v in batch], alone, rtol=1e-12, atol=1e-12)


def test_relaxation_is_exact_at_and_near_rate_zero():
    t = 0.7
    for rate in (0.0, 1e-12, 1e-4, 1e-3 * (1 - 1e-9), 1e-3, 0.5, 30.0):
        decay, spent, spent_integral = relaxation(rate, t)
        assert decay == pytest.approx(math.exp(-rate * t), rel=1e-14)
        assert spent == pytest.approx(t if rate == 0 else -math.expm1(-rate * t) / rate, rel=1e-13)
        exact = t * t / 2 if rate * t < 1e-7 else (t + math.expm1(-rate * t) / rate) / rate
        assert spent_integral == pytest.approx(exact, rel=1e-9)
    arrays = relaxation(np.array([0.0, 1e-4, 30.0]), t)
    for j, rate in enumerate((0.0, 1e-4, 30.0)):
        np.testing.assert_allclose([v[j] for v in arrays], relaxation(rate, t), rtol=1e-15)


# --- the feedback on a batch ---------------------------------------------------------------------------------
FEEDBACKS = [Feedback(reference_share=0.8, elasticity=2.0, reference_median_hours=6, delay_elasticity=1.0,
                      prior_messages=0.0, unfollow_rate_per_day=0.02),
             Feedback(reference_share=0.6, elasticity=0.0, delay_elasticity=0.5, prior_messages=10.0),
             Feedback(reference_share=0.9, elasticity=1.0, reference_median_hours=24, unfollow_rate_per_day=0.1,
                      prior_messages=0.0)]


def test_the_feedback_on_a_batch_is_the_feedback_of_each_member():
    rng = np.random.default_rng(7)
    rules = FeedbackParameters.batch(FEEDBACKS)
    for _ in range(20):
        received = rng.choice([0.0, 3.0, 250.0], size=3)
        prompt = received * rng.uniform(0, 1, 3)
        median = np.where(rng.random(3) < 0.3, np.nan, rng.uniform(0.5, 60, 3))
        shares = prompt_share(rules, received, prompt)
        appeals = appeal(rules, shares, median)
        for b, feedback in enumerate(FEEDBACKS):
            share = prompt_share(feedback, float(received[b]), float(prompt[b]))
            if share is None:
                assert np.isnan(shares[b])
            else:
                assert shares[b] == pytest.approx(share, rel=1e-14)
            m = None if np.isnan(median[b]) else float(median[b])
            assert appeals[b] == pytest.approx(appeal(feedback, share, m), rel=1e-14)
            assert unfollow_probability(rules, appeals)[b] == pytest.approx(
                unfollow_probability(feedback, appeal(feedback, share, m)), rel=1e-13, abs=1e-300)
    assert appeal(FEEDBACKS[0], math.nan, math.nan) == 1.0  # NaN, the twin's "no messages", as None


def test_the_fluid_responsiveness_is_undefined_member_by_member():
    received, closed = np.array([0.0, 10.0, 10.0]), np.array([0.0, 0.0, 8.0])
    prompt, median = responsiveness(received, closed, closed * 0.75, np.array([0.0, 1.0, 2.0]), 0.01, 1.0)
    assert np.isnan(prompt[:2]).all() and np.isnan(median[:2]).all()
    alone = responsiveness(10.0, 8.0, 6.0, 2.0, 0.01, 1.0)
    assert (prompt[2], median[2]) == pytest.approx(alone, rel=1e-14)
    assert all(math.isnan(v) for v in responsiveness(0.0, 0.0, 0.0, 0.0, 0.01, 1.0))


def test_surges_over_a_batch_are_each_members_surge():
    surges = (Surge(onset=np.array([3.4, 5.0]), excess=np.array([4.0, 19.0]), decay=np.array([0.5, 2.0])),)
    days = np.arange(0, 9)
    batch = hour_fractions(days, surges)
    assert batch.shape == (9, 24, 2)
    for b in range(2):
        alone = hour_fractions(days, (Surge(onset=(3.4, 5.0)[b], excess=(4.0, 19.0)[b], decay=(0.5, 2.0)[b]),))
        np.testing.assert_allclose(batch[..., b], alone, rtol=1e-15)
    assert np.all(batch[:3, :, 0] == 1 / 24) and np.all(batch[:5, :, 1] == 1 / 24)  # nothing before the onset
