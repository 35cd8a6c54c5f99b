"""``bandwagon schema [KIND]``: print the JSON Schema of an input file format (for editors and the docs).

``scenario`` (the default), ``targets``, ``sweep`` or ``calibration``: the
schema each file is validated against, strictly (what it says is what is
accepted).  Point an editor's YAML language server at it for completion; the
documentation's reference pages are generated from it.
"""

from __future__ import annotations

import json

ORDER = 30
KINDS = ("scenario", "targets", "sweep", "calibration")


def register(subparsers) -> None:
    parser = subparsers.add_parser("schema", help="print the JSON Schema of an input file format",
                                   description=__doc__)
    parser.add_argument("kind", nargs="?", default="scenario", choices=KINDS,
                        help="which format (default: scenario)")
    parser.set_defaults(handler=main)


def scenario_json_schema() -> dict:
    from ..scenario import Scenario

    schema = _titled(Scenario.model_json_schema(), "Bandwagon scenario")
    properties = schema.setdefault("properties", {})
    properties["extends"] = {"type": "string", "description": "Scenario file to start from, relative to this file; "
                             "a null value in this file deletes the key it would inherit."}
    properties["set"] = {
        "type": "object",
        "description": "Dotted paths assigned after merging; '*' matches every key.",
        "additionalProperties": True,
    }
    # A file that extends another need not repeat the required fields.
    schema.pop("required", None)
    return schema


def json_schema(kind: str = "scenario") -> dict:
    """The JSON Schema of input files of ``kind`` (one of :data:`KINDS`)."""
    if kind == "scenario":
        return scenario_json_schema()
    if kind == "targets":
        from ..targets import Targets as model
    elif kind == "sweep":
        from ..sweep.spec import SweepSpec as model
    elif kind == "calibration":
        from ..calibration.problem.spec import CalibrationSpec as model
    else:
        raise ValueError(f"expected one of {KINDS}, got {kind!r}")
    return _titled(model.model_json_schema(), f"Bandwagon {kind} file")


def _titled(schema: dict, title: str) -> dict:
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema


def main(args) -> int:
    print(json.dumps(json_schema(args.kind), indent=2))
    return 0
