"""``bandwagon plot RUN_DIR``: redraw a run's figures and reports from its saved results.

Nothing is simulated again: the figures come from ``summary.csv`` (and
``timeseries.csv`` when present, for the bands of monthly counts), the
scenario from ``manifest.json``.  Writes ``figures/*.png`` (plus ``.svg`` or
``.pdf`` with ``--format``), ``report.html`` and ``report.md`` into the run
directory, or into ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..output.atomic import check_output_place, check_writable_dir, staged_directory
from ..results.loading import load_result
from ..plotting.style import FORMATS

ORDER = 40


def register(subparsers) -> None:
    parser = subparsers.add_parser("plot", help="redraw a run's figures and reports from its results",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, metavar="RUN_DIR",
                        help="a run (or sweep-point) directory; a directory of timestamped runs means its latest")
    parser.add_argument("--format", choices=FORMATS, default="png",
                        help="also write the figures in this format (PNG is always written: the reports use it)")
    parser.add_argument("--targets", type=Path, metavar="FILE",
                        help="targets file to mark on the figures (default: the scenario's)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write here instead of into RUN_DIR")
    parser.add_argument("--force", action="store_true", help="replace a non-empty --out directory")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..report.writing import write_run

    result = load_result(args.run, args.targets)
    if result.chosen:
        print(f"bandwagon plot: note: {result.chosen}", file=sys.stderr)
    if args.out is None:
        out = result.path
        check_output_place(out, option="RUN_DIR", into=True)
        write_run(result, out, args.format)
    else:
        check_writable_dir(args.out, force=args.force)
        with staged_directory(args.out, force=args.force) as staging:
            write_run(result, staging, args.format)
        out = args.out
    for note in result.notes:
        print(f"bandwagon plot: note: {note}", file=sys.stderr)
    print(f"{result.label}: figures and report -> {out}")
    return 0
