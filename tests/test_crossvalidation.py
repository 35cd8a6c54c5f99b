"""Cross-validation's scoring (sim/calibration/bayes/crossvalidation.py) on predictive distributions known in
closed form, and its file."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from scipy.stats import norm

from sim.calibration.bayes import crossvalidation as cv
from sim.calibration.problem.objective import TargetSet
from sim.targets import Target

import datetime as dt


def targets(*items) -> TargetSet:
    return TargetSet(names=tuple(f"t{i}" for i in range(len(items))), targets=tuple(items),
                     start=dt.date(2009, 8, 14), precision=0.01)


COMMON = dict(metric="gov_accounts.sina", date="2011-01-01")


def test_an_equal_figure_is_scored_by_its_predictive_density_and_pit():
    """One draw: the predictive of log y is N(log m, sigma^2), so the PIT is Phi(z), the log score the normal
    log density of log y, and the 90% interval log m +- 1.645 sigma."""
    t = targets(Target(value=1200.0, tolerance=0.1, **COMMON))
    m, sigma = 1000.0, 0.2
    s = cv.score(t, 0, np.array([m]), np.array([sigma]), np.array([1.0]))
    z = math.log(1200 / 1000) / sigma
    assert s.pit == pytest.approx(norm.cdf(z), abs=1e-9)
    assert s.log_score == pytest.approx(norm.logpdf(z) - math.log(sigma), abs=1e-9)
    assert s.low == pytest.approx(m * math.exp(-1.6448536 * sigma), rel=1e-6)
    assert s.high == pytest.approx(m * math.exp(1.6448536 * sigma), rel=1e-6)
    assert s.median == pytest.approx(m, rel=1e-9) and s.covered is True
    assert s.log_error == pytest.approx(math.log(1000 / 1200))
    far = cv.score(targets(Target(value=3000.0, tolerance=0.1, **COMMON)), 0, np.array([m]), np.array([sigma]),
                   np.array([1.0]))
    assert far.covered is False and far.pit > 0.95


def test_a_one_sided_figure_is_scored_by_the_probability_of_the_reported_side():
    """"At least 410,000" against draws that mostly fall short: the score is the predictive probability of
    exceeding the bound (a mixture of two normals, weighted), not whether the band reaches it."""
    t = targets(Target(kind="at_least", value=410000.0, **COMMON))
    mean = np.array([300000.0, 500000.0])
    sigma = np.array([0.1, 0.1])
    weights = np.array([3.0, 1.0])
    s = cv.score(t, 0, mean, sigma, weights)
    expected = 0.75 * norm.cdf(math.log(300000 / 410000) / 0.1) + 0.25 * norm.cdf(math.log(500000 / 410000) / 0.1)
    assert s.probability == pytest.approx(expected, rel=1e-9)
    assert s.covered is None and math.isnan(s.pit)
    assert s.high > 410000  # the old rule would have counted it covered
    assert s.probability < 0.3


def test_a_range_is_scored_by_the_probability_of_the_range():
    t = targets(Target(kind="interval", value=19500.0, low=18000.0, high=20000.0, **COMMON))
    s = cv.score(t, 0, np.array([19000.0]), np.array([0.05]), np.array([1.0]))
    x = math.log(19000.0)
    expected = norm.cdf((math.log(20000) - x) / 0.05) - norm.cdf((math.log(18000) - x) / 0.05)
    assert s.probability == pytest.approx(expected, rel=1e-9)


def test_pit_of_forecasts_from_the_predictive_itself_is_uniform():
    """Figures drawn from a known mixture predictive: their PITs are uniform (mean 1/2 within 4 se) and 90%
    intervals hold 90% of them (within 4 binomial se)."""
    rng = np.random.default_rng(3)
    mean = np.exp(rng.normal(7, 0.3, 50))
    sigma = rng.uniform(0.05, 0.2, 50)
    weights = rng.random(50)
    n = 400
    pits, inside = [], []
    for _ in range(n):
        i = rng.choice(50, p=weights / weights.sum())
        y = mean[i] * math.exp(sigma[i] * rng.standard_normal())
        s = cv.score(targets(Target(value=y, tolerance=0.1, **COMMON)), 0, mean, sigma, weights)
        pits.append(s.pit)
        inside.append(s.covered)
    assert abs(np.mean(pits) - 0.5) < 4 * math.sqrt(1 / 12 / n)
    assert abs(np.mean(inside) - 0.9) < 4 * math.sqrt(0.09 / n)


def test_folds_are_written_with_the_posterior_they_came_from(tmp_path):
    t = targets(Target(value=1200.0, tolerance=0.1, **COMMON), Target(kind="at_least", value=5.0, **COMMON))
    scores = [cv.score(t, j, np.array([1000.0]), np.array([0.2]), np.array([1.0])) for j in range(2)]
    folds = [cv.Fold(name=f"t{j}", kind=t.targets[j].kind, score=s, converged=j == 0, verdict="", max_rhat=1.0 + j,
                     min_ess_bulk=500, min_ess_tail=450, effective_draws=400, seconds=3) for j, s in enumerate(scores)]
    path = tmp_path / cv.FILE
    cv.write_folds(path, t, folds, digest="abc")
    rows = list(csv.DictReader(path.open()))
    assert [r["figure"] for r in rows] == ["t0", "t1"]
    assert rows[0]["covered_90"] == "1" and rows[1]["covered_90"] == ""
    assert rows[1]["converged"] == "0" and rows[0]["posterior_sha256"] == "abc"
    assert float(rows[1]["probability_of_report"]) == pytest.approx(scores[1].probability, abs=1e-4)
    assert cv.coverage(folds) == 1.0


def test_a_directory_without_a_posterior_is_refused_in_one_line(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "cross_validate", Path(__file__).resolve().parents[1] / "experiments" / "cross_validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "posterior.nc" in err
    assert not (tmp_path / cv.FILE).exists()
