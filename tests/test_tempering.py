"""The posterior stage's warm-up (:mod:`sim.calibration.bayes.tempering`) against a posterior known in closed form.

Prior ``N(0, I)`` (the whitened coordinates), a Gaussian likelihood ``N(mu, S)`` in ``g``: the posterior is Gaussian
with precision ``I + S^-1`` and mean ``(I + S^-1)^-1 S^-1 mu``.  Tempered particles must reach it: their mean and
variance within a tolerance from their own spread.  Particles are correlated through resampling, so the standard
error is taken from independent runs (their means' spread), not from the particles as if independent.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.calibration.bayes import tempering as T

MU = np.array([2.0, -1.0, 0.5])
S = np.array([[0.04, 0.03, 0.0], [0.03, 0.09, 0.0], [0.0, 0.0, 0.25]])
S_INV = np.linalg.inv(S)
POST_COV = np.linalg.inv(np.eye(3) + S_INV)
POST_MEAN = POST_COV @ S_INV @ MU


def log_likelihood(g: np.ndarray):
    diff = g - MU
    return -0.5 * np.einsum("ni,ij,nj->n", diff, S_INV, diff), np.zeros((len(g), 1))


def runs(count: int, **changes) -> tuple[np.ndarray, np.ndarray]:
    means, variances = [], []
    for k in range(count):
        population = T.temper(log_likelihood, 400, 3, moves=5, rng=np.random.default_rng(k), **changes)
        assert population.reached and population.betas[0] == 0.0 and population.betas[-1] == 1.0
        assert np.all(np.diff(population.betas) > 0)
        means.append(population.g.mean(axis=0))
        variances.append(population.g.var(axis=0))
    return np.array(means), np.array(variances)


def test_tempered_particles_reach_the_closed_form_posterior():
    means, variances = runs(12)
    se_mean = means.std(axis=0, ddof=1) / np.sqrt(len(means))
    assert np.all(np.abs(means.mean(axis=0) - POST_MEAN) < 4 * se_mean + 1e-3), (means.mean(axis=0), POST_MEAN)
    se_var = variances.std(axis=0, ddof=1) / np.sqrt(len(variances))
    assert np.all(np.abs(variances.mean(axis=0) - np.diag(POST_COV)) < 4 * se_var + 1e-3)
    # and the check has teeth: the posterior is far from the prior in units of that error
    assert np.all(np.abs(POST_MEAN) > 20 * se_mean)


def test_next_beta_keeps_the_effective_share_at_its_target():
    log_lik = np.random.default_rng(3).normal(0, 30, 1000)
    beta = T.next_beta(0.0, log_lik)
    assert 0 < beta < 1
    assert abs(T.effective_share(beta * log_lik) - T.TARGET_ESS) < 1e-3
    assert T.next_beta(0.0, np.zeros(10)) == 1.0  # a flat likelihood: straight to the posterior


def test_retargeting_carries_the_particles_to_another_likelihood():
    population = T.temper(log_likelihood, 400, 3, moves=5, rng=np.random.default_rng(1))
    shift = np.array([0.1, 0.0, 0.0])

    def shifted(g):
        return log_likelihood(g - shift)

    carried = T.retarget(shifted, population, moves=5, rng=np.random.default_rng(2))
    moved = carried.g.mean(axis=0) - population.g.mean(axis=0)
    expected = POST_COV @ S_INV @ shift
    assert abs(moved[0] - expected[0]) < 0.03, (moved, expected)


@pytest.mark.parametrize("mistake", ["no prior in the move", "no resampling"])
def test_the_check_catches_bookkeeping_mistakes(monkeypatch, mistake):
    if mistake == "no prior in the move":
        original = T.move

        def move(log_likelihood_, population, beta, moves, rng):  # targets L^beta alone, forgetting N(0, I)
            def without_prior(g):
                ll, twin = log_likelihood_(g)
                return ll + 0.5 * np.sum(g ** 2, axis=1) / max(beta, 1e-12), twin
            return original(without_prior, population, beta, moves, rng)
        monkeypatch.setattr(T, "move", move)
    else:
        monkeypatch.setattr(T, "resample", lambda population, log_weight, rng: population)
    with pytest.raises(AssertionError):
        test_tempered_particles_reach_the_closed_form_posterior()
