"""The posterior's Metropolis kernels (:mod:`sim.calibration.bayes.chains`) against a target known in closed form.

Each kernel must leave its target invariant.  The target here is a correlated, off-centre Gaussian and the
independence proposal a wider Gaussian elsewhere, so a kernel that gets its bookkeeping wrong (the multiple-try
acceptance ratio, which proposal it moves to, the current point's weight) samples a visibly different law.  The
chains' means and second moments are compared with the truth within four of ArviZ's Monte Carlo standard errors
(computed over several independent chains, so the tolerance is the sampler's own error, not a number from a run).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.calibration.bayes import chains as mcmc
from sim.calibration.bayes.diagnostics import arviz

MEAN = np.array([1.0, -0.5, 0.3])
COV = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, -0.3], [0.0, -0.3, 0.5]])
PRECISION = np.linalg.inv(COV)
GROUPS, CHAINS = 4, 4


def log_post(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian target and no twin values (``(N, 0)``), as :meth:`~mcmc.Whitening.log_post` returns them."""
    diff = g - MEAN
    return -0.5 * np.einsum("ni,ij,nj->n", diff, PRECISION, diff), np.zeros((len(g), 0))


def groups(seed: int) -> list[mcmc.Group]:
    """Independent groups from dispersed starts, a random walk scaled to the target, a proposal off-centre and
    twice as wide."""
    d = len(MEAN)
    proposal = (np.array([1.0]), np.zeros((1, d)), np.linalg.cholesky(2.0 * np.eye(d))[None])
    out = []
    for k in range(GROUPS):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))
        g = rng.normal(0.0, 3.0, (CHAINS, d))
        lp, twin = log_post(g)
        group = mcmc.Group(index=k, rng=rng, g=g, log_post=lp, twin=twin,
                           chol=np.linalg.cholesky(COV * 2.38 ** 2 / d), proposal=proposal)
        group.reset_counts()
        out.append(group)
    return out


def run(seed: int, iterations: int, *, independence: bool, walk: bool, burn: int = 200) -> np.ndarray:
    """``(chains, draws, d)`` states after ``burn`` iterations."""
    gs = groups(seed)
    kept = []
    for it in range(burn + iterations):
        if independence:
            mcmc.independence_step(log_post, gs, tries=4)
        if walk:
            mcmc.random_walk_step(log_post, gs, adapt=False)
        if it >= burn:
            kept.append(np.concatenate([g.g for g in gs]))
    return np.stack(kept, axis=1)


def assert_matches_target(draws: np.ndarray) -> None:
    """First and second moments within 4 Monte Carlo standard errors (ArviZ, over the chains) of the truth."""
    az = arviz()
    centred = draws - MEAN
    functions = {"mean": draws, "square": centred ** 2,
                 "cross": (centred[..., 0] * centred[..., 1])[..., None]}
    truths = {"mean": MEAN, "square": np.diag(COV), "cross": np.array([COV[0, 1]])}
    for name, values in functions.items():
        estimate = values.mean(axis=(0, 1))
        mcse = np.array([float(az.mcse(values[..., i], method="mean")) for i in range(values.shape[-1])])
        assert np.all(np.abs(estimate - truths[name]) < 4 * mcse), (name, estimate, truths[name], mcse)
        # and the check has teeth: the standard error is small against the target's scale
        assert np.all(mcse < 0.05), (name, mcse)


@pytest.mark.parametrize("independence,walk", [pytest.param(True, False, marks=pytest.mark.slow),
                                               pytest.param(False, True, marks=pytest.mark.slow), (True, True)],
                         ids=["multiple-try", "random-walk", "both"])
def test_each_kernel_leaves_the_target_invariant(independence, walk):
    draws = run(20120126, 3000 if walk and not independence else 1500, independence=independence, walk=walk)
    assert_matches_target(draws)


def test_multiple_try_acceptance_is_high_when_the_proposal_is_the_target():
    """With the proposal equal to the target every weight is the same and I-MTM accepts every chosen try: a
    check of the acceptance ratio's algebra (``W / (W - w_chosen + w_current)`` is 1 for equal weights)."""
    gs = groups(7)
    for g in gs:
        g.proposal = (np.array([1.0]), MEAN[None], np.linalg.cholesky(COV)[None])
    for _ in range(50):
        mcmc.independence_step(log_post, gs, tries=4)
    accepted = np.concatenate([g.accepted for g in gs]) / gs[0].proposed
    assert np.allclose(accepted, 1.0)


def test_the_fitted_proposal_is_a_normalised_density():
    """:func:`mcmc.fit_proposal` and its scorer: the mixture's density integrates to one (Monte Carlo over its own
    draws: the mean of ``q / q`` is trivial, so integrate against a wide Gaussian instead)."""
    rng = np.random.default_rng(3)
    draws = np.vstack([rng.normal(-2, 0.5, (400, 2)), rng.normal(2, 1.0, (400, 2))])
    proposal = mcmc.fit_proposal(draws, seed=1, components=2)
    wide = rng.normal(0, 4.0, (200_000, 2))
    log_wide = -0.5 * np.sum((wide / 4.0) ** 2, axis=1) - 2 * math.log(4.0) - math.log(2 * math.pi)
    ratio = np.exp(mcmc._score(proposal, wide) - log_wide)
    se = ratio.std() / math.sqrt(len(ratio))
    assert abs(ratio.mean() - 1.0) < 4 * se
    sample = mcmc._sample(proposal, 20_000, rng)
    assert abs(sample[:, 0].mean()) < 0.1  # the two components, equally weighted, centred at -2 and +2
