"""Profiles of the objective: the best fit with one parameter held at each value of its range.

A profile over the stochastic model would cost hundreds of replications per
parameter, so profiles use the mean field corrected to the stochastic model at
the fitted point: every target value is multiplied by the ratio of the
stochastic mean to the mean field there (an additive correction in log space,
as in space mapping; Bandler et al. 2004).  Near the fit the surrogate agrees
with the stochastic model by construction; away from it, it carries the mean
field's shape.  The profiled quantity is ``chi^2 = sum (e_j / sigma_j)^2`` with
the targets' uncertainties of :mod:`.identifiability`, minimised over the other
parameters by least squares, warm-started from the neighbouring grid point;
a point that ends above the interval threshold gets more iterations, since
an unconverged point there would pass for evidence.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from . import models
from .problem import Problem


@dataclass(frozen=True)
class Profile:
    name: str
    grid: np.ndarray
    """Unit coordinates of the held parameter."""
    chi2: np.ndarray
    """Smallest chi^2 over the other parameters at each grid point."""
    delta: np.ndarray
    """``chi2 - min(chi2)``, the minimum taken over this profile and the fit."""
    interval: tuple[float, float] | None
    """Unit coordinates where ``delta`` is within the threshold, around the best grid point."""
    evaluations: int

    @property
    def complete(self) -> bool:
        return bool(np.isfinite(self.chi2).all())


@dataclass(frozen=True)
class ProfileTask:
    index: int
    grid: np.ndarray
    z: np.ndarray
    log_correction: np.ndarray
    sigma: np.ndarray
    lam: float
    max_nfev: int
    threshold: float
    """chi^2 above the profile's best by more than this gets more iterations (see run_profile)."""
    deadline: float = float("inf")
    """``time.time()`` after which the profile stops (its remaining points stay NaN)."""


def _chi_residuals(problem: Problem, task: ProfileTask, z: np.ndarray, record: list) -> np.ndarray:
    values = models.meanfield_values(problem, z)
    if values is None:
        errors = np.full(len(task.sigma), models.INVALID_ERROR)
    else:
        record.append((z.copy(), values))
        errors = problem.targets.errors(values * np.exp(task.log_correction))
    return errors / task.sigma


def run_profile(task: ProfileTask, problem: Problem | None = None) -> tuple[np.ndarray, list]:
    """chi^2 at each grid point of one parameter, and the mean-field evaluations it took."""
    problem = problem or models._WORKER_PROBLEM
    i, n = task.index, len(task.z)
    others = [k for k in range(n) if k != i]
    record: list = []

    def _full(held: float, y: np.ndarray) -> np.ndarray:
        z = np.empty(n)
        z[i], z[others] = held, y
        return z

    chi2 = np.full(len(task.grid), np.nan)
    # Walk outwards from the fitted value, warm-starting each point from its inner neighbour.
    up = [j for j in range(len(task.grid)) if task.grid[j] >= task.z[i]]
    down = [j for j in range(len(task.grid)) if task.grid[j] < task.z[i]]
    for side in (sorted(up, key=lambda j: task.grid[j]), sorted(down, key=lambda j: -task.grid[j])):
        start = task.z[others].copy()
        for j in side:
            if time.time() > task.deadline:
                break
            held = task.grid[j]

            def fun(y, held=held):
                z = np.empty(n)
                z[i], z[others] = held, y
                chi = _chi_residuals(problem, task, z, record)
                return np.concatenate([chi, task.lam * (y - task.z[others])])

            if others:
                result = least_squares(fun, start, bounds=(0.0, 1.0), diff_step=1e-3, max_nfev=task.max_nfev,
                                       method="trf", x_scale=1.0)
                y = result.x
                if float(np.sum(_chi_residuals(problem, task, _full(held, y), record) ** 2)) > task.threshold:
                    # Above the threshold the point decides the interval: make sure it is not merely
                    # unconverged, with more iterations from where it got to.
                    result = least_squares(fun, y, bounds=(0.0, 1.0), diff_step=1e-3, max_nfev=4 * task.max_nfev,
                                           method="trf", x_scale=1.0)
                    y = result.x
                start = y
            else:
                y = start
            chi2[j] = float(np.sum(_chi_residuals(problem, task, _full(held, y), record) ** 2))
    return chi2, record


def profile_tasks(problem: Problem, z: np.ndarray, log_correction: np.ndarray, sigma: np.ndarray, lam: float,
                  points: int, max_nfev: int, chi2_fit: float, threshold: float,
                  deadline: float = float("inf")) -> list[ProfileTask]:
    tasks = []
    for i in range(len(z)):
        grid = np.unique(np.concatenate([np.linspace(0.0, 1.0, points), [z[i]]]))
        tasks.append(ProfileTask(index=i, grid=grid, z=np.asarray(z, float), log_correction=log_correction,
                                 sigma=sigma, lam=lam, max_nfev=max_nfev, threshold=chi2_fit + threshold,
                                 deadline=deadline))
    return tasks


def summarise(problem: Problem, task: ProfileTask, chi2: np.ndarray, chi2_fit: float, threshold: float,
              evaluations: int) -> Profile:
    grid = task.grid
    if not np.isfinite(chi2).any():
        return Profile(name=problem.space.parameters[task.index].name, grid=grid, chi2=chi2, delta=chi2,
                       interval=None, evaluations=evaluations)
    floor = min(float(np.nanmin(chi2)), chi2_fit)
    delta = chi2 - floor
    best = int(np.nanargmin(chi2))
    lo = hi = None
    if np.isfinite(delta[best]) and delta[best] <= threshold:
        lo = hi = grid[best]
        j = best
        while j > 0 and delta[j - 1] <= threshold:
            j -= 1
        lo = grid[j] if j == 0 else _cross(grid[j - 1], grid[j], delta[j - 1], delta[j], threshold)
        j = best
        while j < len(grid) - 1 and delta[j + 1] <= threshold:
            j += 1
        hi = grid[j] if j == len(grid) - 1 else _cross(grid[j], grid[j + 1], delta[j], delta[j + 1], threshold)
    return Profile(name=problem.space.parameters[task.index].name, grid=grid, chi2=chi2, delta=delta,
                   interval=None if lo is None else (float(lo), float(hi)), evaluations=evaluations)


def _cross(x0: float, x1: float, d0: float, d1: float, threshold: float) -> float:
    """Where a straight line through (x0, d0) and (x1, d1) crosses ``threshold``."""
    if d1 == d0:
        return x0
    return float(x0 + (threshold - d0) * (x1 - x0) / (d1 - d0))
