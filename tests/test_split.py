"""Which parameters the chains sample (:mod:`sim.calibration.bayes.split`): informed ones by their span, and more
when the importance weights of the prior-drawn ones would be heavy-tailed.

The likelihood here is known: one strongly informed parameter ``z0`` whose best value is the mean of 24 weak
parameters, each of which alone moves the likelihood by far less than the span threshold, and four that do
nothing.  Chains that hold the weak ones at the fit sample ``z0`` narrower than its marginal posterior (the
weak ones' spread adds to it), so weights drawn for all 24 are heavy-tailed: the case the interaction loop's
parameters make for Shanghai City's followers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from sim.calibration.bayes import split as S

WEAK = list(range(1, 25))
INERT = [25, 26, 27, 28]
N = 29
SCALE = 0.025


def log_likelihood_at(z: np.ndarray) -> np.ndarray:
    return -0.5 * ((z[:, 0] - np.mean(z[:, WEAK], axis=1)) / SCALE) ** 2


class Cube:
    """A prior uniform on the unit cube (the space's coordinates are its own)."""

    def __len__(self) -> int:
        return N

    def from_cube(self, u):
        return np.asarray(u, float)


@dataclass
class Density:
    """What the split reads of a :class:`~sim.calibration.problem.density.TwinDensity`: the twin's "values" are the
    log-likelihood itself."""

    active: np.ndarray
    held: np.ndarray = field(default_factory=lambda: np.full(N, 0.5))
    problem: object = field(default_factory=lambda: SimpleNamespace(space=Cube()))

    def batch(self, z):
        return log_likelihood_at(np.atleast_2d(z))[:, None]

    def full(self, x):
        z = np.repeat(self.held[None, :], len(x), axis=0)
        z[:, self.active] = x
        return z

    def log_likelihood(self, twin):
        return np.atleast_2d(twin)[:, 0]


def posterior_points(rng) -> np.ndarray:
    """Where chains holding the weak parameters at the fit put ``z0``."""
    points = np.full((S.CHECK_POINTS, N), 0.5)
    points[:, 0] = rng.normal(0.5, SCALE, S.CHECK_POINTS)
    return points


def test_the_span_picks_the_strong_parameter_only():
    density = Density(active=np.arange(N))
    split = S.informed(density, density.held[None, :])
    assert split.sampled.tolist() == [0]
    assert all(split.span[i] < S.SPAN for i in WEAK + INERT)


def test_heavy_tailed_weights_promote_parameters_that_move_them_and_no_inert_one():
    density = Density(active=np.arange(N))
    split = S.informed(density, density.held[None, :])
    promoted, khats = S.trusted(density, split, posterior_points(np.random.default_rng(1)), seed=12)
    assert khats[0] >= 0.7, khats  # the check has something to find: all 24 drawn is heavy-tailed
    assert khats[-1] < 0.7, khats
    added = set(promoted.sampled.tolist()) - {0}
    assert added and added <= set(WEAK), added
    assert all("variance of the importance log weights" in promoted.reason[i] for i in added)


def test_light_tailed_weights_promote_nothing():
    density = Density(active=np.arange(N))
    split = S.informed(density, density.held[None, :])
    points = posterior_points(np.random.default_rng(5))
    points[:, 0] = 0.5  # at the conditional optimum with a wide tolerance the weights stay bounded
    wide = Density(active=np.arange(N))
    wide.batch = lambda z: (-0.5 * ((np.atleast_2d(z)[:, 0] - np.mean(np.atleast_2d(z)[:, WEAK], axis=1)) / 1.0)
                            ** 2)[:, None]
    promoted, khats = S.trusted(wide, split, points, seed=11)
    assert khats[-1] < 0.7 and promoted.sampled.tolist() == split.sampled.tolist()
