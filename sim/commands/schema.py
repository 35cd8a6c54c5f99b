"""``bandwagon schema``: print the JSON Schema of scenario files (for editor completion)."""

from __future__ import annotations

import json

from ..scenario import Scenario

ORDER = 30


def register(subparsers) -> None:
    parser = subparsers.add_parser("schema", help="print the JSON Schema of scenario files", description=__doc__)
    parser.set_defaults(handler=main)


def scenario_json_schema() -> dict:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Bandwagon scenario"
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


def main(args) -> int:
    print(json.dumps(scenario_json_schema(), indent=2))
    return 0
