"""The pieces of the posterior stage: the likelihood, the priors, the posterior files.

The likelihood (sim/calibration/problem/likelihood.py) is checked against its definitions: a soft box integrates to
its width in log space, a one-sided figure is a normal CDF, the deviance is zero at the best value and the
targets' `sd` adds to their noise.  Priors (sim/calibration/problem/parameters.py) are checked by sampling: draws
through the prior transform follow the declared distribution (Kolmogorov-Smirnov, 0.1% level), and the
log density on the unit cube integrates to one.  The posterior files round-trip and refuse tampering.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from scipy import integrate, stats

from sim import Scenario
from sim.calibration import load_problem
from sim.calibration.problem.likelihood import Z90, Figures
from sim.calibration.bayes.stage import systematic_resample, weighted_quantiles
from sim.calibration.report.posterior_file import write_posterior
from sim.posterior import assign, load_posterior
from sim.cli import main as cli
from sim.errors import InputError
from sim.targets import Target


def target(**fields) -> Target:
    return Target(metric="gov_accounts.sina", date="2010-06-30", **fields)


def test_interval_is_a_soft_box_of_its_width():
    figures = Figures.of([target(kind="interval", value=19500, low=18000, high=20000)], precision=0.01)
    x = np.linspace(math.log(12000), math.log(30000), 40001)
    sigma = np.full((len(x), 1), 0.04)
    density = np.exp(figures.log_terms(np.exp(x)[:, None], sigma)[:, 0])
    assert np.trapezoid(density, x) == pytest.approx(math.log(20000 / 18000), rel=1e-4)
    middle = figures.log_terms(np.array([[math.sqrt(18000 * 20000)]]), np.array([[0.04]]))[0, 0]
    assert middle == pytest.approx(figures.best_log_terms(np.array([0.04]))[0])


def test_one_sided_figures_are_normal_cdfs_in_log_space():
    figures = Figures.of([target(kind="at_least", value=1000), target(kind="at_most", value=1000)], precision=0.01)
    sigma = np.array([0.1, 0.1])
    for value in (800.0, 1000.0, 1300.0):
        terms = figures.log_terms(np.array([value, value]), sigma)
        u = math.log(value / 1000) / 0.1
        assert terms == pytest.approx([stats.norm.logcdf(u), stats.norm.logcdf(-u)])


def test_deviance_residuals_vanish_at_the_best_value_and_grow_away_from_it():
    figures = Figures.of([target(value=5000, tolerance=0.1), target(kind="at_least", value=1)], precision=0.01)
    sigma = figures.sigma(np.array([5000.0, 100.0]))
    assert figures.deviance_residuals(np.array([5000.0, 1e6]), sigma) == pytest.approx([0.0, 0.0], abs=1e-9)
    far = figures.deviance_residuals(np.array([6000.0, 0.2]), sigma)
    assert far[0] == pytest.approx(math.log(6000 / 5000) / figures.sigma(np.array([6000.0, 0.2]))[0], rel=0.05)
    assert far[1] < -1


def test_a_stated_sd_adds_to_the_tolerance():
    plain = Figures.of([target(value=5000, tolerance=0.1)], precision=0.01).own_sd[0]
    with_sd = Figures.of([target(value=5000, tolerance=0.1, sd=250)], precision=0.01).own_sd[0]
    assert plain == pytest.approx(math.log(1.1) / Z90)
    assert with_sd == pytest.approx(math.hypot(plain, 250 / 5000))


def spec_with(tmp_path, tiny_path, parameter: dict) -> object:
    spec = {"base": str(tiny_path), "replications": 2, "budget": {"evaluations": 2},
            "extra_targets": {"t": {"metric": "gov_accounts.sina", "date": "2011-01-01", "value": 50}},
            "parameters": {"x": parameter}}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.mark.parametrize("parameter, distribution", [
    ({"path": "population.internet.growth_rate", "range": [0.2, 2.0], "spacing": "log"},
     stats.loguniform(0.2, 2.0)),
    ({"path": "population.internet.growth_rate", "range": [0.2, 2.0], "spacing": "log",
      "prior": {"distribution": "normal", "mean": 0.6, "sd": 0.3, "source": "test"}},
     stats.truncnorm((0.2 - 0.6) / 0.3, (2.0 - 0.6) / 0.3, loc=0.6, scale=0.3)),
    ({"path": "population.internet.growth_rate", "range": [0.1, 3.0],
      "prior": {"distribution": "lognormal", "median": 0.5, "sigma": 0.5, "source": "test"}}, None),
    ({"path": "population.internet.growth_rate", "range": [0.2, 2.0],
      "prior": {"distribution": "beta", "a": 2, "b": 5, "source": "test"}}, stats.beta(2, 5, loc=0.2, scale=1.8)),
])
def test_priors_sample_what_they_declare_and_their_density_integrates_to_one(tmp_path, tiny_path, parameter,
                                                                              distribution):
    space = load_problem(spec_with(tmp_path, tiny_path, parameter)).space
    if distribution is None:  # lognormal truncated to the range
        base = stats.lognorm(0.5, scale=0.5)
        low, high = base.cdf(0.1), base.cdf(3.0)
        cdf = lambda v: (base.cdf(v) - low) / (high - low)  # noqa: E731
    else:
        cdf = distribution.cdf
    z = space.from_cube(np.random.default_rng(1).random((4000, 1)))
    values = space.values_of(z)[:, 0]
    assert stats.kstest(values, cdf).pvalue > 0.001
    total, _ = integrate.quad(lambda u: math.exp(space.log_prior(np.array([u]))), 0, 1, limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("prior, expected", [
    ({"distribution": "normal", "mean": 5.0, "sd": 0.3, "source": "x"}, "mean within the range"),
    ({"distribution": "normal", "mean": 0.25, "sd": 5.0, "source": "x"}, "at least 50% of its mass"),
    ({"distribution": "lognormal", "median": 0.5, "sigma": 0.5}, "source"),
    ({"distribution": "gamma", "a": 1, "source": "x"}, "distribution"),
])
def test_a_prior_that_does_not_fit_its_range_is_one_line_exit_2(tmp_path, tiny_path, capsys, prior, expected):
    path = spec_with(tmp_path, tiny_path, {"path": "population.internet.growth_rate", "range": [0.2, 2.0],
                                           "prior": prior})
    out = tmp_path / "out"
    assert cli(["calibrate", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "spec.yaml" in err and "parameters.x" in err and expected in err, err
    assert not out.exists()


def test_a_date_parameter_moves_in_whole_days(tmp_path, tiny_path):
    space = load_problem(spec_with(tmp_path, tiny_path, {"path": "events.policy_push.date",
                                                         "range": ["2011-10-15", "2011-10-24"]})).space
    p = space.parameters[0]
    assert p.dated and p.days == 10
    days = [p.show(v) for v in p.values(np.linspace(0, 1, 1001))]
    assert days[0] == "2011-10-15" and days[-1] == "2011-10-24"
    counts = np.unique(days, return_counts=True)[1]
    assert len(counts) == 10 and counts.max() - counts.min() <= 2  # each day an equal share of the cube
    scenario = Scenario.from_yaml(tiny_path).with_overrides(p.overrides(p.value(0.55)))
    assert str(scenario.events["policy_push"].date) == "2011-10-20"


def test_posterior_files_round_trip_and_refuse_tampering(tmp_path, tiny_path):
    problem = load_problem(spec_with(tmp_path, tiny_path, {"path": "agencies.levels.*.hazard.imitation",
                                                           "apply": "multiply", "range": [0.5, 2.0]}))
    values, weights = np.array([[0.75], [1.5]]), np.array([1.0, 3.0])
    directory = tmp_path / "posterior"
    directory.mkdir()
    write_posterior(directory, space=problem.space, values=values, weights=weights, calibration="c", spec="s.yaml",
                    base=tiny_path, final_dir=directory, effective_draws=1.6, sampler="test", targets_used=["t"])
    posterior = load_posterior(directory)  # the consumers' reader reads what the calibration writes
    assert posterior.names == ["x"] and [list(v) for v in posterior.values] == [[0.75], [1.5]]
    np.testing.assert_array_equal(posterior.weights, weights)
    assert posterior.effective_draws == pytest.approx(1.6)
    assert (directory / posterior.base).resolve() == tiny_path.resolve()
    base = Scenario.from_yaml(tiny_path)
    drawn = assign(posterior, base, 40)
    r = drawn.draws.index(1)
    assert drawn.overrides[r]["agencies.levels.county.hazard.imitation"] == pytest.approx(
        1.5 * base.agencies.levels["county"].hazard.imitation)

    text = (directory / "posterior.csv").read_text()
    (directory / "posterior.csv").write_text(text.replace("\n0,1.0,", "\n0,-1.0,"))
    with pytest.raises(InputError, match="SHA-256|sha256"):
        load_posterior(directory)
    document = json.loads((directory / "posterior.json").read_text())
    (directory / "posterior.json").write_text(json.dumps(document | {"csv_sha256": __import__("hashlib").sha256(
        (directory / "posterior.csv").read_bytes()).hexdigest()}))
    with pytest.raises(InputError, match="weight"):
        load_posterior(directory)
    (directory / "posterior.csv").unlink()
    with pytest.raises(InputError, match="posterior.csv"):
        load_posterior(directory)


def test_weighted_quantiles_and_systematic_resampling():
    rng = np.random.default_rng(0)
    values = rng.normal(size=20000)
    weights = np.exp(0.5 * values)  # tilts N(0, 1) to N(0.5, 1); standard errors about 0.02 at the 5% and 95% points
    assert weighted_quantiles(values, weights, [0.05, 0.5, 0.95]) == pytest.approx([0.5 - 1.645, 0.5, 0.5 + 1.645],
                                                                                   abs=0.08)
    picks = systematic_resample(np.array([0.1, 0.0, 0.6, 0.3]), 10, rng)
    assert np.bincount(picks, minlength=4).tolist() == [1, 0, 6, 3]


def test_the_corner_plot_of_many_parameters_shows_the_ones_the_figures_narrow():
    """Above ten parameters the corner plot keeps the ten whose posterior is narrowest against the prior."""
    from sim.calibration.report.figures import CORNER_MOST, _narrowed

    rng = np.random.default_rng(3)
    n, draws = CORNER_MOST + 4, 4000
    prior = rng.random((20000, n))
    z = rng.random((draws, n))
    narrowed = [1, 4, 12]
    z[:, narrowed] = 0.5 + 0.02 * rng.standard_normal((draws, len(narrowed)))
    w = np.full(draws, 1.0 / draws)
    shown = _narrowed(z, w, prior)
    assert len(shown) == CORNER_MOST and shown == sorted(shown)
    assert set(narrowed) <= set(shown)
    assert _narrowed(z[:, :CORNER_MOST], w, prior[:, :CORNER_MOST]) == list(range(CORNER_MOST))


def test_the_corrections_error_keeps_the_monte_carlo_error_that_common_random_numbers_share():
    """Draws run with the same replications (common random numbers) depart from the twin by the same Monte
    Carlo error: their departures agree, yet the stochastic means are uncertain by their standard error.
    The correction's surrogate error must keep it (it is the spread across draws plus the mean squared
    standard error), not report the correction as exact."""
    from sim.calibration.problem.objective import Point
    from sim.calibration.bayes.stage import Check, correction_from

    rng = np.random.default_rng(5)
    shared = rng.normal(0.0, 0.1, size=(4, 2))            # one set of replication errors, used by every draw
    checks = []
    for k in range(3):
        twin = np.array([100.0 * (k + 1), 50.0])
        replicates = twin * 1.08 * np.exp(shared)          # the same departure (8%) and the same runs' noise
        values = replicates.mean(axis=0)
        se = replicates.std(axis=0, ddof=1) / 2.0
        p = Point(z=np.zeros(1), values=values, se=se, errors=np.zeros(2), residuals=np.zeros(2), objective=0.0,
                  replicates=replicates)
        checks.append(Check(z=np.zeros(1), twin=twin, stochastic=p, departure=np.log(values / twin),
                            log_likelihood_twin=math.nan, log_likelihood_stochastic=math.nan))
    correction = correction_from(checks)
    log_se = np.array([c.stochastic.log_se for c in checks])
    np.testing.assert_allclose(correction.shift, checks[0].departure)  # the departures agree exactly
    np.testing.assert_allclose(correction.surrogate, np.sqrt(np.mean(log_se ** 2, axis=0)), rtol=1e-9)
    assert np.all(correction.surrogate > 0.02)
    np.testing.assert_allclose(correction.intrinsic, np.sqrt(np.mean([c.stochastic.log_spread ** 2
                                                                      for c in checks], axis=0)))
