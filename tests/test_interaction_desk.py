"""The interaction desk against queueing theory (sim.queueing_theory).

With constant rates, exponential service and no feedback, a desk is an M/M/c
queue: its waits must match Erlang C, its abandonments Erlang A, its shifts the
periodic chain of a server with working hours.  Every comparison is within 4
standard errors, estimated by batch means over blocks of days (the queue
forgets its state within hours, so blocks of days are nearly independent).
Every run also passes Little's law in its sample-path form, day by day.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.mechanisms.interaction.intensity import Profile, Surge, expected_messages
from sim.model.mechanisms.interaction.single import WaitLoggingDesk, run_single_desk
from sim.queueing_theory import MMc, batch_means, erlang_a, periodic_single_server
from sim.scenario.schema import Desk, Messages

Z = 4.0
FOLLOWERS = 1000.0
HOUR = 1 / 24


LoggingDesk = WaitLoggingDesk


def messages(lam_per_day: float, patience_hours: float | None = None, **extra) -> Messages:
    patience = None if patience_hours is None else {"mean_hours": patience_hours}
    return Messages(per_follower_per_day=lam_per_day / FOLLOWERS, patience=patience, **extra)


def desk(size: int, service_hours: float, shifts=("daily 00:00-24:00",), department=None, **service) -> Desk:
    return Desk(staff={"size": size, "shifts": list(shifts), "service": {"mean_hours": service_hours, **service}},
                department=department)


def run(spec, msgs, days, seed, **kwargs):
    result = run_single_desk(spec, msgs, FOLLOWERS, days, seed, desk_class=LoggingDesk, **kwargs)
    assert_littles_law(result.days)
    return result


def assert_littles_law(days) -> None:
    """Sample-path Little's law, day by day: area = time spent inside by the messages, within the day."""
    previous = 0.0
    for record in days:
        inside = record.closed + record.open_age - previous
        assert record.area == pytest.approx(inside, rel=1e-9, abs=1e-9), f"day {record.day}"
        previous = record.open_age


def assert_close(observed: float, se: float, expected: float, what: str) -> None:
    assert abs(observed - expected) <= Z * se, f"{what}: observed {observed:.5g} +- {se:.2g} (SE), theory {expected:.5g}"


def waits_of(result, team="desk.staff"):
    """(priority, arrival, wait) of the messages someone started on at ``team``."""
    return result.desk.waits_at(team)


# --- Erlang C -----------------------------------------------------------------------------------
def test_waiting_time_distribution_and_mean_match_erlang_c():
    lam, mu, c, days = 50.4, 24.0, 3, 300  # load 0.7 per server, mean service 1 hour
    result = run(desk(c, 1.0), messages(lam), days, seed=11)
    _, arrived, wait = waits_of(result)
    day = np.floor(arrived).astype(int)
    theory = MMc(lam, mu, c)
    mean, se = batch_means(wait, day, 2, days, 10)
    assert_close(mean, se, theory.mean_wait, "mean wait")
    for t_hours in (0.0, 0.5, 1.0, 2.0):
        share, se = batch_means((wait > t_hours * HOUR).astype(float), day, 2, days, 10)
        assert_close(share, se, float(theory.wait_exceeds(t_hours * HOUR)), f"P(wait > {t_hours} h)")


def test_response_times_in_the_records_are_the_wait_plus_service():
    lam, mu, c, days = 50.4, 24.0, 3, 400
    result = run(desk(c, 1.0), messages(lam), days, seed=12)
    answered = np.array([r.answered for r in result.days])
    total = np.array([r.responses.sum() for r in result.days])
    mean, se = batch_means(total, np.arange(days), 2, days, 10, weights=answered)
    assert_close(mean, se, MMc(lam, mu, c).mean_wait + 1 / mu, "mean response (records)")
    assert all(r.responses.size == r.answered for r in result.days)


def test_urgent_messages_are_served_first_as_cobham_says():
    lam, mu, c, days = 33.6, 24.0, 2, 300  # load 0.7 per server (heavier loads skew the batch means of the waits)
    result = run(desk(c, 1.0), messages(lam, urgent_share=0.3), days, seed=13)
    priority, arrived, wait = waits_of(result)
    day = np.floor(arrived).astype(int)
    theory = MMc(lam, mu, c).priority_mean_waits([0.3, 0.7])
    for cls, expected in zip((0, 1), theory):
        mine = priority == cls
        mean, se = batch_means(wait[mine], day[mine], 2, days, 10)
        assert_close(mean, se, expected, f"mean wait of priority {cls}")
    assert abs((priority == 0).mean() - 0.3) < Z * math.sqrt(0.3 * 0.7 / priority.size)


def test_single_server_with_lognormal_service_matches_pollaczek_khinchine():
    lam, days, mean_s, cv = 16.0, 300, 1.0, 2.0  # load 2/3, heavy-tailed handling times
    result = run(desk(1, mean_s, distribution="lognormal", cv=cv), messages(lam), days, seed=14)
    _, arrived, wait = waits_of(result)
    s = mean_s * HOUR
    rho = lam * s
    expected = lam * s * s * (1 + cv * cv) / (2 * (1 - rho))  # M/G/1 mean wait
    mean, se = batch_means(wait, np.floor(arrived).astype(int), 5, days, 25)
    assert_close(mean, se, expected, "M/G/1 mean wait")


# --- Erlang A ------------------------------------------------------------------------------------
@pytest.mark.parametrize("load", [0.9, 1.2])
def test_abandonment_share_and_queue_match_erlang_a(load):
    mu, c, days, theta = 24.0, 3, 300, 12.0  # mean patience 2 hours
    lam = load * c * mu
    result = run(desk(c, 1.0), messages(lam, patience_hours=24 / theta), days, seed=15)
    theory = erlang_a(lam, mu, c, theta)
    received = np.array([r.received for r in result.days], dtype=float)
    abandoned = np.array([r.abandoned for r in result.days], dtype=float)
    area = np.array([r.area for r in result.days])
    day = np.arange(days)
    share, se = batch_means(abandoned, day, 2, days, 10, weights=received)
    assert_close(share, se, theory.p_abandon, "abandonment share")
    mean_n, se = batch_means(area, day, 2, days, 10)
    assert_close(mean_n, se, theory.in_system, "mean number in system (L)")
    _, arrived, wait = waits_of(result)
    busy = np.array([b for b, _ in result.staff])
    utilisation, se = batch_means(busy, day, 2, days, 10)
    assert_close(utilisation, se, lam * (1 - theory.p_abandon) / mu, "staff busy (staff-days per day)")


def test_backlog_is_the_number_in_system_at_the_end_of_the_day():
    mu, c, days, theta = 24.0, 3, 300, 12.0
    lam = 1.2 * c * mu
    result = run(desk(c, 1.0), messages(lam, patience_hours=2.0), days, seed=16)
    backlog = np.array([r.backlog for r in result.days], dtype=float)
    theory = erlang_a(lam, mu, c, theta)
    mean, se = batch_means(backlog, np.arange(days), 2, days, 10)
    assert_close(mean, se, theory.in_system, "end-of-day backlog (a fixed time: stationary distribution)")


# --- shifts ------------------------------------------------------------------------------------
def test_a_server_off_at_night_matches_the_periodic_chain():
    lam, mu, theta, days = 20.0, 60.0, 4.0, 400  # office hours 09-17, patience 6 hours
    result = run(desk(1, 0.4, shifts=["daily 09:00-17:00"]), messages(lam, patience_hours=6.0), days, seed=17)
    theory = periodic_single_server(lam, mu, theta, [(9 / 24, False), (8 / 24, True), (7 / 24, False)])
    day = np.arange(days)
    checks = {
        "answered per day": ([r.answered for r in result.days], theory.served.sum()),
        "abandoned per day": ([r.abandoned for r in result.days], theory.abandoned.sum()),
        "message-days in system per day": ([r.area for r in result.days], theory.area.sum()),
        "busy staff-days per day": ([b for b, _ in result.staff], theory.busy.sum()),
        "backlog at midnight": ([r.backlog for r in result.days], float(theory.at_start @ np.arange(theory.at_start.size))),
    }
    for what, (values, expected) in checks.items():
        mean, se = batch_means(np.asarray(values, dtype=float), day, 5, days, 5)
        assert_close(mean, se, expected, what)
    _, arrived, wait = waits_of(result)
    started_hour = ((arrived + wait) % 1) * 24
    assert np.all((started_hour >= 9 - 1e-9) & (started_hour < 17))  # nobody starts a message off duty
    present = np.array([p for _, p in result.staff])
    assert np.all(present >= 8 / 24 - 1e-9)  # on duty 8 hours a day, plus the message finished after 17:00
    assert np.all(present <= 8 / 24 + np.array([b for b, _ in result.staff]) + 1e-9)


def test_weekends_off_match_the_weekly_periodic_chain():
    lam, mu, theta, weeks = 12.0, 48.0, 2.0, 120  # Monday-Friday 09-17; patience 12 hours
    result = run(desk(1, 0.5, shifts=["mon-fri 09:00-17:00"]), messages(lam, patience_hours=12.0), 7 * weeks,
                 seed=18, first_weekday=0)
    phases = []
    for weekday in range(7):
        phases += [(9 / 24, False), (8 / 24, weekday < 5), (7 / 24, False)]
    theory = periodic_single_server(lam, mu, theta, phases)
    served = theory.served.reshape(7, 3).sum(axis=1)
    abandoned = theory.abandoned.reshape(7, 3).sum(axis=1)
    for weekday in range(7):
        days = np.arange(weekday, 7 * weeks, 7)[2:]
        for what, values, expected in (("answered", [result.days[d].answered for d in days], served[weekday]),
                                       ("abandoned", [result.days[d].abandoned for d in days], abandoned[weekday])):
            values = np.asarray(values, dtype=float)
            if expected < 1e-3:  # nobody on duty at weekends (a Friday message lasting past midnight: p ~ 1e-6)
                assert values.sum() == 0, f"{what} on weekday {weekday}"
                continue
            mean, se = batch_means(values, np.arange(values.size), 0, values.size, 5)
            assert_close(mean, se, expected, f"{what} on weekday {weekday}")
    assert served[0] > served[2]  # Monday catches up on the weekend's messages
    _, arrived, wait = waits_of(result)
    assert np.all(np.floor(arrived + wait) % 7 < 5)  # nobody starts a message at the weekend


class AlwaysAwakeDesk(LoggingDesk):
    """The desk with its teams' rota processes never stopping (the reference for sleeping)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for team in self.teams():
            team.take()  # one phantom message keeps the team awake for ever
            team.drop, team.finish = _never_idle(team, team.drop), _never_idle(team, team.finish)


def _never_idle(team, method):
    def wrapped():
        method()
        team.work = max(team.work, 1)
    return wrapped


def test_a_quiet_team_sleeps_and_sleeping_changes_nothing():
    spec = desk(2, 1.0, shifts=["mon-fri 09:00-17:00", "sat 10:00-12:00 x1"],
                department={"size": 1, "shifts": ["mon-fri 09:00-17:00"], "service": {"mean_hours": 2.0}})
    msgs = messages(6.0, patience_hours=30.0, substantive_share=0.5, urgent_share=0.2)
    followers = iter([FOLLOWERS] * 60 + [0.0] * 30)  # the account falls silent for the last month
    quiet = run_single_desk(spec, msgs, lambda: next(followers), 90, 21, desk_class=LoggingDesk)
    followers = iter([FOLLOWERS] * 60 + [0.0] * 30)
    awake = run_single_desk(spec, msgs, lambda: next(followers), 90, 21, desk_class=AlwaysAwakeDesk)
    assert sorted(quiet.desk.waits) == sorted(awake.desk.waits)  # two teams starting at 09:00 may log in either order
    for a, b in zip(quiet.days, awake.days):
        assert (a.received, a.answered, a.abandoned, a.backlog) == (b.received, b.answered, b.abandoned, b.backlog)
        assert a.area == pytest.approx(b.area, abs=1e-12)
    assert [busy for busy, _ in quiet.staff] == pytest.approx([busy for busy, _ in awake.staff], abs=1e-12)
    assert [p for _, p in quiet.staff] == pytest.approx([p for _, p in awake.staff], abs=1e-12)
    for team in quiet.desk.teams():
        assert team.work == 0 and not team.awake, team.name  # nothing left to do: asleep


# --- forwarding ------------------------------------------------------------------------------------
def test_substantive_messages_wait_again_at_the_department():
    # Burke: the staff's departures are Poisson(lam), so the department sees Poisson(p lam): two Erlang C queues.
    lam, mu1, mu2, p, days = 36.0, 24.0, 8.0, 0.4, 300
    department = {"size": 3, "service": {"mean_hours": 3.0}}
    result = run(desk(2, 1.0, department=department), messages(lam, substantive_share=p), days, seed=19)
    staff, department_q = MMc(lam, mu1, 2), MMc(p * lam, mu2, 3)
    for team, theory in (("desk.staff", staff), ("desk.department", department_q)):
        _, arrived, wait = waits_of(result, team)
        mean, se = batch_means(wait, np.floor(arrived).astype(int), 2, days, 10)
        assert_close(mean, se, theory.mean_wait, f"mean wait at {team}")
    answered = np.array([r.answered for r in result.days])
    total = np.array([r.responses.sum() for r in result.days])
    mean, se = batch_means(total, np.arange(days), 2, days, 10, weights=answered)
    expected = staff.mean_wait + 1 / mu1 + p * (department_q.mean_wait + 1 / mu2)
    assert_close(mean, se, expected, "mean response with forwarding")


# --- arrivals ---------------------------------------------------------------------------------------
def test_arrivals_follow_the_daily_weekly_and_hot_issue_intensity():
    hourly = [0.2] * 7 + [1.0] * 2 + [2.0] * 9 + [1.5] * 4 + [0.5] * 2
    weekly = [1.2, 1.1, 1.0, 1.0, 1.0, 0.8, 0.7]
    msgs = messages(40.0, hourly=hourly, weekly=weekly)
    surge = Surge(onset=30 + 14 * HOUR, excess=9.0, decay=1.5)  # a hot issue at 14:00 on day 30
    days = 140
    result = run(desk(50, 0.01), msgs, days, seed=20, first_weekday=2, surges=(surge,))
    profile = Profile.of(msgs, first_weekday=2)
    expected = np.array([expected_messages(d, 40.0, profile, (surge,)) for d in range(days)])
    received = np.array([r.received for r in result.days], dtype=float)
    z = (received - expected) / np.sqrt(expected)  # each day's count is Poisson
    assert abs(z.sum() / math.sqrt(days)) < Z
    assert np.sum(z ** 2) < days + Z * math.sqrt(2 * days)  # chi-square with `days` degrees of freedom
    assert np.all(np.abs(z[30:34]) < Z)  # the surge's days, one by one
    assert expected[30] > 3 * expected[29]
    # the hours: arrival times pooled over the days against the hourly profile
    arrivals = np.array([a for _, _, a, _ in result.desk.waits])
    hours = np.floor((arrivals % 1) * 24).astype(int)
    counts = np.bincount(hours, minlength=24)
    share = np.array([sum(expected_messages_in_hour(d, h, msgs, profile, surge) for d in range(days))
                      for h in range(24)])
    share /= share.sum()
    se = np.sqrt(share * (1 - share) / counts.sum())
    assert np.all(np.abs(counts / counts.sum() - share) < Z * se)


def expected_messages_in_hour(day, hour, msgs, profile, surge):
    start, end = day + hour / 24, day + (hour + 1) / 24
    cycle = profile.hourly[hour] * profile.weekly[profile.weekday(day)]
    return cycle * ((end - start) + surge.integral(start, end))
