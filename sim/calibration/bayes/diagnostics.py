"""Is the posterior converged, and can its importance weights be trusted?  ArviZ answers; nothing is re-derived here.

Convergence (Vehtari, Gelman, Simpson, Carpenter and Buerkner 2021,
"Rank-normalization, folding, and localization: an improved R-hat for
assessing convergence of MCMC", Bayesian Analysis 16(2)): for every sampled
parameter, the rank-normalised split-R-hat (``arviz.rhat``, which also folds
the draws to see a difference in spread) below :data:`RHAT`, and the bulk and
tail effective sample sizes (``arviz.ess``) at least :data:`ESS`, over at least
:data:`CHAINS` independent chains.  The Monte Carlo standard errors of the
reported quantiles are ``arviz.mcse``'s.

Importance weights (Vehtari, Simpson, Gelman, Yao and Gabry 2024, "Pareto
smoothed importance sampling", JMLR 25): the draws of the parameters taken
from their prior carry weights; ``arviz.psislw`` smooths their tail and gives
the Pareto ``k-hat``, below :data:`KHAT` for the weighted draws to be trusted,
and Kish's efficiency ``(sum w)^2 / (N sum w^2)`` says how many draws they are
worth.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

RHAT = 1.01
"""Largest rank-normalised R-hat of a converged parameter (Vehtari et al. 2021)."""
ESS = 400
"""Smallest bulk and tail effective sample size of a converged parameter (Vehtari et al. 2021)."""
CHAINS = 4
"""Fewest independent chains for R-hat to mean anything."""
KHAT = 0.7
"""Largest Pareto k-hat of trustworthy importance weights (Vehtari et al. 2024)."""
QUANTILES = (0.05, 0.5, 0.95)


def arviz():
    """ArviZ, imported quietly (it announces a coming refactor at import)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az
    return az


@dataclass(frozen=True)
class Convergence:
    """The diagnostics of one sample."""

    names: tuple[str, ...]
    """The sampled parameters, in the order of the arrays."""
    rhat: np.ndarray
    ess_bulk: np.ndarray
    ess_tail: np.ndarray
    mcse: np.ndarray
    """``(d, len(QUANTILES))`` Monte Carlo standard errors of the quantiles (unit coordinates)."""
    chains: int
    draws: int
    """Draws per chain."""
    khat: float
    """Pareto k-hat of the importance weights (``-inf`` when they are bounded: no tail, :func:`smoothed_log_weights`)."""
    kish: float
    """Kish's efficiency of the smoothed weights, in (0, 1]."""

    @property
    def converged(self) -> bool:
        return (self.chains >= CHAINS and len(self.names) > 0 and float(np.max(self.rhat)) < RHAT
                and float(np.min(self.ess_bulk)) >= ESS and float(np.min(self.ess_tail)) >= ESS)

    @property
    def weights_trusted(self) -> bool:
        return self.khat < KHAT

    @property
    def worst(self) -> dict[str, float]:
        return {"rhat": float(np.max(self.rhat)), "ess_bulk": float(np.min(self.ess_bulk)),
                "ess_tail": float(np.min(self.ess_tail))}

    def verdict(self) -> str:
        """One sentence: converged or not, by which numbers."""
        w = self.worst
        numbers = (f"rank R-hat at most {w['rhat']:.3f}, bulk ESS at least {w['ess_bulk']:.0f}, tail ESS at least "
                   f"{w['ess_tail']:.0f} over {self.chains} chains of {self.draws} draws")
        if self.converged:
            return f"converged ({numbers}; thresholds R-hat < {RHAT}, ESS >= {ESS})"
        failing = [name for name, r, b, t in zip(self.names, self.rhat, self.ess_bulk, self.ess_tail)
                   if r >= RHAT or b < ESS or t < ESS]
        return (f"NOT CONVERGED ({numbers}; thresholds R-hat < {RHAT}, ESS >= {ESS}; failing: "
                f"{', '.join(failing) or 'too few chains'})")

    def as_dict(self) -> dict:
        return {"converged": self.converged, "max_rhat": self.worst["rhat"], "min_ess_bulk": self.worst["ess_bulk"],
                "min_ess_tail": self.worst["ess_tail"], "chains": self.chains, "draws_per_chain": self.draws,
                "khat": None if not np.isfinite(self.khat) else float(self.khat), "kish_efficiency": self.kish,
                "weights_trusted": self.weights_trusted,
                "thresholds": {"rhat": RHAT, "ess": ESS, "chains": CHAINS, "khat": KHAT}}


def smoothed_log_weights(log_weight: np.ndarray) -> tuple[np.ndarray, float]:
    """PSIS-smoothed, normalised log weights (same shape) and the Pareto k-hat.

    When the largest weights are all equal (the tail PSIS would fit, ``min(S/5, 3 sqrt(S))`` of ``S`` draws), the
    weights are bounded, as they are when most draws' prior-drawn parameters do not move the likelihood at all:
    there is no tail to fit (ArviZ's fit then returns an infinite k-hat), the raw weights are exact and k-hat is
    reported as ``-inf``."""
    log_weight = np.asarray(log_weight, float)
    size = log_weight.size
    tail = int(np.ceil(min(0.2 * size, 3 * np.sqrt(size))))
    top = np.sort(log_weight.ravel())[-tail:]
    if np.all(np.isfinite(top)) and top[-1] - top[0] <= 1e-12 * max(1.0, abs(top[-1])):
        normalised = log_weight - (np.log(np.sum(np.exp(log_weight - top[-1]))) + top[-1])
        return normalised, -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ warns of a high k-hat, which the report states
        smoothed, khat = arviz().psislw(log_weight.ravel())
    return np.asarray(smoothed).reshape(log_weight.shape), float(khat)


def kish_efficiency(log_weight: np.ndarray) -> float:
    w = np.exp(np.asarray(log_weight, float) - np.max(log_weight))
    return float(np.sum(w) ** 2 / np.sum(w ** 2) / w.size)


def diagnose(x: np.ndarray, log_weight: np.ndarray, names) -> Convergence:
    """Diagnostics of chains ``x`` ``(chains, draws, d)`` of the sampled parameters (any monotone coordinates:
    the rank-based measures do not depend on them) and their draws' importance log weights ``(chains, draws)``."""
    az = arviz()
    x = np.asarray(x, float)
    d = x.shape[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rhat = np.array([float(az.rhat(x[..., i], method="rank")) for i in range(d)])
        bulk = np.array([float(az.ess(x[..., i], method="bulk")) for i in range(d)])
        tail = np.array([float(az.ess(x[..., i], method="tail")) for i in range(d)])
        mcse = np.array([[float(az.mcse(x[..., i], method="quantile", prob=q)) for q in QUANTILES]
                         for i in range(d)]).reshape(d, len(QUANTILES))
    smoothed, khat = smoothed_log_weights(log_weight)
    return Convergence(names=tuple(names), rhat=rhat, ess_bulk=bulk, ess_tail=tail, mcse=mcse, chains=x.shape[0],
                       draws=x.shape[1], khat=khat, kish=kish_efficiency(smoothed))
