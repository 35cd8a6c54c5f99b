"""How far the posterior rests on two choices: the reading of "more than N", and the structural discrepancy.

Two alternatives to the spec's likelihood (:mod:`..problem.likelihood`), each a whole
problem with other targets:

* **the other reading**: every ``more_than`` figure read as ``at_least``,
  unbounded above (:meth:`sim.targets.Target.other_reading`), as the targets
  file did before the rounding reading;
* **structural discrepancy 0.1** (log sd) instead of the spec's
  ``likelihood.discrepancy`` (0.03 for the baseline): the model claims ten
  per cent, not three, for any aggregate.

Each is first answered by **importance reweighting** of the posterior's own
draws: the recorded draws carry log weights ``log L - log L_ref`` (the
parameters drawn from their prior, :mod:`.posterior`), and under the
alternative's log-likelihood ``log L'`` (same twin values, same stochastic
correction, same figures used) they carry ``log L' - log L_ref``: the old log
weight plus ``log L' - log L``.  Pareto smoothing (Vehtari et al. 2024,
:func:`.diagnostics.smoothed_log_weights`) gives the reweighted posterior and
its k-hat; Kish's efficiency says how many draws it is worth.  When k-hat is
:data:`~.diagnostics.KHAT` or more the reweighted numbers are not trustworthy
(the alternative's posterior reaches where the draws are few, typically a
*wider* posterior from a narrower one), so they are not reported as numbers:
either the posterior stage is run again under the alternative (``rerun``:
:func:`.stage.sample_posterior` with the full posterior's stochastic
correction, as cross-validation does), or the report says that the
reweighting is unreliable and gives the command that reruns it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ..problem.density import TwinDensity
from ..problem.problem import Problem
from .diagnostics import KHAT, kish_efficiency, smoothed_log_weights
from .stage import Posterior, weighted_quantiles

DISCREPANCY = 0.1
"""The larger structural discrepancy of the second alternative (log sd; issue 18)."""
QUANTILES = (0.05, 0.5, 0.95)
SAMPLED = "as sampled"


@dataclass(frozen=True)
class Alternative:
    name: str
    """A short key (``other_reading``, ``discrepancy_0.1``)."""
    description: str
    problem: Problem


@dataclass(frozen=True)
class Outcome:
    """The posterior under one likelihood: the sampled one, or an alternative reweighted or sampled again."""

    name: str
    description: str
    method: str
    """``sampled`` (the posterior itself), ``reweighted`` (importance weights) or ``rerun`` (sampled again)."""
    khat: float
    """Pareto k-hat of the weights that give these numbers (``-inf``: bounded weights, no tail)."""
    kish: float
    reliable: bool
    """k-hat below :data:`KHAT` (and, for a rerun, its chains converged): the numbers may be read."""
    parameters: np.ndarray | None
    """``(3, n)`` 5%, 50%, 95% quantiles of every parameter (own units); None when not reliable."""
    figures: np.ndarray | None
    """``(3, T)`` the same of a new report of every figure (the posterior predictive); None when not reliable."""
    reweighted_khat: float | None = None
    """For a rerun: the k-hat of the reweighting that prompted it."""
    note: str = ""

    def as_dict(self, parameter_names, figure_names) -> dict:
        def table(q, names):
            return None if q is None else {name: [float(f"{v:.6g}") for v in q[:, j]] for j, name in enumerate(names)}
        return {"description": self.description, "method": self.method,
                "khat": None if not math.isfinite(self.khat) else round(self.khat, 3),
                "kish_efficiency": round(self.kish, 4), "reliable": self.reliable,
                "reweighted_khat": (None if self.reweighted_khat is None or not math.isfinite(self.reweighted_khat)
                                    else round(self.reweighted_khat, 3)),
                "parameters": table(self.parameters, parameter_names), "figures": table(self.figures, figure_names),
                "note": self.note}


@dataclass(frozen=True)
class Sensitivity:
    outcomes: tuple[Outcome, ...]
    """The sampled posterior first, then each alternative."""
    parameter_names: tuple[str, ...]
    figure_names: tuple[str, ...]
    note: str = ""

    def as_dict(self) -> dict:
        """What ``posterior.json`` records under ``sensitivity``."""
        return {"quantiles": list(QUANTILES), "khat_threshold": KHAT, "note": self.note,
                "readings": {o.name: o.as_dict(self.parameter_names, self.figure_names) for o in self.outcomes}}


def alternatives(problem: Problem, discrepancy: float = DISCREPANCY) -> list[Alternative]:
    """The alternatives that differ from ``problem``: the other reading (if any figure is ``more_than``), the
    larger discrepancy (if the spec's is another)."""
    targets = problem.targets
    out = []
    read = [name for name, t in zip(targets.names, targets.targets) if t.kind == "more_than"]
    if read:
        other = replace(targets, targets=tuple(t.other_reading() for t in targets.targets))
        out.append(Alternative("other_reading", f"\"more than\" unbounded above ({', '.join(read)} as at_least)",
                               replace(problem, targets=other)))
    if not math.isclose(targets.discrepancy, discrepancy):
        out.append(Alternative(f"discrepancy_{discrepancy:g}", f"structural discrepancy {discrepancy:g} (the spec's: "
                               f"{targets.discrepancy:g})",
                               replace(problem, targets=replace(targets, discrepancy=discrepancy))))
    return out


def log_likelihood(problem: Problem, posterior: Posterior) -> np.ndarray:
    """``(N,)`` ``problem``'s log-likelihood at the posterior's draws: its twin values with its correction and its
    figures used, as :meth:`..problem.density.TwinDensity.log_likelihood` forms it."""
    n = len(problem.space)
    density = TwinDensity(problem, posterior.correction, np.arange(n), np.zeros(n), posterior.used)
    return density.log_likelihood(posterior.twin)


def reweight(posterior: Posterior, problem: Problem) -> tuple[np.ndarray, float, float]:
    """Normalised smoothed log weights ``(N,)`` of the posterior's draws under ``problem``'s likelihood, the
    Pareto k-hat and Kish's efficiency (module docstring)."""
    sampled = posterior.chains.log_lik.reshape(-1)
    log_weight = posterior.chains.log_weight.reshape(-1) + (log_likelihood(problem, posterior) - sampled)
    log_weight = np.where(np.isfinite(log_weight), log_weight, -np.inf)
    smoothed, khat = smoothed_log_weights(log_weight)
    return smoothed, khat, kish_efficiency(smoothed)


def summarise(problem: Problem, values: np.ndarray, mean_values: np.ndarray, weights: np.ndarray, correction,
              seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of the parameters ``values`` ``(N, n)`` and of a new report of every figure (the model's mean
    ``(N, T)`` with ``problem``'s noise, one normal draw per draw and figure from ``seed``: the same draws for
    every reading, so that differences are the readings')."""
    sigma = problem.targets.sigma(mean_values, intrinsic=correction.intrinsic, surrogate=correction.surrogate)
    new = mean_values * np.exp(sigma * np.random.default_rng(seed).standard_normal(mean_values.shape))
    return weighted_quantiles(values, weights, QUANTILES), weighted_quantiles(new, weights, QUANTILES)


def sensitivity(posterior: Posterior, *, rerun: Callable[[Problem], Posterior] | None = None,
                discrepancy: float = DISCREPANCY) -> Sensitivity:
    """The posterior under its own likelihood and each alternative (module docstring).  ``rerun``: samples the
    posterior of another problem (the pipeline's :func:`.stage.sample_posterior` with the full posterior's
    correction), called for each alternative whose reweighting is not trustworthy; None: those are reported as
    unreliable."""
    problem = posterior.problem
    seed = problem.spec.seed
    c = posterior.convergence
    values = posterior.values
    p, f = summarise(problem, values, posterior.mean_values, posterior.weights, posterior.correction, seed)
    outcomes = [Outcome(SAMPLED, f"the spec's likelihood (discrepancy {problem.targets.discrepancy:g}, the targets "
                        "file's readings)", "sampled", c.khat, c.kish, posterior.converged and c.weights_trusted,
                        p, f, note="" if posterior.converged else "the chains did not converge")]
    for alt in alternatives(problem, discrepancy):
        smoothed, khat, kish = reweight(posterior, alt.problem)
        if khat < KHAT:
            weights = np.exp(smoothed - smoothed.max())
            p, f = summarise(alt.problem, values, posterior.mean_values, weights / weights.sum(),
                             posterior.correction, seed)
            outcomes.append(Outcome(alt.name, alt.description, "reweighted", khat, kish, True, p, f))
        elif rerun is not None:
            again = rerun(alt.problem)
            p, f = summarise(alt.problem, again.values, again.mean_values, again.weights, again.correction, seed)
            ok = again.converged and again.convergence.weights_trusted
            outcomes.append(Outcome(alt.name, alt.description, "rerun", again.convergence.khat, again.convergence.kish,
                                    ok, p, f, reweighted_khat=khat,
                                    note=_rerun_note(again)))
        else:
            outcomes.append(Outcome(alt.name, alt.description, "reweighted", khat, kish, False, None, None,
                                    note=f"k-hat {khat:.2f} >= {KHAT}: the reweighting is unreliable"))
    return Sensitivity(tuple(outcomes), tuple(problem.space.names), tuple(problem.targets.names))


def _rerun_note(again: Posterior) -> str:
    """A table cell's words for a posterior sampled again: converged or not, by its worst numbers (the full verdict,
    naming every failing parameter, is too long for a cell)."""
    w = again.convergence.worst
    state = "converged" if again.converged else "NOT CONVERGED"
    return (f"sampled again, {state} (rank R-hat up to {w['rhat']:.3f}, bulk ESS down to {w['ess_bulk']:.0f}, tail "
            f"ESS down to {w['ess_tail']:.0f})")
