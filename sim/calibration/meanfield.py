"""The mean-field model: a deterministic version of the engine with the same parameters.

``meanfield(scenario)`` returns the expected daily metrics (same names as
:class:`~sim.model.records.RunRecords`) in a few milliseconds, for the global
stage of a calibration and for profiles.  It follows the engine's clock
(:mod:`sim.model.simulation`): on day ``d`` platform launches, named accounts
and dated events come first, then the users' step; metrics are the state at
the end of the day.

Users
-----
The engine moves users with a daily binomial tau-leap whose *mean* obeys the
exponential-Euler recursion of the users' ODE (:mod:`sim.model.users`):
a person in a state leaves it with probability ``1 - exp(-H)`` for total
hazard ``H`` frozen at the start of the day.  The mean field iterates that
same recursion on expected counts (internet logistic; Bass per platform with
multi-homing over platform subsets), so its only departure from the engine's
mean is the Jensen gap of the ratio ``R_k / I``, of relative order 1/N with N
in the hundreds of millions.

Agencies
--------
An un-adopted agency ``i`` of cohort ``c`` (level ``l``, province ``r``) on
platform ``k`` adopts at ``w_i h_c(t)`` with, per unit weight,

    h_c = c_k [p_l + a_l S_k(t)  +  q_l F_l + rho_l F_c + u_l F_parent(c)]

(:mod:`sim.model.adoption`).  Given the cohort's cumulative hazard per unit
weight ``H_c(t)``, agency ``i`` has adopted with probability
``1 - exp(-w_i H_c)``, so the cohort's expected adoptions are
``N'_c E[1 - exp(-W H_c)]`` over the level's weight distribution
``W = exp(s Z - s^2/2)``, ``s = size_elasticity * size_dispersion``
(integrated by Gauss-Hermite quadrature), plus the pinned named accounts.
``H_c`` is split into an exogenous part ``X`` (innovation and audience pull:
the audience is constant within a day, as in the engine, so ``X`` is
piecewise linear and known exactly) and a network part ``K`` whose ODE

    dK_c/dt = c_k [q_l F_l + rho_l F_c + u_l F_parent(c)],   F from H = X + K

is solved with :func:`scipy.integrate.solve_ivp` between break points
(launches, named accounts, dated events).  With ``q = rho = u = 0`` the mean
field is exact in expectation; with them it replaces the random shares by
their means, so it departs from the stochastic mean where early randomness is
amplified (few early adopters, imitation): finite-size effects.  Because
every province starts from zero with the same hazard, the provincial shares
stay equal to the national one in the mean field: regional imitation acts
exactly like national imitation there, and only the stochastic model's
clustering tells them apart.

Followers of named accounts follow the engine's daily recursion in
expectation (:mod:`sim.model.following`).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.integrate import solve_ivp

from ..calendar import Horizon, per_day
from ..model.population import level_provinces
from ..model.records import DailyMetrics
from ..model.simulation import apply_event
from ..scenario.schema import NATIONAL, Scenario

@dataclass(frozen=True)
class MeanFieldRecords(DailyMetrics):
    """Expected daily metrics; the same names and layout as ``RunRecords.metrics`` (floats)."""

    scenario: str
    start: dt.date
    metrics: dict[str, np.ndarray]
    ode_steps: int
    """Right-hand-side evaluations of the agencies' ODE (0 without network terms)."""


def schedule(scenario: Scenario) -> list[tuple[int, Scenario]]:
    """``(first day, parameters)`` segments: the scenario as dated events change it (engine order)."""
    horizon = Horizon(scenario.horizon.start, scenario.horizon.end)
    dated = sorted((horizon.day(e.date), name) for name, e in scenario.events.items() if e.enabled)
    segments = [(0, scenario)]
    current = scenario
    for day, name in dated:
        current = apply_event(current, name)
        if segments[-1][0] == day:
            segments[-1] = (day, current)
        else:
            segments.append((day, current))
    return segments


def meanfield(scenario: Scenario, *, days: int | None = None, rtol: float = 1e-6) -> MeanFieldRecords:
    """The expected daily metrics of ``scenario`` over its first ``days`` days (all by default)."""
    horizon = Horizon(scenario.horizon.start, scenario.horizon.end)
    D = horizon.days if days is None else max(1, min(int(days), horizon.days))
    segments = schedule(scenario)
    platforms = list(scenario.platforms)
    launch = [horizon.day(scenario.platforms[p].launch) for p in platforms]
    metrics: dict[str, np.ndarray] = {}
    registered = _users(scenario, segments, platforms, launch, D, metrics)
    _agencies(scenario, segments, platforms, launch, registered, D, metrics, rtol)
    ode_steps = metrics.pop("_ode_steps")
    _followers(scenario, segments, platforms, horizon, registered, D, metrics)
    return MeanFieldRecords(scenario=scenario.name, start=horizon.start, metrics=metrics,
                            ode_steps=int(ode_steps[0]))


def _segment_index(segments: list[tuple[int, Scenario]], D: int) -> np.ndarray:
    """For each day, the index of the parameter segment in force."""
    index = np.zeros(D, dtype=np.int64)
    for i, (first, _) in enumerate(segments):
        if first < D:
            index[first:] = i
    return index


# --- users ------------------------------------------------------------------------------
def _users(scenario, segments, platforms, launch, D, metrics) -> np.ndarray:
    """Expected users by day (the engine's step, in expectation); returns registered (K, D)."""
    K = len(platforms)
    seg_of_day = _segment_index(segments, D).tolist()
    params = []
    for _, s in segments:
        users = [s.platforms[p].users for p in platforms]
        params.append((per_day(s.population.internet.growth_rate),
                       [per_day(u.innovation) for u in users],
                       [per_day(u.imitation) for u in users],
                       [u.multihoming for u in users]))
    internet = scenario.population.internet
    capacity = float(int(internet.capacity))
    online = float(int(internet.initial_users))
    initial = [float(int(scenario.platforms[p].users.initial_users)) for p in platforms]
    n_states = 1 << K
    n = [0.0] * n_states
    n[0] = online
    launched = [False] * K
    launch_on = {}
    for k, day in enumerate(launch):
        launch_on.setdefault(day, []).append(k)
    out_internet = np.empty(D)
    out_micro = np.empty(D)
    out_registered = np.empty((D, K))
    registered = [0.0] * K       # people holding an account on each platform
    expm1 = math.expm1
    transitions: list = []  # per state with open platforms: (state, [(k, target state)])
    platforms_k = range(K)
    for d in range(D):
        if d in launch_on:
            for k in launch_on[d]:
                launched[k] = True
                movers = min(initial[k], n[0])
                n[0] -= movers
                n[1 << k] += movers
                registered[k] += movers
            transitions = [(state, [(k, state | 1 << k) for k in platforms_k
                                    if launched[k] and not state >> k & 1]) for state in range(n_states)]
            transitions = [(state, moves) for state, moves in transitions if moves]
        growth, p, q, m = params[seg_of_day[d]]
        offline = capacity - online
        joined = offline * -expm1(-growth * online / capacity) if offline > 0 and growth > 0 else 0.0
        share = 1.0 / max(online, 1.0)
        base = [p[k] + q[k] * registered[k] * share for k in platforms_k]
        flows = []
        for state, moves in transitions:
            count = n[state]
            if count <= 0.0:
                continue
            if state:
                hazards = [base[k] * m[k] for k, _ in moves]
            else:
                hazards = [base[k] for k, _ in moves]
            total = sum(hazards)
            if total <= 0.0:
                continue
            leaving = count * -expm1(-total) / total
            flows.append((state, moves, leaving, hazards))
        for state, moves, leaving, hazards in flows:  # all flows from the start-of-day state
            for (k, target), h in zip(moves, hazards):
                flow = leaving * h
                n[state] -= flow
                n[target] += flow
                registered[k] += flow
        n[0] += joined
        online += joined
        out_internet[d] = online
        out_micro[d] = online - n[0]
        out_registered[d] = registered
    out_registered = out_registered.T
    metrics["internet_users"] = out_internet
    metrics["microbloggers"] = out_micro
    for k, name in enumerate(platforms):
        metrics[f"registered_users.{name}"] = out_registered[k]
    return out_registered


# --- agencies ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Classes:
    """Cohorts that the mean field cannot tell apart, merged.

    Two cohorts of a level follow the same mean-field trajectory when neither
    holds a named account and their parents' cohorts follow the same
    trajectory (their shares then start at zero and obey the same equation,
    whatever their sizes), so the ODE needs one state per class, not per
    province: the baseline's 218 cohorts become a dozen classes.
    """

    level: np.ndarray        # (G,) level of each class
    parent: np.ndarray       # (G,) parent class, -1 if none
    free_total: np.ndarray   # (P, G) agencies in the race, summed over the class's cohorts
    free_one: np.ndarray     # (P, G) agencies in the race in one cohort of the class
    size_one: np.ndarray     # (G,) agencies in one cohort of the class (0: empty cohorts)
    pinned: list[tuple[int, int, int, int, int]]
    """``(day, platform, class, accounts per cohort, cohorts)``: named accounts opening on ``day``."""
    level_size: np.ndarray   # (L,)


def _classes(scenario: Scenario, platforms: list[str], horizon: Horizon) -> _Classes:
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
            pins.setdefault(cohort, []).append((platforms.index(platform), horizon.day(account.launch)))

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
    return _Classes(level=level, parent=parent, free_total=free_total, free_one=free_one, size_one=size_one,
                    pinned=pinned, level_size=level_size)


def _coefficients(s: Scenario, platforms: list[str], has_parent: np.ndarray) -> np.ndarray:
    """Per-day hazard coefficients of one parameter segment, shape (5, P, L): appeal times the
    level's innovation, audience pull, imitation, regional imitation and upper-tier rates."""
    appeal = np.array([s.platforms[p].agency_appeal for p in platforms])[:, None]
    hazards = [level.hazard for level in s.agencies.levels.values()]
    rows = np.array([[per_day(getattr(h, field)) for h in hazards]
                     for field in ("innovation", "audience_pull", "imitation", "regional_imitation", "upper_tier")])
    rows[4] *= has_parent
    return appeal[None, :, :] * rows[:, None, :]


def _agencies(scenario, segments, platforms, launch, registered, D, metrics, rtol) -> None:
    horizon = Horizon(scenario.horizon.start, scenario.horizon.end)
    classes = _classes(scenario, platforms, horizon)
    levels = list(scenario.agencies.levels)
    P, L, G = len(platforms), len(levels), classes.level.size
    has_parent = np.array([scenario.agencies.levels[n].parent is not None for n in levels], dtype=float)
    coefficients = np.stack([_coefficients(s, platforms, has_parent) for _, s in segments])  # (S, 5, P, L)
    seg_of_day = _segment_index(segments, D)
    lev = classes.level

    # Exogenous cumulative hazard per unit weight X (P, D+1, G) at integer times 0..D:
    # innovation plus audience pull, the audience constant within each day as in the engine.
    launched = np.arange(D)[None, :] >= np.array(launch)[:, None]                       # (P, D)
    daily = coefficients[seg_of_day]                                                    # (D, 5, P, L)
    audience = (registered[:, :D] / scenario.population.total).T                         # (D, P)
    increments = (daily[:, 0] + daily[:, 1] * audience[:, :, None]) * launched.T[:, :, None]  # (D, P, L)
    X = np.concatenate([np.zeros((1, P, L)), np.cumsum(increments, axis=0)])[:, :, lev].transpose(1, 0, 2)

    # Between whole days X is drawn as a cubic Hermite curve through its exact values at
    # whole days with slopes averaged across each day boundary: smooth, so the ODE solver
    # takes long steps, and equal to the engine's piecewise-linear X at every whole day
    # (the network part sees the audience shifted by a fraction of a day at most).
    PG = P * G
    Xf = X.transpose(1, 0, 2).reshape(D + 1, PG)                                        # (D+1, P*G)
    rate = np.diff(Xf, axis=0)
    slope = np.concatenate([rate[:1], (rate[:-1] + rate[1:]) / 2, rate[-1:]])
    cubic = np.stack([Xf[:-1], slope[:-1], 3 * rate - 2 * slope[:-1] - slope[1:],
                      slope[:-1] + slope[1:] - 2 * rate])                                # (4, D, P*G)

    def exogenous(t: float) -> np.ndarray:
        d = min(int(t), D - 1)
        u = t - d
        c0, c1, c2, c3 = cubic[:, d]
        return ((c3 * u + c2) * u + c1) * u + c0

    s_level = np.array([abs(scenario.agencies.levels[n].hazard.size_elasticity)
                        * scenario.agencies.levels[n].size_dispersion for n in levels])
    z, prob = _gauss_hermite(_nodes_for(float(s_level.max(initial=0.0))))
    W = np.exp(s_level[:, None] * z[None, :] - s_level[:, None] ** 2 / 2)[np.tile(lev, P)]   # (P*G, J)

    def phi(H: np.ndarray) -> np.ndarray:
        """Expected adopted fraction of a class's racing agencies, E[1 - exp(-W H)] (last axis P*G)."""
        return -np.expm1(-W * H[..., None]) @ prob

    # The network hazard is linear in the shares, which are linear in phi, so per segment
    # dK/dt = M phi(X + K) + b with a constant matrix M and vector b (flat index k*G + g).
    same_platform = np.kron(np.eye(P), np.ones((G, G)))
    same_level = same_platform * (np.tile(lev, P)[:, None] == np.tile(lev, P)[None, :])
    level_size = np.where(classes.level_size > 0, classes.level_size, np.inf)[np.tile(lev, P)]
    to_level_share = same_level / level_size[:, None]                 # F_level = to_level_share @ adopted
    parent_of = np.zeros((PG, PG))
    for k in range(P):
        for g in range(G):
            if classes.parent[g] >= 0:
                parent_of[k * G + g, k * G + classes.parent[g]] = 1.0
    free_total = classes.free_total.ravel()
    share_scale = np.divide(classes.free_one, classes.size_one, out=np.zeros((P, G)),
                            where=classes.size_one > 0).ravel()
    safe_one = np.tile(np.where(classes.size_one > 0, classes.size_one, np.inf), P)

    def pinned_at(t0: int) -> tuple[np.ndarray, np.ndarray]:
        """Pinned adoptions by time t0: per class (all its cohorts) and per single cohort."""
        total, one = np.zeros((P, G)), np.zeros((P, G))
        for day, k, g, count, cohorts in classes.pinned:
            if day <= t0:
                total[k, g] += count * cohorts
                one[k, g] += count
        return total.ravel(), one.ravel()

    network = bool(np.any(coefficients[:, 2:]))
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
            cq, crho, cu = (coefficients[seg_of_day[t0], i][:, lev].ravel() * active for i in (2, 3, 4))
            M = (cq[:, None] * to_level_share * free_total[None, :]
                 + np.diag(crho * share_scale) + cu[:, None] * parent_of * share_scale[None, :])
            b = cq * (to_level_share @ pinned_total) + crho * pinned_share + cu * (parent_of @ pinned_share)

            def rhs(t, y, M=M, b=b):
                nonlocal calls
                calls += 1
                return M @ phi(exogenous(t) + y) + b

            solution = solve_ivp(rhs, (float(t0), float(t1)), K, method="RK45", t_eval=times,
                                 rtol=rtol, atol=1e-12)
            if not solution.success:  # pragma: no cover - RK45 on a smooth, bounded system
                raise RuntimeError(f"mean-field agencies' ODE failed: {solution.message}")
            K_t = solution.y.T
            K = K_t[-1]
        else:
            K_t = K[None, :]
        H[t0:t1] = Xf[t0 + 1:t1 + 1] + K_t
    # Adoptions at the end of each day (time d + 1); named accounts count from their launch day.
    A = (free_total * phi(H)).reshape(D, P, G).transpose(1, 0, 2)                       # (P, D, G)
    for day, k, g, count, cohorts in classes.pinned:
        if day < D:
            A[k, day:, g] += count * cohorts
    by_level = A @ (lev[:, None] == np.arange(L)[None, :])                              # (P, D, L)
    for k, name in enumerate(platforms):
        metrics[f"gov_accounts.{name}"] = by_level[k].sum(axis=1)
        for li, level in enumerate(levels):
            metrics[f"gov_accounts.{name}.{level}"] = by_level[k, :, li]
    metrics["_ode_steps"] = np.array([calls])


@functools.lru_cache(maxsize=None)
def _gauss_hermite(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite nodes and probabilities for a standard normal."""
    z, w = hermegauss(nodes)
    return z, w / w.sum()


def _nodes_for(log_sd: float) -> int:
    """Quadrature nodes for relative error below about 1e-5 (checked up to log_sd = 1.5)."""
    if log_sd == 0.0:
        return 1
    return 6 if log_sd < 0.3 else 12 if log_sd < 0.8 else 24


# --- followers ---------------------------------------------------------------------------
def _followers(scenario, segments, platforms, horizon, registered, D, metrics) -> None:
    seg_of_day = _segment_index(segments, D).tolist()
    for account, spec in scenario.accounts.items():
        launch_day = horizon.day(spec.launch)
        total = np.zeros(D)
        for platform in spec.platforms:
            k = platforms.index(platform)
            series = np.zeros(D)
            followers = 0.0
            for d in range(max(launch_day, 0), D):
                entry = segments[seg_of_day[d]][1].accounts[account].platforms[platform]
                remaining = entry.reach * registered[k, d] - followers
                if remaining > 0:
                    age, tau = d - launch_day, entry.launch_decay_days
                    burst = entry.launch_rate_per_day * tau * (math.exp(-age / tau) - math.exp(-(age + 1) / tau))
                    followers += remaining * -math.expm1(-(entry.steady_rate_per_day + burst))
                series[d] = followers
            metrics[f"followers.{account}.{platform}"] = series
            total += series
        metrics[f"followers.{account}.all"] = total
