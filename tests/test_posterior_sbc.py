"""Simulation-based calibration of the posterior stage (Talts et al. 2018), shortened for CI.

Truths from the prior of the one-level Bass problem (p, q and N free), figures from the likelihood, posteriors
by the posterior stage's own emcee sampler (sim/calibration/bayes/sbc.py).  If prior, likelihood and sampler agree,
the ranks of the truths among thinned posterior draws are uniform and 90% intervals cover 90% of the truths.
Each check allows a family-wise false alarm of about 0.1% (3.29 binomial standard errors for coverage, a
chi-square p-value of 0.001 for the ranks); the simulations' seed is fixed, so a pass is reproducible.  The
full version (hundreds of simulations, a figure) is benchmarks/sbc.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.calibration.problem.models import meanfield_values
from sim.calibration.bayes.sbc import bass_problem, bass_twin, simulation_based_calibration

SIMULATIONS = 30


def test_the_closed_form_is_the_mean_field():
    """The SBC's twin (the Bass closed form) is what the calibration's mean field computes."""
    problem = bass_problem()
    twin = bass_twin(problem)
    for z in np.random.default_rng(4).random((3, len(problem.space))):
        np.testing.assert_allclose(meanfield_values(problem, z), twin(z[None])[0], rtol=1e-5)


@pytest.mark.slow
def test_simulation_based_calibration_of_the_posterior_stage():
    problem = bass_problem()
    result = simulation_based_calibration(problem, bass_twin(problem), SIMULATIONS, seed=2, walkers=12,
                                          target_ess=60, draws=9)
    assert result.not_converged <= SIMULATIONS // 10
    tolerance = 3.29 * result.coverage_sd()
    assert np.all(np.abs(result.coverage - 0.9) <= tolerance), (result.coverage, tolerance)
    _, p_values = result.uniformity(bins=5)
    assert np.all(p_values > 0.001), p_values


@pytest.mark.slow
def test_dynesty_agrees_with_emcee_on_a_bass_posterior():
    """The alternative sampler (posterior.sampler: dynesty) on one simulated data set: its posterior medians
    agree with emcee's within a quarter of either's 90% width, and its evidence is finite."""
    from sim.calibration.problem.density import Correction, TwinDensity
    from sim.calibration.bayes.stage import weighted_quantiles
    from sim.calibration.bayes.samplers import run_dynesty, run_emcee, screened_start
    from sim.calibration.bayes.sbc import with_figures
    import time

    problem = bass_problem()
    twin = bass_twin(problem)
    rng = np.random.default_rng(11)
    truth = problem.space.from_cube(np.array([[0.4, 0.6, 0.5]]))
    mean = twin(truth)[0]
    figures = mean * np.exp(problem.targets.sigma(mean) * rng.standard_normal(len(mean)))
    density = TwinDensity(with_figures(problem, figures), Correction.none(len(mean)), np.arange(3), np.full(3, 0.5),
                          np.ones(len(mean), bool), batch=twin)
    nested = run_dynesty(density, None, seed=1, live_points=150, deadline=time.time() + 60)
    ensemble = run_emcee(density, None, seed=1, walkers=12, max_steps=4000, target_ess=400,
                         deadline=time.time() + 60, start=screened_start(density, None, rng, 12, 96))
    assert nested.converged and np.isfinite(nested.diagnostics["logz"])
    a = weighted_quantiles(nested.x, nested.weights, [0.05, 0.5, 0.95])
    b = weighted_quantiles(ensemble.x, ensemble.weights, [0.05, 0.5, 0.95])
    width = np.minimum(a[2] - a[0], b[2] - b[0])
    assert np.all(np.abs(a[1] - b[1]) <= 0.25 * width), (a, b)


def test_emcee_does_not_start_walkers_at_a_range_edge():
    """Earlier evaluations at a range's edge (a profile's end) fit as well as the best, but in emcee's logit
    coordinates they lie some 20 units outside the ensemble, where differential-evolution moves (as short as
    the differences between the other walkers) never bring a walker back.  The points here are 1e-7 from the
    edge, where the Jacobian puts them about 14.7 below an inside point, still within the start's window of
    15: only the edge rule keeps them out, and none of the 12 starting points may be among them."""
    from sim.calibration.problem.density import Correction, TwinDensity
    from sim.calibration.bayes.samplers import history_start
    from sim.calibration.bayes.sbc import with_figures

    problem = bass_problem()
    twin = bass_twin(problem)
    truth = problem.space.from_cube(np.array([[0.4, 0.6, 0.5]]))
    figures = twin(truth)[0]
    density = TwinDensity(with_figures(problem, figures), Correction.none(len(figures)), np.arange(3),
                          np.full(3, 0.5), np.ones(len(figures), bool), batch=twin)
    rng = np.random.default_rng(3)
    inside = np.clip(truth + 0.01 * rng.standard_normal((40, 3)), 0, 1)
    edges = inside.copy()
    edges[:, 0] = np.tile([1e-7, 1 - 1e-7], 20)  # innovation at either end of its range, the fit as good
    points = np.vstack([inside, edges])
    values = np.vstack([twin(inside), twin(inside)])
    start = history_start(density, points, values, 12, rng)
    assert start is not None
    assert np.all((start > 1e-4) & (start < 1 - 1e-4)), start
