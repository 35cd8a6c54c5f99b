"""The posterior's sampler: independent groups of Metropolis chains on the batched twin.

Why this sampler.  The compiled twin (:mod:`sim.model.compiled`) costs about a
millisecond a point, and batching saves only about a quarter of that (its
daily loop is arithmetic, mostly exponentials, not overhead: 2.6 ms for one
point, 1.9 ms a point in batches of 32 to 144, measured in one run), so what a
sampler pays for is evaluations.  The posterior is awkward for local moves:
twenty-odd parameters, most of them bounded by their prior only, and a few
thin, curved ridges where the figures bind (a random-walk chain needed about
700 iterations per independent draw).  Gradients (NUTS) cost about eight
times a point and two minutes of compiling, and HMC's trajectories would not
shorten the ridges' walk by that factor.  Global moves from a proposal fitted
to the posterior's region do: each chain needs a few hundred iterations.

Coordinates.  The chains move ``g``, the *whitened prior* coordinates of the
sampled parameters: ``z = F^-1(Phi(g))`` parameter by parameter, ``F`` the
prior's distribution function on the unit cube
(:meth:`~sim.calibration.problem.parameters.FreeParameter.quantile`), so the prior is exactly
``N(0, I)`` and the log posterior is ``log N(g) + log L(z(g))``: no edges, no
Jacobian, and the directions the figures do not inform are plain Gaussian.

Chains come in *groups*; a group shares nothing with the others (its own
random stream, its own adaptation, its own starts among dispersed plausible
points), so groups are independent samplers and convergence is judged across
them.  Each group runs two phases:

1. **Exploration** (warm-up): many *explorer* chains per group, random-walk
   Metropolis with a proposal ``N(0, s^2 C)`` adapted from the group's draws
   (Haario, Saksman and Tamminen 2001: ``C`` the pooled covariance times
   ``2.38^2 / d``, Roberts and Rosenthal 2001; ``s`` by Robbins-Monro towards
   an acceptance of 0.234, Andrieu and Thoms 2008).  From dispersed starts,
   their draws cover the posterior's region generously (too generously for a
   converged sample, just right for a proposal).
2. **Sampling**: the kernel is frozen.  Each iteration is an independent
   multiple-try Metropolis step (Liu, Liang and Wong 2000; Martino 2018, I-MTM)
   with ``tries`` proposals drawn from a Gaussian mixture fitted to the group's
   exploration draws (scikit-learn's EM; covariances inflated by
   :data:`INFLATE`, so the proposal is wider than the posterior), then one
   random-walk step with the frozen covariance.  The kept part of every chain
   is a Markov chain with one fixed kernel.

What a chain samples: the *informed* parameters (:mod:`.split`); the others
stay at a reference while the chain moves, and afterwards, at every recorded
draw, they are drawn afresh from their prior, the draw carrying the importance
weight ``L(full draw) / L(draw at the reference)`` (:func:`weigh`, in large
batches: the prior draws do not depend on the chains' path;
:mod:`.diagnostics` smooths the weights and reports their Pareto k-hat).

Every group draws from ``SeedSequence(seed, spawn_key=(group,))``, and the
twin's value for a point does not depend on the batch it is in, so the draws are
the same, bit for bit, whether the groups run in one process or on many workers
(:func:`pack`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri

from ..problem.density import TwinDensity, evaluate

ACCEPTANCE = 0.234
"""Target acceptance of the exploration's random walk (optimal in many dimensions, Roberts, Gelman and Gilks 1997)."""
RIDGE = 1e-8
"""Added to the diagonal of an adapted covariance so it stays positive definite."""
COMPONENTS = 4
"""Gaussian components of the sampling phase's independence proposal."""
INFLATE = 1.3
"""The proposal's covariances are the fitted ones times this: an independence proposal must not be narrower than
the posterior anywhere, or a chain sticks where it is."""
EDGE = 1e-12
"""Quantiles are kept this far from 0 and 1 (a whitened coordinate of +-7)."""


@dataclass
class Whitening:
    """The map between the sampled parameters' unit coordinates ``x`` and their whitened prior coordinates ``g``."""

    density: TwinDensity

    def to_cube(self, g: np.ndarray) -> np.ndarray:
        space, active = self.density.problem.space, self.density.active
        u = np.full((*np.shape(g)[:-1], len(space)), 0.5)
        u[..., active] = ndtr(g)
        return space.from_cube(u)[..., active]

    def to_whitened(self, x: np.ndarray) -> np.ndarray:
        space, active = self.density.problem.space, self.density.active
        z = np.full((*np.shape(x)[:-1], len(space)), 0.5)
        z[..., active] = x
        return ndtri(np.clip(space.quantile(z)[..., active], EDGE, 1 - EDGE))

    def log_post(self, g: np.ndarray, workers=None) -> tuple[np.ndarray, np.ndarray]:
        """Log posterior in whitened coordinates and the twin's values, ``(N,)`` and ``(N, T)``."""
        x = self.to_cube(g)
        _, twin = evaluate(self.density, x, workers)
        log_post = -0.5 * np.sum(g ** 2, axis=-1) + self.density.log_likelihood(twin)
        return np.where(np.isfinite(log_post), log_post, -np.inf), twin


@dataclass
class Group:
    """One group of chains: their states, and the kernel they share."""

    index: int
    rng: np.random.Generator
    g: np.ndarray
    """``(C, d)`` the chains' states, whitened prior coordinates of the sampled parameters."""
    log_post: np.ndarray
    """``(C,)`` log posterior at the states."""
    twin: np.ndarray
    """``(C, T)`` the twin's target values at the states (the other parameters at the reference)."""
    chol: np.ndarray
    """``(d, d)`` Cholesky factor of the random walk's covariance (before the step)."""
    log_step: float = 0.0
    adapted: int = 0
    """Iterations of adaptation so far (the step's gain decays with them)."""
    proposal: object = None
    """The sampling phase's independence proposal (a fitted ``sklearn.mixture.GaussianMixture``), None before."""
    accepted: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Per chain, the sampling phase's independence proposals accepted since :meth:`reset_counts`."""
    walked: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Per chain, random-walk proposals accepted since :meth:`reset_counts`."""
    proposed: int = 0

    @property
    def chains(self) -> int:
        return len(self.g)

    def reset_counts(self) -> None:
        self.accepted, self.walked, self.proposed = np.zeros(self.chains), np.zeros(self.chains), 0

    def copy(self) -> "Group":
        return replace(self, g=self.g.copy(), log_post=self.log_post.copy(), twin=self.twin.copy(),
                       accepted=self.accepted.copy(), walked=self.walked.copy())


@dataclass
class Record:
    """The recorded draws of one group over one block: every ``thin``-th state of each chain."""

    group: int
    g: np.ndarray
    """``(C, k, d)`` whitened coordinates of the sampled parameters."""
    z: np.ndarray
    """``(C, k, n)`` every parameter (unit cube): the sampled ones, and the others drawn from their prior."""
    twin: np.ndarray
    """``(C, k, T)`` the twin's values at ``z``."""
    log_lik_reference: np.ndarray
    """``(C, k)`` log-likelihood at the state (the other parameters at the reference)."""
    log_lik: np.ndarray
    """``(C, k)`` log-likelihood at ``z``."""
    log_post: np.ndarray
    """``(C, k)`` the chain's log posterior (whitened coordinates) at the state."""

    @property
    def log_weight(self) -> np.ndarray:
        """Log importance weights of the full draws (unnormalised)."""
        return self.log_lik - self.log_lik_reference


FIELDS = ("g", "z", "twin", "log_lik_reference", "log_lik", "log_post")


@dataclass(frozen=True)
class Block:
    """A task: advance some groups by ``iterations`` of ``phase`` (``explore`` or ``sample``), recording every
    ``thin``-th state."""

    density: TwinDensity
    groups: tuple[Group, ...]
    iterations: int
    phase: str
    thin: int
    tries: int = 8


def start_groups(density: TwinDensity, starts: np.ndarray, groups: int, chains: int, seed: int,
                 workers) -> list[Group]:
    """``groups`` groups of ``chains`` chains from ``starts`` (``(groups * chains, d)`` unit coordinates of the
    sampled parameters, dispersed), each with its own stream and an initial random walk of a tenth of the
    starts' spread."""
    whitening = Whitening(density)
    g = whitening.to_whitened(np.asarray(starts, float))
    log_post, twin = whitening.log_post(g, workers)
    spread = np.std(g, axis=0) if len(g) > 1 else np.ones(g.shape[1])
    chol = np.diag(np.maximum(0.1 * spread, 0.01))
    out = []
    for k in range(groups):
        rows = slice(k * chains, (k + 1) * chains)
        group = Group(index=k, rng=np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,))),
                      g=g[rows].copy(), log_post=log_post[rows].copy(), twin=twin[rows].copy(), chol=chol.copy())
        group.reset_counts()
        out.append(group)
    return out


def sampling_group(explorers: Group, proposal, chains: int, seed: int) -> Group:
    """A group's sampling chains: the first ``chains`` of its explorers as they ended, a stream of its own
    (``SeedSequence(seed, spawn_key=(group,))``), the independence ``proposal`` (:func:`fit_proposal`), the random
    walk as the exploration adapted it."""
    group = replace(explorers, rng=np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(explorers.index,))),
                    g=explorers.g[:chains].copy(), log_post=explorers.log_post[:chains].copy(),
                    twin=explorers.twin[:chains].copy(), proposal=proposal)
    group.reset_counts()
    return group


def pack(groups: list[Group], tasks: int) -> list[tuple[Group, ...]]:
    """The groups in ``tasks`` consecutive packs (one task per worker); what a group draws does not depend on
    its pack."""
    tasks = max(1, min(tasks, len(groups)))
    bounds = np.linspace(0, len(groups), tasks + 1).round().astype(int)
    return [tuple(groups[a:b]) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def run_block(block: Block) -> tuple[tuple[Group, ...], list[Record]]:
    """Advance the block's groups: one batch of the twin per move, for all their chains."""
    density = block.density
    whitening = Whitening(density)
    groups = [g.copy() for g in block.groups]
    kept: list[list[dict]] = [[] for _ in groups]
    for it in range(block.iterations):
        if block.phase == "sample":
            independence_step(whitening.log_post, groups, block.tries)
        random_walk_step(whitening.log_post, groups, adapt=block.phase == "explore")
        if (it + 1) % block.thin == 0:
            for j, g in enumerate(groups):
                reference = density.log_likelihood(g.twin)
                kept[j].append(dict(g=g.g.copy(), z=density.full(whitening.to_cube(g.g)), twin=g.twin.copy(),
                                    log_lik_reference=reference, log_lik=reference, log_post=g.log_post.copy()))
    records = []
    for g, rows in zip(groups, kept):
        if rows:
            records.append(Record(group=g.index, **{key: np.stack([row[key] for row in rows], axis=1)
                                                    for key in FIELDS}))
    return tuple(groups), records


def _batched(log_post, points: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Log posterior and twin values of each group's points, in one batch of the twin."""
    cuts = np.cumsum([len(p) for p in points])[:-1]
    values, twin = log_post(np.vstack(points))
    return list(zip(np.split(values, cuts), np.split(twin, cuts)))


def random_walk_step(log_post, groups: list[Group], adapt: bool) -> None:
    """One random-walk Metropolis move of every chain of ``groups`` (in place); ``log_post(g)`` returns the log
    posterior and the twin's values of a batch of whitened points (:meth:`Whitening.log_post`).  With ``adapt``,
    the step's scale moves towards :data:`ACCEPTANCE`."""
    proposals = [g.g + g.rng.standard_normal(g.g.shape) @ g.chol.T * math.exp(g.log_step) for g in groups]
    for g, prop, (lp, tw) in zip(groups, proposals, _batched(log_post, proposals)):
        accept = np.log(g.rng.random(g.chains)) < lp - g.log_post
        g.g[accept], g.log_post[accept], g.twin[accept] = prop[accept], lp[accept], tw[accept]
        g.walked += accept
        if adapt:
            g.adapted += 1
            g.log_step += (accept.mean() - ACCEPTANCE) / math.sqrt(10.0 + g.adapted / 10.0)


def independence_step(log_post, groups: list[Group], tries: int) -> None:
    """Independent multiple-try Metropolis (Martino 2018, I-MTM): ``tries`` draws of the group's proposal per chain,
    one chosen by its weight ``w = pi / q``, accepted with ``min(1, W / (W - w_chosen + w_current))``; ``log_post`` as
    in :func:`random_walk_step`."""
    draws = []
    for g in groups:
        ys = _sample(g.proposal, g.chains * tries, g.rng)
        draws.append(ys)
    for g, ys, (lp, tw) in zip(groups, draws, _batched(log_post, draws)):
        log_q = _score(g.proposal, ys)
        lw = np.where(np.isfinite(lp), lp - log_q, -np.inf).reshape(g.chains, tries)
        current = g.log_post - _score(g.proposal, g.g)
        total = logsumexp(lw, axis=1)
        chosen = np.array([_choose(row, g.rng) for row in lw])
        rows = np.arange(g.chains)
        picked = lw[rows, chosen]
        others = np.array([logsumexp(np.delete(row, j)) if tries > 1 else -np.inf for row, j in zip(lw, chosen)])
        with np.errstate(invalid="ignore"):
            log_alpha = total - np.logaddexp(others, current)
        u = np.log(g.rng.random(g.chains))
        accept = np.isfinite(picked) & (u < log_alpha)
        index = rows * tries + chosen
        g.g[accept] = ys[index[accept]]
        g.log_post[accept], g.twin[accept] = lp[index[accept]], tw[index[accept]]
        g.accepted += accept
        g.proposed += 1


def _choose(log_weights: np.ndarray, rng: np.random.Generator) -> int:
    finite = np.isfinite(log_weights)
    if not finite.any():
        return int(rng.integers(len(log_weights)))
    p = np.exp(np.where(finite, log_weights - log_weights[finite].max(), -np.inf))
    return int(rng.choice(len(p), p=p / p.sum()))


def _sample(proposal, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` draws of a fitted mixture, from the group's own stream (not the mixture's own generator)."""
    weights, means, chols = proposal
    component = rng.choice(len(weights), size=count, p=weights)
    noise = rng.standard_normal((count, means.shape[1]))
    return means[component] + np.einsum("nij,nj->ni", chols[component], noise)


def _score(proposal, points: np.ndarray) -> np.ndarray:
    """Log density of the mixture at ``points``."""
    weights, means, chols = proposal
    d = means.shape[1]
    out = []
    for w, mu, L in zip(weights, means, chols):
        diff = np.linalg.solve(L, (points - mu).T).T
        out.append(math.log(w) - 0.5 * np.sum(diff ** 2, axis=1) - np.sum(np.log(np.diag(L)))
                   - 0.5 * d * math.log(2 * math.pi))
    return logsumexp(np.stack(out), axis=0)


def fit_proposal(draws: np.ndarray, seed: int, components: int = COMPONENTS, inflate: float = INFLATE):
    """The independence proposal from a group's exploration draws ``(N, d)``: a Gaussian mixture fitted by EM
    (``sklearn.mixture.GaussianMixture``), its covariances times ``inflate``; as ``(weights, means, Cholesky
    factors)``."""
    from sklearn.mixture import GaussianMixture

    d = draws.shape[1]
    components = max(1, min(components, len(draws) // (4 * (d + 1))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mixture = GaussianMixture(components, covariance_type="full", random_state=seed, reg_covar=1e-4,
                                  n_init=1).fit(draws)
    chols = np.linalg.cholesky(mixture.covariances_ * inflate)
    return mixture.weights_ / mixture.weights_.sum(), mixture.means_, chols


def weigh(density: TwinDensity, z: np.ndarray, twin: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray,
                                                                                       np.ndarray]:
    """Recorded draws ``z`` ``(N, n)`` (the other parameters at the reference) made full: the parameters the chains do
    not sample drawn from their prior (stream ``seed``), the twin evaluated there in one batch; returns the full
    draws, the twin's values and the log-likelihood.  With nothing to draw, the draws as they are."""
    n = len(density.problem.space)
    uninformed = np.array([i for i in range(n) if i not in set(density.active.tolist())], dtype=int)
    if uninformed.size == 0:
        return z, twin, density.log_likelihood(twin)
    space = density.problem.space
    full = z.copy()
    full[:, uninformed] = space.from_cube(np.random.default_rng(seed).random((len(z), n)))[:, uninformed]
    spread = getattr(density.batch, "spread", density.batch)
    values = spread(full)
    return full, values, density.log_likelihood(values)


def adapt_covariance(group: Group, draws: np.ndarray) -> Group:
    """The group's random walk from its pooled draws ``(C, k, d)``: their covariance times ``2.38^2 / d`` (the step's
    multiplier stays as adapted)."""
    pooled = draws.reshape(-1, draws.shape[-1])
    d = pooled.shape[1]
    if len(pooled) <= d + 1:
        return group
    cov = np.atleast_2d(np.cov(pooled, rowvar=False)) * (2.38 ** 2 / d)
    cov += RIDGE * np.eye(d) + 1e-6 * np.diag(np.diag(cov))
    return replace(group, chol=np.linalg.cholesky(cov))


def reevaluate(groups: list[Group], density: TwinDensity, workers) -> list[Group]:
    """The groups' log posteriors under a new ``density`` (a new correction changes the target)."""
    whitening = Whitening(density)
    g = np.vstack([group.g for group in groups])
    log_post, twin = whitening.log_post(g, workers)
    cuts = np.cumsum([group.chains for group in groups])[:-1]
    return [replace(group, log_post=lp, twin=tw) for group, lp, tw in zip(groups, np.split(log_post, cuts),
                                                                            np.split(twin, cuts))]
