"""The adoption mechanism's mean-field twin: expected accounts by an ODE on cumulative hazards.

An un-adopted agency ``i`` of cohort ``c`` (level ``l``, province ``r``) on
platform ``k`` adopts at ``w_i h_c(t)``, ``h_c`` the hazard per unit weight of
:mod:`.hazard`.  Given the cohort's cumulative hazard ``H_c(t)``, agency ``i``
has adopted with probability ``1 - exp(-w_i H_c)``, so the cohort's expected
adoptions are ``N'_c E[1 - exp(-W H_c)]`` over the level's weight
distribution ``W = exp(s Z - s^2/2)``, ``s = size_elasticity *
size_dispersion`` (Gauss-Hermite quadrature), plus the pinned named accounts.

``H_c`` is split into the exogenous part ``X`` (:func:`~.hazard.exogenous_rate`:
the audience is constant within a day, as in the engine, so ``X`` is
piecewise linear and known exactly) and the network part ``K``, whose ODE

    dK_c/dt = level_network_rate(F_l) + cohort_network_rate(F_c, F_parent(c)),   F from H = X + K

is solved between break points (launches, named accounts, dated events).
With imitation, regional diffusion and upper-tier pressure off the twin is
exact in expectation; with them it replaces the random shares by their
means, so it departs from the stochastic mean where early randomness is
amplified (few early adopters, imitation): finite-size effects.  Because
every province starts from zero with the same hazard, provincial shares stay
equal to the national one here: regional imitation acts exactly like
national imitation in the twin, and only the stochastic model's clustering
tells them apart.

Cohorts the twin cannot tell apart are merged into *classes* (:class:`Classes`):
the baseline's 218 cohorts per platform become a dozen ODE states.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.integrate import solve_ivp

from ....scenario.apportion import NATIONAL, level_provinces
from ....scenario.schema import Scenario
from ...mechanism import MeanField
from .hazard import Coefficients, coefficient_table, cohort_network_rate, exogenous_rate, level_network_rate

RTOL = 1e-6
"""Relative tolerance of the ODE solver: far below the stochastic model's Monte Carlo error."""


@dataclass(frozen=True)
class Classes:
    """Cohorts that the mean field cannot tell apart, merged.

    Two cohorts of a level follow the same mean-field trajectory when neither
    holds a named account and their parents' cohorts follow the same
    trajectory (their shares then start at zero and obey the same equation,
    whatever their sizes), so the ODE needs one state per class, not per
    province.
    """

    level: np.ndarray        # (G,) level of each class
    parent: np.ndarray       # (G,) parent class, -1 if none
    free_total: np.ndarray   # (P, G) agencies in the race, summed over the class's cohorts
    free_one: np.ndarray     # (P, G) agencies in the race in one cohort of the class
    size_one: np.ndarray     # (G,) agencies in one cohort of the class (0: empty cohorts)
    pinned: list[tuple[int, int, int, int, int]]
    """``(day, platform, class, accounts per cohort, cohorts)``: named accounts opening on ``day``."""
    level_size: np.ndarray   # (L,)

    @classmethod
    def of(cls, scenario: Scenario, platforms: list[str]) -> "Classes":
        levels = list(scenario.agencies.levels)
        cohorts: list[tuple[int, str, int]] = []
        index: dict[tuple[str, str], int] = {}
        for li, name in enumerate(levels):
            names, counts = level_provinces(scenario, name)
            for province, count in zip(names, counts.tolist()):
                index[(name, province)] = len(cohorts)
                cohorts.append((li, province, count))
        parent_of = []
        for li, province, _ in cohorts:
            parent_level = scenario.agencies.levels[levels[li]].parent
            parent_of.append(-1 if parent_level is None else
                             index.get((parent_level, province), index.get((parent_level, NATIONAL), -1)))
        pins: dict[int, list[tuple[int, int]]] = {}
        for account in scenario.accounts.values():
            cohort = index[(account.level, account.province)]
            for platform in account.platforms:
                pins.setdefault(cohort, []).append((platforms.index(platform), scenario.horizon.day(account.launch)))

        keys: dict[int, tuple] = {}

        def key(c: int) -> tuple:
            if c not in keys:
                li, _, size = cohorts[c]
                signature = tuple(sorted(pins.get(c, ())))
                keys[c] = (li, size > 0, signature, size if signature else None,
                           key(parent_of[c]) if parent_of[c] >= 0 else None)
            return keys[c]

        class_of_key: dict[tuple, int] = {}
        members: list[list[int]] = []
        for c in range(len(cohorts)):
            g = class_of_key.setdefault(key(c), len(members))
            if g == len(members):
                members.append([])
            members[g].append(c)
        P, G = len(platforms), len(members)
        free_total, free_one = np.zeros((P, G)), np.zeros((P, G))
        level, parent, size_one = np.zeros(G, dtype=np.int64), np.full(G, -1, dtype=np.int64), np.zeros(G)
        pinned = []
        for g, group in enumerate(members):
            first = group[0]
            level[g] = cohorts[first][0]
            size_one[g] = cohorts[first][2]
            parent[g] = class_of_key[key(parent_of[first])] if parent_of[first] >= 0 else -1
            for c in group:
                free = np.full(P, float(cohorts[c][2]))
                for k, _ in pins.get(c, ()):
                    free[k] -= 1
                free_total[:, g] += free
                if c == first:  # the class's cohorts share free / size (1 without named accounts)
                    free_one[:, g] = free
            for k, day in sorted(set(pins.get(first, ()))):
                count = pins[first].count((k, day))
                pinned.append((day, k, g, count, len(group)))
        level_size = np.bincount([c[0] for c in cohorts], weights=[c[2] for c in cohorts], minlength=len(levels))
        return cls(level=level, parent=parent, free_total=free_total, free_one=free_one, size_one=size_one,
                   pinned=pinned, level_size=level_size)


class AdoptionMeanField(MeanField):
    def solve(self) -> dict[str, np.ndarray]:
        twin = self.twin
        scenario, D, segments = twin.scenario, twin.days, twin.segments
        platforms, levels = list(scenario.platforms), list(scenario.agencies.levels)
        classes = Classes.of(scenario, platforms)
        P, L, G = len(platforms), len(levels), classes.level.size
        PG = P * G
        lev = classes.level
        seg = np.asarray(twin.segment_of_day)
        launch = [scenario.horizon.day(p.launch) for p in scenario.platforms.values()]

        # Coefficients per segment, per class (flat index k*G + g): (S, PG) arrays in a Coefficients.
        tables = [coefficient_table(s, platforms, levels) for _, s in segments]
        per_class = Coefficients(*(np.stack([np.asarray(getattr(t, f))[:, lev].ravel() for t in tables])
                                   for f in Coefficients._fields))

        # Exogenous cumulative hazard per unit weight X at integer times 0..D (D+1, PG).
        launched = (np.arange(D)[:, None] >= np.repeat(launch, G)[None, :])               # (D, PG)
        audience = np.repeat(twin.shared["registered"][:, :D] / scenario.population.total, G, axis=0).T
        daily = Coefficients(*(getattr(per_class, f)[seg] for f in Coefficients._fields))  # (D, PG) each
        increments = exogenous_rate(daily, audience) * launched
        X = np.concatenate([np.zeros((1, PG)), np.cumsum(increments, axis=0)])

        # Between whole days X is drawn as a cubic Hermite curve through its exact values at
        # whole days with slopes averaged across each day boundary: smooth, so the ODE solver
        # takes long steps, and equal to the engine's piecewise-linear X at every whole day
        # (the network part sees the audience shifted by a fraction of a day at most).
        rate = np.diff(X, axis=0)
        slope = np.concatenate([rate[:1], (rate[:-1] + rate[1:]) / 2, rate[-1:]])
        cubic = np.stack([X[:-1], slope[:-1], 3 * rate - 2 * slope[:-1] - slope[1:],
                          slope[:-1] + slope[1:] - 2 * rate])                               # (4, D, PG)

        def exogenous(t: float) -> np.ndarray:
            d = min(int(t), D - 1)
            u = t - d
            c0, c1, c2, c3 = cubic[:, d]
            return ((c3 * u + c2) * u + c1) * u + c0

        s_level = np.array([abs(scenario.agencies.levels[n].hazard.size_elasticity)
                            * scenario.agencies.levels[n].size_dispersion for n in levels])
        z, prob = gauss_hermite(nodes_for(float(s_level.max(initial=0.0))))
        W = np.exp(s_level[:, None] * z[None, :] - s_level[:, None] ** 2 / 2)[np.tile(lev, P)]  # (PG, J)

        def phi(H: np.ndarray) -> np.ndarray:
            """Expected adopted fraction of a class's racing agencies, E[1 - exp(-W H)] (last axis PG)."""
            return -np.expm1(-W * H[..., None]) @ prob

        # Shares from adoptions: F_level = to_level @ adopted, F_cohort = one cohort's share.
        flat_level = np.tile(lev, P)
        same_level = np.kron(np.eye(P), np.ones((G, G))) * (flat_level[:, None] == flat_level[None, :])
        level_size = np.where(classes.level_size > 0, classes.level_size, np.inf)[flat_level]
        to_level = same_level / level_size[:, None]
        parent = np.array([k * G + classes.parent[g] if classes.parent[g] >= 0 else -1
                           for k in range(P) for g in range(G)])
        has_parent = parent >= 0
        parent_index = np.where(has_parent, parent, 0)
        free_total = classes.free_total.ravel()
        share_scale = np.divide(classes.free_one, classes.size_one, out=np.zeros((P, G)),
                                where=classes.size_one > 0).ravel()
        safe_one = np.tile(np.where(classes.size_one > 0, classes.size_one, np.inf), P)

        def pinned_at(t0: int) -> tuple[np.ndarray, np.ndarray]:
            """Named accounts open by time t0: per class (all its cohorts) and per single cohort."""
            total, one = np.zeros((P, G)), np.zeros((P, G))
            for day, k, g, count, cohorts in classes.pinned:
                if day <= t0:
                    total[k, g] += count * cohorts
                    one[k, g] += count
            return total.ravel(), one.ravel()

        network = any(np.any(getattr(per_class, f)) for f in ("imitation", "regional_imitation", "upper_tier"))
        breaks = sorted({0, D, *(d for d in launch if 0 < d < D), *(d for d, _ in segments if 0 < d < D),
                         *(pin[0] for pin in classes.pinned if 0 < pin[0] < D)})
        H = np.empty((D, PG))  # at times 1..D
        K = np.zeros(PG)
        calls = 0
        for t0, t1 in zip(breaks[:-1], breaks[1:]):
            times = np.arange(t0 + 1, t1 + 1, dtype=float)
            active = np.repeat(np.array(launch) <= t0, G)
            if network and active.any():
                pinned_total, pinned_one = pinned_at(t0)
                pinned_share = pinned_one / safe_one
                c = Coefficients(*(getattr(per_class, f)[seg[t0]] * active for f in Coefficients._fields))

                def rhs(t, y, c=c, pinned_total=pinned_total, pinned_share=pinned_share):
                    nonlocal calls
                    calls += 1
                    fraction = phi(exogenous(t) + y)
                    level_share = to_level @ (free_total * fraction + pinned_total)
                    cohort_share = share_scale * fraction + pinned_share
                    parent_share = np.where(has_parent, cohort_share[parent_index], 0.0)
                    return level_network_rate(c, level_share) + cohort_network_rate(c, cohort_share, parent_share)

                solution = solve_ivp(rhs, (float(t0), float(t1)), K, method="RK45", t_eval=times,
                                     rtol=RTOL, atol=1e-12)
                if not solution.success:  # pragma: no cover - RK45 on a smooth, bounded system
                    raise RuntimeError(f"mean-field agencies' ODE failed: {solution.message}")
                K_t = solution.y.T
                K = K_t[-1]
            else:
                K_t = K[None, :]
            H[t0:t1] = X[t0 + 1:t1 + 1] + K_t
        twin.diagnostics["adoption_ode_evaluations"] = calls
        # Adoptions at the end of each day (time d + 1); named accounts count from their launch day.
        A = (free_total * phi(H)).reshape(D, P, G).transpose(1, 0, 2)                     # (P, D, G)
        for day, k, g, count, cohorts in classes.pinned:
            if day < D:
                A[k, day:, g] += count * cohorts
        by_level = A @ (lev[:, None] == np.arange(L)[None, :])                            # (P, D, L)
        metrics = {}
        twin.shared["gov_accounts"] = by_level.sum(axis=2)                               # (P, D)
        for k, name in enumerate(platforms):
            metrics[f"gov_accounts.{name}"] = by_level[k].sum(axis=1)
            for li, level in enumerate(levels):
                metrics[f"gov_accounts.{name}.{level}"] = by_level[k, :, li]
        return metrics


@functools.lru_cache(maxsize=None)
def gauss_hermite(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite nodes and probabilities for a standard normal."""
    z, w = hermegauss(nodes)
    return z, w / w.sum()


def nodes_for(log_sd: float) -> int:
    """Quadrature nodes for relative error below about 1e-5 (checked up to log_sd = 1.5)."""
    if log_sd == 0.0:
        return 1
    return 6 if log_sd < 0.3 else 12 if log_sd < 0.8 else 24
