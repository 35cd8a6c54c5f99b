"""Profile intervals (sim/calibration/fit/profiles.py) against problems whose profile is known.

Issue 9, item 7: the profile used to be read off a coarse grid, the 2.71 crossing interpolated linearly in
delta chi^2 between the optimum and a grid point far up the parabola, which put the ends about three times
too close.  On a linear-Gaussian problem the profile is exactly a parabola with the marginal variance, so
the profile interval is exact, and it equals scipy's linearised interval; on the nonlinear Bass closed form
it must agree with a fine profile computed here by brute force.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq, least_squares

from sim.calibration.fit.identifiability import critical
from sim.calibration.fit.profiles import ProfileTask, run_profile, summarise
from sim.calibration.problem.bass import bass_problem, bass_twin, with_figures

LEVEL = 0.9
DATES = ("2009-10-31", "2010-01-31", "2010-04-30", "2010-07-31", "2010-10-31", "2011-01-31", "2011-04-30",
         "2011-07-31")
"""Eight figures along one adoption curve, its take-off to its saturation."""
Z, THRESHOLD = critical(LEVEL)


def profile_interval(problem, evaluate, z_fit, sigma, index, points=7):
    grid = np.unique(np.concatenate([np.linspace(0, 1, points), [z_fit[index]]]))
    values = evaluate(z_fit)
    chi2_fit = float(np.sum(problem.targets.residuals(values, sigma) ** 2))
    task = ProfileTask(index=index, grid=grid, z=z_fit, log_correction=np.zeros(len(sigma)), sigma=sigma, lam=0.0,
                       max_nfev=20, chi2_fit=chi2_fit, threshold=THRESHOLD)
    # run_profile evaluates batches (one for a Jacobian's columns): each point of a batch here, one at a time.
    held, chi2, _ = run_profile(task, problem, evaluate=lambda zs: np.array([evaluate(z) for z in zs]))
    return summarise("x", held, chi2, chi2_fit, THRESHOLD, 0).interval


def test_linear_gaussian_profile_is_exact_and_matches_scipy():
    """log m = A z + b with normal errors: the profile of z_i is (z_i - zhat_i)^2 / Var_ii, so the 90% profile
    interval is zhat_i +- 1.645 sd_i, which is also scipy's linearised interval (curve fitting's covariance)."""
    rng = np.random.default_rng(3)
    problem = bass_problem()
    T, n = len(problem.targets), len(problem.space)
    A = rng.normal(0.0, 1.0, (T, n))
    b = np.log(1000.0) + np.zeros(T)
    truth = np.array([0.45, 0.55, 0.5])
    sigma = np.full(T, 0.25)
    figures = np.exp(A @ truth + b + sigma * rng.standard_normal(T))
    problem = with_figures(problem, figures)

    def evaluate(z):
        return np.exp(A @ np.asarray(z) + b)

    fit = least_squares(lambda z: (A @ z + b - np.log(figures)) / sigma, truth)
    z_hat = fit.x
    assert np.all((z_hat > 0.05) & (z_hat < 0.95))
    J = fit.jac
    covariance = np.linalg.inv(J.T @ J)  # scipy's linearised covariance (residuals already in sigma units)
    sd = np.sqrt(np.diag(covariance))
    assert np.all((z_hat - Z * sd > 0) & (z_hat + Z * sd < 1)), "the exact interval must lie inside the range"
    for i in range(n):
        low, high = profile_interval(problem, evaluate, z_hat, sigma, i)
        assert low == pytest.approx(z_hat[i] - Z * sd[i], abs=2e-3), (i, low, z_hat[i] - Z * sd[i])
        assert high == pytest.approx(z_hat[i] + Z * sd[i], abs=2e-3), (i, high, z_hat[i] + Z * sd[i])


def test_bass_profile_matches_a_fine_profile():
    """Nonlinear: the Bass closed form with p, q and N free; the interval from a 7-point grid with its ends
    root-found agrees with the crossings of a fine profile computed by brute force."""
    problem = bass_problem(tolerance=0.1, dates=DATES)
    twin = bass_twin(problem, whole=False)  # smooth in N, so least squares' derivatives see it
    truth = np.array([0.5, 0.8, 0.5])
    figures = twin(truth[None])[0] * np.exp(np.array([0.03, -0.02, 0.04, -0.01, 0.02, -0.03, 0.01, 0.02]))
    problem = with_figures(problem, figures)
    sigma = problem.targets.sigma(figures)

    def evaluate(z):
        return twin(np.clip(np.asarray(z, float), 0, 1)[None])[0]

    def chi2_at(z):
        return float(np.sum(problem.targets.residuals(evaluate(z), sigma) ** 2))

    fit = least_squares(lambda z: problem.targets.residuals(evaluate(z), sigma), truth, bounds=(0, 1),
                        xtol=1e-12, ftol=1e-12)
    z_hat, chi2_min = fit.x, chi2_at(fit.x)

    def fine_profile(i, value):
        others = [k for k in range(3) if k != i]

        def f(y):
            z = np.empty(3)
            z[i], z[others] = value, y
            return problem.targets.residuals(evaluate(z), sigma)

        return chi2_at(np.insert(least_squares(f, z_hat[others], bounds=(0, 1), xtol=1e-12, ftol=1e-12).x, i,
                                 value)) - chi2_min

    closed = 0
    for i in range(3):
        low, high = profile_interval(problem, evaluate, z_hat, sigma, i)
        for end, edge in ((low, 0.0), (high, 1.0)):
            if fine_profile(i, edge) <= THRESHOLD:  # the fine profile stays below: open at this end
                assert end == pytest.approx(edge, abs=1e-9), (i, edge, end)
                continue
            crossing = brentq(lambda v: fine_profile(i, v) - THRESHOLD, *sorted((z_hat[i], edge)), xtol=1e-6)
            assert end == pytest.approx(crossing, abs=0.005), (i, edge, end, crossing)
            closed += 1
    assert closed >= 4  # most ends are real crossings, not the range's ends
