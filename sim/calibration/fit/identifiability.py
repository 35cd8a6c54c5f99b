"""What the targets identify: intervals, singular values, flat directions, verdicts.

Given the Jacobian ``J = de/dz`` of the log errors in unit coordinates at the
fitted point and each target's uncertainty ``sigma_j`` (its figure's own,
plus the Monte Carlo error of the replication mean; :mod:`sim.calibration.problem.objective`):

* **Singular values** of the noise-scaled Jacobian ``J_j / sigma_j``: moving a
  distance ``t`` (in units of the ranges) along right singular vector ``v_k``
  raises ``chi^2 = sum (e_j / sigma_j)^2`` by ``(s_k t)^2``.  A direction is
  *flat* when crossing the whole range along it moves ``chi^2`` by less than
  the chi-square quantile of the interval level (``s_k < z``, 1.645 at 90%):
  the targets cannot tell its ends apart.  The condition number is
  ``s_max / s_min``.
* **Intervals**: the least-squares estimate's covariance by the sandwich
  ``(J'WJ)^-1 J'W Sigma W J (J'WJ)^-1`` (``W`` the targets' weights,
  ``Sigma`` their variances) on the identified directions, unbounded along
  flat ones; ``+- z sd`` in unit coordinates, mapped to the parameter's scale
  and clipped to its range.  Linearised, so approximate; the profiles are the
  check.
* **Profiles** (:mod:`.profiles`): the smallest ``chi^2`` over the other
  parameters, for each value of one parameter across its range.
* **Flat directions** are named sparsely (:func:`flat_directions`): first the
  parameters no target responds to at all, then one trade-off per remaining
  flat dimension ("raising p by 10% of its range is compensated by lowering q
  by 7% of its").
* **Verdicts** come from the profile when there is one, because it sees what
  the linearisation cannot (one-sided targets and intervals bind only when
  crossed): *not identified* when it stays within the threshold over (nearly)
  the whole range; *weakly identified* when only one side is bounded or the
  interval covers more than half the range; *identified* otherwise.  Without a
  profile the linearised interval decides, a parameter loading on a flat
  direction being not identified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2, norm

from ..problem.parameters import ParameterSpace

FLAT_LOADING = 0.3
"""A parameter loads on a flat direction when its component in it is at least this (unit vector)."""


@dataclass(frozen=True)
class Direction:
    singular_value: float
    vector: np.ndarray
    flat: bool
    description: str


@dataclass(frozen=True)
class ParameterVerdict:
    name: str
    value: float
    low: float
    high: float
    """The approximate interval, clipped to the range."""
    sd_unit: float
    """Standard deviation in unit coordinates (inf along flat directions)."""
    profile_low: float | None
    profile_high: float | None
    """The profile interval (values), None if no profile was computed."""
    verdict: str
    reason: str


@dataclass(frozen=True)
class Identifiability:
    level: float
    sigma: np.ndarray
    """Uncertainty of each target, log units."""
    singular_values: np.ndarray
    condition: float
    directions: list[Direction]
    parameters: list[ParameterVerdict]
    rank: int


def critical(level: float) -> tuple[float, float]:
    """``(z, chi2_1)`` of a two-sided interval of coverage ``level``."""
    return float(norm.ppf(0.5 + level / 2)), float(chi2.ppf(level, 1))


def analyse(space: ParameterSpace, z: np.ndarray, J: np.ndarray, sigma: np.ndarray, weights: np.ndarray,
            level: float, profiles: dict | None = None) -> Identifiability:
    """Intervals and verdicts at the fitted point ``z`` (see the module docstring)."""
    n = len(z)
    zc, threshold = critical(level)
    sigma = np.maximum(sigma, 1e-12)
    scaled = J / sigma[:, None]
    U, s, Vt = np.linalg.svd(scaled, full_matrices=True)
    s_full = np.zeros(n)
    s_full[:len(s)] = s
    identified = [k for k in range(n) if s_full[k] >= zc]
    flat = [k for k in range(n) if s_full[k] < zc]
    directions = flat_directions(space, scaled, Vt[flat].T, zc) if flat else []
    for k in identified:  # identified, but a quarter of a range or more stays within the threshold
        if s_full[k] < 4 * zc:
            directions.append(Direction(float(s_full[k]), Vt[k], False, _combination(space, Vt[k], s_full[k])))
    # Sandwich covariance on the identified subspace.
    cov = np.zeros((n, n))
    if identified:
        V = Vt[identified].T                                   # (n, r)
        B = J @ V                                              # (T, r)
        Wm = np.diag(weights)
        bread = np.linalg.pinv(B.T @ Wm @ B)
        meat = B.T @ Wm @ np.diag(sigma ** 2) @ Wm @ B
        cov = V @ bread @ meat @ bread @ V.T
    loading = np.sum(Vt[flat] ** 2, axis=0) if flat else np.zeros(n)
    sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
    sd = np.where(np.sqrt(loading) >= FLAT_LOADING, np.inf, sd)

    verdicts = []
    for i, p in enumerate(space):
        lo_z, hi_z = z[i] - zc * sd[i], z[i] + zc * sd[i]
        low, high = p.value(max(lo_z, 0.0)), p.value(min(hi_z, 1.0))
        prof = (profiles or {}).get(p.name)
        verdict, reason = _verdict(p, z[i], sd[i], zc, prof, threshold, math.sqrt(loading[i]))
        verdicts.append(ParameterVerdict(
            name=p.name, value=p.value(z[i]), low=low, high=high, sd_unit=float(sd[i]),
            profile_low=None if prof is None or prof.interval is None else p.value(prof.interval[0]),
            profile_high=None if prof is None or prof.interval is None else p.value(prof.interval[1]),
            verdict=verdict, reason=reason))
    positive = s_full[s_full > 0]
    condition = float(positive.max() / positive.min()) if positive.size and len(positive) == n else math.inf
    return Identifiability(level=level, sigma=sigma, singular_values=np.sort(s_full)[::-1], condition=condition,
                           directions=directions, parameters=verdicts, rank=len(identified))


def _verdict(p, z: float, sd: float, zc: float, profile, threshold: float, loading: float) -> tuple[str, str]:
    half = zc * sd
    flat_note = f"; the Jacobian puts it {loading:.2f} on a flat direction" if loading >= FLAT_LOADING else ""
    if profile is not None and not profile.complete:
        flat_note += "; profile cut short by the time budget"
    if profile is not None and profile.interval is not None:
        lo, hi = profile.interval
        width = hi - lo
        open_low = lo <= 1e-9 and profile.delta[0] <= threshold
        open_high = hi >= 1 - 1e-9 and profile.delta[-1] <= threshold
        if width >= 0.9 or (open_low and open_high):
            return "not identified", (f"the profile stays within {threshold:.2f} of its minimum over "
                                      f"{width:.0%} of the range{flat_note}")
        if open_low or open_high:
            bound = p.value(hi if open_low else lo)
            side = "an upper" if open_low else "a lower"
            shown = p.show(bound) if p.dated else f"{bound:.4g}"
            return "weakly identified", (f"the profile gives only {side} bound ({shown}); open at the "
                                         f"{'lower' if open_low else 'upper'} end of the range{flat_note}")
        if width > 0.5:
            return "weakly identified", f"the profile interval covers {width:.0%} of the range{flat_note}"
        return "identified", (f"profile interval closed, {width:.0%} of the range; linearised "
                              f"+-{half:.2f} of the range" + flat_note)
    if not math.isfinite(sd):
        return "not identified", f"loads {loading:.2f} on a flat direction of the Jacobian (no profile)"
    if half >= 0.5:
        return "not identified", f"linearised {half:.2f} of the range either side (no profile)"
    if half >= 0.25:
        return "weakly identified", f"linearised {half:.2f} of the range either side (no profile)"
    return "identified", f"linearised {half:.2f} of the range either side (no profile)"


def flat_directions(space: ParameterSpace, scaled: np.ndarray, basis: np.ndarray, zc: float) -> list[Direction]:
    """The flat subspace (columns of ``basis``) in words, as a sparse set of trade-offs.

    Any basis of a flat subspace of dimension > 1 is as good as any other, so
    the SVD's own vectors mix unrelated parameters.  Instead: first every
    parameter that no target responds to alone (its noise-scaled column moves
    chi^2 by less than the threshold across its whole range); then every other
    parameter that loads on the flat subspace, with the smallest move of the
    others (in units of their ranges) that compensates a move of it.
    """
    n = scaled.shape[1]
    column = np.linalg.norm(scaled, axis=0)
    out: list[Direction] = []
    alone = [i for i in range(n) if column[i] < zc]
    for i in alone:
        v = np.zeros(n)
        v[i] = 1.0
        p = space.parameters[i]
        what = "no target responds to it" if column[i] == 0 else "the targets barely respond to it"
        out.append(Direction(float(column[i]), v, True,
                             f"{p.label} alone: {what} (crossing its whole range moves chi^2 by {column[i] ** 2:.2g})"))
    # Every other parameter that loads on the flat subspace: how the rest compensate a move of it.
    # The compensation is the smallest one (least squares, in units of the ranges) that leaves every
    # binding target where it was: -pinv(J_others) J_i.
    loading = np.sqrt(np.sum(basis ** 2, axis=1))
    for i in np.argsort(-loading):
        if i in alone or loading[i] < FLAT_LOADING:
            continue
        others = [k for k in range(n) if k != i and k not in alone]
        v = np.zeros(n)
        v[i] = 1.0
        if others:
            v[others] = -np.linalg.pinv(scaled[:, others]) @ scaled[:, i]
        gain = float(np.linalg.norm(scaled @ v))
        out.append(Direction(gain, v / np.linalg.norm(v), True, _tradeoff(space, v, int(i), gain)))
    return out


def _combination(space: ParameterSpace, v: np.ndarray, s: float) -> str:
    v = v / (np.linalg.norm(v) or 1.0)
    if v[np.argmax(np.abs(v))] < 0:
        v = -v
    parts = [f"{space.parameters[i].label} ({v[i]:+.2f})" for i in np.argsort(-np.abs(v)) if abs(v[i]) >= 0.2]
    return (f"{', '.join(parts)}: crossing the whole range along this combination moves chi^2 by only {s * s:.2g}")


def _tradeoff(space: ParameterSpace, v: np.ndarray, pivot: int, gain: float) -> str:
    """``raising P by 10% of its range is compensated by ...`` for a combination with v[pivot] = 1."""
    names = [p.label for p in space.parameters]
    ranked = [(names[i], v[i]) for i in np.argsort(-np.abs(v)) if i != pivot]
    others = [(name, c) for name, c in ranked if abs(c) >= 0.1][:4] or [(n, c) for n, c in ranked if abs(c) >= 0.01][:3]
    if not others:
        return f"{names[pivot]} alone (crossing its whole range moves chi^2 by {gain ** 2:.2g})"
    moves = [f"{'raising' if c > 0 else 'lowering'} {name} by {abs(c) * 10:.1f}%" for name, c in others]
    residual = f" (what is left moves chi^2 by {gain ** 2:.2g} across the whole range)" if gain ** 2 >= 0.01 else ""
    return (f"{names[pivot]} trades off with {', '.join(n for n, _ in others)}: raising {names[pivot]} by 10% of its "
            f"range is compensated by {', '.join(moves)} of theirs{residual}")
