"""Leave-one-figure-out cross-validation of a calibration's posterior, from its directory.

    python experiments/cross_validate.py scenarios/posterior/beijing-review-2012
    python experiments/cross_validate.py results/calibrate-baseline/<stamp> --minutes 3 --workers 2

Each binding figure is left out in turn and the posterior sampled again without it (the directory's
stochastic correction reused: no stochastic runs), until its chains converge (rank R-hat < 1.01, bulk and
tail ESS >= 400) or --minutes; the left-out figure is then scored by the posterior predictive probability of
what was reported (sim/calibration/bayes/crossvalidation.py).  Prints one line per fold, says "not converged"
where a fold's chains did not, and writes DIR/cross_validation.csv (atomically), naming the posterior.nc it
came from by its sha256.  Needs the directory's posterior.nc and posterior.json, and the calibration spec
posterior.json names (or --spec).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.calibration.bayes import crossvalidation as cv
from sim.errors import InputError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path, help="a calibration directory (posterior.nc, posterior.json)")
    parser.add_argument("--minutes", type=float, default=3.0, help="time limit of each fold (default 3)")
    parser.add_argument("--spec", type=Path, help="the calibration spec (default: the one posterior.json names)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        if not args.minutes > 0:
            raise InputError(f"expected a positive number of minutes, got {args.minutes}", source="--minutes")
        started = time.perf_counter()
        shipped, folds = cv.from_directory(args.directory, seconds_each=60 * args.minutes, spec=args.spec,
                                           workers=args.workers)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for f in folds:
        s = f.score
        scored = (f"PIT {s.pit:.2f}, {'inside' if s.covered else 'OUTSIDE'} the 90% interval" if s.covered is not None
                  else f"P(reported) {s.probability:.2f}")
        chains = (f"converged" if f.converged else "NOT CONVERGED") + \
            f" (R-hat {f.max_rhat:.3f}, bulk ESS {f.min_ess_bulk:.0f}, tail ESS {f.min_ess_tail:.0f}, {f.seconds:.0f} s)"
        print(f"{f.name} ({f.kind}): median {s.median:.4g} (90%: {s.low:.4g} .. {s.high:.4g}), log error "
              f"{s.log_error:+.3f}; {scored}; {chains}")
    print(f"{len(folds)} folds in {time.perf_counter() - started:.0f} s; equal figures inside their 90% interval: "
          f"{cv.coverage(folds):.0%}; median absolute log error {cv.median_abs_log_error(folds):.3f}")
    path = shipped.directory / cv.FILE
    cv.write_folds(path, shipped.problem.targets, folds, digest=shipped.digest)
    print(f"written: {path} (of posterior.nc sha256 {shipped.digest[:16]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
