"""Simulation-based calibration of the real posterior stage (sim/calibration/bayes/sbc.py), small enough for CI.

The same pipeline as benchmarks/sbc.py (truths from the calibration's prior, figures generated from the compiled
twin with the likelihood's noise and reported by kind, `sample_posterior` twin-only with its split, chains and
importance weights, ranks among draws resampled by weight), on a smaller problem: five of the calibration's free parameters (four that
the equal figures on internet and Sina users inform, one that no figure reaches: drawn from their prior with
importance weights), the others at the baseline's values.

The checks (:func:`calibrated`), each at about 3 standard errors: the 50% central-interval coverage (from each
quantity's rank among 99 draws: exactly 0.5 if the ranks are uniform) pooled over the quantities of every
replicate, against its binomial standard error ``sqrt(0.25 / R)`` over the ``R`` independent replicates (the
bound that holds however the quantities of one replicate depend on each other); the mean rank of the
log-likelihood of the simulated figures (Modrák et al. 2023: the test quantity most sensitive to a likelihood
too wide or too narrow), against the discrete uniform's standard error; and each quantity's ranks by a
chi-square test at a family-wise level of 0.1% (Bonferroni).  With the generator's noise halved (figures more
precise than the likelihood says) the truths' log-likelihood beats the draws' and the second test asserts the
same checks reject; the first also ranks the same posteriors against the wrong parameter's truth (a
bookkeeping mistake) and asserts they reject that.  Measured at commit 1ae1683 (seed 31, 20 replicates): pooled 50% coverage
0.507, log-likelihood mean rank 0.527 (se 0.065), smallest chi-square p 0.64; the wrong truth: p = 3e-8 for
Sina's p.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.calibration.bayes import sbc
from sim.targets import Target

PARAMETERS = ["internet_capacity", "internet_growth", "sina_innovation", "sina_imitation", "patience"]
POSTERIOR = {"groups": 4, "chains_per_group": 1, "explorers_per_group": 4, "warmup": 150, "tries": 2, "thin": 1,
             "iterations": 200}
REPLICATES = 20
SEED = 31
TOLERANCE = 3.0


@pytest.fixture(scope="module")
def small():
    return sbc.setup(posterior=POSTERIOR, parameters=PARAMETERS)


def simulations(setup, noise: float) -> list[sbc.Simulation]:
    return [sbc.simulate(setup, i, SEED, noise=noise) for i in range(REPLICATES)]


def ranked(setup, sims, **mistake) -> sbc.SBC:
    return sbc.SBC.of(setup.quantities, [sbc.rank(setup, s, **mistake) for s in sims])


def calibrated(result: sbc.SBC) -> list[str]:
    """What the checks find wrong with ``result`` (nothing, if the ranks look uniform): the pooled 50% coverage
    and the log-likelihood's mean rank within 3 standard errors, and each quantity's ranks uniform by a
    chi-square test at a family-wise level of 0.1% (Bonferroni over the quantities)."""
    found = []
    coverage, se = pooled_coverage(result)
    if abs(coverage - 0.5) > TOLERANCE * se:
        found.append(f"pooled 50% coverage {coverage:.3f} (se {se:.3f})")
    mean, se = log_likelihood_rank(result)
    if abs(mean - 0.5) > TOLERANCE * se:
        found.append(f"log-likelihood mean rank {mean:.3f} (se {se:.3f})")
    _, p = result.uniformity(bins=5)
    level = 0.001 / len(result.names)
    found += [f"{name} ranks not uniform (p = {q:.2g})" for name, q in zip(result.names, p) if q < level]
    return found


def pooled_coverage(result: sbc.SBC, level: float = 0.5) -> tuple[float, float]:
    """The coverage pooled over quantities and replicates, and its standard error's bound under the null."""
    return float(result.covered(level).mean()), math.sqrt(0.25 / len(result))


def log_likelihood_rank(result: sbc.SBC) -> tuple[float, float]:
    mean, se = result.mean_rank()
    return float(mean[result.names.index(sbc.LOG_LIKELIHOOD)]), se


# --- the generator and the bookkeeping, exactly --------------------------------------------------
def test_reports_follow_the_latent_value():
    """A one-sided figure reports the side of its bound the latent value fell on; an interval, the part; a
    rounded "more than", the cell of its grid; an equal figure, the value."""
    common = dict(metric="gov_accounts.sina", date="2011-01-01")
    at_least = Target(kind="at_least", value=100.0, **common)
    assert sbc.reported(at_least, math.log(150.0)) is at_least
    flipped = sbc.reported(at_least, math.log(50.0))
    assert (flipped.kind, flipped.bounds) == ("at_most", (0.0, 100.0))
    box = Target(kind="interval", value=19500.0, low=18000.0, high=20000.0, **common)
    assert sbc.reported(box, math.log(19000.0)) is box
    assert sbc.reported(box, math.log(17000.0)).bounds == (0.0, 18000.0)
    assert sbc.reported(box, math.log(21000.0)).bounds == (20000.0, math.inf)
    assert sbc.reported(Target(value=5000.0, tolerance=0.1, **common), math.log(4321.0)).value == pytest.approx(4321.0)
    more = Target(kind="more_than", value=410000.0, reading="rounded down", **common)
    cell = sbc.reported(more, math.log(437000.0))
    assert cell.bounds == pytest.approx((430000.0, 440000.0))


def test_each_report_has_the_likelihood_the_stage_uses():
    """The generator's noise is the likelihood's: over many draws at model values on the figures' bounds, each
    report's frequency is what the likelihood's term gives it (within 4 binomial standard errors), and an equal
    figure's latent log value has the likelihood's sd."""
    problem = sbc.load_problem(sbc.SPEC)
    rng = np.random.default_rng(5)
    mean = np.array([t.value for t in problem.targets.targets])
    draws = 4000
    kinds = []
    latents = []
    for _ in range(draws):
        reported, latent = sbc.simulate_figures(problem, mean, rng)
        kinds.append([(t.kind, t.bounds) for t in reported.targets.targets])
        latents.append(latent)
    latents = np.array(latents)
    sigma = problem.targets.sigma(mean)
    for j, t in enumerate(problem.targets.targets):
        if t.kind == "equal":
            sd = latents[:, j].std(ddof=1)
            assert abs(sd / sigma[j] - 1) < 4 / math.sqrt(2 * draws), (t, sd, sigma[j])
            continue
        outcomes = {}
        for row in kinds:
            outcomes[row[j]] = outcomes.get(row[j], 0) + 1
        for (kind, bounds), count in outcomes.items():
            report = t.model_copy(update={"kind": kind, "value": bounds[0] if kind == "at_least" else bounds[1],
                                          "low": bounds[0] if kind == "interval" else None,
                                          "high": bounds[1] if kind == "interval" else None})
            probe = problem.targets.targets[:j] + (report,) + problem.targets.targets[j + 1:]
            from dataclasses import replace

            figures = replace(problem.targets, targets=probe).figures
            p = float(np.exp(figures.log_terms(mean[None], sigma[None])[0, j]))
            se = math.sqrt(p * (1 - p) / draws)
            assert abs(count / draws - p) <= 4 * se + 1e-12, (t.kind, kind, count / draws, p)


def test_ranks_break_ties_at_random():
    rng = np.random.default_rng(0)
    draws = np.array([[1.0], [2.0], [2.0], [3.0]])
    seen = {int(sbc.ranks(draws, np.array([2.0]), rng)[0]) for _ in range(200)}
    assert seen == {1, 2, 3}


def test_coverage_from_ranks_is_exact_under_uniform_ranks():
    result = sbc.SBC(names=["x"], ranks=np.arange(100)[:, None], draws=99)
    assert result.expected(0.5) == 0.5 and result.expected(0.9) == pytest.approx(0.9)
    assert result.coverage(0.5)[0] == 0.5 and result.coverage(0.9)[0] == pytest.approx(0.9)
    _, p = result.uniformity(10)
    assert p[0] == pytest.approx(1.0)


def test_simultaneous_band_holds_uniform_ecdfs_at_its_level():
    """95% of fresh uniform rank sets stay inside the band at every point (within 4 binomial se)."""
    R, points = 50, 20
    x, low, high = sbc.simultaneous_band(R, points=points, simulations=3000, seed=1)
    rng = np.random.default_rng(2)
    trials = 2000
    u = rng.random((trials, R))
    ecdf = np.stack([(u < xi).mean(axis=1) for xi in x], axis=1) - x
    inside = np.all((ecdf >= low - 1e-12) & (ecdf <= high + 1e-12), axis=1).mean()
    assert abs(inside - 0.95) < 4 * math.sqrt(0.95 * 0.05 / trials), inside


# --- the SBC ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_simulation_based_calibration_of_the_posterior_stage(small):
    """Uniform ranks by every check; and the same checks catch a bookkeeping mistake made on the same
    posteriors: each parameter ranked against the next parameter's truth."""
    sims = simulations(small, noise=1.0)
    assert calibrated(ranked(small, sims)) == []
    wrong = sbc.SBC.of(small.quantities, [sbc.rank(small, s, truth=np.roll(s.truth, 1)) for s in sims])
    assert calibrated(wrong) != []


@pytest.mark.slow
def test_the_same_check_rejects_figures_more_precise_than_the_likelihood_says(small):
    """The generator's noise halved: the same checks, the same tolerances, reject."""
    assert calibrated(ranked(small, simulations(small, noise=0.5))) != []
