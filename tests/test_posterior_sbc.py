"""Simulation-based calibration of the posterior stage (Talts et al. 2018), shortened for CI.

Truths from the prior of the one-level Bass problem (p, q and N free), figures from the likelihood, posteriors
by the posterior stage's own emcee sampler (sim/calibration/sbc.py).  If prior, likelihood and sampler agree,
the ranks of the truths among thinned posterior draws are uniform and 90% intervals cover 90% of the truths.
Each check allows a family-wise false alarm of about 0.1% (3.29 binomial standard errors for coverage, a
chi-square p-value of 0.001 for the ranks); the simulations' seed is fixed, so a pass is reproducible.  The
full version (hundreds of simulations, a figure) is benchmarks/sbc.py.
"""

from __future__ import annotations

import numpy as np

from sim.calibration.models import meanfield_values
from sim.calibration.sbc import bass_problem, bass_twin, simulation_based_calibration

SIMULATIONS = 30


def test_the_closed_form_is_the_mean_field():
    """The SBC's twin (the Bass closed form) is what the calibration's mean field computes."""
    problem = bass_problem()
    twin = bass_twin(problem)
    for z in np.random.default_rng(4).random((3, len(problem.space))):
        np.testing.assert_allclose(meanfield_values(problem, z), twin(z[None])[0], rtol=1e-5)


def test_simulation_based_calibration_of_the_posterior_stage():
    problem = bass_problem()
    result = simulation_based_calibration(problem, bass_twin(problem), SIMULATIONS, seed=2, walkers=12,
                                          target_ess=60, draws=9)
    assert result.not_converged <= SIMULATIONS // 10
    tolerance = 3.29 * result.coverage_sd()
    assert np.all(np.abs(result.coverage - 0.9) <= tolerance), (result.coverage, tolerance)
    _, p_values = result.uniformity(bins=5)
    assert np.all(p_values > 0.001), p_values
