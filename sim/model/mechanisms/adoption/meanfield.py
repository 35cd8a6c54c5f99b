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

from ....arrays import namespace
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
    province.  The grouping depends on the structure only (levels, parents,
    which cohorts are empty, named accounts), which every member of a batch
    shares; the sizes are per member (:meth:`sizes`).
    """

    members: list[list[tuple[int, int]]]
    """Per class, its cohorts as (level, index of the province in the level's split)."""
    level: np.ndarray        # (G,) level of each class
    parent: np.ndarray       # (G,) parent class, -1 if none
    pins: list[list[tuple[int, int]]]
    """Per class, the named accounts of its first cohort: (platform, launch day)."""

    @classmethod
    def of(cls, scenario: Scenario, platforms: list[str]) -> "Classes":
        levels = list(scenario.agencies.levels)
        cohorts: list[tuple[int, int, bool]] = []
        index: dict[tuple[str, str], int] = {}
        for li, name in enumerate(levels):
            names, counts = level_provinces(scenario, name)
            for j, (province, count) in enumerate(zip(names, counts.tolist())):
                index[(name, province)] = len(cohorts)
                cohorts.append((li, j, count > 0))
        parent_of = []
        for name in levels:
            parent_level = scenario.agencies.levels[name].parent
            for province in level_provinces(scenario, name)[0]:
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
                li, j, nonempty = cohorts[c]
                signature = tuple(sorted(pins.get(c, ())))
                keys[c] = (li, nonempty, signature, c if signature else None,
                           key(parent_of[c]) if parent_of[c] >= 0 else None)
            return keys[c]

        class_of_key: dict[tuple, int] = {}
        members: list[list[int]] = []
        for c in range(len(cohorts)):
            g = class_of_key.setdefault(key(c), len(members))
            if g == len(members):
                members.append([])
            members[g].append(c)
        return cls(members=[[cohorts[c][:2] for c in group] for group in members],
                   level=np.array([cohorts[group[0]][0] for group in members], dtype=np.int64),
                   parent=np.array([class_of_key[key(parent_of[group[0]])] if parent_of[group[0]] >= 0 else -1
                                    for group in members], dtype=np.int64),
                   pins=[pins.get(group[0], []) for group in members])

    def sizes(self, scenario: Scenario, platforms: int) -> "Sizes":
        """The member's agency counts per class (the counts may differ between members of a batch; traced counts
        in the compiled twin)."""
        split = [level_provinces(scenario, name)[1] for name in scenario.agencies.levels]
        xp = namespace(*split)
        G = len(self.members)
        taken = np.zeros((platforms, G))
        for g, pins in enumerate(self.pins):
            for k, _ in pins:
                taken[k, g] += 1
        size_one = xp.stack([xp.asarray(split[group[0][0]][group[0][1]], dtype=float) for group in self.members])
        total = xp.stack([xp.sum(xp.asarray(split[group[0][0]], dtype=float)[np.array([j for _, j in group])])
                          for group in self.members])
        level_size = xp.stack([xp.sum(xp.asarray(counts, dtype=float)) for counts in split])
        return Sizes(free_total=total[None, :] - taken, free_one=size_one[None, :] - taken, size_one=size_one,
                     level_size=level_size)

    def pinned(self) -> list[tuple[int, int, int, int, int]]:
        """``(day, platform, class, accounts per cohort, cohorts)``: named accounts opening on ``day``."""
        out = []
        for g, pins in enumerate(self.pins):
            for k, day in sorted(set(pins)):
                out.append((day, k, g, pins.count((k, day)), len(self.members[g])))
        return out


@dataclass(frozen=True)
class Sizes:
    free_total: np.ndarray   # (P, G) agencies in the race, summed over the class's cohorts
    free_one: np.ndarray     # (P, G) agencies in the race in one cohort of the class
    size_one: np.ndarray     # (G,) agencies in one cohort of the class (0: empty cohorts)
    level_size: np.ndarray   # (L,)


class AdoptionMeanField(MeanField):
    def solve(self) -> dict[str, np.ndarray]:
        twin = self.twin
        scenario, D = twin.scenario, twin.days
        members = twin.members
        B = len(members)
        platforms, levels = list(scenario.platforms), list(scenario.agencies.levels)
        classes = Classes.of(scenario, platforms)
        pinned = classes.pinned()
        P, L, G = len(platforms), len(levels), classes.level.size
        PG = P * G
        lev = classes.level
        flat_level = np.tile(lev, P)
        seg = np.asarray(twin.segment_of_day)
        launch = [scenario.horizon.day(p.launch) for p in scenario.platforms.values()]

        # Coefficients per segment, per member, per class (flat index k*G + g): (S, B, PG) arrays.
        per_class = Coefficients(*np.stack([
            np.stack([np.moveaxis(np.asarray(coefficient_table(s, platforms, levels)), 0, -1)[:, lev, :]
                      .reshape(PG, 5).T for s in segment_members])
            for segment_members in twin.segment_members()]).transpose(2, 0, 1, 3))

        # Exogenous cumulative hazard per unit weight X at integer times 0..D: (D+1, B, PG).
        launched = (np.arange(D)[:, None] >= np.repeat(launch, G)[None, :])[:, None, :]   # (D, 1, PG)
        people = np.array([s.population.total for s in members], dtype=float)
        registered = np.asarray(twin.shared["registered"]).reshape(P, B, -1)[:, :, :D]    # (P, B, D)
        audience = np.repeat(np.transpose(registered / people[None, :, None], (2, 1, 0)), G, axis=2)  # (D, B, PG)
        daily = Coefficients(*(getattr(per_class, f)[seg] for f in Coefficients._fields))  # (D, B, PG)
        X = np.concatenate([np.zeros((1, B, PG)), np.cumsum(exogenous_rate(daily, audience) * launched, axis=0)])
        X = X.reshape(D + 1, B * PG)

        # Between whole days X is drawn as a cubic Hermite curve through its exact values at
        # whole days with slopes averaged across each day boundary: smooth, so the ODE solver
        # takes long steps, and equal to the engine's piecewise-linear X at every whole day
        # (the network part sees the audience shifted by a fraction of a day at most).
        rate = np.diff(X, axis=0)                                                          # (D, B*PG)
        slope = np.concatenate([rate[:1], (rate[:-1] + rate[1:]) / 2, rate[-1:]])         # (D+1, B*PG)

        def exogenous(t: float) -> np.ndarray:
            d = min(int(t), D - 1)
            u = t - d
            r, s0, s1 = rate[d], slope[d], slope[d + 1]
            return X[d] + u * (s0 + u * ((3 * r - 2 * s0 - s1) + u * (s0 + s1 - 2 * r)))

        # Size weights W = exp(s Z - s^2/2) by Gauss-Hermite quadrature, per member and level.
        s_level = np.array([[abs(s.agencies.levels[n].hazard.size_elasticity) * s.agencies.levels[n].size_dispersion
                             for n in levels] for s in members])                        # (B, L)
        z, prob = gauss_hermite(nodes_for(float(s_level.max(initial=0.0))))
        W = np.exp(s_level[:, flat_level, None] * z - s_level[:, flat_level, None] ** 2 / 2)  # (B, PG, J)

        def phi(H: np.ndarray) -> np.ndarray:
            """Expected adopted fraction of a class's racing agencies, E[1 - exp(-W H)]: (B*PG,) -> (B, PG)."""
            return np.einsum("...j,j->...", np.expm1(-W * H.reshape(B, PG, 1)), -prob)

        def phi_days(H: np.ndarray) -> np.ndarray:
            """:func:`phi` for every day, ``(D, B*PG) -> (D, B, PG)``, a block of days at a time (cache-sized)."""
            out = np.empty((H.shape[0], B, PG))
            block = max(1, 2 ** 16 // (B * PG * prob.size))
            for start in range(0, H.shape[0], block):
                h = H[start:start + block].reshape(-1, B, PG, 1)
                out[start:start + block] = np.einsum("...j,j->...", np.expm1(-W * h), -prob)
            return out

        # Shares from adoptions: a level's share is its classes' adoptions over its size; a cohort's is
        # one cohort of the class's.
        sizes = [classes.sizes(s, P) for s in members]
        free_total = np.stack([sz.free_total.ravel() for sz in sizes])                    # (B, PG)
        same_level = np.kron(np.eye(P), np.ones((G, G))) * (flat_level[:, None] == flat_level[None, :])
        level_size = np.stack([np.where(sz.level_size > 0, sz.level_size, np.inf)[flat_level] for sz in sizes])
        share_scale = np.stack([np.divide(sz.free_one, sz.size_one, out=np.zeros((P, G)),
                                          where=sz.size_one > 0).ravel() for sz in sizes])
        safe_one = np.stack([np.tile(np.where(sz.size_one > 0, sz.size_one, np.inf), P) for sz in sizes])
        parent = np.array([k * G + classes.parent[g] if classes.parent[g] >= 0 else -1
                           for k in range(P) for g in range(G)])
        has_parent = parent >= 0
        parent_index = np.where(has_parent, parent, 0)

        def pinned_at(t0: int) -> tuple[np.ndarray, np.ndarray]:
            """Named accounts open by time t0: per class (all its cohorts) and per single cohort."""
            total, one = np.zeros((P, G)), np.zeros((P, G))
            for day, k, g, count, cohorts in pinned:
                if day <= t0:
                    total[k, g] += count * cohorts
                    one[k, g] += count
            return total.ravel(), one.ravel()

        network = any(np.any(getattr(per_class, f)) for f in ("imitation", "regional_imitation", "upper_tier"))
        breaks = sorted({0, D, *(d for d in launch if 0 < d < D), *(d for d, _ in twin.segments[0] if 0 < d < D),
                         *(pin[0] for pin in pinned if 0 < pin[0] < D)})
        H = np.empty((D, B * PG))  # at times 1..D
        K = np.zeros(B * PG)
        calls = 0
        for t0, t1 in zip(breaks[:-1], breaks[1:]):
            times = np.arange(t0 + 1, t1 + 1, dtype=float)
            active = np.repeat(np.array(launch) <= t0, G)
            if network and active.any():
                pinned_total, pinned_one = pinned_at(t0)
                pinned_share = pinned_one / safe_one                                         # (B, PG)
                c = Coefficients(*(getattr(per_class, f)[seg[t0]] * active for f in Coefficients._fields))

                def rhs(t, y, c=c, pinned_total=pinned_total, pinned_share=pinned_share):
                    nonlocal calls
                    calls += 1
                    fraction = phi(exogenous(t) + y)                                         # (B, PG)
                    level_share = ((free_total * fraction + pinned_total) @ same_level.T) / level_size
                    cohort_share = share_scale * fraction + pinned_share
                    parent_share = np.where(has_parent, cohort_share[:, parent_index], 0.0)
                    rates = level_network_rate(c, level_share) + cohort_network_rate(c, cohort_share, parent_share)
                    return rates.ravel()

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
        A = (free_total * phi_days(H)).reshape(D, B, P, G)
        for day, k, g, count, cohorts in pinned:
            if day < D:
                A[day:, :, k, g] += count * cohorts
        by_level = A @ (lev[:, None] == np.arange(L)[None, :])                            # (D, B, P, L)
        twin.shared["gov_accounts"] = np.transpose(by_level.sum(axis=3), (2, 1, 0)).reshape((P, *twin.shape, D))
        metrics = {}
        twin.shared["gov_accounts_by_level"] = by_level  # (D, B, P, L); B = 1 for one scenario
        squeeze = (lambda a: a[:, 0]) if B == 1 else (lambda a: a)
        for k, name in enumerate(platforms):
            metrics[f"gov_accounts.{name}"] = squeeze(by_level[:, :, k].sum(axis=2))
            for li, level in enumerate(levels):
                metrics[f"gov_accounts.{name}.{level}"] = squeeze(by_level[:, :, k, li])
        return metrics


@functools.lru_cache(maxsize=None)
def gauss_hermite(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite nodes and probabilities for a standard normal."""
    z, w = hermegauss(nodes)
    return z, w / w.sum()


def nodes_for(log_sd: float) -> int:
    """Quadrature nodes for relative error below about 1e-5 of E[1 - exp(-W H)] for H up to 10 (checked against
    80 nodes; H is a cumulative hazard per unit weight, about 5 where a level has nearly all adopted)."""
    if log_sd == 0.0:
        return 1
    for bound, nodes in ((0.3, 6), (0.5, 8), (0.7, 10), (0.8, 12)):
        if log_sd < bound:
            return nodes
    return 24
