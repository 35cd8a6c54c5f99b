"""The sensitivity analysis (issue 18, part 5): importance reweighting to another likelihood, checked on a Gaussian
toy whose reweighted posterior is known in closed form, and the k-hat gate that keeps unreliable numbers out."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from sim.calibration.problem.density import Correction
from sim.calibration.bayes.diagnostics import KHAT
from sim.calibration.problem.objective import TargetSet
from sim.calibration.report.posterior_report import sensitivity_sections
from sim.report.markdown import section_md
from sim.calibration.bayes.sensitivity import alternatives, reweight, sensitivity
from sim.targets import Target

PRIOR_SD = 0.2
"""The toy's prior on x = log m: N(0, 0.2^2)."""
FIGURE = 0.1
"""The toy's one figure, log y."""
N = 20000


@dataclass(frozen=True)
class Parameter:
    name: str = "x"
    label: str = "x"
    dated: bool = False


@dataclass(frozen=True)
class Space:
    parameters: tuple = (Parameter(),)

    def __len__(self):
        return len(self.parameters)

    def __iter__(self):
        return iter(self.parameters)

    @property
    def names(self):
        return [p.name for p in self.parameters]


@dataclass(frozen=True)
class Spec:
    seed: int = 7


@dataclass(frozen=True)
class Problem:
    targets: TargetSet
    space: Space = field(default_factory=Space)
    spec: Spec = field(default_factory=Spec)


@dataclass
class Convergence:
    khat: float = -math.inf
    kish: float = 1.0
    converged: bool = True

    @property
    def weights_trusted(self):
        return self.khat < KHAT

    def verdict(self):
        return "converged (a toy)"

    @property
    def worst(self):
        return {"rhat": 1.0, "ess_bulk": 1000.0, "ess_tail": 1000.0}


@dataclass
class Chains:
    log_lik: np.ndarray
    log_weight: np.ndarray


@dataclass
class Toy:
    """What :mod:`sim.calibration.bayes.sensitivity` reads of a :class:`~sim.calibration.bayes.stage.Posterior`."""

    problem: Problem
    x: np.ndarray
    convergence: Convergence = field(default_factory=Convergence)
    log_lik: np.ndarray | None = None
    """The log-likelihood sampled (default: the Gaussian toy's, written out by hand)."""

    def __post_init__(self):
        self.twin = np.exp(self.x)[:, None]
        self.used = np.ones(1, bool)
        self.correction = Correction.none(1)
        self.weights = np.full(len(self.x), 1 / len(self.x))
        log_lik = log_likelihood(self.problem, self.x) if self.log_lik is None else self.log_lik
        self.chains = Chains(log_lik=log_lik.reshape(4, -1), log_weight=np.zeros((4, len(self.x) // 4)))

    @property
    def values(self):
        return self.x[:, None]

    @property
    def mean_values(self):
        return self.twin

    @property
    def converged(self):
        return self.convergence.converged


def targets(sd: float, kind: str = "equal", value: float = math.exp(FIGURE)) -> TargetSet:
    """One figure whose likelihood is ``N(log y; x, sd^2)``: no tolerance, a negligible precision floor, no
    intrinsic noise; the structural discrepancy is the whole sd."""
    extra = {"reading": "rounded"} if kind == "more_than" else {}
    t = Target(metric="m", date="2010-01-01", kind=kind, value=value, **extra)
    return TargetSet(names=("figure",), targets=(t,), start=dt.date(2009, 1, 1), precision=1e-12,
                     discrepancy=sd, one_history=False)


def log_likelihood(problem: Problem, x: np.ndarray) -> np.ndarray:
    sd = problem.targets.discrepancy
    return -0.5 * ((x - FIGURE) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)


def exact(sd: float) -> tuple[float, float]:
    """Mean and variance of the toy's posterior (conjugate normal)."""
    precision = 1 / PRIOR_SD ** 2 + 1 / sd ** 2
    return FIGURE / sd ** 2 / precision, 1 / precision


def sampled(sd: float, seed: int = 1) -> Toy:
    mean, var = exact(sd)
    x = np.random.default_rng(seed).normal(mean, math.sqrt(var), N)
    return Toy(Problem(targets(sd)), x)


def test_the_toy_s_log_likelihood_is_the_calibration_s():
    """The toy stands for the real thing only if the likelihood the module recomputes is the one sampled."""
    from sim.calibration.bayes.sensitivity import log_likelihood as recomputed

    toy = sampled(0.1)
    assert np.allclose(recomputed(toy.problem, toy), toy.chains.log_lik.reshape(-1), atol=1e-9)


@pytest.mark.parametrize("sd, other", [(0.1, 0.15), (0.1, 0.07)])
def test_reweighting_a_gaussian_gives_the_known_posterior(sd, other):
    toy = sampled(sd)
    smoothed, khat, kish = reweight(toy, Problem(targets(other)))
    assert khat < KHAT
    w = np.exp(smoothed - smoothed.max())
    w /= w.sum()
    mean, var = exact(other)
    effective = kish * N
    got_mean = float(np.sum(w * toy.x))
    got_var = float(np.sum(w * (toy.x - got_mean) ** 2))
    # four standard errors of a weighted mean and variance worth `effective` independent draws
    assert abs(got_mean - mean) < 4 * math.sqrt(var / effective), (got_mean, mean)
    assert abs(got_var - var) < 4 * var * math.sqrt(2 / effective), (got_var, var)
    # and the move is real: the sampled posterior's mean is many standard errors from the alternative's
    assert abs(exact(sd)[0] - mean) > 8 * math.sqrt(var / effective)


def test_reweighting_to_the_same_likelihood_changes_nothing():
    toy = sampled(0.1)
    smoothed, khat, kish = reweight(toy, toy.problem)
    assert khat == -math.inf and kish == pytest.approx(1.0)
    assert np.allclose(np.exp(smoothed), 1 / N)


def test_an_unreliable_reweighting_is_not_reported_as_numbers():
    """From a narrow posterior (sd 0.03) to a far wider one (sd 0.3): the draws cannot cover it."""
    toy = sampled(0.03)
    result = sensitivity(toy, discrepancy=0.3)
    assert [o.name for o in result.outcomes] == ["as sampled", "discrepancy_0.3"]
    other = result.outcomes[1]
    assert other.khat >= KHAT and not other.reliable
    assert other.parameters is None and other.figures is None
    recorded = json.loads(json.dumps(result.as_dict()))
    assert recorded["readings"]["discrepancy_0.3"]["parameters"] is None

    class Result:
        problem = toy.problem
    Result.sensitivity = result
    lines = "\n\n".join(section_md(s) for s in sensitivity_sections(Result, "spec.yaml")).splitlines()
    assert "bandwagon calibrate spec.yaml --sensitivity rerun" in "\n".join(lines)
    rows = [line for line in lines if line.startswith(("| x |", "| Figure (2010-01-01) |"))]
    assert len(rows) == 2 and all(row.endswith("| unreliable |") for row in rows), rows  # no number shown


def test_an_unreliable_reweighting_is_sampled_again_when_asked():
    toy = sampled(0.03)
    asked = []

    def rerun(problem):
        asked.append(problem.targets.discrepancy)
        return Toy(problem, np.random.default_rng(3).normal(*[exact(0.3)[0], math.sqrt(exact(0.3)[1])], N))

    result = sensitivity(toy, discrepancy=0.3, rerun=rerun)
    assert asked == [0.3]
    again = result.outcomes[1]
    assert again.method == "rerun" and again.reliable and again.reweighted_khat >= KHAT
    assert again.note.startswith("sampled again, converged")
    mean, var = exact(0.3)
    assert abs(again.parameters[1, 0] - mean) < 4 * 1.25 * math.sqrt(var / N)  # a median's se: 1.25 sd / sqrt(N)


def test_a_reliable_reweighting_is_reported_and_not_rerun():
    toy = sampled(0.1)

    def rerun(problem):
        raise AssertionError("no rerun where the reweighting is reliable")

    result = sensitivity(toy, discrepancy=0.12, rerun=rerun)
    other = result.outcomes[1]
    assert other.method == "reweighted" and other.reliable
    mean, var = exact(0.12)
    assert abs(other.parameters[1, 0] - mean) < 4 * 1.25 * math.sqrt(var / (other.kish * N))


def test_the_alternatives_are_the_other_reading_and_the_larger_discrepancy():
    problem = Problem(targets(0.03, kind="more_than", value=300e6))
    found = {a.name: a for a in alternatives(problem)}
    assert set(found) == {"other_reading", "discrepancy_0.1"}
    assert found["other_reading"].problem.targets.targets[0].kind == "at_least"
    assert found["other_reading"].problem.targets.discrepancy == 0.03
    assert found["discrepancy_0.1"].problem.targets.discrepancy == 0.1
    assert found["discrepancy_0.1"].problem.targets.targets[0].kind == "more_than"
    assert alternatives(Problem(targets(0.1))) == []  # nothing to read otherwise, and the discrepancy is 0.1


def test_the_other_reading_frees_the_upper_end():
    """Draws above a "more than" figure's upper end gain weight when it is read as unbounded."""
    from sim.calibration.bayes.sensitivity import log_likelihood as recomputed

    t = targets(0.03, kind="more_than", value=1e6)
    x = np.random.default_rng(5).uniform(math.log(1e6), math.log(2e6), N)
    rounding = Toy(Problem(t), x, log_lik=np.zeros(N))
    rounding = Toy(Problem(t), x, log_lik=recomputed(rounding.problem, rounding))
    rounding.chains.log_weight = rounding.chains.log_lik.copy()  # uniform draws, weighted to the rounding reading
    other = alternatives(rounding.problem)[0]
    smoothed, _, _ = reweight(rounding, other.problem)
    above = x > math.log(1.5e6) + 0.1  # more than three sds past the upper edge at 1.5 million
    # the rounding reading all but excludes them; read as unbounded, they are as likely as any (a uniform draw)
    before = np.exp(rounding.chains.log_lik.reshape(-1) - rounding.chains.log_lik.max())
    assert before[above].sum() / before.sum() < 1e-3
    assert np.exp(smoothed)[above].sum() == pytest.approx(above.mean(), abs=0.02)


def test_a_density_sent_to_a_worker_keeps_its_own_reading():
    """Workers hold the calibration's problem; a rerun under another reading or discrepancy sends its targets along
    (otherwise the workers would sample the spec's likelihood and call it the alternative's)."""
    import pickle

    from sim.calibration.problem.density import TwinDensity
    from sim.calibration.problem.models import WorkerContext
    from sim.execution import context

    spec_problem = Problem(targets(0.03))
    other = Problem(targets(0.1))
    held = WorkerContext(spec_problem)

    def in_worker(density):  # unpickled as a worker of the spec's calibration does
        return context.call("worker", held, pickle.loads, pickle.dumps(density))

    density = TwinDensity(other, Correction.none(1), np.arange(1), np.zeros(1), np.ones(1, bool))
    received = in_worker(density)
    assert received.problem.targets.discrepancy == 0.1
    x = np.array([[math.exp(0.3)]])
    assert received.log_likelihood(x) == pytest.approx(density.log_likelihood(x))
    same = in_worker(TwinDensity(spec_problem, Correction.none(1), np.arange(1), np.zeros(1), np.ones(1, bool)))
    assert same.problem is spec_problem  # the workers' own problem when nothing differs
