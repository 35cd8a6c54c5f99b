"""Reading scenario files: YAML, ``extends``, ``set``, and one-line errors.

A scenario file is a YAML mapping.  Two keys are directives of the loader and
never reach the model:

``extends: other.yaml``
    Start from another scenario file (path relative to this one) and deep-merge
    this file's mappings over it, so a counterfactual states only what differs.
    A ``null`` value deletes the key it would have inherited (as in Hydra):
    ``agencies: {levels: {official: null}}`` drops a level of the base.
``set: {dotted.path: value, ...}``
    Assign values at dotted paths after merging; ``*`` matches every key, so
    ``agencies.levels.*.hazard.imitation: 0`` switches imitation off everywhere.

Every error names the file that set the offending field (following
``extends`` chains), the field's dotted path and what was expected.

Every input file of the project (scenarios, targets, calibration and sweep
specs) is read by :func:`read_yaml_mapping` and validated by
:func:`validate_model`, so they share the same limits and the same strictness:

* only regular files of at most :data:`sim.files.MAX_INPUT_BYTES` are read;
* YAML is nested at most :data:`MAX_DEPTH` levels and holds at most
  :data:`MAX_VALUES` values once aliases are expanded (no "billion laughs");
* a chain of ``extends`` holds at most :data:`MAX_EXTENDS` files;
* values are checked against the JSON Schema's types, strictly: ``seed: '5'``,
  ``seed: 7.0`` or ``enabled: 'yes'`` are errors, not coerced.  Dates may be
  written bare (``2011-10-15``) or quoted (``'2011-10-15'``), as the schema's
  ``format: date`` strings say; an impossible date (``2011-02-30``) is an error
  naming its field, and so is a date where the schema wants text
  (``description: 2011-01-01``: quote it to keep it as text).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import math
import numbers
import os
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import FieldError, InputError
from ..files import checked_path, read_input_text
from . import paths
from .events import dated_events, event_overrides

M = TypeVar("M", bound=BaseModel)

DIRECTIVES = ("extends", "set")
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists in an input file (a scenario needs 6)."""
MAX_VALUES = 200_000
"""Most values (keys, scalars, lists, mappings) in an input file once YAML aliases are expanded."""
MAX_EXTENDS = 16
"""Most files in a chain of ``extends`` (the file itself included)."""


# --- YAML -------------------------------------------------------------------------------
class _Refused(yaml.YAMLError):
    """A construction error tied to the node (and so the field) it happened at."""

    def __init__(self, message: str, node: yaml.Node):
        super().__init__(message)
        self.message, self.node = message, node


class _TooDeep(yaml.YAMLError):
    def __init__(self, field: str, mark):
        super().__init__(field)
        self.field, self.mark = field, mark


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with the limits above, duplicate and non-text keys refused, and errors tied to nodes."""

    def __init__(self, stream):
        super().__init__(stream)
        self.path: list[str] = []
        """Keys from the top to the collection being composed (for errors)."""

    def compose_node(self, parent, index):
        if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        if parent is not None:
            self.path.append(index.value if isinstance(index, yaml.ScalarNode) else str(index))
        try:
            if len(self.path) >= MAX_DEPTH:
                raise _TooDeep(".".join(self.path), self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            if parent is not None:
                self.path.pop()

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError, RecursionError):
            tag = node.tag.rsplit(":", 1)[-1]
            raise _Refused(f"expected a value of type {tag}, got {_shown(node)}", node) from None


def _shown(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        text = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        return repr(text)
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """A mapping whose keys are text and unique (YAML would keep the last of two equal keys)."""
    loader.flatten_mapping(node)
    seen: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str):
            hint = "" if isinstance(key_node, (yaml.SequenceNode, yaml.MappingNode)) else " (quote it to make it text)"
            raise _Refused(f"expected a text key, got {_shown(key_node)}{hint}", key_node)
        if key in seen:
            raise _Refused(f"duplicate key {key!r} (line {key_node.start_mark.line + 1})", key_node)
        seen[key] = loader.construct_object(value_node, deep=deep)
    return seen


def _timestamp(loader: _StrictLoader, node: yaml.ScalarNode):
    """A date; an impossible one written bare (``2011-02-30``) stays text, for validation to refuse by field."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, TypeError, OverflowError):
        if node.style is None:
            return node.value
        raise


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
# YAML 1.1 reads 1e30 (no decimal point) as text; JSON and YAML 1.2 read it as a number, and so do we.
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"),
                                    list("-+0123456789"))
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _measure(root: yaml.Node) -> None:
    """Refuse documents too deep or too large once aliases are expanded (before building anything)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _Refused(f"expected at most {MAX_DEPTH} levels of nesting (YAML aliases expanded)", node)
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        if total > MAX_VALUES:
            raise _Refused(f"expected at most {MAX_VALUES:,} values (YAML aliases expanded)", node)
        sizes[id(node)] = total
        return total

    size(root, 0)


def _at(source: str, node_or_mark) -> str:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source


def _node_path(root: yaml.Node, target: yaml.Node) -> str | None:
    """The dotted path of ``target`` in the document ``root`` (a key names its own path)."""
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return ".".join(path) or None
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key is target:  # a bad key: its mapping is the field
                    return ".".join(path) or None
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                stack.append((value, (*path, name)))
        elif isinstance(node, yaml.SequenceNode):
            stack += [(value, (*path, str(i))) for i, value in enumerate(node.value)]
    return None


def parse_yaml(text: str, source: str) -> Any:
    """The YAML document in ``text``, within the limits above, or a one-line :class:`InputError`."""
    loader = None
    try:
        loader = _StrictLoader(text)
        root = loader.get_single_node()
        if root is None:
            return None
        try:
            _measure(root)
            return loader.construct_document(root)
        except _Refused as exc:
            field = _node_path(root, exc.node)
            mark = exc.node.start_mark
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
            raise InputError(exc.message + where, source=source, field=field) from None
    except _TooDeep as exc:
        raise InputError(f"expected at most {MAX_DEPTH} levels of nesting (line {exc.mark.line + 1}, column "
                         f"{exc.mark.column + 1})", source=source, field=exc.field or None) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"malformed YAML: {problem}", source=_at(source, mark)) from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml_mapping(path: str | os.PathLike, *, what: str = "a YAML mapping") -> dict:
    """A YAML file's top-level mapping, or an :class:`InputError` (the one reader of input files)."""
    source = str(path)
    data = parse_yaml(read_input_text(path), source)
    if not isinstance(data, dict):
        got = "an empty file" if data is None else type(data).__name__
        raise InputError(f"expected {what} at the top level, got {got}", source=source)
    return data


# --- where each field came from ----------------------------------------------------------
class Origins:
    """Which file set each dotted path of a merged document, and which files override which."""

    def __init__(self, root: str):
        self.root = root
        self._by_path: dict[str, str] = {}
        self._order: list[str] = []
        """Files in the order their values were merged: bases first, the root file last."""

    def record(self, data: Any, source: str, prefix: str = "") -> None:
        if source not in self._order:
            self._order.append(source)
        if prefix:
            self._by_path[prefix] = source
        if isinstance(data, dict):
            for key, value in data.items():
                self.record(value, source, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(data, list):
            for i, value in enumerate(data):
                self.record(value, source, f"{prefix}.{i}" if prefix else str(i))

    def assign(self, path: str, source: str) -> None:
        self._by_path[path] = source

    def source_of(self, field: str | None) -> str:
        """The file that set ``field`` or, if it was never set, the nearest parent."""
        if not field:
            return self.root
        parts = field.split(".")
        for end in range(len(parts), 0, -1):
            found = self._by_path.get(".".join(parts[:end]))
            if found:
                return found
        return self.root

    def rank(self, source: str) -> int:
        """How late ``source`` was merged: the file being loaded ranks highest."""
        if source == self.root:
            return len(self._order) + 1
        return self._order.index(source) if source in self._order else -1


# --- extends and set ---------------------------------------------------------------------
def _merge(base: Any, override: Any, deleted: list[str], prefix: str = "") -> Any:
    """Deep-merge mappings; ``None`` deletes an inherited key; anything else in ``override`` replaces ``base``."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            path = f"{prefix}.{key}" if prefix else key
            if value is None and key in base:
                del merged[key]
                deleted.append(path)
            elif key in base:
                merged[key] = _merge(base[key], value, deleted, path)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def as_reference(exc: InputError, path: Path, written: str, *, source: str, field: str | None,
                 what: str = "a scenario file") -> InputError:
    """A problem of the file ``path`` itself (missing, a directory, not YAML...) reported against the
    field that named it (``extends``, a spec's ``base``); problems inside the file keep their own place."""
    if exc.field is None and exc.source and exc.source.startswith(str(path)):
        if exc.expected == "file not found":
            return InputError(f"expected an existing {what.split(' ', 1)[1]}, got {written} (not found)",
                              source=source, field=field)
        return InputError(f"expected {what}, but {exc.line()}", source=source, field=field)
    return exc


def _read_base(base_path: Path, extends: str, source: str) -> dict:
    """The mapping of the file named by ``extends``; its problems are reported against ``extends``."""
    try:
        return read_yaml_mapping(base_path, what="a scenario mapping")
    except InputError as exc:
        raise as_reference(exc, base_path, extends, source=source, field="extends",
                           what="a scenario file to extend") from None


def _resolve(path: Path, data: dict, chain: tuple[Path, ...], origins: Origins) -> dict:
    source = str(path)
    extends = data.pop("extends", None)
    overrides = data.pop("set", None)
    if extends is not None:
        if not isinstance(extends, str) or not extends:
            raise InputError(f"expected a path to another scenario file, got {extends!r}", source=source, field="extends")
        base_path = checked_path(path.parent / extends, source=source, field="extends")
        if len(chain) + 2 > MAX_EXTENDS:
            raise InputError(f"expected a chain of at most {MAX_EXTENDS} files extending each other",
                             source=source, field="extends")
        try:
            resolved = base_path.resolve()
            here = path.resolve()
        except (OSError, RuntimeError) as exc:
            raise InputError(f"expected a path to another scenario file, got {extends} ({exc.__class__.__name__})",
                             source=source, field="extends") from None
        if resolved in chain or resolved == here:
            raise InputError(f"expected no cycle of extends, but {extends} is already being loaded",
                             source=source, field="extends")
        base = _resolve(resolved, _read_base(resolved, extends, source), (*chain, here), origins)
        _relocate_paths(data, path)
        origins.record(data, source)
        deleted: list[str] = []
        data = _merge(base, data, deleted)
        for removed in deleted:
            origins.assign(removed, source)
    else:
        _relocate_paths(data, path)
        origins.record(data, source)
    if overrides is not None:
        if not isinstance(overrides, dict):
            raise InputError(f"expected a mapping of dotted paths to values, got {type(overrides).__name__}",
                             source=source, field="set")
        for dotted, value in overrides.items():
            for concrete in paths.assign(data, str(dotted), copy.deepcopy(value), source=source):
                origins.assign(concrete, source)
    return data


_FILE_FIELDS = (("outputs", "targets"), ("posterior",))
"""Fields holding file paths, written relative to the file that sets them."""


def _relocate_paths(data: dict, path: Path) -> None:
    for *sections, key in _FILE_FIELDS:
        node = data
        for section in sections:
            node = node.get(section) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(key), str):
            target = checked_path(node[key], source=str(path), field=".".join([*sections, key]))
            if not target.is_absolute():
                target = path.parent / target
            node[key] = os.path.normpath(os.path.abspath(target))


def load_resolved(path: str | os.PathLike, model: type[M]) -> tuple[M, Origins]:
    """Resolve (``extends``, ``set``) and validate the scenario file at ``path`` as ``model``, its dated events
    applied in turn; with where each field came from, for the checks that need more than the format.

    Only the format is checked here: what needs the model or the reported
    figures (``outputs.metrics`` patterns, the targets file) is checked where
    both are known, :mod:`sim.inputs`.
    """
    path = Path(path)
    source = str(path)
    origins = Origins(source)
    data = _resolve(path, read_yaml_mapping(path, what="a scenario mapping"), (), origins)
    named_by_file = "name" not in data or origins.source_of("name") != source
    if named_by_file:
        data["name"] = path.stem  # a scenario is named by its own file unless it says otherwise
        origins.assign("name", source)
    try:
        scenario = validate_model(model, data, origins)
    except InputError as exc:
        if named_by_file and exc.field == "name":
            raise InputError(f"{exc.expected} (the name comes from the file name when the file sets none: "
                             "add name: to choose one)", source=source, field="name") from None
        raise
    check_events(scenario, origins)
    if scenario.posterior is not None and not Path(scenario.posterior).is_dir():
        raise InputError(f"expected a posterior directory (from bandwagon calibrate), got {scenario.posterior} "
                         "(not found)", source=origins.source_of("posterior"), field="posterior")
    return scenario, origins


# --- validation ----------------------------------------------------------------------------
def as_json(data: Any, source_of, prefix: str = "", dates: list[tuple[str, str]] | None = None) -> Any:
    """The document as JSON values (dates as ISO text), refusing what JSON cannot hold, by field.

    ``dates``, if given, collects the dates turned into text, with their paths (see :func:`_check_dates`).
    """
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if not isinstance(key, str):
                raise InputError(f"expected a text key, got {key!r}", source=source_of(prefix), field=path)
            out[key] = as_json(value, source_of, path, dates)
        return out
    if isinstance(data, (list, tuple)):
        return [as_json(value, source_of, f"{prefix}.{i}" if prefix else str(i), dates)
                for i, value in enumerate(data)]
    if data is None or isinstance(data, (str, bool)):
        return data
    if isinstance(data, numbers.Integral):
        return int(data)
    if isinstance(data, numbers.Real):
        return float(data)
    if isinstance(data, (dt.date, dt.datetime)):
        if dates is not None:
            dates.append((prefix, data.isoformat()))
        return data.isoformat()
    raise InputError(f"expected text, a number, a date, a list or a mapping, got {type(data).__name__}",
                     source=source_of(prefix), field=prefix or None)


def validate_model(model: type[BaseModel], data: dict, origins: "Origins | str"):
    """``model`` from ``data`` with the JSON Schema's types, strictly, or a one-line :class:`InputError`.

    The document goes through JSON, the format the schema describes: a date is
    ISO text, ``true`` is not a number and ``'5'`` is not an integer.
    """
    source_of = origins.source_of if isinstance(origins, Origins) else (lambda field: origins)
    dates: list[tuple[str, str]] = []
    text = json.dumps(as_json(data, source_of, dates=dates), allow_nan=True)
    _check_dates(model, dates, source_of)
    try:
        return model.model_validate_json(text, strict=True)
    except (FieldError, ValidationError) as exc:
        raise as_input_error(exc, model, origins) from None


def _check_dates(model: type[BaseModel], dates: list[tuple[str, str]], source_of) -> None:
    """A YAML date (written bare) only where the schema says ``format: date``: elsewhere text was meant.

    JSON has no dates, so a bare ``description: 2011-01-01`` would reach the model as the text
    ``'2011-01-01'`` and be taken silently; like ``seed: '5'``, it is refused by field.
    """
    for path, date in dates:
        node = _schema_node(_json_schema(model), path.split("."))
        if node is not None and _wants_text_only(_json_schema(model), node):
            raise InputError(f"expected text, got the date {date} written bare (quote it to keep it as text)",
                             source=source_of(path), field=path)


@functools.cache
def _json_schema(model: type[BaseModel]) -> dict:
    return model.model_json_schema()


def _resolved(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].split("/")[-1]]
    return node


def _schema_node(schema: dict, path: list[str]) -> dict | None:
    """The JSON Schema node at ``path`` (mapping keys, list indices), or None where the schema says nothing."""
    node = schema
    for part in path:
        node = _resolved(schema, node)
        options = [_resolved(schema, n) for n in node.get("anyOf", [node])]
        for option in options:
            if part in option.get("properties", {}):
                node = option["properties"][part]
                break
            if isinstance(option.get("additionalProperties"), dict):
                node = option["additionalProperties"]
                break
            if option.get("patternProperties"):
                node = next(iter(option["patternProperties"].values()))
                break
            if isinstance(option.get("items"), dict) and part.isdigit():
                node = option["items"]
                break
        else:
            return None
    return _resolved(schema, node)


def _wants_text_only(schema: dict, node: dict) -> bool:
    """Whether ``node`` takes strings but no date (a date written there was meant as text)."""
    options = [_resolved(schema, n) for n in node.get("anyOf", [node])]
    return (any(o.get("type") == "string" for o in options)
            and not any(o.get("format") in ("date", "date-time") or "type" not in o for o in options))


def check_events(scenario: BaseModel, origins: "Origins | str") -> None:
    """Apply every enabled dated event in date order, as a run will, and validate each result.

    What a run would refuse mid-way (a rate pushed below zero or past its
    bound) is refused here, naming the file that defined the event.
    """
    model = type(scenario)
    source_of = origins.source_of if isinstance(origins, Origins) else (lambda field: origins)
    current = scenario
    for date, name in dated_events(scenario):
        data = current.to_dict()
        event = current.events[name]
        changed = event_overrides(data, event, source=source_of(f"events.{name}"))
        try:
            current = validate_model(model, data, f"events.{name}")
        except InputError as exc:
            index = next((i for i, change in enumerate(event.changes) for path in changed
                          if path == exc.field and fnmatchcase(path, change.path)), None)
            field = f"events.{name}.changes.{index}" if index is not None else f"events.{name}"
            where = f" at {exc.field}" if exc.field and exc.field != field else ""
            raise InputError(f"{exc.expected}{where} once the event of {date} is applied",
                             source=source_of(field), field=field) from None


def load_model(model: type[BaseModel], path: str | os.PathLike, *, what: str, defaults: dict | None = None):
    """Read a YAML mapping and validate it as ``model``: the way every file format here is loaded.

    ``defaults`` fill keys the file leaves out (e.g. a name from the file's stem).
    """
    data = read_yaml_mapping(path, what=what)
    for key, value in (defaults or {}).items():
        data.setdefault(key, value)
    return validate_model(model, data, str(path))


def as_input_error(exc: FieldError | ValidationError, model: type[BaseModel],
                   origins: "Origins | str") -> InputError:
    """One-line :class:`InputError` for a failed validation of ``model``.

    ``origins`` attributes the field to a file: an :class:`Origins` for merged
    documents, or simply the file name.  Used for every validated file format
    (scenarios, targets, experiment specs).  A check comparing two fields
    names the one set by the file loaded last (the one the user just wrote).
    """
    source_of = origins.source_of if isinstance(origins, Origins) else (lambda field: origins)
    if isinstance(exc, FieldError):
        field, expected = exc.field, exc.expected
        if exc.alternatives and isinstance(origins, Origins):
            options = [(field, expected), *exc.alternatives]
            field, expected = max(options, key=lambda fe: origins.rank(source_of(fe[0])))
        return InputError(expected, source=source_of(field), field=field)
    error = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"] if part != "[key]") or None
    return InputError(_expected(error, model), source=source_of(field), field=field)


def _expected(error: dict, model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, error["loc"][:-1])
        return f"unknown key (expected one of: {', '.join(allowed)})" if allowed else "unknown key"
    if kind == "missing":
        return "missing required field"
    message = error["msg"]
    if kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern", "")
        message = _PATTERNS.get(pattern, f"expected text matching {pattern}")
    for prefix in ("Input should be ", "Value error, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    if message.startswith(("greater", "less")):
        message = f"a value {message}"
    message = message if message.startswith("expected") else f"expected {message}"
    if "input" in error and not isinstance(error["input"], (dict, list)) and ", got " not in message:
        value = error["input"]
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        if isinstance(value, float) and math.isfinite(value) and abs(value) >= 1e6:
            value = float(f"{value:.6g}")
        message += f", got {value!r}"
    return message


_PATTERNS = {
    r"^[a-z][a-z0-9_]*$": "expected a name of lower-case letters, digits and _, starting with a letter",
    r"^[a-z0-9][a-z0-9_.-]*$": "expected a name of lower-case letters, digits, '.', '_' and '-', starting with a "
                               "letter or digit",
}
"""Words for the name patterns of :mod:`.schema` (``Key``, ``ScenarioName``)."""


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at ``loc`` inside ``model`` (for unknown-key errors)."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {f.alias or n: f for n, f in annotation.model_fields.items()}
            field = fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        elif get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [field.alias or name for name, field in annotation.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip ``Optional`` and ``Annotated`` wrappers."""
    while True:
        args = get_args(annotation)
        if get_origin(annotation) is not None and getattr(annotation, "__metadata__", None) is not None:
            annotation = args[0]
            continue
        if args and type(None) in args and get_origin(annotation) is not dict:
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1:
                annotation = rest[0]
                continue
        return annotation
