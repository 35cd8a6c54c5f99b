"""The posterior shipped in ``scenarios/posterior/beijing-review-2012/`` is whole: its files are one run's.

It is data a calibration wrote, re-made by hand after a longer run; these
checks catch a copy that went half right (a CSV from one run and a JSON or a
report from another, a ``base`` left pointing into the run's output
directory).  The documentation quotes the report; the tests check the
report, never the documentation's prose.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from sim import Scenario
from sim.posterior import assign, load_posterior

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "posterior" / "beijing-review-2012"


def test_the_shipped_posterior_has_the_specs_parameters_and_binds_to_the_baseline_without_exceptions():
    posterior = load_posterior(SHIPPED)  # checks the CSV's hash, header, weights and values
    spec = yaml.safe_load((ROOT / "experiments" / "calibrate-baseline.yaml").read_text(encoding="utf-8"))
    assert posterior.names == list(spec["parameters"])
    assert (SHIPPED / posterior.base).resolve() == (ROOT / "scenarios" / "baseline.yaml").resolve()
    assignment = assign(posterior, Scenario.from_yaml(ROOT / "scenarios" / "baseline.yaml"), 8)
    # the baseline is the calibration's base: every draw applies in full; the one note a run prints is the
    # posterior's convergence warning, when its chains did not converge
    assert assignment.notes == (() if posterior.warning() is None else (posterior.warning(),))
    assert all(0 <= draw < posterior.draws for draw in assignment.draws)
    weights = posterior.weights / posterior.weights.sum()
    kish = 1.0 / float(np.sum(weights**2))
    assert 0 < posterior.effective_draws <= kish  # the chains' estimate is never more than the weights allow


def test_the_shipped_report_describes_the_shipped_posterior():
    posterior = load_posterior(SHIPPED)
    report = (SHIPPED / "report.md").read_text(encoding="utf-8")
    assert f"**{round(posterior.effective_draws)} effective**" in report
    assert f"{posterior.draws:,} weighted draws" in report
    meta = json.loads((SHIPPED / "posterior.json").read_text(encoding="utf-8"))
    assert f"`{meta['spec']}`" in report
    table = report[report.index("## Parameters"):]
    for name, parameter in meta["parameters"].items():
        assert f"| {parameter['label']} |" in table, name


def test_the_shipped_chains_are_judged_as_arviz_judges_them():
    """Issue 18: ``posterior.nc`` opens in ArviZ with every group, holds at least four chains, and ArviZ's rank
    R-hat and bulk and tail ESS on it are the numbers ``posterior.json`` records, its ``converged`` flag the
    thresholds' verdict on them; a posterior that did not converge says so (and every run over it does)."""
    import arviz as az

    idata = az.from_netcdf(SHIPPED / "posterior.nc")
    for group in ("posterior", "sample_stats", "log_likelihood", "prior", "observed_data"):
        assert group in idata.groups(), group
    sampled = json.loads(idata.posterior.attrs["sampled_parameters"])
    assert sampled and idata.posterior.sizes["chain"] >= 4
    rhat = az.rhat(idata, var_names=sampled, method="rank").to_array().values
    bulk = az.ess(idata, var_names=sampled, method="bulk").to_array().values
    tail = az.ess(idata, var_names=sampled, method="tail").to_array().values
    convergence = json.loads((SHIPPED / "posterior.json").read_text(encoding="utf-8"))["convergence"]
    # the file holds the chains the JSON judged (single precision in the file: a little slack)
    assert abs(convergence["max_rhat"] - rhat.max()) < 0.005
    assert abs(convergence["min_ess_bulk"] - bulk.min()) <= 0.02 * bulk.min() + 1
    assert abs(convergence["min_ess_tail"] - tail.min()) <= 0.02 * tail.min() + 1
    verdict = bool(rhat.max() < 1.01 and bulk.min() >= 400 and tail.min() >= 400)
    assert convergence["converged"] is verdict
    posterior = load_posterior(SHIPPED)
    assert (posterior.warning() is None) is verdict
    report = (SHIPPED / "report.md").read_text(encoding="utf-8")
    assert ("NOT CONVERGED" in report) is (not verdict)
