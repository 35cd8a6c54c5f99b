"""Sensitivity against theory: Sobol' indices of the Ishigami function, regression coefficients of a linear one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.sweep.design import design_generator, saltelli
from sim.sweep.sensitivity import saltelli_2010, sobol, src

A, B = 7.0, 0.1


def ishigami(x: np.ndarray) -> np.ndarray:
    """Ishigami and Homma (1990); inputs uniform on [-pi, pi]."""
    return np.sin(x[..., 0]) + A * np.sin(x[..., 1]) ** 2 + B * x[..., 2] ** 4 * np.sin(x[..., 0])


def ishigami_indices() -> tuple[np.ndarray, np.ndarray]:
    """Analytic first-order and total indices (e.g. Saltelli et al. 2008, The Primer, section 4.6)."""
    v1 = 0.5 * (1 + B * math.pi ** 4 / 5) ** 2
    v2 = A ** 2 / 8
    v13 = B ** 2 * math.pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def indices_for(seed: int, n: int) -> dict[str, np.ndarray]:
    a, b, ab = (-math.pi + 2 * math.pi * m for m in saltelli(n, 3, design_generator(seed)))
    return sobol(ishigami(a), ishigami(b), ishigami(ab), design_generator(seed, "bootstrap"))


def test_ishigami_indices_lie_within_their_intervals():
    first, total = ishigami_indices()
    r = indices_for(seed=1, n=1024)
    assert np.all((r["first_low"] <= first) & (first <= r["first_high"])), (r["first_low"], first, r["first_high"])
    assert np.all((r["total_low"] <= total) & (total <= r["total_high"])), (r["total_low"], total, r["total_high"])
    assert np.all(r["first_high"] - r["first_low"] < 0.2)  # informative, not merely wide


def test_ishigami_interval_coverage_is_near_nominal():
    """95% intervals over 10 independent designs: 60 intervals, about 57 expected to cover; 52 is 3 sd below."""
    first, total = ishigami_indices()
    covered = 0
    for seed in range(10):
        r = indices_for(seed=100 + seed, n=256)
        covered += int(np.sum((r["first_low"] <= first) & (first <= r["first_high"])))
        covered += int(np.sum((r["total_low"] <= total) & (total <= r["total_high"])))
    assert covered >= 52


def test_our_estimator_is_scipys():
    a, b, ab = saltelli(64, 3, np.random.default_rng(2))
    fa, fb, fab = ishigami(a * 6 - 3), ishigami(b * 6 - 3), ishigami(ab * 6 - 3)
    scipy_result = stats.sobol_indices(func={"f_A": fa[None], "f_B": fb[None], "f_AB": fab[:, None]}, n=64)
    centre = np.mean([fa, fb])
    first, total = saltelli_2010(fa - centre, fb - centre, fab - centre)
    np.testing.assert_allclose(first, scipy_result.first_order, rtol=1e-12)
    np.testing.assert_allclose(total, scipy_result.total_order, rtol=1e-12)


def test_bootstrap_intervals_are_reproducible():
    one, two = indices_for(seed=3, n=64), indices_for(seed=3, n=64)
    for key in one:
        np.testing.assert_array_equal(one[key], two[key])


def test_constant_outcome_has_no_indices():
    r = sobol(np.ones(8), np.ones(8), np.ones((2, 8)), np.random.default_rng(0))
    assert np.all(np.isnan(r["first"])) and np.all(np.isnan(r["total_high"]))


def test_standardised_regression_coefficients_of_a_linear_model():
    """y = 3 x1 - x2 + noise: SRC_i = b_i sd(x_i) / sd(y).

    The intervals are the slopes' t intervals scaled by the sample's standard
    deviations, so they are compared with the true slopes scaled the same way,
    over 100 independent samples: about 95% of 200 intervals should cover
    (93.5% in a longer check, as the scaling by sd(y) is itself random); 88% is
    about 3 standard errors below.
    """
    noise_sd, m = 0.2, 500
    population = np.array([3 * math.sqrt(1 / 12), -math.sqrt(4 / 12)]) / math.sqrt(9 / 12 + 4 / 12 + noise_sd ** 2)
    covered, estimates = 0, []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        x = np.column_stack([rng.uniform(0, 1, m), rng.uniform(0, 2, m), np.full(m, 5.0)])
        y = 3 * x[:, 0] - x[:, 1] + rng.normal(0, noise_sd, m)
        expected = np.array([3.0, -1.0]) * x[:, :2].std(axis=0) / y.std()
        r = src(x, y)
        covered += int(np.sum((r["low"][:2] <= expected) & (expected <= r["high"][:2])))
        estimates.append(r["estimate"][:2])
        assert math.isnan(r["estimate"][2])  # a parameter that does not vary has no coefficient
        assert r["r2"] == pytest.approx(1 - noise_sd ** 2 / (9 / 12 + 4 / 12 + noise_sd ** 2), abs=0.02)
    assert covered >= 0.88 * 200
    np.testing.assert_allclose(np.mean(estimates, axis=0), population, rtol=0.01)
