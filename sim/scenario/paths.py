"""Dotted paths into scenario documents: ``agencies.levels.county.hazard.imitation``.

One addressing scheme serves counterfactual files (``set:``), dated events,
calibration and sweeps.  A ``*`` segment matches every key of a mapping, so
``agencies.levels.*.hazard.imitation`` addresses the imitation coefficient of
every level.  List items are addressed by their index.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError

WILDCARD = "*"


def split(path: str) -> list[str]:
    parts = path.split(".")
    if not path or any(part == "" for part in parts):
        raise ValueError(f"malformed path {path!r}")
    return parts


def _children(node: Any) -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [(str(k), v) for k, v in node.items()]
    if isinstance(node, list):
        return [(str(i), v) for i, v in enumerate(node)]
    return []


def _child(node: Any, key: str) -> tuple[bool, Any]:
    if isinstance(node, dict):
        return (key in node, node.get(key))
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return (True, node[int(key)])
    return (False, None)


def expand(data: Any, path: str) -> list[str]:
    """Every concrete path matching ``path`` that leads to a leaf value."""
    results: list[str] = []

    def walk(node: Any, parts: list[str], prefix: list[str]) -> None:
        if not parts:
            if not isinstance(node, (dict, list)):
                results.append(".".join(prefix))
            return
        head, rest = parts[0], parts[1:]
        if head == WILDCARD:
            for key, child in _children(node):
                walk(child, rest, [*prefix, key])
        else:
            found, child = _child(node, head)
            if found:
                walk(child, rest, [*prefix, head])

    walk(data, split(path), [])
    return results


def get(data: Any, path: str) -> Any:
    """The value at a concrete path; ``KeyError`` naming the path if absent."""
    node = data
    for part in split(path):
        found, node = _child(node, part)
        if not found:
            raise KeyError(path)
    return node


def _describe(node: Any) -> str:
    if isinstance(node, dict):
        return "one of " + ", ".join(sorted(map(str, node))) if node else "no key (empty mapping)"
    if isinstance(node, list):
        return f"an index below {len(node)}"
    return "no deeper key (a value)"


def assign(data: dict, path: str, value: Any, *, source: str) -> list[str]:
    """Set ``value`` at every match of ``path`` in ``data`` (in place).

    The path must already exist in ``data``: assigning creates nothing, so a
    misspelt path is an error, not a new, ignored key.  Returns the concrete
    paths assigned.
    """
    try:
        parts = split(path)
    except ValueError:
        raise InputError(f"expected a dotted path like agencies.levels.county.hazard.imitation, got {path!r}",
                         source=source) from None
    matches = expand(data, path)
    if not matches:
        node, walked = data, []
        for part in parts:
            if part == WILDCARD:
                children = _children(node)
                if not children:
                    break
                node = children[0][1]
                walked.append(children[0][0])
                continue
            found, child = _child(node, part)
            if not found:
                where = ".".join(walked) or "the top level"
                raise InputError(f"expected {_describe(node)} after {where}, got {part!r}", source=source, field=path)
            node, walked = child, [*walked, part]
        raise InputError("expected a path to a value (a number, string or date), not to a section",
                         source=source, field=path)
    for concrete in matches:
        *parents, last = split(concrete)
        node = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return matches


def check(path: str) -> str:
    """``path`` if it is a well-formed dotted path, else ``ValueError`` saying what is expected."""
    try:
        split(path)
    except ValueError:
        raise ValueError(f"expected a dotted path like agencies.levels.county.hazard.imitation, got {path!r}") from None
    return path
