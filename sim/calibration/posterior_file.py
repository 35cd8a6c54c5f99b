"""``posterior.csv`` and ``posterior.json``: a calibration's posterior, for runs, comparisons and sweeps.

The format (``bandwagon-posterior/1``), which ``bandwagon run --posterior``
and the other consumers read:

* ``posterior.csv``: header ``draw,weight,<parameter name>...`` (the spec's
  names, in the spec's order); ``draw`` is 0..N-1, ``weight`` >= 0 (need not
  sum to 1); values in the parameter's own units: the factor for ``apply:
  multiply``, the value for ``apply: set`` (an ISO date for a parameter whose
  range is two dates).
* ``posterior.json``: ``format``, ``calibration`` (its name), ``spec`` (the
  spec's path as given), ``base`` (the base scenario, relative to the
  directory holding the file), ``parameters`` (per name: ``path``, ``apply``,
  ``label``, ``range`` (numbers, or ISO dates), ``spacing``, ``prior``, and
  ``kind``: ``number`` or ``date``), ``effective_draws``, ``sampler``,
  ``targets_used`` and ``csv_sha256`` (of the CSV's bytes).

:func:`read_posterior` checks a directory against that format and turns each
draw into scenario overrides (:meth:`BoundPosterior.overrides`), so consumers
need not know how parameters bind: ``read_posterior(dir).bind_to(scenario.to_dict(),
source).overrides(draw)`` gives the dotted-path overrides of one draw.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..output.atomic import write_text
from ..scenario.binding import Binding
from .parameters import FreeParameter, ParameterSpace

FORMAT = "bandwagon-posterior/1"


def _prior_json(p: FreeParameter) -> dict:
    if p.prior is None:
        return {"distribution": "uniform", "on": "days" if p.dated else p.spacing}
    data = p.prior.model_dump(mode="json", exclude_none=True)
    if data.get("distribution") == "uniform":
        data["on"] = "days" if p.dated else p.spacing
    return data


def _range(p: FreeParameter) -> list:
    return [p.show(p.low), p.show(p.high)] if p.dated else [p.low, p.high]


def csv_text(space: ParameterSpace, values: np.ndarray, weights: np.ndarray) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["draw", "weight", *space.names])
    for i, (row, w) in enumerate(zip(values, weights)):
        writer.writerow([i, f"{w:.10g}", *(p.show(v) if p.dated else _number(p, v) for p, v in zip(space, row))])
    return buffer.getvalue()


def _number(p: FreeParameter, value: float) -> str:
    integer = p.apply == "set" and any(p.integer)
    return str(int(round(value))) if integer else f"{value:.10g}"


def write_posterior(directory: Path, *, space: ParameterSpace, values: np.ndarray, weights: np.ndarray,
                    calibration: str, spec: str, base: Path, final_dir: Path, effective_draws: float, sampler: str,
                    targets_used: list[str]) -> None:
    """Write ``posterior.csv`` and ``posterior.json`` into ``directory`` (staged for ``final_dir``)."""
    text = csv_text(space, values, weights)
    document = {
        "format": FORMAT,
        "calibration": calibration,
        "spec": spec,
        "base": os.path.relpath(Path(base).resolve(), Path(final_dir).resolve()),
        "parameters": {p.name: {"path": p.path, "apply": p.apply, "label": p.label, "range": _range(p),
                                "spacing": p.spacing, "prior": _prior_json(p),
                                "kind": "date" if p.dated else "number"} for p in space},
        "effective_draws": round(float(effective_draws), 1),
        "sampler": sampler,
        "targets_used": list(targets_used),
        "csv_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    write_text(directory / "posterior.csv", text)
    write_text(directory / "posterior.json", json.dumps(document, indent=2) + "\n")


@dataclass(frozen=True)
class PosteriorFile:
    """A posterior read back: its document, the draws' values (strings for dates) and weights."""

    directory: Path
    document: dict
    names: list[str]
    values: list[list]
    weights: np.ndarray
    sha256: str

    @property
    def base(self) -> Path:
        return self.directory / self.document["base"]

    def bind_to(self, scenario_data: dict, source: str) -> "BoundPosterior":
        """The posterior bound to a scenario document (``Scenario.to_dict()``): checks every path."""
        from ..scenario.binding import bind

        bindings = []
        for name in self.names:
            meta = self.document["parameters"][name]
            bindings.append(bind(meta["path"], meta["apply"], scenario_data, source=source,
                                 field=f"parameters.{name}.path", numbers=meta.get("kind", "number") != "date"))
        return BoundPosterior(self, bindings)


@dataclass(frozen=True)
class BoundPosterior:
    posterior: PosteriorFile
    bindings: list[Binding]

    def overrides(self, draw: int) -> dict[str, object]:
        out: dict[str, object] = {}
        for binding, value in zip(self.bindings, self.posterior.values[draw]):
            if isinstance(value, str):
                out.update({path: value for path in binding.paths})
            else:
                out.update(binding.overrides(value))
        return out


def read_posterior(directory: str | os.PathLike) -> PosteriorFile:
    """Read and check a posterior directory (raises :class:`InputError` naming the file and field)."""
    directory = Path(directory)
    csv_path, json_path = directory / "posterior.csv", directory / "posterior.json"
    for path in (csv_path, json_path):
        if not path.is_file():
            raise InputError(f"expected a calibration directory holding {path.name} (bandwagon calibrate writes it)",
                             source=str(directory))
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"expected JSON ({exc})", source=str(json_path)) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(f"expected format {FORMAT!r}", source=str(json_path), field="format")
    parameters = document.get("parameters")
    if not isinstance(parameters, dict) or not parameters:
        raise InputError("expected a mapping of parameters", source=str(json_path), field="parameters")
    raw = csv_path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if document.get("csv_sha256") != sha:
        raise InputError("expected posterior.csv to match its recorded SHA-256 (the file was changed)",
                         source=str(json_path), field="csv_sha256")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    header = rows[0] if rows else []
    names = list(parameters)
    if header != ["draw", "weight", *names]:
        raise InputError(f"expected the header draw,weight,{','.join(names)}", source=str(csv_path), field="header")
    values, weights = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError(f"expected {len(header)} columns, got {len(row)}", source=str(csv_path),
                             field=f"line {line}")
        if row[0] != str(line - 2):
            raise InputError(f"expected draw {line - 2}, got {row[0]!r}", source=str(csv_path), field=f"line {line}")
        weight = _float(row[1], csv_path, f"line {line}.weight")
        if not weight >= 0:
            raise InputError(f"expected a non-negative weight, got {row[1]}", source=str(csv_path),
                             field=f"line {line}.weight")
        weights.append(weight)
        values.append([_value(cell, parameters[name], csv_path, f"line {line}.{name}")
                       for cell, name in zip(row[2:], names)])
    if not values or sum(weights) <= 0:
        raise InputError("expected at least one draw with a positive weight", source=str(csv_path))
    return PosteriorFile(directory=directory, document=document, names=names, values=values,
                         weights=np.array(weights), sha256=sha)


def _float(cell: str, path: Path, field: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise InputError(f"expected a number, got {cell!r}", source=str(path), field=field) from None
    if not math.isfinite(value):
        raise InputError(f"expected a finite number, got {cell!r}", source=str(path), field=field)
    return value


def _value(cell: str, meta: dict, path: Path, field: str):
    if meta.get("kind") == "date":
        try:
            return dt.date.fromisoformat(cell).isoformat()
        except ValueError:
            raise InputError(f"expected an ISO date, got {cell!r}", source=str(path), field=field) from None
    return _float(cell, path, field)
