"""The closed forms and exact chains of sim.queueing_theory, checked against each other and known values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import poisson

from sim.queueing_theory import MMc, erlang_a, erlang_b, erlang_c, littles_identity, periodic_single_server


def test_erlang_b_and_c_known_values():
    # Textbook values: B(1, 1) = 1/2; C(1, a) = a (M/M/1 waits with probability rho); C(2, 1) = 1/3.
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # C(c, a) from the explicit sum.
    c, a = 10, 9.0
    top = a ** c / math.factorial(c) * c / (c - a)
    explicit = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    assert erlang_c(c, a) == pytest.approx(explicit, rel=1e-12)


def test_mmc_mean_wait_is_the_integral_of_the_tail():
    q = MMc(lam=8.0, mu=1.0, c=10)
    t = np.linspace(0, 50, 200001)
    tail = q.wait_exceeds(t)
    integral = float(np.sum((tail[1:] + tail[:-1]) / 2 * np.diff(t)))
    assert integral == pytest.approx(q.mean_wait, rel=1e-6)


def test_priority_waits_average_to_the_fifo_wait():
    # Conservation: with a common service time the mean wait over the classes is the FIFO one.
    q = MMc(lam=2.4, mu=1.0, c=3)
    shares = [0.3, 0.7]
    waits = q.priority_mean_waits(shares)
    assert waits[0] < q.mean_wait < waits[1]
    assert sum(s * w for s, w in zip(shares, waits)) == pytest.approx(q.mean_wait, rel=1e-12)


def test_erlang_a_tends_to_erlang_c_without_abandonment():
    a = erlang_a(lam=9.0, mu=1.0, c=10, theta=1e-12)
    q = MMc(lam=9.0, mu=1.0, c=10)
    assert a.p_wait == pytest.approx(q.p_wait, rel=1e-6)
    assert a.mean_wait == pytest.approx(q.mean_wait, rel=1e-6)


def test_erlang_a_with_patience_equal_to_service_is_an_infinite_server_queue():
    # theta = mu: every message leaves at rate mu whether served or not, so N is Poisson(lam / mu).
    a = erlang_a(lam=7.0, mu=2.0, c=2, theta=2.0)
    n = np.arange(a.distribution.size)
    assert np.allclose(a.distribution, poisson.pmf(n, 3.5) / poisson.cdf(n[-1], 3.5), atol=1e-12)
    # and the abandonment share is E[(N - c)+] theta / lam.
    assert a.p_abandon == pytest.approx(float(np.sum(np.maximum(n - 2, 0) * poisson.pmf(n, 3.5))) * 2 / 7, rel=1e-9)


def test_periodic_single_server_always_on_is_the_stationary_erlang_a():
    lam, mu, theta = 20.0, 30.0, 5.0
    periodic = periodic_single_server(lam, mu, theta, [(0.4, True), (0.6, True)], capacity=40)
    stationary = erlang_a(lam, mu, 1, theta)
    assert periodic.area.sum() == pytest.approx(stationary.in_system, rel=1e-6)
    assert periodic.abandoned.sum() / lam == pytest.approx(stationary.p_abandon, rel=1e-6)
    assert periodic.served.sum() + periodic.abandoned.sum() == pytest.approx(lam, rel=1e-6)  # flow balance


def test_periodic_single_server_conserves_messages_with_a_night_off():
    p = periodic_single_server(20.0, 60.0, 4.0, [(9 / 24, False), (8 / 24, True), (7 / 24, False)], capacity=40)
    assert p.served.sum() + p.abandoned.sum() == pytest.approx(20.0, rel=1e-4)  # trapezoidal rule
    assert p.served[0] == pytest.approx(0.0, abs=1e-6)  # nobody works before the shift ...
    assert 0 < p.served[2] < 1  # ... but the message in hand at 17:00 is finished
    assert np.allclose(p.served, 60.0 * p.busy)


def test_littles_identity_counts_time_inside_the_window():
    arrivals = np.array([0.0, 0.5, 2.0])
    exits = np.array([1.0, np.inf, 2.5])
    assert littles_identity(arrivals, exits, 0.0, 3.0) == pytest.approx(1.0 + 2.5 + 0.5)
    assert littles_identity(arrivals, exits, 0.75, 2.25) == pytest.approx(0.25 + 1.5 + 0.25)
