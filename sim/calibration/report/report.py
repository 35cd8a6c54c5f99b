"""``report.md``: the fitted parameters, what the targets identify, the fit against every target."""

from __future__ import annotations

import math
import os

import numpy as np

from ..fit.identifiability import critical
from ..pipeline import Result
from .posterior_report import cross_validation_section, posterior_section, sensitivity_section
from .report_format import count, error, number as _num, percent as _pct, reported, target_label


def render(result: Result, *, spec_path: str, out_name: str = "", provenance: str = "") -> str:
    problem, ident = result.problem, result.identifiability
    spec, space, targets = problem.spec, problem.space, problem.targets
    level = spec.analysis.level
    zc, threshold = critical(level)
    lines: list[str] = []
    add = lines.append
    add(f"# Calibration: {problem.name}")
    add("")
    if spec.description:
        add(spec.description.strip())
        add("")
    reps = problem.replications
    targets_file = os.path.normpath(problem.targets_path) if problem.targets_path else "in the spec"
    add(f"- Spec: `{spec_path}`; base scenario `{os.path.normpath(problem.base_path)}`; targets `{targets_file}`"
        f" ({len(targets)} figures).")
    correction = sum(1 for r in result.history.records if r.model == "stochastic" and r.stage == "posterior")
    search = result.history.count("stochastic") - correction
    add(f"- Evaluations: {search} of the stochastic model in the search and analysis"
        f"{f' and {correction} in the posterior correction' if correction else ''} ({len(reps)} replications each,"
        f" replications {reps[0]}..{reps[-1]} for every candidate: common random numbers) and "
        f"{result.history.count('meanfield')} of the mean field; {result.budget.elapsed():.0f} s wall time.")
    budget = []
    if result.budget.evaluations is not None:
        budget.append(f"{result.budget.evaluations} stochastic evaluations")
    if result.budget.seconds is not None:
        budget.append(f"{result.budget.seconds / 60:g} minutes")
    stopped = f"stopped early: {result.stopped}" if result.stopped else "the search converged within it"
    add(f"- Budget: {' or '.join(budget)}, whichever comes first; {stopped}.")
    if result.stopped:
        add("- **A run stopped by its budget gives weaker verdicts**: fewer stochastic evaluations, fewer or no "
            "profile points, so a parameter may show as *not identified* or with a wider interval than a full run "
            "would give. Read its verdicts as provisional.")
    add(f"- Global stage: {result.global_note}.")
    add(f"- Refinement: {result.refine_note}")
    if provenance:
        add(f"- {provenance}")
    add("")
    add("Objective (the deviance of the likelihood below, -2 log L relative to each figure's best attainable "
        "value, weighted; 0 = every figure matched):")
    add("")
    add("| point | mean field | stochastic mean |")
    add("|---|---|---|")
    prior_sto = result.prior_stochastic.objective if result.prior_stochastic is not None else math.nan
    add(f"| prior (the base scenario's values) | {_num(result.prior_meanfield.objective, 3)} | {_num(prior_sto, 3)} |")
    add(f"| global optimum (mean field) | {_num(result.global_best.point.objective, 3)} | - |")
    add(f"| **fitted** | {_num(result.meanfield_point.objective, 3)} | **{_num(result.point.objective, 3)}** |")
    add("")

    # --- parameters -------------------------------------------------------------------------
    add("## Parameters")
    add("")
    add(f"| parameter | sets | range ({'spacing'}) | prior | fitted | {level:.0%} interval | profile interval | verdict |")
    add("|---|---|---|---|---|---|---|---|")
    for p, v in zip(space, ident.parameters):
        def val(x: float) -> str:
            return p.show(x) if p.dated else _num(x)

        prof = "-" if v.profile_low is None else f"{val(v.profile_low)} .. {val(v.profile_high)}"
        add(f"| {p.label} | {p.describe()} | {val(p.low)} .. {val(p.high)} ({'days' if p.dated else p.spacing}) | "
            f"{val(p.start)} | **{val(v.value)}** | {val(v.low)} .. {val(v.high)} | {prof} | {v.verdict} |")
    add("")
    for v in ident.parameters:
        add(f"- **{v.name}**: {v.verdict} - {v.reason}.")
    add("")
    add("## What the targets identify")
    add("")
    sv = ", ".join(_num(s, 3) for s in ident.singular_values)
    add(f"Singular values of the noise-scaled Jacobian (unit coordinates): {sv}; condition number "
        f"{_num(ident.condition, 3)}. {ident.rank} of {len(space)} directions are identified (singular value at "
        f"least {zc:.3f}: crossing a whole range along them moves chi^2 by more than {threshold:.2f}, the {level:.0%} "
        f"threshold).")
    add("")
    flat = [d for d in ident.directions if d.flat]
    if flat:
        add("Flat directions (the targets cannot tell the ends of the range apart along them):")
        add("")
        for d in flat:
            add(f"- {d.description}.")
    else:
        add("No direction is flat at this level.")
    weak = [d for d in ident.directions if not d.flat]
    if weak:
        add("")
        add("Weakly determined combinations (identified, but a quarter of a range or more is within the threshold):")
        add("")
        for d in weak:
            add(f"- {d.description}.")
    add("")
    add("The linearised analysis sees only the targets that bind at the fit: an interval or a one-sided figure "
        "that the fit meets with room to spare has no slope there, and speaks only through the profiles.")
    add("")
    add(f"Jacobian: {result.jacobian_note}. Profiles: {result.profile_note}.")
    add("")

    # --- targets ----------------------------------------------------------------------------
    add("## Targets")
    add("")
    add("| figure | metric | reported | accepted | model mean +- se | 5-95% of runs | mean field | "
        "log error | sigma | met |")
    add("|---|---|---|---|---|---|---|---|---|---|")
    reps_values = result.point.replicates
    for j, (name, t) in enumerate(zip(targets.names, targets.targets)):
        low, high = t.bounds
        accepted = f"{count(low)} .. {count(high) if math.isfinite(high) else 'any'}"
        if reps_values is not None:
            p5, p95 = np.percentile(reps_values[:, j], [5, 95])
            spread = f"{count(p5)} .. {count(p95)}"
        else:
            spread = "-"
        value = result.point.values[j]
        met = "yes" if t.met(value) else "**no**"
        add(f"| {target_label(name, t)} | `{t.metric}` | {reported(t)} | {accepted} | "
            f"{count(value)} +- {_num(result.point.se[j], 2)} | {spread} | "
            f"{count(result.meanfield_point.values[j])} | {error(t, value)} | {result.sigma[j]:.3f} | {met} |")
    add("")
    readings = [f"- {target_label(n, t)}: {t.reading}" for n, t in zip(targets.names, targets.targets) if t.reading]
    if readings:
        add("How the article's words are read (the targets file's `reading`s):")
        add("")
        lines.extend(readings)
        add("")
    missed = [target_label(n, t) for n, t, v in zip(targets.names, targets.targets, result.point.values)
              if not t.met(v)]
    add("Every target is met within its tolerance (by the mean of the replications)." if not missed
        else f"Targets missed by the mean of the replications: {', '.join(missed)}.")
    add("")
    if reps_values is not None:
        spread = []
        for j, (name, t) in enumerate(zip(targets.names, targets.targets)):
            share = float(np.mean([t.met(v) for v in reps_values[:, j]]))
            if share < 1.0:
                spread.append(f"{target_label(name, t)} ({share:.0%} of runs)")
        if spread:
            add("Single runs meet fewer figures than their mean: " + ", ".join(spread) + ". Where the runs' 5-95% "
                "range is wider than the accepted range, the figure constrains the mean of the model, not any "
                "one history.")
            add("")

    # --- departures ---------------------------------------------------------------------------
    add("## Stochastic model against the mean field")
    add("")
    R = len(problem.replications)
    flagged = [d for d in result.departures if d.days_flagged]
    add(f"A day counts as a departure when the stochastic mean of the {R} replications and the mean-field curve "
        "differ by more than the Monte Carlo error allows: the t-quantile (R - 1 degrees of freedom) equivalent to "
        "three standard errors, the standard error never below the Poisson one.  Departures come from "
        "finite-size effects (few early adopters, amplified by imitation; small cohorts saturating) that the "
        "mean field averages away.")
    add("")
    add("| metric | days departing | from | to | largest gap: day | (stochastic - mean field) / mean field | z |")
    add("|---|---|---|---|---|---|---|")
    for d in result.departures:
        add(f"| `{d.metric}` | {d.days_flagged} of {d.days} | {d.first or '-'} | {d.last or '-'} | {d.worst_date} | "
            f"{_pct(d.worst_relative)} | {d.worst_z:+.1f} |")
    add("")
    add("No metric departs beyond its Monte Carlo error." if not flagged else
        f"Departing: {', '.join(f'`{d.metric}`' for d in flagged)}.")
    add("")
    for note in result.notes:
        add(f"Note: {note}.")
        add("")

    lines.extend(posterior_section(result))
    lines.extend(sensitivity_section(result, spec_path))
    lines.extend(cross_validation_section(result))

    # --- reading -------------------------------------------------------------------------------
    add("## How to read this report")
    add("")
    add(f"- The likelihood (`sim/calibration/problem/likelihood.py`; Kennedy and O'Hagan 2001) reads each figure in log "
        "space with a noise of four parts: the figure's own (its tolerance read as the half-width of a 90% interval, "
        f"its `sd` if it states one, never below {spec.analysis.figure_precision:.0%}: a rounded figure), a "
        f"structural model discrepancy ({targets.discrepancy:g}), the runs' spread about their mean (a figure is one "
        "history; never below the Poisson 1/sqrt(count)), and the error of the model's mean as evaluated (Monte "
        "Carlo, or the corrected twin's).  An `equal` figure is normal in log space; `at_least`/`at_most` a normal "
        "CDF (a smooth step at the bound); an `interval` a box with soft edges.  The search minimises the same "
        "deviance.")
    add("- A target's *sigma* in the table (log units) is what the linearised analysis uses: the same parts, an "
        "interval's half-width read as a 90% half-width, the Monte Carlo error scaled by how much the figure binds.")
    add(f"- Intervals ({level:.0%}) are linearised: the sandwich covariance of the least-squares estimate from the "
        "Jacobian and the targets' sigmas, unbounded along flat directions, clipped to the ranges.  The profile "
        f"interval is where the profile's chi^2 is within {threshold:.2f} of its minimum.")
    add("- Profiles use the mean field corrected to the stochastic mean at the fit (a surrogate); the Jacobian uses "
        "the stochastic model itself, with steps large against its Monte Carlo noise.")
    add("- Verdicts come from the profiles where there are some: *not identified* when the profile stays within the "
        "threshold over (nearly) the whole range; *weakly identified* when it bounds one side only or covers more "
        "than half the range; *identified* otherwise.  Without profiles, the linearised interval decides.")
    add(f"- Ties along flat directions are broken by a weak pull towards each parameter's prior (regularisation "
        f"{spec.refine.regularisation:g} per unit of range); a not-identified parameter's fitted value is therefore "
        "close to its prior by construction, not a finding.")
    add("")
    return "\n".join(lines)
