"""Reading scenario files: YAML, ``extends``, ``set``, and one-line errors.

A scenario file is a YAML mapping.  Two keys are directives of the loader and
never reach the model:

``extends: other.yaml``
    Start from another scenario file (path relative to this one) and deep-merge
    this file's mappings over it, so a counterfactual states only what differs.
``set: {dotted.path: value, ...}``
    Assign values at dotted paths after merging; ``*`` matches every key, so
    ``agencies.levels.*.hazard.imitation: 0`` switches imitation off everywhere.

Every error names the file that set the offending field (following
``extends`` chains), the field's dotted path and what was expected.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import FieldError, InputError
from . import paths

if TYPE_CHECKING:
    from .schema import Scenario

DIRECTIVES = ("extends", "set")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of keeping the last."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark
            )
        seen[key] = loader.construct_object(value_node, deep=deep)
    return seen


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def read_yaml_mapping(path: str | os.PathLike, *, what: str = "a YAML mapping") -> dict:
    """A YAML file's top-level mapping, or an :class:`InputError`."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", source=source) from None
    except IsADirectoryError:
        raise InputError("expected a file, got a directory", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file ({exc.__class__.__name__}: {exc})", source=source) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"malformed YAML: {problem}", source=where) from None
    if not isinstance(data, dict):
        raise InputError(f"expected {what} at the top level, got {type(data).__name__}", source=source)
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise InputError(f"expected text keys, got {bad_keys[0]!r}", source=source)
    return data


class Origins:
    """Which file set each dotted path of a merged document."""

    def __init__(self, root: str):
        self.root = root
        self._by_path: dict[str, str] = {}

    def record(self, data: Any, source: str, prefix: str = "") -> None:
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


def _merge(base: Any, override: Any) -> Any:
    """Deep-merge mappings; anything else in ``override`` replaces ``base``."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def _resolve(path: Path, chain: tuple[Path, ...], origins: Origins) -> dict:
    source = str(path)
    data = read_yaml_mapping(path, what="a scenario mapping")
    extends = data.pop("extends", None)
    overrides = data.pop("set", None)
    if extends is not None:
        if not isinstance(extends, str) or not extends:
            raise InputError(f"expected a path to another scenario file, got {extends!r}", source=source, field="extends")
        base_path = (path.parent / extends).resolve()
        if base_path in chain or base_path == path.resolve():
            raise InputError(f"expected no cycle of extends, but {extends} is already being loaded",
                             source=source, field="extends")
        if not base_path.exists():
            raise InputError(f"expected an existing scenario file, got {extends} (not found)", source=source, field="extends")
        base = _resolve(base_path, (*chain, path.resolve()), origins)
        _relocate_paths(data, path)
        origins.record(data, source)
        data = _merge(base, data)
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
            target = Path(node[key])
            if not target.is_absolute():
                target = path.parent / target
            node[key] = str(target.resolve())


def load_scenario(path: str | os.PathLike) -> "Scenario":
    """Resolve and validate the scenario file at ``path``."""
    path = Path(path)
    origins = Origins(str(path))
    data = _resolve(path, (), origins)
    if "name" not in data or origins.source_of("name") != str(path):
        data["name"] = path.stem  # a scenario is named by its own file unless it says otherwise
    scenario = validate_document(data, source=str(path), origins=origins)
    targets = scenario.outputs.targets
    if targets is not None and not Path(targets).is_file():
        raise InputError(f"expected an existing targets file, got {targets} (not found)",
                         source=origins.source_of("outputs.targets"), field="outputs.targets")
    if scenario.posterior is not None and not Path(scenario.posterior).is_dir():
        raise InputError(f"expected a posterior directory (from bandwagon calibrate), got {scenario.posterior} "
                         "(not found)", source=origins.source_of("posterior"), field="posterior")
    return scenario


def validate_document(data: dict, *, source: str, origins: Origins | None = None) -> "Scenario":
    """Build a :class:`Scenario` from a resolved document, or raise one-line errors."""
    from .schema import Scenario

    origins = origins or Origins(source)
    try:
        return Scenario.model_validate(data)
    except (FieldError, ValidationError) as exc:
        raise as_input_error(exc, Scenario, origins) from None


def load_model(model: type[BaseModel], path: str | os.PathLike, *, what: str, defaults: dict | None = None):
    """Read a YAML mapping and validate it as ``model``: the way every file format here is loaded.

    ``defaults`` fill keys the file leaves out (e.g. a name from the file's stem).
    """
    data = read_yaml_mapping(path, what=what)
    for key, value in (defaults or {}).items():
        data.setdefault(key, value)
    try:
        return model.model_validate(data)
    except (FieldError, ValidationError) as exc:
        raise as_input_error(exc, model, str(path)) from None


def as_input_error(exc: FieldError | ValidationError, model: type[BaseModel],
                   origins: "Origins | str") -> InputError:
    """One-line :class:`InputError` for a failed validation of ``model``.

    ``origins`` attributes the field to a file: an :class:`Origins` for merged
    documents, or simply the file name.  Used for every validated file format
    (scenarios, targets, experiment specs).
    """
    source_of = origins.source_of if isinstance(origins, Origins) else (lambda field: origins)
    if isinstance(exc, FieldError):
        return InputError(exc.expected, source=source_of(exc.field), field=exc.field)
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
    for prefix in ("Input should be ", "Value error, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    if message.startswith(("greater", "less")):
        message = f"a value {message}"
    message = message if message.startswith("expected") else f"expected {message}"
    if "input" in error and not isinstance(error["input"], (dict, list)):
        value = error["input"]
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        message += f", got {value!r}"
    return message


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
