"""The posterior as an ArviZ InferenceData file, ``posterior.nc``: every chain, so anyone can re-check convergence.

Groups (Kumar, Carroll, Hartikainen and Martin 2019, the ArviZ schema):

``posterior``
    ``(chain, draw)``: every free parameter in its own units (a date as a
    proleptic ordinal, ``datetime.date.fromordinal``), the sampled ones from
    the chains and the others as drawn from their prior at that draw; and
    ``model_<figure>``, the model's mean of each figure (the corrected twin).
``sample_stats``
    ``lp`` (the chain's log posterior, whitened coordinates), ``total_log_likelihood``,
    ``log_weight`` (Pareto-smoothed, normalised importance log weights of the
    draws: weight the draws by them) and ``log_weight_raw``, ``acceptance`` per
    chain, ``group`` per chain (chains of a group share an adapted proposal;
    groups are independent).
``log_likelihood``
    ``(chain, draw)`` per figure: its term of the log-likelihood (weighted; 0
    for a figure left out), for leave-one-out checks.
``prior``
    draws of the prior (one chain), every parameter in its own units.
``observed_data``
    the figures: reported value, bounds and kind.

The root's attributes say whether the chains converged and by which numbers
(:mod:`.diagnostics`), which parameters were sampled and why the others were
not, and the stochastic correction of the twin the chains sampled under
(``correction``: per figure its shift, surrogate error and runs' spread, so a
leave-one-out posterior, :mod:`.crossvalidation`, can reuse it).  Stored in single precision, compressed: a few megabytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .diagnostics import arviz, smoothed_log_weights
from .stage import Posterior, prior_draws

PRIOR_DRAWS = 4000


def inference_data(posterior: Posterior):
    """The :class:`arviz.InferenceData` of ``posterior``."""
    az = arviz()
    problem = posterior.problem
    space, targets = problem.space, problem.targets
    chains = posterior.chains
    C, k, n = chains.z.shape
    values = space.values_of(chains.z.reshape(-1, n)).reshape(C, k, n)
    mean = chains.twin * np.exp(posterior.correction.shift)
    post = {p.name: values[..., i] for i, p in enumerate(space)}
    post.update({f"model_{name}": mean[..., j] for j, name in enumerate(targets.names)})
    sigma = targets.sigma(mean, intrinsic=posterior.correction.intrinsic, surrogate=posterior.correction.surrogate)
    terms = targets.figures.log_terms(mean, sigma) * targets.figures.weights * posterior.used
    smoothed, _ = smoothed_log_weights(chains.log_weight)
    acceptance = np.asarray(posterior.settings.get("acceptance_by_chain", np.full(C, np.nan)), float)
    stats = {"lp": chains.log_post, "total_log_likelihood": chains.log_lik, "log_weight": smoothed,
             "log_weight_raw": chains.log_weight,
             "acceptance": np.repeat(acceptance[:, None], k, axis=1),
             "group": np.repeat(chains.group[:, None].astype(float), k, axis=1)}
    prior_z = prior_draws(space, PRIOR_DRAWS)
    prior_values = space.values_of(prior_z)
    prior = {p.name: prior_values[None, :, i] for i, p in enumerate(space)}
    observed = {}
    for name, target in zip(targets.names, targets.targets):
        low, high = target.bounds
        observed[name] = np.array([target.value, low, high], float)
    idata = az.from_dict(posterior=post, sample_stats=stats,
                         log_likelihood={name: terms[..., j] for j, name in enumerate(targets.names)},
                         prior=prior, observed_data=observed,
                         dims={name: ["reported_low_high"] for name in targets.names},
                         coords={"reported_low_high": ["reported", "low", "high"]})
    convergence = posterior.convergence.as_dict()
    attrs = {
        "calibration": problem.name,
        "converged": int(posterior.converged),
        "verdict": posterior.convergence.verdict(),
        "sampled_parameters": json.dumps(posterior.sampled),
        "prior_drawn_parameters": json.dumps(posterior.inert),
        "diagnostics": json.dumps(convergence),
        "sampler": json.dumps(posterior.settings),
        "units_of_dates": "proleptic Gregorian ordinal (datetime.date.fromordinal)",
        "correction": json.dumps({"shift": posterior.correction.shift.tolist(),
                                  "surrogate": posterior.correction.surrogate.tolist(),
                                  "intrinsic": posterior.correction.intrinsic.tolist(),
                                  "source": posterior.correction.source,
                                  "figures": list(targets.names)}),
        "weights": "weight every draw by exp(sample_stats.log_weight): the parameters drawn from their prior carry "
                   "importance weights (Pareto-smoothed; k-hat in diagnostics)",
    }
    for group in idata.groups():
        getattr(idata, group).attrs.update({"calibration": problem.name})
    idata.posterior.attrs.update(attrs)
    for name, target in zip(targets.names, targets.targets):
        idata.observed_data[name].attrs.update({"kind": target.kind, "metric": target.metric,
                                                "date": str(target.date or target.period.end)})
    return idata


def write_inference_data(path: Path, posterior: Posterior) -> None:
    """``posterior.nc`` at ``path`` (in a staged directory: it appears with the others or not at all)."""
    idata = inference_data(posterior).map(
        lambda dataset: dataset.astype({name: np.float32 for name, var in dataset.data_vars.items()
                                        if np.issubdtype(var.dtype, np.floating)}))
    idata.to_netcdf(str(path), compress=True, engine="h5netcdf")
