"""``bandwagon calibrate SPEC``: fit free parameters to the reported figures and say what they identify.

A global search on the mean-field model, least squares on the stochastic model
with common random numbers, then the Jacobian's singular values and a profile
of the objective over each parameter's range.  Writes calibrated.yaml (a
scenario extending the base with the fitted values), report.html and report.md,
figures/, history.csv and the posterior's files (:mod:`sim.calibration.report.outputs`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from ..errors import InputError
from ..execution import add_arguments, check_arguments
from ..output.atomic import check_writable_dir, staged_directory

ORDER = 35


def register(subparsers) -> None:
    parser = subparsers.add_parser("calibrate", help="calibrate free parameters against reported figures",
                                   description=__doc__)
    parser.add_argument("spec", type=Path, help="calibration spec (YAML), e.g. experiments/calibrate-baseline.yaml")
    add_arguments(parser)
    parser.add_argument("--base", type=Path, help="another base scenario (e.g. a small one for a quick trial)")
    parser.add_argument("--out", type=Path, help="output directory (default: results/<spec name>/<UTC timestamp>)")
    parser.add_argument("--force", action="store_true", help="replace a non-empty output directory")
    parser.add_argument("--evaluations", type=int, help="budget of stochastic evaluations (default: the spec's)")
    parser.add_argument("--minutes", type=float, help="time budget of the search and analysis in minutes (default: "
                        "the spec's)")
    parser.add_argument("--posterior-minutes", type=float, help="time of the posterior stage in minutes (default: "
                        "the spec's posterior.minutes; 0: no posterior)")
    parser.add_argument("--cross-validate", action="store_true", help="after the posterior, leave each binding figure "
                        "out in turn, sample without it and predict it (report.md, cross_validation.csv)")
    parser.add_argument("--cross-validation-minutes", type=float, help="time of each leave-one-figure-out posterior "
                        "in minutes (default: the spec's posterior.cross_validation_minutes)")
    parser.add_argument("--sensitivity", choices=("reweight", "rerun"), default="reweight",
                        help="how the report shows the posterior under the other reading of \"more than\" figures "
                        "and a structural discrepancy of 0.1: reweight the posterior's draws (default), or also "
                        "sample the posterior again (the posterior stage's time for each) where the reweighting is "
                        "unreliable (k-hat >= 0.7)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..calibration import calibrate, load_problem
    from ..calibration.report.outputs import write_all

    check_arguments(args)
    if args.evaluations is not None and args.evaluations < 1:
        raise InputError(f"expected at least 1 evaluation, got {args.evaluations}", source="--evaluations")
    if args.minutes is not None and not args.minutes > 0:
        raise InputError(f"expected a positive number of minutes, got {args.minutes}", source="--minutes")
    if args.posterior_minutes is not None and not args.posterior_minutes >= 0:
        raise InputError(f"expected a number of minutes >= 0, got {args.posterior_minutes}",
                         source="--posterior-minutes")
    if args.cross_validation_minutes is not None and not args.cross_validation_minutes > 0:
        raise InputError(f"expected a positive number of minutes, got {args.cross_validation_minutes}",
                         source="--cross-validation-minutes")
    if args.cross_validate and args.posterior_minutes == 0:
        raise InputError("expected a posterior to cross-validate (a positive --posterior-minutes)",
                         source="--cross-validate")
    problem = load_problem(args.spec, base=args.base)
    if args.cross_validate and not problem.spec.posterior.enabled:
        raise InputError("expected a posterior to cross-validate (posterior.enabled: false in the spec)",
                         source=str(args.spec), field="posterior.enabled")
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or Path("results") / problem.name / stamp
    check_writable_dir(out, force=args.force)

    result = calibrate(problem, workers=args.workers, scheduler=args.scheduler, progress=not args.no_progress,
                       evaluations=args.evaluations, minutes=args.minutes, posterior_minutes=args.posterior_minutes,
                       cross_validate=args.cross_validate, cross_validation_minutes=args.cross_validation_minutes,
                       sensitivity=args.sensitivity)
    with staged_directory(out, force=args.force) as staging:
        write_all(staging, result, spec_path=str(args.spec), final_dir=out, options=_options(args))
    verdicts = [v.verdict for v in result.identifiability.parameters]
    search = sum(1 for r in result.history.records if r.model == "stochastic" and r.stage != "posterior")
    if result.posterior is not None:
        p = result.posterior
        state = "converged" if p.converged else "NOT CONVERGED (see report.md)"
        posterior = (f"posterior {state}: {p.effective_draws:.0f} effective draws in {p.seconds:.0f} s "
                     f"(rank R-hat up to {p.convergence.worst['rhat']:.3f}, bulk ESS down to "
                     f"{p.convergence.worst['ess_bulk']:.0f}, tail ESS down to {p.convergence.worst['ess_tail']:.0f})")
    else:
        posterior = f"no posterior ({result.posterior_note})"
    met = sum(bool(t.met(v)) for t, v in zip(problem.targets.targets, result.point.values))
    print(f"{problem.name}: objective {result.point.objective:.4g} "
          f"({met}/{len(problem.targets)} targets met); "
          f"{verdicts.count('identified')} identified, {verdicts.count('weakly identified')} weakly, "
          f"{verdicts.count('not identified')} not identified; {search} stochastic and "
          f"{result.history.count('meanfield')} mean-field evaluations in {result.budget.elapsed():.0f} s"
          f"{' (search stopped at its budget)' if result.stopped else ''}; {posterior} -> {out}")
    return 0


def _options(args: argparse.Namespace) -> str:
    """The options that changed what was computed, as typed (the report's provenance line)."""
    shown = [("--base", args.base), ("--evaluations", args.evaluations), ("--minutes", args.minutes),
             ("--posterior-minutes", args.posterior_minutes), ("--cross-validation-minutes",
                                                              args.cross_validation_minutes)]
    words = [f" {flag} {value}" for flag, value in shown if value is not None]
    return ("".join(words) + (" --cross-validate" if args.cross_validate else "")
            + (f" --sensitivity {args.sensitivity}" if args.sensitivity != "reweight" else ""))
