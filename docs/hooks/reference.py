"""MkDocs hook: reference pages generated from the code, so they cannot drift from it.

A page asks for generated text with a marker comment on a line of its own:

``<!-- generated: cli -->``
    every ``bandwagon`` subcommand, from the parsers ``sim.cli`` builds: usage,
    description, and each argument with its help and default;
``<!-- generated: schema KIND -->``
    the fields of an input file format (``scenario``, ``targets``, ``sweep``,
    ``calibration``), from the JSON Schema ``bandwagon schema KIND`` prints:
    each field's dotted path (``<name>`` where a key is yours to choose),
    type, default, bounds and description.

``tests/test_docs.py`` checks that every field of every schema appears.
"""

from __future__ import annotations

import argparse
import json
import re

MARKER = re.compile(r"^<!-- generated: (cli|schema (\w+)) -->$", re.M)


def on_page_markdown(markdown: str, **kwargs) -> str:
    return MARKER.sub(lambda m: cli_reference() if m.group(1) == "cli" else schema_reference(m.group(2)), markdown)


# --- the command line ---------------------------------------------------------------------------
def cli_reference() -> str:
    from sim.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parts = []
    for name, sub in subparsers.choices.items():
        parts.append(f"## `bandwagon {name}`\n")
        parts.append("```text\n" + sub.format_usage().replace("usage: ", "", 1).strip() + "\n```\n")
        if sub.description:
            parts.append(_escaped(_paragraphs(sub.description)) + "\n")
        rows = []
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if action.option_strings:
                what = ", ".join(f"`{o}`" for o in action.option_strings)
                if action.nargs != 0:
                    what += f" `{action.metavar or action.dest.upper()}`"
            else:
                what = f"`{action.metavar or action.dest}`"
            help_ = _escaped((action.help or "").replace("%(default)s", str(action.default))).replace("|", "\\|")
            default = action.default
            shown = "" if default in (None, False, argparse.SUPPRESS) or action.nargs == 0 else f"`{default}`"
            if action.choices and not isinstance(action, argparse._SubParsersAction):
                help_ += f" (one of: {', '.join(f'`{c}`' for c in action.choices)})"
            rows.append(f"| {what} | {help_} | {shown} |")
        if rows:
            parts.append("| argument | what it does | default |\n|---|---|---|\n" + "\n".join(rows) + "\n")
    return "\n".join(parts)


def _escaped(text: str) -> str:
    """Text whose ``<placeholders>`` Markdown must not take for HTML tags (code spans are left as they are)."""
    parts = text.split("`")
    return "`".join(part if i % 2 else part.replace("<", "&lt;").replace(">", "&gt;") for i, part in enumerate(parts))


def _paragraphs(text: str) -> str:
    """A docstring's paragraphs as Markdown (its ``x`` code as `x`)."""
    return re.sub(r"``([^`]+)``", r"`\1`", text.strip())


# --- file formats ---------------------------------------------------------------------------------
PLACEHOLDERS = {"platforms": "platform", "provinces": "province", "levels": "level", "accounts": "account",
                "events": "event", "hot_issues": "issue", "activity": "platform", "targets": "target",
                "extra_targets": "target", "parameters": "parameter", "outcomes": "outcome", "changes": "i"}


def schema_reference(kind: str) -> str:
    from sim.commands.schema import json_schema

    schema = json_schema(kind)
    rows = _rows(schema)
    head = f"{_paragraphs(schema.get('description', ''))}\n\n" if schema.get("description") else ""
    lines = [f"| {_path_html(path)} | {' or '.join(row['types'])}{row['bounds']} | "
             f"{'required' if row['required'] else row['default']} | {row['description']} |" for path, row in rows.items()]
    return head + "| field | type | default | description |\n|---|---|---|---|\n" + "\n".join(lines) + "\n"


def _path_html(path: str) -> str:
    """A dotted path as code that may break after its dots (the reference's first column is narrow)."""
    escaped = path.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<code>" + ".<wbr>".join(escaped.split(".")) + "</code>"


def fields(kind: str) -> list[str]:
    """Every dotted path the reference of ``kind`` lists (for the test that nothing is left out)."""
    from sim.commands.schema import json_schema

    return list(_rows(json_schema(kind)))


def _rows(schema: dict) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    _walk(schema, schema, "", rows, seen=())
    return rows


def _resolve(node: dict, root: dict) -> dict:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _options(node: dict, root: dict) -> list[dict]:
    """The alternatives of a field (``anyOf``/``oneOf``, nested ones flattened), resolved; null left out."""
    node = _resolve(node, root)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if not alternatives:
        return [node]
    return [option for a in alternatives for option in _options(a, root) if option.get("type") != "null"]


def _nullable(node: dict, root: dict) -> bool:
    node = _resolve(node, root)
    return any(_resolve(a, root).get("type") == "null" for a in node.get("anyOf") or node.get("oneOf") or ())


def _type(option: dict, root: dict) -> str:
    if "const" in option:
        return f"`{json.dumps(option['const'])}`"
    if "enum" in option:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in option["enum"])
    if option.get("format") == "date":
        return "date"
    if option.get("type") == "array":
        items = option.get("items")
        inner = sorted({_type(o, root) for o in _options(items, root)}) if items else ["value"]
        return f"list of {' or '.join(inner)}"
    if option.get("type") == "object":
        return "mapping"
    return str(option.get("type", "value"))


def _bounds(option: dict) -> list[str]:
    parts = []
    for key, word in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<"),
                      ("minLength", "length >="), ("maxLength", "length <="), ("minItems", "items >="),
                      ("maxItems", "items <="), ("minProperties", "keys >="), ("maxProperties", "keys <=")):
        if key in option:
            value = option[key]
            if isinstance(value, (int, float)) and abs(value) >= 1e13:
                value = f"{value:.3g}"
            elif isinstance(value, (int, float)) and abs(value) >= 10_000:
                value = f"{value:,.0f}"
            parts.append(f"{word} {value}")
    return parts


def _row(rows: dict, path: str, node: dict, root: dict, required: bool, description: str = "") -> None:
    options = _options(node, root)
    types = [_type(o, root) for o in options] + (["null"] if _nullable(node, root) else [])
    bounds = list(dict.fromkeys(b for o in options for b in _bounds(o)))
    description = description or node.get("description") or _resolve(node, root).get("description") or ""
    description = _escaped(_paragraphs(description)).replace("\n", " ").replace("|", "\\|")
    shown = f" ({', '.join(bounds)})" if bounds else ""
    row = rows.setdefault(path, {"types": [], "default": "", "description": description, "required": required,
                                 "bounds": shown})
    row["types"] = list(dict.fromkeys([*row["types"], *types]))
    if "default" in node and not row["default"]:
        row["default"] = f"`{json.dumps(node['default'])}`"


def _walk(node: dict, root: dict, prefix: str, rows: dict, seen: tuple) -> None:
    node = _resolve(node, root)
    for name, child in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        _row(rows, path, child, root, name in node.get("required", ()))
        for option in _options(child, root):
            key = json.dumps(option, sort_keys=True)
            if key in seen:
                continue
            if "properties" in option:
                _walk(option, root, path, rows, (*seen, key))
            values = option.get("additionalProperties")
            if not isinstance(values, dict):
                values = next(iter(option.get("patternProperties", {}).values()), None)
            if isinstance(values, dict) and values:
                inner = f"{path}.<{PLACEHOLDERS.get(name, 'name')}>"
                if any("properties" in o for o in _options(values, root)):
                    for item in _options(values, root):
                        _walk(item, root, inner, rows, (*seen, key))
                else:
                    _row(rows, inner, values, root, False, f"one value per {PLACEHOLDERS.get(name, 'name')}")
            items = option.get("items")
            if isinstance(items, dict):
                for item in _options(items, root):
                    if "properties" in item:
                        _walk(item, root, f"{path}.<i>", rows, (*seen, key))


# --- figures kept where the code writes them ---------------------------------------------------------
ASSETS = {
    "assets/baseline-vs-counterfactuals.png": "results/showcase/baseline-vs-counterfactuals.png",
    "assets/posterior-bands.png": "results/showcase/posterior-bands.png",
    "assets/posterior-push-effect.png": "results/showcase/posterior-push-effect.png",
    "assets/staffing.png": "results/showcase/staffing.png",
    "assets/sbc.png": "results/sbc/sbc.png",
    "assets/posterior.png": "scenarios/posterior/beijing-review-2012/posterior.png",
}
"""Figures the pages show, at the places the project's scripts write them (no copies to go stale)."""


def on_files(files, config, **kwargs):
    from pathlib import Path

    from mkdocs.structure.files import File

    root = Path(config["config_file_path"]).parent
    for name, source in ASSETS.items():
        path = root / source
        if path.is_file():
            files.append(File.generated(config, name, abs_src_path=str(path)))
    return files
