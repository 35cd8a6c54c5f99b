"""The files of a calibration: calibrated.yaml, report.html and report.md (:mod:`.report`), figures/fit.png,
figures/profiles.png, history.csv, and with a posterior, posterior.csv, posterior.json (:mod:`.posterior_file`),
posterior.nc and figures/posterior.png; cross_validation.csv when it ran.

Every file goes through :mod:`sim.output.atomic`; the command writes them into
a staged directory that appears complete or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import yaml

from ...output.atomic import atomic_file, write_text
from ...output.manifest import git_state
from ...versioning import model_version
from ..pipeline import Result
from .posterior_file import csv_rows, write_posterior


def provenance(result: Result, spec_path: str, options: str = "") -> str:
    """Who made these files and how: the command with its options, the date, the model's version."""
    git = git_state()
    commit = f", git {git['commit'][:12]}{' (uncommitted changes)' if git['dirty'] else ''}" if git else ""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"produced by `bandwagon calibrate {spec_path}{options}` on {stamp} (bandwagon {model_version()}{commit})."


def calibrated_yaml(result: Result, spec_path: str, out_dir: Path, options: str = "") -> str:
    """A scenario that extends the base and sets the fitted values, with a provenance comment."""
    problem = result.problem
    base = os.path.relpath(problem.base_path.resolve(), out_dir.resolve())
    values = problem.space.values(result.z)
    lines = [
        f"# Calibrated {problem.base.name}: {provenance(result, spec_path, options)}",
        f"# Objective (weighted sum of squared log errors of the mean of {len(problem.replications)} replications): "
        f"{result.prior_stochastic.objective if result.prior_stochastic else float('nan'):.4g} at the prior, "
        f"{result.point.objective:.4g} fitted.",
        "# Fitted parameters (value, approximate "
        f"{problem.spec.analysis.level:.0%} interval, verdict; see report.md):",
    ]
    for p, v in zip(problem.space, result.identifiability.parameters):
        shown = [p.show(x) if p.dated else f"{x:.4g}" for x in (v.value, v.low, v.high)]
        lines.append(f"#   {p.name}: {p.path} {'x' if p.apply == 'multiply' else '='} {shown[0]} "
                     f"[{shown[1]}, {shown[2]}] {v.verdict}")
    overrides = problem.space.overrides(values)
    document = {"extends": base, "name": f"{problem.base.name}-calibrated",
                "description": f"{problem.base.name} with the values fitted by {problem.name}.",
                "set": {path: _round(value) for path, value in overrides.items()}}
    return "\n".join(lines) + "\n" + yaml.safe_dump(document, sort_keys=False, width=120)


def _round(value):
    return value if isinstance(value, (int, str)) else float(f"{value:.6g}")


def write_history(path: Path, result: Result) -> None:
    problem = result.problem
    names = problem.space.names
    targets = problem.targets.names
    header = ["evaluation", "stage", "model", "elapsed_s", "seconds", "objective", *names,
              *(f"unit.{n}" for n in names), *(f"value.{t}" for t in targets), *(f"se.{t}" for t in targets)]
    with atomic_file(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for i, r in enumerate(result.history.records):
            p = r.point
            values = problem.space.values(p.z)
            writer.writerow([i, r.stage, r.model, f"{r.elapsed:.3f}", f"{r.seconds:.4f}", f"{p.objective:.6g}",
                             *(f"{v:.8g}" for v in values), *(f"{z:.6f}" for z in p.z),
                             *(f"{v:.8g}" for v in p.values), *(f"{s:.4g}" for s in p.se)])


FIGURE_CAPTIONS = {
    "fit": "Every target metric at the fit: the stochastic mean of the replications with its 5-95% band over the "
           "runs, the mean field, and the reported figures as markers (bars: their accepted range).",
    "profiles": "Profile of the objective (chi^2 in noise units) over each parameter's range: the smallest chi^2 "
                "with the parameter held at each value, on the mean field corrected to the stochastic mean at the fit.",
    "posterior": "Corner plot of the posterior: each parameter's marginal against its prior on the diagonal, each "
                 "pair's joint density below it, in unit coordinates of the ranges (ticks labelled with values).",
}


def write_all(directory: Path, result: Result, *, spec_path: str, final_dir: Path, options: str = "") -> None:
    """Write a calibration's files into ``directory`` (the staged ``final_dir``); ``options`` are the command's
    options that changed what it computed (budgets, cross-validation), recorded beside it."""
    from ...report.writing import write_figures, write_reports
    from .figures import fit_figure, profiles_figure
    from .report import build

    write_text(directory / "calibrated.yaml", calibrated_yaml(result, spec_path, final_dir, options))
    figures = {"fit": fit_figure(result), "profiles": profiles_figure(result)}
    if result.posterior is not None:
        from ..bayes.inference import write_inference_data
        from .figures import posterior_figure

        figures["posterior"] = posterior_figure(result)
        posterior = result.posterior
        rows = csv_rows(len(posterior.z), result.problem.spec.posterior.draws)
        write_posterior(directory, space=result.problem.space, values=posterior.values[rows],
                        weights=posterior.weights[rows], calibration=result.problem.name, spec=spec_path,
                        base=result.problem.base_path, final_dir=final_dir,
                        effective_draws=posterior.effective_draws, sampler=_sampler_name(posterior),
                        targets_used=[n for n, u in zip(result.problem.targets.names, posterior.used) if u],
                        convergence=posterior.convergence.as_dict(),
                        sensitivity=result.sensitivity.as_dict() if result.sensitivity is not None else None,
                        informed=_informed(result))
        write_inference_data(directory / "posterior.nc", posterior)
    items = write_figures(figures, FIGURE_CAPTIONS, directory)
    stamp = provenance(result, spec_path, options)
    write_reports(build(result, spec_path=spec_path, provenance=stamp[0].upper() + stamp[1:], figures=items),
                  directory)
    write_history(directory / "history.csv", result)
    if result.folds:
        write_cross_validation(directory / "cross_validation.csv", result)


def write_cross_validation(path: Path, result: Result) -> None:
    from ..bayes.crossvalidation import write_folds

    write_folds(path, result.problem.targets, result.folds)


def _informed(result: Result) -> dict:
    """Per parameter: was it sampled, and its posterior 90% width over its prior's (``posterior.json``)."""
    from ..bayes.stage import prior_draws, width_ratios

    posterior, space = result.posterior, result.problem.space
    ratios = width_ratios(posterior.z, posterior.weights, prior_draws(space))
    sampled = set(int(i) for i in posterior.split.sampled)
    return {p.name: {"sampled": i in sampled, "width_ratio": round(float(r), 3)}
            for i, (p, r) in enumerate(zip(space, ratios))}


def _sampler_name(posterior) -> str:
    s = posterior.settings
    return (f"{s['groups']} independent groups of {s['chains_per_group']} adaptive random-walk Metropolis chains on "
            "the compiled twin, corrected by the stochastic model; the parameters the figures do not inform drawn "
            "from their prior with importance weights")
