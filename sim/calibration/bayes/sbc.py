"""Simulation-based calibration of the posterior machinery (Talts et al. 2018).

If the prior, the likelihood and the sampler are right, then for parameters
drawn from the prior and figures drawn from the likelihood given them, the
rank of each true parameter among (nearly independent) posterior draws is
uniform, and central 90% posterior intervals contain the truth 90% of the
time.  Here on the one-level Bass model (:func:`sim.scenario.builders.single_level`:
innovation ``p``, imitation ``q`` and the number of agencies ``N`` free,
log-uniform priors), whose mean field is the closed form ``N F(t)``
(:func:`sim.theory.bass_share`; :func:`bass_twin`), so thousands of
posteriors cost seconds: the twin is the vectorised closed form
(``TwinDensity.batch``), everything else is the posterior stage's own code
(priors on the cube, :mod:`sim.calibration.problem.likelihood`, :func:`.samplers.run_emcee` with its
start, burn-in and convergence rules).

Figures are ``equal`` targets at a few dates, drawn as
``log y_j = log m_j(theta) + sigma_j(m) eps`` with the likelihood's own
``sigma_j`` (the figures' tolerance and the Poisson floor of a count), so the
generative model is exactly the one the likelihood assumes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from ...scenario.builders import single_level
from ...targets import Target
from ...theory import bass_share
from ..problem.density import Correction, TwinDensity
from ..problem.objective import TargetSet
from ..problem.parameters import resolve_parameters
from ..problem.problem import Problem, _model_base
from .samplers import run_emcee, screened_start
from ..problem.spec import CalibrationSpec

DATES = ("2009-11-30", "2010-03-31", "2010-07-31", "2010-11-30", "2011-03-31")
"""Where the synthetic figures are read (the scenario starts on 2009-08-14)."""
DAYS_PER_YEAR = 365.25


def bass_problem(tolerance: float = 0.2, dates=DATES) -> Problem:
    """The one-level Bass calibration problem, built in memory: p, q and N free with log-uniform priors, an
    ``equal`` figure of tolerance ``tolerance`` at each date (their values are replaced per simulation)."""
    base = single_level(count=3000, innovation=0.05, imitation=1.5, days=2 * 365, name="sbc-bass")
    spec = CalibrationSpec.model_validate({
        "name": "sbc-bass", "base": "<memory>", "replications": 2, "budget": {"evaluations": 1},
        "likelihood": {"discrepancy": 0.0},
        "analysis": {"figure_precision": 1e-4},
        "parameters": {
            "innovation": {"path": "agencies.levels.agency.hazard.innovation", "range": [0.01, 0.2],
                           "spacing": "log"},
            "imitation": {"path": "agencies.levels.agency.hazard.imitation", "range": [0.3, 3.0], "spacing": "log"},
            "agencies": {"path": "agencies.levels.agency.count", "range": [1000, 10000], "spacing": "log"},
        }})
    targets = tuple(Target(metric="gov_accounts.sina", date=day, value=100.0, tolerance=tolerance) for day in dates)
    target_set = TargetSet(names=tuple(f"accounts_{d.replace('-', '_')}" for d in dates), targets=targets,
                           start=base.horizon.start, precision=spec.analysis.figure_precision, discrepancy=0.0)
    space = resolve_parameters(spec.parameters, base, "<sbc>")
    return Problem(spec=spec, source="<sbc>", base_path=None, base=base, model_base=_model_base(base, target_set),
                   targets_path=None, targets=target_set, space=space)


@dataclass(frozen=True)
class BassTwin:
    """The closed-form mean field of :func:`bass_problem`: ``N F(t_j; p, q)`` at each figure's date."""

    years: np.ndarray
    space: object
    whole: bool = True
    """Round the number of agencies to a whole number, as the scenario does (False: a smooth function)."""

    def __call__(self, z: np.ndarray) -> np.ndarray:
        values = self.space.values_of(z)
        counts = np.round(values[:, 2]) if self.whole else values[:, 2]
        return np.array([n * bass_share(self.years, p, q) for p, q, n in zip(values[:, 0], values[:, 1], counts)])


def bass_twin(problem: Problem, whole: bool = True) -> BassTwin:
    """The closed form for ``problem``'s figure dates (end of day, as the model records them)."""
    start = problem.targets.start
    years = np.array([((t.date - start).days + 1) / DAYS_PER_YEAR for t in problem.targets.targets])
    return BassTwin(years=years, space=problem.space, whole=whole)


def with_figures(problem: Problem, values: np.ndarray) -> Problem:
    targets = tuple(t.model_copy(update={"value": float(v)}) for t, v in zip(problem.targets.targets, values))
    return replace(problem, targets=replace(problem.targets, targets=targets))


@dataclass(frozen=True)
class SBCResult:
    ranks: np.ndarray
    """``(L, n)`` rank of each true parameter among ``draws`` posterior draws (0..draws)."""
    covered: np.ndarray
    """``(L, n)`` whether the central ``level`` interval of the draws held the truth."""
    draws: int
    level: float
    seconds: float
    not_converged: int
    """Posteriors whose sampler stopped before its own convergence criteria were met."""

    @property
    def coverage(self) -> np.ndarray:
        return self.covered.mean(axis=0)

    def coverage_sd(self) -> float:
        """Binomial standard error of a coverage of ``level`` over the simulations."""
        return float(np.sqrt(self.level * (1 - self.level) / len(self.ranks)))

    def uniformity(self, bins: int) -> tuple[np.ndarray, np.ndarray]:
        """Chi-square statistic and p-value of the ranks' uniformity over ``bins`` equal bins, per parameter."""
        edges = np.linspace(0, self.draws + 1, bins + 1)
        counts = np.stack([np.histogram(self.ranks[:, i], bins=edges)[0] for i in range(self.ranks.shape[1])])
        expected = len(self.ranks) / bins
        statistic = ((counts - expected) ** 2 / expected).sum(axis=1)
        return statistic, stats.chi2.sf(statistic, bins - 1)


def simulation_based_calibration(problem: Problem, twin, simulations: int, *, draws: int = 19,
                                 level: float = 0.9, seed: int = 0, walkers: int = 16, max_steps: int = 4000,
                                 target_ess: float = 200, seconds_each: float = 30.0) -> SBCResult:
    """Talts et al. (2018): ``simulations`` truths from the prior, figures from the likelihood, posteriors by
    the posterior stage's sampler, and the rank of each truth among ``draws`` thinned posterior draws."""
    rng = np.random.default_rng(seed)
    space = problem.space
    n = len(space)
    ranks = np.zeros((simulations, n), dtype=int)
    covered = np.zeros((simulations, n), dtype=bool)
    started = time.perf_counter()
    not_converged = 0
    tail = (1 - level) / 2
    for s in range(simulations):
        truth = space.from_cube(rng.random((1, n)))
        mean = twin(truth)[0]
        sigma = problem.targets.sigma(mean)
        figures = mean * np.exp(sigma * rng.standard_normal(len(mean)))
        density = TwinDensity(with_figures(problem, figures), Correction.none(len(mean)), np.arange(n),
                              np.full(n, 0.5), np.ones(len(mean), bool), batch=twin)
        start = screened_start(density, None, rng, walkers, 8 * walkers)
        samples = run_emcee(density, None, seed=int(rng.integers(2 ** 31)), walkers=walkers, max_steps=max_steps,
                            target_ess=target_ess, deadline=time.time() + seconds_each, start=start)
        not_converged += not samples.converged
        chosen = samples.x[_spread(len(samples.x), draws, rng)]
        ranks[s] = np.sum(chosen < truth, axis=0)
        low, high = np.quantile(samples.x, [tail, 1 - tail], axis=0)
        covered[s] = (low <= truth[0]) & (truth[0] <= high)
    return SBCResult(ranks=ranks, covered=covered, draws=draws, level=level, seconds=time.perf_counter() - started,
                     not_converged=not_converged)


def _spread(count: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` indices spread evenly over a step-major chain (thinned by far more than its autocorrelation
    time, so the draws are nearly independent), with a random offset."""
    step = count / draws
    return np.minimum((rng.random() * step + step * np.arange(draws)).astype(int), count - 1)
