"""Profiles of the objective: the best fit with one parameter held at each value of its range.

A profile over the stochastic model would cost hundreds of replications per
parameter, so profiles use the mean field corrected to the stochastic model at
the fitted point: every target value is multiplied by the ratio of the
stochastic mean to the mean field there (an additive correction in log space,
as in space mapping; Bandler et al. 2004).  Near the fit the surrogate agrees
with the stochastic model by construction; away from it, it carries the mean
field's shape.  The profiled quantity is the deviance of :mod:`sim.calibration.problem.likelihood`
(``chi^2``, with each target's noise fixed at its value at the fit),
minimised over the other parameters by least squares, warm-started from the
neighbouring grid point; a point that ends above the interval threshold gets
more iterations, since an unconverged point there would pass for evidence.

The interval's ends are not read off the coarse grid: where the profile
crosses the threshold between two grid points, the crossing is root-found
(regula falsi on the *signed root* ``sqrt(delta chi^2)``, which is linear in
the parameter when the profile is a parabola, so a step or two lands on it),
each trial point re-optimised like a grid point.  Interpolating ``delta chi^2`` itself
linearly between the optimum and a grid point far up the parabola, as an
earlier version did, put the ends about three times too close (issue 9).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from ..problem import models
from ..problem.problem import Problem


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
    chi2_fit: float
    """chi^2 at the fit."""
    threshold: float
    """The interval's ``delta chi^2`` (2.71 at 90%)."""
    deadline: float = float("inf")
    """``time.time()`` after which the profile stops (its remaining points stay NaN)."""
    crossing_steps: int = 3
    """At most this many root-finding points per end of the interval."""


def run_profile(task: ProfileTask, problem: Problem | None = None, evaluate=None) -> tuple[np.ndarray, np.ndarray, list]:
    """The profile of one parameter: held values (the grid and the root-finding points, sorted), chi^2 at
    each, and the model evaluations it took.  ``evaluate(zs)`` gives the target values of a batch of points
    ``(N, n)`` (NaN rows for candidates the scenario refuses); default: the twin of the problem this worker
    holds (:func:`~sim.calibration.problem.twin.worker_evaluator`)."""
    from .search import forward_jacobian
    from ..problem.twin import worker_evaluator

    problem = models.worker_context().problem if problem is None else problem
    evaluate = worker_evaluator() if evaluate is None else evaluate
    targets = problem.targets
    i, n = task.index, len(task.z)
    others = [k for k in range(n) if k != i]
    record: list = []

    def chi_residuals(zs: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for z, values in zip(zs, evaluate(np.asarray(zs, float))):
            if np.isnan(values).any():
                out.append(np.full(len(task.sigma), models.INVALID_ERROR))
                continue
            record.append((z.copy(), values))
            out.append(targets.residuals(values * np.exp(task.log_correction), task.sigma))
        return out

    def full(held: float, y: np.ndarray) -> np.ndarray:
        z = np.empty(n)
        z[i], z[others] = held, y
        return z

    def profile_at(held: float, start: np.ndarray, patient: bool = False) -> tuple[float, np.ndarray]:
        """Smallest chi^2 with parameter i at ``held``, from ``start``; and where."""
        if not others:
            return float(np.sum(chi_residuals([full(held, start)])[0] ** 2)), start

        def residuals(ys: list[np.ndarray]) -> list[np.ndarray]:
            return [np.concatenate([r, task.lam * (y - task.z[others])])
                    for r, y in zip(chi_residuals([full(held, y) for y in ys]), ys)]

        def solve(y0: np.ndarray, nfev: int) -> np.ndarray:
            return least_squares(lambda y: residuals([y])[0], y0, jac=lambda y: forward_jacobian(residuals, y, 1e-3),
                                 bounds=(0.0, 1.0), max_nfev=nfev, method="trf", x_scale=1.0).x

        y = solve(start, task.max_nfev)
        chi2 = float(np.sum(chi_residuals([full(held, y)])[0] ** 2))
        if patient or chi2 > task.chi2_fit + task.threshold:
            # Above the threshold the point decides the interval: make sure it is not merely
            # unconverged, with more iterations from where it got to.
            y = solve(y, 4 * task.max_nfev)
            chi2 = float(np.sum(chi_residuals([full(held, y)])[0] ** 2))
        return chi2, y

    grid = task.grid
    chi2 = np.full(len(grid), np.nan)
    where: dict[int, np.ndarray] = {}
    # Walk outwards from the fitted value, warm-starting each point from its inner neighbour.
    up = [j for j in range(len(grid)) if grid[j] >= task.z[i]]
    down = [j for j in range(len(grid)) if grid[j] < task.z[i]]
    for side in (sorted(up, key=lambda j: grid[j]), sorted(down, key=lambda j: -grid[j])):
        start = task.z[others].copy()
        for j in side:
            if time.time() > task.deadline:
                break
            chi2[j], start = profile_at(grid[j], start)
            where[j] = start
    held, values = list(grid), list(chi2)
    if np.isfinite(chi2).any():
        floor = min(float(np.nanmin(chi2)), task.chi2_fit)
        best = int(np.nanargmin(chi2))
        for step in (-1, 1):
            j = best
            while 0 <= j + step < len(grid) and np.isfinite(chi2[j + step]) and chi2[j + step] - floor <= task.threshold:
                j += step
            k = j + step
            if not 0 <= k < len(grid) or not np.isfinite(chi2[k]):
                continue  # open at this end, or cut short
            def delta_at(x: float, start: np.ndarray) -> tuple[float, np.ndarray]:
                chi2_x, y = profile_at(x, start)
                return chi2_x - floor, y

            for x, c in _crossing(delta_at, (grid[j], chi2[j] - floor, where[j]), (grid[k], chi2[k] - floor),
                                  task.threshold, task.crossing_steps, task.deadline):
                held.append(x)
                values.append(c + floor)
    order = np.argsort(held, kind="stable")
    return np.asarray(held)[order], np.asarray(values)[order], record


def _crossing(delta_at, inner, outer, threshold: float, steps: int, deadline: float) -> list[tuple[float, float]]:
    """Points ``(held, delta chi^2)`` closing in on where the profile crosses ``threshold`` between ``inner``
    (below it) and ``outer`` (above), by regula falsi on the signed root."""
    (x_in, d_in, y_in), (x_out, d_out) = inner, outer
    target = math.sqrt(threshold)
    out = []
    for _ in range(steps):
        if time.time() > deadline:
            break
        r_in, r_out = math.sqrt(max(d_in, 0.0)), math.sqrt(max(d_out, 0.0))
        x = x_in + (target - r_in) * (x_out - x_in) / (r_out - r_in) if r_out > r_in else (x_in + x_out) / 2
        delta, y = delta_at(x, y_in)
        out.append((x, delta))
        if abs(math.sqrt(max(delta, 0.0)) - target) < 0.01 or abs(x_out - x_in) < 1e-4:
            break
        if delta <= threshold:
            x_in, d_in, y_in = x, delta, y
        else:
            x_out, d_out = x, delta
    return out


def profile_tasks(problem: Problem, z: np.ndarray, log_correction: np.ndarray, sigma: np.ndarray, lam: float,
                  points: int, max_nfev: int, chi2_fit: float, threshold: float,
                  deadline: float = float("inf")) -> list[ProfileTask]:
    tasks = []
    for i in range(len(z)):
        grid = np.unique(np.concatenate([np.linspace(0.0, 1.0, points), [z[i]]]))
        tasks.append(ProfileTask(index=i, grid=grid, z=np.asarray(z, float), log_correction=log_correction,
                                 sigma=sigma, lam=lam, max_nfev=max_nfev, chi2_fit=chi2_fit, threshold=threshold,
                                 deadline=deadline))
    return tasks


def summarise(name: str, held: np.ndarray, chi2: np.ndarray, chi2_fit: float, threshold: float,
              evaluations: int) -> Profile:
    """The profile's interval: where ``delta chi^2`` stays within ``threshold`` around its minimum, its ends
    interpolated linearly in the signed root between the neighbouring points (exact for a parabola)."""
    grid = np.asarray(held, float)
    if not np.isfinite(chi2).any():
        return Profile(name=name, grid=grid, chi2=chi2, delta=chi2, interval=None, evaluations=evaluations)
    floor = min(float(np.nanmin(chi2)), chi2_fit)
    delta = chi2 - floor
    best = int(np.nanargmin(chi2))
    lo = hi = None
    if np.isfinite(delta[best]) and delta[best] <= threshold:
        j = best
        while j > 0 and delta[j - 1] <= threshold:
            j -= 1
        lo = grid[j] if j == 0 or np.isnan(delta[j - 1]) else _cross(grid[j - 1], grid[j], delta[j - 1], delta[j],
                                                                      threshold)
        j = best
        while j < len(grid) - 1 and delta[j + 1] <= threshold:
            j += 1
        hi = grid[j] if j == len(grid) - 1 or np.isnan(delta[j + 1]) else _cross(grid[j], grid[j + 1], delta[j],
                                                                                  delta[j + 1], threshold)
    return Profile(name=name, grid=grid, chi2=chi2, delta=delta,
                   interval=None if lo is None else (float(lo), float(hi)), evaluations=evaluations)


def _cross(x0: float, x1: float, d0: float, d1: float, threshold: float) -> float:
    """Where the signed root ``sqrt(delta)`` crosses ``sqrt(threshold)`` on the straight line through the two
    points."""
    r0, r1, target = math.sqrt(max(d0, 0.0)), math.sqrt(max(d1, 0.0)), math.sqrt(threshold)
    if r1 == r0:
        return x0
    return float(x0 + (target - r0) * (x1 - x0) / (r1 - r0))
