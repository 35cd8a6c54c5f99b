"""The calibration's report (``report.html`` and ``report.md``): the fitted parameters, what the targets identify,
the fit against every target, the posterior, the figures.

Built as a :class:`sim.report.content.Report` like a run's or a sweep's, so the
two files say the same thing and every number is written by
:mod:`sim.report.numbers`.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ...report.content import FigureItem, Report, Section, Table, footer, reported_text
from ...report.numbers import number
from ..fit.identifiability import critical
from ..pipeline import Result
from .labels import figure_label, log_error_text
from .posterior_report import cross_validation_sections, posterior_sections, sensitivity_sections


def build(result: Result, *, spec_path: str, provenance: str = "", figures: list[FigureItem] = ()) -> Report:
    """The whole report; ``figures`` as :func:`sim.report.writing.write_figures` wrote them."""
    sections = [summary_section(result, spec_path, provenance), *parameter_sections(result),
                identification_section(result), *targets_sections(result), departures_section(result),
                *posterior_sections(result), *sensitivity_sections(result, spec_path),
                *cross_validation_sections(result)]
    if figures:
        sections.append(Section("Figures", figures=list(figures)))
    sections.append(reading_section(result))
    return Report(f"Calibration: {result.problem.name}", sections, footer())


def summary_section(result: Result, spec_path: str, provenance: str) -> Section:
    problem = result.problem
    spec, targets = problem.spec, problem.targets
    reps = problem.replications
    targets_file = os.path.normpath(problem.targets_path) if problem.targets_path else "in the spec"
    items = [f"Spec: `{spec_path}`; base scenario `{os.path.normpath(problem.base_path)}`; targets `{targets_file}`"
             f" ({len(targets)} figures)."]
    correction = sum(1 for r in result.history.records if r.model == "stochastic" and r.stage == "posterior")
    search = result.history.count("stochastic") - correction
    items.append(f"Evaluations: {search} of the stochastic model in the search and analysis"
                 f"{f' and {correction} in the posterior correction' if correction else ''} ({len(reps)} replications "
                 f"each, replications {reps[0]}..{reps[-1]} for every candidate: common random numbers) and "
                 f"{result.history.count('meanfield')} of the mean field; {result.budget.elapsed():.0f} s wall time.")
    budget = []
    if result.budget.evaluations is not None:
        budget.append(f"{result.budget.evaluations} stochastic evaluations")
    if result.budget.seconds is not None:
        budget.append(f"{result.budget.seconds / 60:g} minutes")
    stopped = f"stopped early: {result.stopped}" if result.stopped else "the search converged within it"
    items.append(f"Budget: {' or '.join(budget)}, whichever comes first; {stopped}.")
    if result.stopped:
        items.append("**A run stopped by its budget gives weaker verdicts**: fewer stochastic evaluations, fewer or "
                     "no profile points, so a parameter may show as *not identified* or with a wider interval than a "
                     "full run would give. Read its verdicts as provisional.")
    items.append(f"Global stage: {result.global_note}.")
    items.append(f"Refinement: {result.refine_note}")
    if provenance:
        items.append(provenance)
    prior_sto = result.prior_stochastic.objective if result.prior_stochastic is not None else math.nan
    objective = Table(["point", "mean field", "stochastic mean"], [
        ["prior (the base scenario's values)", number(result.prior_meanfield.objective), number(prior_sto)],
        ["global optimum (mean field)", number(result.global_best.point.objective), "\u2013"],
        ["**fitted**", number(result.meanfield_point.objective), f"**{number(result.point.objective)}**"]],
        caption="Objective: the deviance of the likelihood (How to read this report), -2 log L relative to each "
                "figure's best attainable value, weighted; 0 = every figure matched.", numeric=frozenset({1, 2}))
    return Section("Summary", paragraphs=[spec.description.strip()] if spec.description else [], items=items,
                   tables=[objective])


def parameter_sections(result: Result) -> list[Section]:
    space, ident = result.problem.space, result.identifiability
    level = result.problem.spec.analysis.level
    rows = []
    for p, v in zip(space, ident.parameters):
        def val(x: float) -> str:
            return p.show(x) if p.dated else number(x)

        profile = "\u2013" if v.profile_low is None else f"{val(v.profile_low)} .. {val(v.profile_high)}"
        rows.append([p.label, p.describe(), f"{val(p.low)} .. {val(p.high)} ({'days' if p.dated else p.spacing})",
                     val(p.start), f"**{val(v.value)}**", f"{val(v.low)} .. {val(v.high)}", profile, v.verdict])
    table = Table(["parameter", "sets", "range (spacing)", "prior", "fitted", f"{level:.0%} interval",
                   "profile interval", "verdict"], rows,
                  caption=f"Each free parameter: what it sets, its range, the base scenario's value, the fitted value, "
                          f"its linearised and profile {level:.0%} intervals and the verdict.")
    return [Section("Parameters", tables=[table]),
            Section("Why each verdict", items=[f"**{v.name}**: {v.verdict} - {v.reason}." for v in ident.parameters],
                    level=3)]


def identification_section(result: Result) -> Section:
    ident, space = result.identifiability, result.problem.space
    level = result.problem.spec.analysis.level
    zc, threshold = critical(level)
    sv = ", ".join(number(s) for s in ident.singular_values)
    paragraphs = [f"Singular values of the noise-scaled Jacobian (unit coordinates): {sv}; condition number "
                  f"{number(ident.condition)}. {ident.rank} of {len(space)} directions are identified (singular value "
                  f"at least {zc:.3f}: crossing a whole range along them moves chi^2 by more than {threshold:.2f}, the "
                  f"{level:.0%} threshold)."]
    flat = [d for d in ident.directions if d.flat]
    weak = [d for d in ident.directions if not d.flat]
    items = [f"Flat (the targets cannot tell the ends of the range apart along it): {d.description}." for d in flat]
    if not flat:
        paragraphs.append("No direction is flat at this level.")
    items += [f"Weakly determined (identified, but a quarter of a range or more is within the threshold): "
              f"{d.description}." for d in weak]
    paragraphs += ["The linearised analysis sees only the targets that bind at the fit: an interval or a one-sided "
                   "figure that the fit meets with room to spare has no slope there, and speaks only through the "
                   "profiles.", f"Jacobian: {result.jacobian_note}. Profiles: {result.profile_note}."]
    return Section("What the targets identify", paragraphs=paragraphs, items=items)


def targets_sections(result: Result) -> list[Section]:
    targets = result.problem.targets
    reps_values = result.point.replicates
    rows = []
    for j, (name, t) in enumerate(zip(targets.names, targets.targets)):
        low, high = t.bounds
        accepted = f"{number(low)} .. {number(high) if math.isfinite(high) else 'any'}"
        if reps_values is not None:
            p5, p95 = np.percentile(reps_values[:, j], [5, 95])
            spread = f"{number(p5)} .. {number(p95)}"
        else:
            spread = "\u2013"
        value = result.point.values[j]
        rows.append([figure_label(name, t), f"`{t.metric}`", reported_text(t), accepted,
                     f"{number(value)} \u00b1 {number(result.point.se[j])}", spread,
                     number(result.meanfield_point.values[j]), log_error_text(t, value), f"{result.sigma[j]:.3f}",
                     "yes" if t.met(value) else "**no**"])
    table = Table(["figure", "metric", "reported", "accepted", "model mean \u00b1 se", "5-95% of runs", "mean field",
                   "log error", "sigma", "met"], rows,
                  caption="Every figure against the fitted model: the mean of the replications with its standard "
                          "error, the runs' 5-95% range, the mean field; the log error ('met' for a range or bound the "
                          "mean meets) and the sigma (log units) of the linearised analysis.",
                  numeric=frozenset({4, 5, 6, 7, 8}))
    missed = [figure_label(n, t) for n, t, v in zip(targets.names, targets.targets, result.point.values)
              if not t.met(v)]
    paragraphs = ["Every target is met within its tolerance (by the mean of the replications)." if not missed
                  else f"Targets missed by the mean of the replications: {', '.join(missed)}."]
    if reps_values is not None:
        fewer = []
        for j, (name, t) in enumerate(zip(targets.names, targets.targets)):
            share = float(np.mean([t.met(v) for v in reps_values[:, j]]))
            if share < 1.0:
                fewer.append(f"{figure_label(name, t)} ({share:.0%} of runs)")
        if fewer:
            paragraphs.append("Single runs meet fewer figures than their mean: " + ", ".join(fewer) + ". Where the "
                              "runs' 5-95% range is wider than the accepted range, the figure constrains the mean of "
                              "the model, not any one history.")
    sections = [Section("Targets", paragraphs=paragraphs, tables=[table])]
    readings = [f"{figure_label(n, t)}: {t.reading}" for n, t in zip(targets.names, targets.targets) if t.reading]
    if readings:
        sections.append(Section("How the article's words are read (the targets file's readings)", items=readings,
                                level=3))
    return sections


def departures_section(result: Result) -> Section:
    R = len(result.problem.replications)
    flagged = [d for d in result.departures if d.days_flagged]
    rows = [[f"`{d.metric}`", f"{d.days_flagged} of {d.days}", str(d.first or "\u2013"), str(d.last or "\u2013"),
             str(d.worst_date), f"{d.worst_relative:+.1%}" if math.isfinite(d.worst_relative) else "\u2013",
             f"{d.worst_z:+.1f}"] for d in result.departures]
    table = Table(["metric", "days departing", "from", "to", "largest gap: day",
                   "(stochastic - mean field) / mean field", "z"], rows,
                  caption=f"A day counts as a departure when the stochastic mean of the {R} replications and the "
                          "mean-field curve differ by more than the Monte Carlo error allows: the t-quantile (R - 1 "
                          "degrees of freedom) equivalent to three standard errors, the standard error never below "
                          "the Poisson one.", numeric=frozenset({5, 6}))
    paragraphs = ["Departures come from finite-size effects (few early adopters, amplified by imitation; small "
                  "cohorts saturating) that the mean field averages away.",
                  "No metric departs beyond its Monte Carlo error." if not flagged else
                  f"Departing: {', '.join(f'`{d.metric}`' for d in flagged)}."]
    paragraphs += [f"Note: {note}." for note in result.notes]
    return Section("Stochastic model against the mean field", paragraphs=paragraphs, tables=[table])


def reading_section(result: Result) -> Section:
    spec, targets = result.problem.spec, result.problem.targets
    level = spec.analysis.level
    _, threshold = critical(level)
    return Section("How to read this report", items=[
        "The likelihood (`sim/calibration/problem/likelihood.py`; Kennedy and O'Hagan 2001) reads each figure in log "
        "space with a noise of four parts: the figure's own (its tolerance read as the half-width of a 90% interval, "
        f"its `sd` if it states one, never below {spec.analysis.figure_precision:.0%}: a rounded figure), a "
        f"structural model discrepancy ({targets.discrepancy:g}), the runs' spread about their mean (a figure is one "
        "history; never below the Poisson 1/sqrt(count)), and the error of the model's mean as evaluated (Monte "
        "Carlo, or the corrected twin's).  An `equal` figure is normal in log space; `at_least`/`at_most` a normal "
        "CDF (a smooth step at the bound); an `interval` a box with soft edges.  The search minimises the same "
        "deviance.",
        "A target's *sigma* in the table (log units) is what the linearised analysis uses: the same parts, an "
        "interval's half-width read as a 90% half-width, the Monte Carlo error scaled by how much the figure binds.",
        f"Intervals ({level:.0%}) are linearised: the sandwich covariance of the least-squares estimate from the "
        "Jacobian and the targets' sigmas, unbounded along flat directions, clipped to the ranges.  The profile "
        f"interval is where the profile's chi^2 is within {threshold:.2f} of its minimum.",
        "Profiles use the mean field corrected to the stochastic mean at the fit (a surrogate); the Jacobian uses "
        "the stochastic model itself, with steps large against its Monte Carlo noise.",
        "Verdicts come from the profiles where there are some: *not identified* when the profile stays within the "
        "threshold over (nearly) the whole range; *weakly identified* when it bounds one side only or covers more "
        "than half the range; *identified* otherwise.  Without profiles, the linearised interval decides.",
        f"Ties along flat directions are broken by a weak pull towards each parameter's prior (regularisation "
        f"{spec.refine.regularisation:g} per unit of range); a not-identified parameter's fitted value is therefore "
        "close to its prior by construction, not a finding."])
