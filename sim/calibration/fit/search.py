"""The two stages of the search: global on the mean field, local on the stochastic model.

1. **Global** (:func:`global_search`): ``scipy.optimize.differential_evolution``
   (Storn and Price 1997), seeded with the spec's seed and the prior point, or
   the best point of a scrambled Sobol' sample (``scipy.stats.qmc``), on the
   mean-field objective; then ``least_squares`` polishes it on the (smooth)
   mean field.
2. **Refine** (:func:`refine`): ``scipy.optimize.least_squares`` (trust region
   reflective, within the unit box) on the replication mean of the stochastic
   model with common random numbers.  The stochastic model is not smooth in
   its parameters -- a changed rate changes which draws go where -- so the
   Jacobian is taken by forward differences with a step that is large against
   the Monte Carlo noise (the spec's ``refine.step``, 5% of the range by
   default) rather than least squares' own tiny steps.  It stops as soon as
   every target is met and matched to within twice the Monte Carlo error of
   its mean or a tenth of its figure's own uncertainty: closer is noise.

Both stages minimise the deviance of :mod:`sim.calibration.problem.likelihood` (the posterior's noise
model: each figure's own noise, the structural discrepancy, the runs' spread and
the Monte Carlo error of the evaluated point), as least squares on deviance
residuals.  Both add the weak regularisation residuals ``lambda * (z - z_prior)``,
which only break ties along directions the targets do not determine.  The
budget is enforced between evaluations: when it runs out the stage stops and
the best point so far stands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import differential_evolution, least_squares
from scipy.stats import qmc
from tqdm import tqdm

from ..problem.models import BudgetExhausted, MeanFieldModel, StochasticModel
from ..problem.objective import Point


@dataclass
class Converged(Exception):
    """Every target is matched to within the Monte Carlo noise of its replication mean: stop refining."""


class Best:
    """The best candidate seen by one model (objective plus regularisation)."""

    z: np.ndarray | None = None
    point: Point | None = None
    score: float = math.inf

    def offer(self, p: Point, prior: np.ndarray, lam: float) -> None:
        score = p.objective + float(np.sum((lam * (p.z - prior)) ** 2))
        if score < self.score:
            self.z, self.point, self.score = p.z.copy(), p, score


@dataclass
class Jacobian:
    """Forward-difference Jacobians (T x n) at ``z`` in unit coordinates: of the log errors (for the
    linearised intervals) and of the deviance residuals (for least squares)."""

    z: np.ndarray
    errors: np.ndarray
    residuals: np.ndarray
    steps: np.ndarray
    centre: Point
    columns: list[Point]


def _residuals(p: Point, prior: np.ndarray, lam: float) -> np.ndarray:
    return np.concatenate([p.residuals, lam * (p.z - prior)])


def global_search(meanfield: MeanFieldModel, *, method: str, evaluations: int, seed: int, prior: np.ndarray,
                  lam: float, polish: bool, progress: bool, time_left) -> tuple[Best, str]:
    """The best mean-field point of a global search, polished; and how the search went."""
    n = len(prior)
    best = Best()
    best.offer(meanfield(prior, "prior"), prior, lam)
    bar = tqdm(total=evaluations, desc="global (mean field)", unit="eval", leave=False, disable=not progress)

    def evaluate(zs: list[np.ndarray], stage: str) -> list[float]:
        # The sample size or the number of generations bounds the evaluations; only time can cut them short.
        if time_left() <= 0:
            raise BudgetExhausted("global stage's share of the time budget spent")
        points = meanfield.batch(zs, stage)
        bar.update(len(points))
        for p in points:
            best.offer(p, prior, lam)
        bar.set_postfix(best=f"{best.point.objective:.3g}")
        return [p.objective + float(np.sum((lam * (p.z - prior)) ** 2)) for p in points]

    note = ""
    try:
        if method == "sobol":
            m = max(1, int(math.floor(math.log2(max(evaluations - 1, 2)))))
            sample = qmc.Sobol(d=n, scramble=True, seed=seed).random_base2(m)
            for i in range(0, len(sample), 64):
                evaluate(list(sample[i:i + 64]), "global")
            note = f"best of a scrambled Sobol' sample of {len(sample)} points"
        else:
            popsize = max(5, min(15, evaluations // (n * 12) or 5))

            def vectorised(x: np.ndarray) -> np.ndarray:
                """Objective of a whole population, ``x`` of shape (n, S)."""
                x = np.asarray(x, float)
                if x.ndim == 1:
                    return np.array(evaluate([x], "global"))[0]
                return np.array(evaluate([x[:, i] for i in range(x.shape[1])], "global"))

            generations = max(1, evaluations // (popsize * n) - 1)
            result = differential_evolution(
                vectorised, bounds=[(0.0, 1.0)] * n, popsize=popsize, maxiter=generations, init="sobol", seed=seed,
                x0=prior, polish=False, tol=0.0, atol=0.0, updating="deferred", vectorized=True)
            note = f"differential evolution, population {popsize * n}, {result.nit} generations"
    except BudgetExhausted:
        note = (note or f"{method.replace('_', ' ')}") + " (stopped at its budget)"
    if polish:
        z0 = best.z

        def residuals(zs: list[np.ndarray]) -> list[np.ndarray]:
            if time_left() <= 0:
                raise BudgetExhausted("global stage's share of the time budget spent")
            points = meanfield.batch(zs, "polish")
            for p in points:
                best.offer(p, prior, lam)
            return [_residuals(p, prior, lam) for p in points]

        try:
            least_squares(lambda z: residuals([z])[0], z0, jac=lambda z: forward_jacobian(residuals, z, 1e-3),
                          bounds=(0.0, 1.0), max_nfev=max(20, 10 * n), x_scale=1.0, method="trf")
            note += "; polished by least squares on the mean field"
        except BudgetExhausted:
            note += "; the polish stopped at the time budget"
    bar.close()
    return best, note


def forward_jacobian(residuals, z: np.ndarray, step: float) -> np.ndarray:
    """Forward differences (backward at the upper bound of the cube) of ``residuals``, a function of a list of
    points returning their residual vectors, with every column's point in one call: one batch of the twin for
    the whole Jacobian instead of one evaluation per column."""
    z = np.asarray(z, float)
    steps = np.where(z + step <= 1.0, step, -step)
    points = [z] + [z + steps[i] * np.eye(len(z))[i] for i in range(len(z))]
    centre, *columns = residuals(points)
    return np.column_stack([(column - centre) / h for column, h in zip(columns, steps)])


def refine(stochastic: StochasticModel, z0: np.ndarray, *, step: float, prior: np.ndarray, lam: float,
           progress: bool) -> tuple[Best, list[Jacobian], str]:
    """Least squares on the stochastic model from ``z0``; every Jacobian it computed; a note."""
    targets = stochastic.problem.targets
    figure_sd = targets.figure_log_sd()
    best = Best()
    jacobians: list[Jacobian] = []
    budget = stochastic.budget
    total = budget.evaluations if budget.evaluations is not None else None
    bar = tqdm(total=total, initial=budget.used, desc="refine (stochastic)", unit="eval", leave=False,
               disable=not progress)

    def run(z, stage):
        before = budget.used
        p = stochastic(z, stage)
        bar.update(budget.used - before)
        best.offer(p, prior, lam)
        bar.set_postfix(best=f"{best.point.objective:.3g}")
        return p

    def fun(z):
        p = run(z, "refine")
        if targets.met(p.values).all() and np.all(np.abs(p.errors) <= np.maximum(2 * p.log_se, 0.1 * figure_sd)):
            raise Converged()
        return _residuals(p, prior, lam)

    def jac(z):
        j = jacobian(stochastic, z, step, run)
        jacobians.append(j)
        return np.vstack([j.residuals, lam * np.eye(len(z))])

    note = "least squares (trust region reflective) on the stochastic model"
    try:
        result = least_squares(fun, z0, jac=jac, bounds=(0.0, 1.0), x_scale=1.0, method="trf",
                               xtol=step / 10, ftol=1e-3, gtol=1e-6, max_nfev=10_000)
        note += f": {result.message[0].lower() + result.message[1:]}"
    except BudgetExhausted as exc:
        note += f": stopped, {exc}"
    except Converged:
        note += (": converged - every target met, and matched to within twice the Monte Carlo error of its mean "
                 "or a tenth of its figure's own uncertainty")
    bar.close()
    return best, jacobians, note


def jacobian(model, z: np.ndarray, step: float, run=None) -> Jacobian:
    """Forward differences of the log errors, step ``step`` in unit coordinates (backwards at the upper bound)."""
    run = run or (lambda x, stage: model(x, stage))
    z = np.asarray(z, float)
    centre = run(z, "jacobian")
    columns, steps = [], []
    for i in range(len(z)):
        h = step if z[i] + step <= 1.0 else -step
        shifted = z.copy()
        shifted[i] += h
        p = run(shifted, "jacobian")
        columns.append(p)
        steps.append(h)
    errors = np.column_stack([(p.errors - centre.errors) / h for p, h in zip(columns, steps)])
    residuals = np.column_stack([(p.residuals - centre.residuals) / h for p, h in zip(columns, steps)])
    return Jacobian(z=z, errors=errors, residuals=residuals, steps=np.array(steps), centre=centre, columns=columns)
