"""Simulation-based calibration of the real calibration (Talts et al. 2018; Modrák et al. 2023).

If the prior, the likelihood and the sampler are right, then for parameters
drawn from the prior and figures drawn from the likelihood given them, the
rank of each true quantity among (nearly independent) posterior draws is
uniform, and central 50% and 90% intervals of the posterior hold the truth
50% and 90% of the time.  Here on the calibration itself
(``experiments/calibrate-baseline.yaml``): every free parameter, the
article's figures with their kinds, and the posterior stage as the pipeline
runs it (:func:`.stage.sample_posterior`: screening, the split into
sampled and prior-drawn parameters, the explorers, the multiple-try chains in
independent groups, the importance weights), twin-only: the data are
generated from the compiled twin (:mod:`..problem.twin`), so the twin is the model
and no stochastic correction is needed (``correction=`` none).

**Figures as the likelihood says they arise** (:mod:`..problem.likelihood`), at the
truth's twin values ``m_j`` and the likelihood's own noise ``sigma_j(m_j)``
(the figure's tolerance, the structural discrepancy, the Poisson floor of a
count): a latent ``log y_j = log m_j + sigma_j eps_j`` and then what a
report of the figure's kind says about it (:func:`reported`):

* ``equal``: the value ``y_j``;
* ``at_least b`` / ``at_most b``: which side of ``b`` the latent value lies
  on (a figure that came out below ``b`` is reported as ``at_most b``);
* ``interval [lo, hi]``: which part of the line, below, inside or above;
* ``more_than N`` (a rounded "more than"): the latent value rounded down to
  the figure's grid (cells as wide as its range, ``next_round(N) - N``), and
  reported as that cell, a soft-edged range like the figure's own.

Each report's likelihood term (a normal density, ``Phi`` of a bound, a
difference of two ``Phi``) is then the exact probability of what was
reported, so the posterior the stage samples is the true posterior of the
simulated data.

**Ranks** of each true quantity among :data:`DRAWS` posterior draws picked by
systematic resampling with the importance weights (over chains one after the
other, so the picks are spread along every chain: thinned by about the total
draws over :data:`DRAWS`, which is below the effective sample size when the
chains converged).  The quantities are every parameter (unit coordinates,
whether sampled or drawn from the prior), Sina's government accounts on
2012-06-30 (:data:`DERIVED_DATE`: half a year past the last figure, a twin
output the calibration never saw) and the log-likelihood of the simulated
figures (Modrák et al. 2023: the test quantity most sensitive to a posterior
too wide or too narrow).  Ties (a date parameter's whole days) are broken at
random.  Coverage of the central ``level`` interval of the draws follows
from the rank (:meth:`SBC.coverage`): with 99 draws the 50% interval holds
the truth when its rank is 25..74 of 0..99, exactly half the ranks.

Every replicate draws from ``SeedSequence(seed, spawn_key=(index,))``,
spawned into named streams, so a replicate's result does not depend on how
many run, in which order, or which ones ran before a restart.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy import stats

from ...targets import Target
from ..problem.density import Correction
from ..problem.models import History
from ..problem.objective import TargetSet
from ..problem.objective import point as make_point
from ..problem.problem import Problem, _model_base, load_problem
from ..problem.spec import PosteriorStage
from .stage import sample_posterior, systematic_resample

SPEC = Path(__file__).resolve().parents[3] / "experiments" / "calibrate-baseline.yaml"
DERIVED_METRIC = "gov_accounts.sina"
DERIVED_DATE = dt.date(2012, 6, 30)
DERIVED = "sina_accounts_2012_06_30"
LOG_LIKELIHOOD = "log_likelihood"
DRAWS = 99
"""Posterior draws each truth is ranked among: ranks 0..99, 100 equally likely values."""
LEVELS = (0.5, 0.9)
STREAMS = ("truth", "figures", "sampler", "ranks")

POSTERIOR = {"groups": 4, "chains_per_group": 1, "explorers_per_group": 4, "warmup": 200, "tries": 2, "thin": 1,
             "iterations": 200}
"""The SBC's posterior settings (the spec's ``posterior`` section, validated by its schema): the same algorithm
as the calibration's (``experiments/calibrate-baseline.yaml``), with fewer chains, explorers and warm-up
iterations, so that a hundred posteriors fit in an hour on one core.  At least 4 chains in 4 independent groups
(the diagnostics' minimum); the stage stops at rank R-hat < 1.01 and bulk and tail ESS >= 400, or after
``iterations`` sampling iterations."""
SECONDS = 600.0
"""The stage's own time limit per replicate (a guard: the iteration limit ends it first)."""


@dataclass(frozen=True)
class Setup:
    """The SBC's problem and its two twins."""

    problem: Problem
    """The calibration's problem, its posterior section replaced by the SBC's."""
    evaluator: object
    """The problem's compiled twin (:class:`~.twin.Evaluator`), compiled once for every replicate."""
    derived: object
    """The twin of the problem with one more output: Sina's government accounts on :data:`DERIVED_DATE`."""

    @property
    def quantities(self) -> list[str]:
        return [*self.problem.space.names, DERIVED, LOG_LIKELIHOOD]


def setup(spec: str | Path = SPEC, posterior: dict | None = None, parameters: list[str] | None = None) -> Setup:
    """The SBC of ``spec``'s calibration with the posterior settings ``posterior`` (default :data:`POSTERIOR`);
    ``parameters``: only these are free, the others at the base scenario's values (a smaller problem)."""
    from ..problem.parameters import ParameterSpace
    from ..problem.twin import Evaluator

    problem = load_problem(spec)
    if parameters is not None:
        unknown = sorted(set(parameters) - set(problem.space.names))
        if unknown:
            raise ValueError(f"not free parameters of {spec}: {', '.join(unknown)}")
        kept = tuple(p for p in problem.space if p.name in parameters)
        problem = replace(problem, space=ParameterSpace(parameters=kept))
    section = problem.spec.posterior.model_copy(update=dict(posterior or POSTERIOR))
    section = PosteriorStage.model_validate(section.model_dump())  # the schema's own checks
    problem = replace(problem, spec=problem.spec.model_copy(update={"posterior": section}))
    return Setup(problem=problem, evaluator=Evaluator(problem), derived=Evaluator(with_derived(problem)))


def with_derived(problem: Problem) -> Problem:
    """``problem`` with Sina's government accounts on :data:`DERIVED_DATE` as one more (weightless) target, its
    model base running to that date: what its twin computes there."""
    target = Target(metric=DERIVED_METRIC, date=DERIVED_DATE, kind="equal", value=1.0, weight=0.0)
    old = problem.targets
    targets = TargetSet(names=(*old.names, DERIVED), targets=(*old.targets, target), start=old.start,
                        precision=old.precision, discrepancy=old.discrepancy, one_history=old.one_history)
    return replace(problem, targets=targets, model_base=_model_base(problem.base, targets))


# --- the figures --------------------------------------------------------------------------------
def reported(target: Target, latent: float) -> Target:
    """What a report of ``target``'s kind says when the truth is ``exp(latent)`` (module docstring)."""
    y = math.exp(latent)
    if target.kind == "equal":
        return target.model_copy(update={"value": y})
    low, high = target.bounds
    if target.kind == "more_than":
        width = high - low
        cell = math.floor(y / width)
        if cell < 1:
            return _one_sided(target, "at_most", width)
        return target.model_copy(update={"kind": "interval", "value": (cell + 0.5) * width, "low": cell * width,
                                         "high": (cell + 1) * width, "tolerance": 0.0})
    if target.kind in ("at_least", "interval") and y < low:
        return _one_sided(target, "at_most", low)
    if target.kind in ("at_most", "interval") and y > high:
        return _one_sided(target, "at_least", high)
    return target


def _one_sided(target: Target, kind: str, bound: float) -> Target:
    return target.model_copy(update={"kind": kind, "value": bound, "low": None, "high": None, "tolerance": 0.0})


def simulate_figures(problem: Problem, mean: np.ndarray, rng: np.random.Generator,
                     noise: float = 1.0) -> tuple[Problem, np.ndarray]:
    """``problem`` with figures reported from latent values drawn at the model's values ``mean`` with the
    likelihood's noise times ``noise`` (1: exactly the likelihood's); returns the problem and the latent logs."""
    targets = problem.targets
    sigma = targets.sigma(mean)
    latent = np.log(mean) + noise * sigma * rng.standard_normal(len(mean))
    figures = tuple(reported(t, x) for t, x in zip(targets.targets, latent))
    return replace(problem, targets=replace(targets, targets=figures)), latent


# --- one replicate ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Replicate:
    """One simulated data set and its posterior: the ranks of the true quantities, and how the stage went."""

    index: int
    ranks: np.ndarray
    """``(Q,)`` rank of each true quantity (:attr:`Setup.quantities`) among :attr:`draws` posterior draws."""
    draws: int
    converged: bool
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    khat: float
    kish: float
    sampled: list[str]
    reports: list[str]
    """Each figure's reported kind (``at_least`` that came out ``at_most``, and so on)."""
    iterations: int
    evaluations: int
    seconds: float
    noise: float = 1.0

    def as_dict(self) -> dict:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["ranks"] = self.ranks.astype(int).tolist()
        out["khat"] = None if not math.isfinite(self.khat) else self.khat
        return out

    @classmethod
    def of(cls, data: dict) -> "Replicate":
        data = dict(data)
        data["ranks"] = np.asarray(data["ranks"], int)
        data["khat"] = -math.inf if data["khat"] is None else data["khat"]
        return cls(**data)


def streams(seed: int, index: int) -> dict[str, np.random.SeedSequence]:
    """Replicate ``index``'s named random streams (:data:`STREAMS`), as seed sequences."""
    children = np.random.SeedSequence(seed, spawn_key=(index,)).spawn(len(STREAMS))
    return dict(zip(STREAMS, children))


def draw_truth(setup: Setup, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A point of the prior (unit coordinates) where the twin gives finite values, and those values."""
    space = setup.problem.space
    for _ in range(100):
        z = space.from_cube(rng.random((1, len(space))))
        mean = setup.evaluator(z)[0]
        if np.all(np.isfinite(mean)) and np.all(mean > 0):
            return z[0], mean
    raise RuntimeError("no prior draw with finite twin values in 100 tries")


@dataclass(frozen=True)
class Simulation:
    """One simulated data set and its posterior, before the ranks."""

    index: int
    truth: np.ndarray
    """``(n,)`` the true parameters (unit coordinates)."""
    mean: np.ndarray
    """``(T,)`` the twin's values at the truth."""
    problem: Problem
    """The problem with the simulated figures."""
    posterior: object
    """The posterior stage's :class:`~.stage.Posterior`."""
    ranks_seed: np.random.SeedSequence
    """The replicate's stream for picking draws and breaking ties (the same picks however often it is ranked)."""
    seconds: float
    noise: float


def simulate(setup: Setup, index: int, seed: int, *, noise: float = 1.0, seconds: float = SECONDS) -> Simulation:
    """Replicate ``index``'s truth from the prior, its figures from the likelihood (noise times ``noise``) and
    the posterior stage on them."""
    started = time.perf_counter()
    seeds = streams(seed, index)
    truth, mean = draw_truth(setup, np.random.default_rng(seeds["truth"]))
    problem, _ = simulate_figures(setup.problem, mean, np.random.default_rng(seeds["figures"]), noise)
    sampler_seed = int(np.random.default_rng(seeds["sampler"]).integers(2 ** 31))
    section = problem.spec.posterior.model_copy(update={"seed": sampler_seed})
    problem = replace(problem, spec=problem.spec.model_copy(update={"posterior": section}))
    T = len(problem.targets)
    start = problem.space.start()  # the search's fit stands in: a point that knows nothing of the truth
    fit = make_point(problem.targets, start, setup.evaluator(start[None])[0])
    posterior = sample_posterior(problem, None, History(), fit=fit, meanfield_fit=None, seconds=seconds,
                                 correction=Correction.none(T), evaluator=setup.evaluator)
    return Simulation(index=index, truth=truth, mean=mean, problem=problem, posterior=posterior, ranks_seed=seeds["ranks"],
                      seconds=time.perf_counter() - started, noise=noise)


def rank(setup: Setup, simulation: Simulation, weighted: bool = True, truth: np.ndarray | None = None) -> Replicate:
    """The ranks of a simulation's true quantities among :data:`DRAWS` draws resampled by the importance weights
    (``weighted=False``, ``truth``: deliberate mistakes for the tests, ranks against unweighted draws or another
    truth)."""
    started = time.perf_counter()
    posterior, problem = simulation.posterior, simulation.problem
    rng = np.random.default_rng(simulation.ranks_seed)
    weights = posterior.weights if weighted else np.ones(len(posterior.weights))
    picks = select(weights, DRAWS, rng)
    truth = simulation.truth if truth is None else truth
    z = posterior.z[picks]
    truth_quantities = np.concatenate([truth, [derived(setup, truth[None])[0]],
                                       [log_likelihood(problem, simulation.mean[None])[0]]])
    draw_quantities = np.column_stack([z, derived(setup, z), log_likelihood(problem, posterior.twin[picks])])
    c = posterior.convergence
    return Replicate(index=simulation.index, ranks=ranks(draw_quantities, truth_quantities, rng), draws=DRAWS,
                     converged=bool(c.converged), max_rhat=float(np.max(c.rhat)),
                     min_ess_bulk=float(np.min(c.ess_bulk)), min_ess_tail=float(np.min(c.ess_tail)),
                     khat=float(c.khat), kish=float(c.kish), sampled=posterior.sampled,
                     reports=[t.kind for t in problem.targets.targets],
                     iterations=int(posterior.settings["sampling_iterations"]), evaluations=int(posterior.evaluations),
                     seconds=simulation.seconds + time.perf_counter() - started, noise=simulation.noise)


def replicate(setup: Setup, index: int, seed: int, *, noise: float = 1.0, seconds: float = SECONDS) -> Replicate:
    """Replicate ``index``: a truth from the prior, figures from the likelihood (noise times ``noise``), the
    posterior stage on them, the ranks."""
    return rank(setup, simulate(setup, index, seed, noise=noise, seconds=seconds))


def select(weights: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` draws by systematic resampling with the importance ``weights`` (draws in chain order)."""
    return systematic_resample(np.asarray(weights, float), count, rng)


def derived(setup: Setup, z: np.ndarray) -> np.ndarray:
    """Sina's government accounts on :data:`DERIVED_DATE` at points ``z`` (the twin)."""
    return setup.derived(z)[:, -1]


def log_likelihood(problem: Problem, values: np.ndarray) -> np.ndarray:
    """The likelihood of ``problem``'s figures at model values ``values`` ``(N, T)``, as the stage evaluates it."""
    targets = problem.targets
    return targets.figures.log_likelihood(values, targets.sigma(values))


def ranks(draws: np.ndarray, truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rank of each ``truth`` ``(Q,)`` among ``draws`` ``(L, Q)``: the draws below it, and a random share of the
    draws equal to it (ties broken at random, so the rank stays uniform)."""
    below = np.sum(draws < truth, axis=0)
    equal = np.sum(draws == truth, axis=0)
    return below + np.array([rng.integers(0, e + 1) for e in equal])


# --- the summary --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SBC:
    """The ranks of many replicates, and what they say."""

    names: list[str]
    ranks: np.ndarray
    """``(R, Q)``."""
    draws: int
    replicates: list[Replicate] = field(default_factory=list)

    @classmethod
    def of(cls, names: list[str], replicates: list[Replicate]) -> "SBC":
        draws = {r.draws for r in replicates}
        if len(draws) != 1:
            raise ValueError(f"replicates ranked among different numbers of draws: {sorted(draws)}")
        return cls(names=list(names), ranks=np.array([r.ranks for r in replicates]), draws=draws.pop(),
                   replicates=list(replicates))

    def __len__(self) -> int:
        return len(self.ranks)

    def inner(self, level: float) -> tuple[int, int]:
        """The ranks a central ``level`` interval of the draws holds: ``lo..hi`` of ``0..draws``."""
        lo = int(round((self.draws + 1) * (1 - level) / 2))
        return lo, self.draws - lo

    def expected(self, level: float) -> float:
        """The coverage if the ranks are uniform (``level`` itself when ``draws + 1`` divides evenly)."""
        lo, hi = self.inner(level)
        return (hi - lo + 1) / (self.draws + 1)

    def covered(self, level: float) -> np.ndarray:
        lo, hi = self.inner(level)
        return (self.ranks >= lo) & (self.ranks <= hi)

    def coverage(self, level: float) -> np.ndarray:
        """``(Q,)`` share of the replicates whose central ``level`` interval held the truth."""
        return self.covered(level).mean(axis=0)

    def coverage_se(self, level: float) -> float:
        """Binomial standard error of a coverage of ``level`` over the replicates."""
        p = self.expected(level)
        return math.sqrt(p * (1 - p) / len(self))

    def uniformity(self, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Chi-square statistic (``bins - 1`` degrees of freedom) and p-value of each quantity's ranks against
        the uniform, in ``bins`` equal bins of the ``draws + 1`` ranks."""
        counts = self.histogram(bins)
        expected = len(self) * np.diff(self.edges(bins)) / (self.draws + 1)
        statistic = ((counts - expected) ** 2 / expected).sum(axis=1)
        return statistic, stats.chi2.sf(statistic, bins - 1)

    def edges(self, bins: int) -> np.ndarray:
        return np.linspace(0, self.draws + 1, bins + 1).round().astype(int)

    def histogram(self, bins: int) -> np.ndarray:
        """``(Q, bins)`` replicates per bin of ranks (bin ``b`` holds ranks ``edges[b] .. edges[b+1] - 1``)."""
        edges = self.edges(bins)
        return np.stack([np.histogram(self.ranks[:, q], bins=edges - 0.5)[0] for q in range(self.ranks.shape[1])])

    def mean_rank(self) -> tuple[np.ndarray, float]:
        """Each quantity's mean fractional rank ``r / draws`` and its standard error if the ranks are uniform
        (``sqrt(((L+1)^2 - 1) / 12 / R) / L``)."""
        L = self.draws
        return self.ranks.mean(axis=0) / L, math.sqrt(((L + 1) ** 2 - 1) / 12 / len(self)) / L

    def ecdf_difference(self, points: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """The ranks' empirical distribution minus the uniform one at ``points`` evenly spaced fractions
        ``(1..points) / points`` of the ranks: ``(points,)`` fractions and ``(Q, points)`` differences."""
        edges = self.edges(points)[1:]
        x = edges / (self.draws + 1)
        ecdf = np.stack([(self.ranks[:, q][:, None] < edges).mean(axis=0) for q in range(self.ranks.shape[1])])
        return x, ecdf - x


def simultaneous_band(replicates: int, points: int = 20, level: float = 0.95, simulations: int = 4000,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A band that holds the whole ECDF difference of ``replicates`` uniform ranks at ``points`` fractions with
    probability ``level`` (Säilynoja, Bürkner and Vehtari 2022, by simulation): pointwise binomial intervals at
    the level ``1 - gamma`` for which ``level`` of simulated uniform ECDFs stay inside at every point.  Returns
    the fractions and the band's lower and upper differences."""
    rng = np.random.default_rng(seed)
    x = np.arange(1, points + 1) / points
    u = rng.random((simulations, replicates))
    counts = np.stack([(u < xi).sum(axis=1) for xi in x], axis=1)  # (simulations, points)
    # Each simulation's most extreme pointwise tail probability; the band's gamma is their lower quantile.
    cdf = stats.binom.cdf(counts, replicates, x)
    below = stats.binom.cdf(counts - 1, replicates, x)
    extreme = np.minimum(cdf, 1 - below).min(axis=1)
    gamma = 2 * np.quantile(extreme, 1 - level)
    low = stats.binom.ppf(gamma / 2, replicates, x) / replicates - x
    high = stats.binom.ppf(1 - gamma / 2, replicates, x) / replicates - x
    return x, low, high
