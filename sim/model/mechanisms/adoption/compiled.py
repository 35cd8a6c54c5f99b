"""The adoption mechanism's compiled twin: the numpy twin's equations, stepped a day at a time.

The equations are those of :mod:`.meanfield`: classes of cohorts, the
exogenous cumulative hazard ``X`` known exactly at whole days, the network
part ``K`` from the rate functions of :mod:`.hazard`, the size weights by
Gauss-Hermite quadrature, named accounts pinned from their launch day.  What
differs is the solver.  The numpy twin hands ``K`` to an adaptive Runge-Kutta
solver between break points; here ``K`` moves once a day, inside the twin's
one daily loop, by the third-order Adams-Bashforth rule applied to the *shares*
that drive it:

    K(d+1) = K(d) + rate(c_d, (23 s(d) - 16 s(d-1) + 5 s(d-2)) / 12 + pinned(d))

``c_d`` are the coefficients in force on day ``d`` (dated events change them at
day boundaries only, so a jump never falls inside a step), ``s`` the shares of
adopters the mean field gives at whole days, and ``pinned(d)`` the named
accounts' part, exact (a step at their launch day).  The network rates are
linear in the shares (:func:`.hazard.level_network_rate`,
:func:`.hazard.cohort_network_rate`), so extrapolating the shares is
extrapolating the rate, and one evaluation of the quadrature a day serves both
the step and the day's adoptions.  The local error is 3/8 of the shares'
fourth derivative per day: about 1e-6 of the accounts where shares grow by a
few per cent a day (the second-order rule, 5/12 of the third derivative, left
1e-4, measured against the adaptive solution at a tolerance of 1e-10);
``tests/test_compiled_twin.py`` holds the targets within 1e-4 in log of the
numpy twin on prior draws.
"""

from __future__ import annotations

import numpy as np

from ...compiled import Compiled
from .hazard import Coefficients, cohort_network_rate, coefficients, exogenous_rate, level_network_rate
from .meanfield import Classes, gauss_hermite


class AdoptionCompiled(Compiled):
    daily = True

    def __init__(self, context) -> None:
        super().__init__(context)
        c, xp, structure = context, context.xp, context.structure
        self.platforms, self.levels = list(structure.platforms), list(structure.agencies.levels)
        classes = Classes.of(structure, self.platforms)
        P, L, G = len(self.platforms), len(self.levels), classes.level.size
        self.P, self.L, self.G = P, L, G
        self.flat_level = flat_level = np.tile(classes.level, P)                    # (PG,) class -> level
        self.flat_platform = flat_platform = np.repeat(np.arange(P), G)             # (PG,) class -> platform
        self.launch = np.repeat([structure.horizon.day(p.launch) for p in structure.platforms.values()], G)

        # Size weights W = exp(s Z - s^2/2) by Gauss-Hermite quadrature, for the classes whose level's dispersion
        # s is not known to be 0; the others (a number 0, not traced: all agencies weigh 1) need one node.
        dispersion = [abs(level.hazard.size_elasticity) * level.size_dispersion
                      for level in (c.static.agencies.levels[n] for n in self.levels)]
        self.weighted = np.array([not (isinstance(dispersion[li], (int, float)) and dispersion[li] == 0)
                                  for li in flat_level])
        s_level = xp.asarray([xp.asarray(dispersion[li], dtype=float) for li in flat_level[self.weighted]],
                             dtype=float).reshape(-1)
        z, self.prob = gauss_hermite(c.options.get("size_nodes", 12))
        self.W = xp.exp(s_level[:, None] * z[None, :] - s_level[:, None] ** 2 / 2)                   # (weighted, J)

        # Shares from adoptions (as the numpy twin): a level's is its classes' adoptions over its size; a
        # cohort's is one cohort of the class's; a parent's is the parent class's cohort share.
        sizes = classes.sizes(c.static, P)
        self.free_total = sizes.free_total.reshape(-1)                                               # (PG,)
        self.level_of = xp.where(sizes.level_size > 0, sizes.level_size, xp.inf)[flat_level]
        self.same_level = np.kron(np.eye(P), np.ones((G, G))) * (flat_level[:, None] == flat_level[None, :])
        self.safe_one = xp.tile(xp.where(sizes.size_one > 0, sizes.size_one, xp.inf), P)
        self.share_scale = xp.where(self.safe_one < xp.inf, sizes.free_one.reshape(-1) / self.safe_one, 0.0)
        parent = np.array([k * G + classes.parent[g] if classes.parent[g] >= 0 else -1
                           for k in range(P) for g in range(G)])
        self.has_parent = parent >= 0
        self.parent_index = np.where(self.has_parent, parent, 0)
        self.by_level = (np.arange(P * L)[None, :] == (flat_platform * L + flat_level)[:, None]).astype(float)

        # Named accounts open on each day: per class (all its cohorts) and per single cohort, (days, PG), the
        # same for every member.
        D = c.days
        self.pinned_total, self.pinned_one = np.zeros((D, P * G)), np.zeros((D, P * G))
        for day, k, g, count, cohorts in classes.pinned():
            self.pinned_total[max(day, 0):, k * G + g] += count * cohorts
            self.pinned_one[max(day, 0):, k * G + g] += count
        self.pinned_level = self.pinned_total @ self.same_level.T
        self._weighted_first()

    def _weighted_first(self) -> None:
        """Reorder the classes so that those needing the quadrature come first: the two kinds are then two slices
        of one array, not a gather (which the compiled loop pays for at every step)."""
        perm = np.concatenate([np.flatnonzero(self.weighted), np.flatnonzero(~self.weighted)])
        inverse = np.argsort(perm)
        self.weighted_count = int(self.weighted.sum())
        for name in ("flat_level", "flat_platform", "launch", "free_total", "level_of", "safe_one", "share_scale",
                     "has_parent", "by_level"):
            setattr(self, name, getattr(self, name)[perm])
        self.parent_index = inverse[self.parent_index[perm]]
        self.same_level = self.same_level[perm][:, perm]
        for name in ("pinned_total", "pinned_one", "pinned_level"):
            setattr(self, name, getattr(self, name)[:, perm])
        self.weighted = self.weighted[perm]

    def phi(self, H):
        """Expected adopted fraction of a class's racing agencies, E[1 - exp(-W H)]: (PG,).  ``1 - exp`` rather than
        ``-expm1``: cheaper in the loop, and its relative error (1e-16 / W H) is below 1e-7 from the first
        expected adopter on."""
        xp, w = self.context.xp, self.weighted_count
        weighted = sum(p * (1.0 - xp.exp(-self.W[:, j] * H[:w])) for j, p in enumerate(self.prob.tolist()))
        return xp.concatenate([weighted, 1.0 - xp.exp(-H[w:])])

    def coefficients_on(self, d) -> Coefficients:
        """The coefficients in force on day ``d`` (traced), per class, zero before the platform's launch."""
        xp, view = self.context.xp, self.context.on(d)
        table = xp.stack([xp.stack([xp.asarray(coefficients(view, p, level), dtype=float) for level in self.levels])
                          for p in self.platforms])                                    # (P, L, 5)
        per_class = xp.where((d >= self.launch)[:, None], table[self.flat_platform, self.flat_level], 0.0)
        return Coefficients(*per_class.T)

    def start(self):
        # One array (fewer loop-carried buffers, fewer copies per step): K, X, the fraction adopted at the start of
        # the day, and the level and cohort shares of the day before and of the day before that.
        return self.context.xp.zeros((7, self.P * self.G))

    def step(self, d, state, today):
        xp = self.context.xp
        K, X, fraction = state[0], state[1], state[2]
        now = ((self.free_total * fraction) @ self.same_level.T, self.share_scale * fraction)
        level_adopted, cohort_share = ((23 * a - 16 * b + 5 * c) / 12
                                       for a, b, c in zip(now, (state[3], state[4]), (state[5], state[6])))
        cohort_share = cohort_share + xp.asarray(self.pinned_one)[d] / self.safe_one
        parent_share = xp.where(self.has_parent, cohort_share[self.parent_index], 0.0)
        coefficient = self.coefficients_on(d)
        rate = (level_network_rate(coefficient, (level_adopted + xp.asarray(self.pinned_level)[d]) / self.level_of)
                + cohort_network_rate(coefficient, cohort_share, parent_share))
        audience = today["registered"] / self.context.static.population.total
        K, X = K + rate, X + exogenous_rate(coefficient, audience[self.flat_platform])
        fraction = self.phi(X + K)  # at the end of the day (time d + 1)
        by_level = (self.free_total * fraction + xp.asarray(self.pinned_total)[d]) @ self.by_level     # (PL,)
        state = xp.stack([K, X, fraction, now[0], now[1], state[3], state[4]])
        return state, {"gov_accounts_by_level": by_level.reshape(self.P, self.L)}

    def solve(self) -> dict[str, object]:
        by_level = self.context.shared["gov_accounts_by_level"]                              # (D, P, L)
        metrics = {}
        for k, name in enumerate(self.platforms):
            metrics[f"gov_accounts.{name}"] = by_level[:, k].sum(axis=1)
            for li, level in enumerate(self.levels):
                metrics[f"gov_accounts.{name}.{level}"] = by_level[:, k, li]
        return metrics
