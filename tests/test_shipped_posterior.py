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
    assert assignment.notes == ()  # the baseline is the calibration's base: every draw applies in full
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


def test_the_shipped_chains_converged_by_arviz_own_diagnostics():
    """Issue 18: ``posterior.nc`` opens in ArviZ, and ArviZ's rank R-hat and bulk and tail ESS over at least four
    chains meet the thresholds for every sampled parameter, as ``posterior.json`` says."""
    import arviz as az

    idata = az.from_netcdf(SHIPPED / "posterior.nc")
    for group in ("posterior", "sample_stats", "log_likelihood", "prior", "observed_data"):
        assert group in idata.groups(), group
    sampled = json.loads(idata.posterior.attrs["sampled_parameters"])
    assert sampled and idata.posterior.sizes["chain"] >= 4
    rhat = az.rhat(idata, var_names=sampled, method="rank").to_array().values
    bulk = az.ess(idata, var_names=sampled, method="bulk").to_array().values
    tail = az.ess(idata, var_names=sampled, method="tail").to_array().values
    assert rhat.max() < 1.01 and bulk.min() >= 400 and tail.min() >= 400, (rhat.max(), bulk.min(), tail.min())
    convergence = json.loads((SHIPPED / "posterior.json").read_text(encoding="utf-8"))["convergence"]
    assert convergence["converged"] is True
    assert abs(convergence["max_rhat"] - rhat.max()) < 0.005  # the file holds the chains the JSON judged
