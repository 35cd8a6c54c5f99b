"""Leave-one-figure-out cross-validation: can the calibrated model forecast a figure it has not seen?

For each binding figure in turn the posterior is sampled again without it
(:func:`.stage.sample_posterior` with that figure left out of the likelihood;
the full posterior's stochastic correction is reused, so no stochastic runs),
until its chains converge or the fold's time is up, and the left-out figure is
scored by the posterior predictive probability of *what was reported*.  The
predictive of a new report is the mixture over the fold's weighted draws of
the likelihood's noise about the model's mean (:mod:`..problem.likelihood`),
so each kind is scored by its own likelihood term averaged over the draws:

* ``equal``: the predictive density of the reported figure (of its log), its
  PIT (the predictive probability of a report at most the figure: uniform
  over figures if the model forecasts well) and whether the central 90%
  predictive interval holds it;
* one-sided, interval and "more than" figures: the predictive probability of
  the reported side or range.  A band that merely reaches a bound is not
  "covered": a probability of 0.2 that the count exceeds "more than 410,000"
  says the model doubts what was reported.

Every fold also gives the predictive median and 90% interval and the log error
of the median (:meth:`sim.targets.Target.log_error`: 0 inside a bound), whose
absolute value's median over the folds summarises the forecasts.

A figure *binds* when the full posterior feels it: ``equal`` figures and
ranges always; a one-sided figure when its deviance averaged over the
posterior exceeds :data:`BINDING_DEVIANCE` (a bound met with room to spare by
every draw says nothing, and leaving it out tests nothing).

Two ways in: :func:`cross_validate` inside a calibration (``bandwagon calibrate
SPEC --cross-validate``), and :func:`from_directory` for a calibration's
directory afterwards (``python experiments/cross_validate.py DIR``), from its
``posterior.nc`` (the draws, their weights, the correction) and its spec;
:func:`write_folds` puts ``cross_validation.csv`` beside it, naming the
posterior it came from.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp, ndtr

from ..problem.density import Correction
from ..problem.models import History
from ..problem.objective import point as make_point
from .stage import Posterior, sample_posterior

BINDING_DEVIANCE = 0.01
LEVEL = 0.9
FILE = "cross_validation.csv"
SCREENED = 2048
"""Draws of the full posterior given to a fold's screening (as the search's history is in a calibration)."""


@dataclass(frozen=True)
class Score:
    """How well a predictive distribution forecast one reported figure."""

    log_score: float
    """Log predictive probability of what was reported (of the log figure's density for ``equal``)."""
    probability: float
    """Predictive probability of the reported side or range; NaN for an ``equal`` figure."""
    pit: float
    """Predictive probability of a report at most the figure (``equal``); NaN otherwise."""
    median: float
    low: float
    high: float
    """The predictive's median and central :data:`LEVEL` interval of a new report's value."""
    log_error: float
    covered: bool | None
    """``equal``: the central :data:`LEVEL` interval holds the figure; None for the other kinds (their score is
    :attr:`probability`)."""


@dataclass(frozen=True)
class Fold:
    name: str
    kind: str
    score: Score
    converged: bool
    verdict: str
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    effective_draws: float
    seconds: float

    # what the calibration report reads
    @property
    def median(self) -> float:
        return self.score.median

    @property
    def low(self) -> float:
        return self.score.low

    @property
    def high(self) -> float:
        return self.score.high

    @property
    def log_error(self) -> float:
        return self.score.log_error

    @property
    def covered(self) -> bool | None:
        return self.score.covered


def score(targets, j: int, mean: np.ndarray, sigma: np.ndarray, weights: np.ndarray) -> Score:
    """Figure ``j`` of ``targets`` (a :class:`~..problem.objective.TargetSet`) scored against the predictive
    mixture of ``N(log mean_i, sigma_i^2)`` with ``weights`` ``(N,)`` (module docstring)."""
    mean, sigma = np.asarray(mean, float), np.asarray(sigma, float)
    w = np.asarray(weights, float) / np.sum(weights)
    target = targets.targets[j]
    figures = targets.figures
    values = np.zeros((len(mean), len(targets)))
    values[:, j] = mean
    sig = np.ones_like(values)
    sig[:, j] = sigma
    term = figures.log_terms(np.maximum(values, 1e-300), sig)[:, j]
    with np.errstate(divide="ignore"):
        log_score = float(logsumexp(term, b=w))
    x = np.log(np.maximum(mean, 1e-300))

    def cdf(y: float) -> float:
        return float(np.sum(w * ndtr((y - x) / sigma)))

    span = (float(np.min(x - 9 * sigma)), float(np.max(x + 9 * sigma)))
    low, median, high = (math.exp(brentq(lambda y, q=q: cdf(y) - q, *span, xtol=1e-10))
                         for q in ((1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2))
    equal = figures.kind[j] == 0
    pit = cdf(math.log(target.value)) if equal else math.nan
    covered = bool((1 - LEVEL) / 2 <= pit <= (1 + LEVEL) / 2) if equal else None
    return Score(log_score=log_score, probability=math.nan if equal else math.exp(log_score), pit=pit,
                 median=median, low=low, high=high, log_error=target.log_error(median), covered=covered)


def binding(posterior: Posterior) -> np.ndarray:
    """Which figures bind (module docstring), as a boolean mask."""
    return binding_of(posterior.problem.targets, posterior.mean_values, posterior.weights, posterior.correction)


def binding_of(targets, mean: np.ndarray, weights: np.ndarray, correction: Correction) -> np.ndarray:
    sigma = targets.sigma(mean, intrinsic=correction.intrinsic, surrogate=correction.surrogate)
    deviance = targets.figures.deviance_residuals(mean, sigma) ** 2
    w = weights / weights.sum()
    average = np.sum(w[:, None] * deviance, axis=0)
    ranges = np.array([t.kind == "equal" or t.two_sided for t in targets.targets])
    return ranges | (average > BINDING_DEVIANCE)


def fold(problem, pool, history: History, *, fit, used: np.ndarray, j: int, correction: Correction,
         seconds: float, progress=None, evaluator=None) -> Fold:
    """Figure ``j`` left out of ``used``: its posterior (until converged, or ``seconds``) and its score."""
    left = np.asarray(used, bool).copy()
    left[j] = False
    posterior = sample_posterior(problem, pool, history, fit=fit, meanfield_fit=None, seconds=seconds, used=left,
                                 correction=correction, progress=progress, evaluator=evaluator)
    mean = posterior.mean_values
    sigma = problem.targets.sigma(mean, intrinsic=correction.intrinsic, surrogate=correction.surrogate)
    c = posterior.convergence
    return Fold(name=problem.targets.names[j], kind=problem.targets.targets[j].kind,
                score=score(problem.targets, j, mean[:, j], sigma[:, j], posterior.weights),
                converged=bool(c.converged), verdict=c.verdict(), max_rhat=float(np.max(c.rhat)),
                min_ess_bulk=float(np.min(c.ess_bulk)), min_ess_tail=float(np.min(c.ess_tail)),
                effective_draws=float(posterior.effective_draws), seconds=float(posterior.seconds))


def cross_validate(posterior: Posterior, pool, history, *, fit, seconds_each: float, progress=None,
                   evaluator=None) -> list[Fold]:
    """Every binding figure of ``posterior`` left out in turn (inside a calibration)."""
    return [fold(posterior.problem, pool, history, fit=fit, used=posterior.used, j=j,
                 correction=posterior.correction, seconds=seconds_each, progress=progress, evaluator=evaluator)
            for j in np.flatnonzero(binding(posterior) & posterior.used)]


def coverage(folds: list[Fold]) -> float:
    """Share of the ``equal`` folds whose 90% predictive interval held the figure."""
    scored = [f.covered for f in folds if f.covered is not None]
    return float(np.mean(scored)) if scored else math.nan


def median_abs_log_error(folds: list[Fold]) -> float:
    return float(np.median([abs(f.log_error) for f in folds])) if folds else math.nan


# --- from a calibration directory --------------------------------------------------------------
@dataclass(frozen=True)
class Shipped:
    """What a fold needs from a calibration directory."""

    directory: Path
    problem: object
    correction: Correction
    used: np.ndarray
    z: np.ndarray
    """``(N, n)`` the full posterior's draws, unit coordinates."""
    mean: np.ndarray
    """``(N, T)`` the model's mean at the draws (the corrected twin)."""
    weights: np.ndarray
    lp: np.ndarray
    digest: str
    """sha256 of ``posterior.nc``: which posterior the folds came from."""


def load(directory: str | Path, spec: str | Path | None = None) -> Shipped:
    """The posterior of a calibration ``directory`` (its ``posterior.nc``, ``posterior.json``) and its problem
    (``spec``, default: the one ``posterior.json`` names).  Raises :class:`sim.errors.InputError`."""
    from ...errors import InputError
    from ..problem.problem import load_problem
    from .diagnostics import arviz

    directory = Path(directory)
    nc, meta_path = directory / "posterior.nc", directory / "posterior.json"
    for path in (nc, meta_path):
        if not path.is_file():
            raise InputError(f"expected a calibration directory with {path.name} (bandwagon calibrate writes it), "
                             "not found", source=str(directory))
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    spec_path = _find_spec(spec, meta.get("spec"), directory)
    problem = load_problem(spec_path)
    idata = arviz().from_netcdf(str(nc))
    attrs = idata.posterior.attrs
    if "correction" not in attrs:
        raise InputError("expected posterior.nc with the stochastic correction (root attribute 'correction': "
                         "written by bandwagon calibrate since issue 18); redraw the posterior", source=str(nc))
    stored = json.loads(attrs["correction"])
    names = list(problem.targets.names)
    if stored["figures"] != names:
        raise InputError(f"expected the spec's figures to be the posterior's ({', '.join(stored['figures'])}), got "
                         f"{', '.join(names)}", source=str(spec_path))
    correction = Correction(shift=np.array(stored["shift"]), surrogate=np.array(stored["surrogate"]),
                            intrinsic=np.array(stored["intrinsic"]), source=stored["source"])
    post = idata.posterior
    values = np.column_stack([np.asarray(post[p.name].values, float).reshape(-1) for p in problem.space])
    z = np.clip(np.array([problem.space.unit(row) for row in values]), 0.0, 1.0)
    mean = np.column_stack([np.asarray(post[f"model_{name}"].values, float).reshape(-1) for name in names])
    stats = idata.sample_stats
    log_weight = np.asarray(stats["log_weight"].values, float).reshape(-1)
    weights = np.exp(log_weight - log_weight.max())
    used = np.array([name in meta.get("targets_used", names) for name in names])
    return Shipped(directory=directory, problem=problem, correction=correction, used=used, z=z, mean=mean,
                   weights=weights / weights.sum(), lp=np.asarray(stats["lp"].values, float).reshape(-1),
                   digest=hashlib.sha256(nc.read_bytes()).hexdigest())


def _find_spec(given, recorded: str | None, directory: Path) -> Path:
    from ...errors import InputError

    if given is not None:
        if not Path(given).is_file():
            raise InputError(f"expected an existing calibration spec, got {given} (not found)", source="--spec")
        return Path(given)
    if recorded:
        for place in (Path.cwd(), *directory.resolve().parents):
            if (place / recorded).is_file():
                return place / recorded
    raise InputError(f"expected the calibration spec posterior.json names ({recorded}) here or above the directory; "
                     "give it with --spec", source=str(directory / "posterior.json"))


def from_directory(directory: str | Path, *, seconds_each: float, spec: str | Path | None = None, workers: int = 1,
                   progress=None) -> tuple[Shipped, list[Fold]]:
    """Cross-validation of the posterior in ``directory``: each binding figure left out in turn, each fold's
    chains started from the full posterior's region (its draws screened, as a calibration's search history
    is), run until converged or ``seconds_each``."""
    from ..problem.models import Workers
    from ..problem.twin import Evaluator

    shipped = load(directory, spec)
    problem = shipped.problem
    rng = np.random.default_rng(np.random.SeedSequence(problem.spec.seed, spawn_key=(11,)))
    picks = rng.choice(len(shipped.z), size=min(SCREENED, len(shipped.z)), replace=False,
                       p=shipped.weights)
    with Workers(problem, workers) as pool:
        evaluator = Evaluator(problem, pool)
        twin = evaluator.spread(shipped.z[picks])
        history = History()
        points = []
        for z, values in zip(shipped.z[picks], twin):
            if np.all(np.isfinite(values)):
                p = make_point(problem.targets, z, values * np.exp(shipped.correction.shift))
                history.add("posterior", "meanfield", p, 0.0)
                points.append(p)
        fit = max(zip(shipped.lp[picks], points), key=lambda pair: pair[0])[1] if points else \
            make_point(problem.targets, problem.space.start(), evaluator(problem.space.start()[None])[0])
        mask = binding_of(problem.targets, shipped.mean, shipped.weights, shipped.correction) & shipped.used
        folds = [fold(problem, pool, history, fit=fit, used=shipped.used, j=j, correction=shipped.correction,
                      seconds=seconds_each, progress=progress, evaluator=evaluator)
                 for j in np.flatnonzero(mask)]
    return shipped, folds


COLUMNS = ["figure", "kind", "reported", "low", "high", "predicted_median", "predicted_p05", "predicted_p95",
           "log_error", "pit", "probability_of_report", "log_score", "covered_90", "converged", "max_rhat",
           "min_ess_bulk", "min_ess_tail", "effective_draws", "seconds", "posterior_sha256"]


def write_folds(path: Path, targets, folds: list[Fold], digest: str = "") -> None:
    """``cross_validation.csv`` (atomically): one row per fold; ``posterior_sha256`` names the posterior.nc the
    folds came from (empty inside a calibration that writes them together)."""
    from ...output.atomic import atomic_file

    by_name = dict(zip(targets.names, targets.targets))
    with atomic_file(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for f in folds:
            t = by_name[f.name]
            low, high = t.bounds
            s = f.score
            writer.writerow([f.name, f.kind, f"{t.value:.10g}", f"{low:.10g}", f"{high:.10g}", f"{s.median:.6g}",
                             f"{s.low:.6g}", f"{s.high:.6g}", f"{s.log_error:.4f}", _number(s.pit),
                             _number(s.probability), f"{s.log_score:.4f}",
                             "" if s.covered is None else int(s.covered), int(f.converged), f"{f.max_rhat:.4f}",
                             f"{f.min_ess_bulk:.0f}", f"{f.min_ess_tail:.0f}", f"{f.effective_draws:.0f}",
                             f"{f.seconds:.0f}", digest])


def _number(x: float) -> str:
    return "" if not math.isfinite(x) else f"{x:.4f}"
