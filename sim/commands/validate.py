"""``bandwagon validate FILE...``: check scenario files without running them.

Each file is loaded exactly as ``bandwagon run`` loads it (``extends``, ``set``,
the targets file) and its dated events are applied in date order, so what a
run would refuse is refused here, in one line naming the file and the field.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import InputError
from ..posterior import assign, load_posterior
from ..inputs import load_scenario

ORDER = 20


def register(subparsers) -> None:
    parser = subparsers.add_parser("validate", help="check scenario files", description=__doc__)
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE",
                        help="scenario YAML files (each resolved through its extends, its events applied in turn)")
    parser.set_defaults(handler=main)


def main(args) -> int:
    failed = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
            if scenario.posterior is not None:  # what run would refuse: every replication's draw applied
                posterior = load_posterior(scenario.posterior)
                assign(posterior, scenario, scenario.replications).scenarios(scenario)
        except InputError as exc:
            print(f"bandwagon validate: error: {exc.line()}", file=sys.stderr)
            failed += 1
            continue
        print(f"{path}: ok ({scenario.name}: {len(scenario.agencies.levels)} levels, "
              f"{sum(l.count for l in scenario.agencies.levels.values()):,} potential adopters, "
              f"{len(scenario.platforms)} platforms, {scenario.horizon.start}..{scenario.horizon.end})")
    return 2 if failed else 0
