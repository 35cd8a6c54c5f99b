"""A posterior directory: weighted draws of a calibration's free parameters.

``bandwagon calibrate`` writes two files (the format ``bandwagon-posterior/1``):

``posterior.csv``
    Header ``draw,weight,<parameter name>...``; ``draw`` numbers the rows
    0..n-1, ``weight`` is non-negative (need not sum to 1; importance weights
    of the stochastic correction, or all equal), and each parameter column
    holds the value in the parameter's own units: the factor for ``apply:
    multiply``, the value itself for ``apply: set``.
``posterior.json``
    What the columns mean: ``{"format": "bandwagon-posterior/1",
    "calibration": name, "spec": spec path, "base": base scenario (relative to
    the directory), "parameters": {name: {"path", "apply", "label", "range",
    "spacing", "prior"}}, "effective_draws", "sampler", "targets_used",
    "csv_sha256"}``.

:func:`load_posterior` checks everything a run needs before any output
exists (one-line :class:`~sim.errors.InputError` naming the file and the
field): both files present, regular files of at most 4 MiB (:mod:`sim.files`), the format,
every parameter's path and mode, the
CSV's header, draw numbers and weights, and the CSV's SHA-256 against the
one recorded in the JSON, so a hand-edited or truncated CSV is never used
silently.  Whether each parameter's path exists in the scenario being run is
checked when the posterior is bound to it (:func:`sim.posterior.draws.assign`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..errors import InputError
from ..files import checked_path, read_input_text
from ..output.atomic import write_text

FORMAT = "bandwagon-posterior/1"
CSV = "posterior.csv"
JSON = "posterior.json"
APPLY = ("set", "multiply")
PRIOR_LIKE_WIDTH = 0.9
"""A posterior 90% interval at least this share of the prior's is "close to the prior": the figures narrow it by
less than a tenth, which is within what the chains' own Monte Carlo error moves a 90% interval's ends."""


@dataclass(frozen=True)
class PosteriorParameter:
    """A column of ``posterior.csv``: the scenario values it sets, and how."""

    name: str
    path: str
    """Dotted path into a scenario, ``*`` allowed."""
    apply: str
    """``set`` (the value replaces every matched value) or ``multiply`` (it scales each)."""
    label: str
    range: tuple | None = None
    """The prior's range as ``posterior.json`` writes it (numbers, or ISO dates), if it does."""
    sampled: bool | None = None
    """False: drawn from its prior (the figures do not move the likelihood along it); None: not recorded."""
    width_ratio: float | None = None
    """Its posterior 90% interval over its prior's (near 1: the figures say little about it); None: not recorded."""

    @property
    def prior_like(self) -> bool:
        """Its posterior is (close to) its prior: drawn from it, or its 90% interval narrowed by less than
        :data:`PRIOR_LIKE_WIDTH` of the prior's.  Whatever follows from its value comes from the prior."""
        return self.sampled is False or (self.width_ratio is not None and self.width_ratio >= PRIOR_LIKE_WIDTH)


@dataclass(frozen=True, eq=False)
class Posterior:
    """A checked posterior directory, held in memory (a few thousand draws at most)."""

    directory: Path
    calibration: str
    parameters: tuple[PosteriorParameter, ...]
    values: tuple[tuple, ...]
    """``values[draw][j]``: parameter ``j`` in draw ``draw`` (a float, or an ISO date for a date)."""
    weights: np.ndarray
    csv_sha256: str
    json_sha256: str
    base: str | None
    """The calibration's base scenario as ``posterior.json`` writes it (relative to the directory)."""
    effective_draws: float | None
    sampler: str
    convergence: dict | None = None
    """What ``posterior.json`` records of the chains' convergence (``converged``, ``max_rhat``, ``min_ess_bulk``,
    ``min_ess_tail``, ...); None for a posterior written before it did."""

    @property
    def converged(self) -> bool | None:
        """True or False as the calibration judged its chains; None when it recorded nothing."""
        if not self.convergence or not isinstance(self.convergence.get("converged"), bool):
            return None
        return self.convergence["converged"]

    def warning(self) -> str | None:
        """A plain sentence for every report and command output that uses draws from chains that did not converge
        (or whose convergence is unknown); None if they did."""
        return convergence_warning(self.directory, self.convergence)

    @property
    def csv_path(self) -> Path:
        return self.directory / CSV

    @property
    def json_path(self) -> Path:
        return self.directory / JSON

    @property
    def draws(self) -> int:
        return len(self.values)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def base_document(self) -> dict | None:
        """The calibration's base scenario (resolved), or None if ``posterior.json`` names none."""
        if not self.base:
            return None
        from ..scenario import Scenario

        path = self.directory / self.base
        if not path.is_file():
            raise InputError(f"expected the calibration's base scenario file, got {self.base} (not found from "
                             f"{self.directory})", source=str(self.json_path), field="base")
        return Scenario.from_yaml(path).to_dict()

    def describe(self) -> dict:
        """What a manifest records of the posterior (the draws used are the :class:`Assignment`'s)."""
        return {
            "directory": str(self.directory),
            "csv": str(self.csv_path),
            "csv_sha256": self.csv_sha256,
            "json_sha256": self.json_sha256,
            "calibration": self.calibration,
            "sampler": self.sampler,
            "draws_available": self.draws,
            "effective_draws": self.effective_draws,
            "converged": self.converged,
            "convergence": self.convergence,
            "parameters": {p.name: {"path": p.path, "apply": p.apply, "label": p.label,
                                    **({"range": list(p.range)} if p.range is not None else {}),
                                    **({"sampled": p.sampled} if p.sampled is not None else {}),
                                    **({"width_ratio": p.width_ratio} if p.width_ratio is not None else {})}
                           for p in self.parameters},
        }


# --- reading ---------------------------------------------------------------------------------
def _read(path: Path, directory: Path) -> str:
    """The file's text, through the one reader of input files (regular files of at most 4 MiB, UTF-8)."""
    if not path.exists() and not path.is_symlink():
        raise InputError(f"expected a posterior directory written by bandwagon calibrate ({CSV} and {JSON}), "
                         f"but {path.name} is missing", source=str(directory))
    return read_input_text(path)


def convergence_warning(directory, convergence: dict | None) -> str | None:
    """The sentence :meth:`Posterior.warning` gives, from what a manifest records of a posterior (its directory and
    ``convergence``): None when the chains converged."""
    if convergence and convergence.get("converged") is True:
        return None
    if not convergence or not isinstance(convergence.get("converged"), bool):
        return (f"the posterior {directory} records no convergence diagnostics: treat its bands as "
                "unverified")
    c = convergence
    return (f"the posterior {directory} did NOT converge (rank R-hat up to {c.get('max_rhat', float('nan')):.3f}, "
            f"bulk ESS down to {c.get('min_ess_bulk', float('nan')):.0f}, tail ESS down to "
            f"{c.get('min_ess_tail', float('nan')):.0f}): its bands may be too narrow or in the wrong place")


def load_posterior(directory: str | Path) -> Posterior:
    """Read and check a posterior directory, or raise a one-line :class:`InputError`."""
    directory = checked_path(directory, source="posterior")
    if not directory.is_dir():
        why = "it is not a directory" if directory.exists() else "it does not exist"
        raise InputError(f"expected a posterior directory written by bandwagon calibrate ({CSV} and {JSON}), "
                         f"but {why}", source=str(directory))
    csv_text = _read(directory / CSV, directory)
    json_text = _read(directory / JSON, directory)
    meta = _read_json(json_text, directory / JSON)
    parameters = _parameters(meta, directory / JSON)
    csv_sha256 = hashlib.sha256(csv_text.encode("utf-8")).hexdigest()  # UTF-8 decodes and encodes back exactly
    recorded = meta.get("csv_sha256")
    if not isinstance(recorded, str) or recorded.lower() != csv_sha256:
        raise InputError(f"expected {CSV}'s SHA-256 {csv_sha256[:12]}... (the file as it is), got {recorded!r}: "
                         f"{CSV} was changed after calibration, or belongs to another one",
                         source=str(directory / JSON), field="csv_sha256")
    values, weights = _read_csv(csv_text, directory / CSV, parameters)
    effective = meta.get("effective_draws")
    return Posterior(
        directory=directory,
        calibration=str(meta.get("calibration") or directory.name),
        parameters=parameters,
        values=values,
        weights=weights,
        csv_sha256=csv_sha256,
        json_sha256=hashlib.sha256(json_text.encode("utf-8")).hexdigest(),
        base=meta.get("base") if isinstance(meta.get("base"), str) else None,
        effective_draws=float(effective) if _is_number(effective) else None,
        sampler=str(meta.get("sampler") or "unknown"),
        convergence=meta.get("convergence") if isinstance(meta.get("convergence"), dict) else None,
    )


def chosen(scenario_posterior: str | None, option=None, off: bool = False) -> Posterior | None:
    """The posterior a command uses: ``--posterior DIR``, else the scenario's ``posterior:``, unless turned off."""
    where = None if off else (option or scenario_posterior)
    return load_posterior(where) if where else None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _read_json(text: str, path: Path) -> dict:
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"expected a JSON document ({exc.__class__.__name__})", source=str(path)) from None
    if not isinstance(meta, dict):
        raise InputError(f"expected a JSON object at the top level, got {type(meta).__name__}", source=str(path))
    if meta.get("format") != FORMAT:
        raise InputError(f"expected {FORMAT!r}, got {meta.get('format')!r}", source=str(path), field="format")
    return meta


def _parameters(meta: dict, path: Path) -> tuple[PosteriorParameter, ...]:
    found = meta.get("parameters")
    if not isinstance(found, dict) or not found:
        raise InputError("expected a mapping of parameter names to {path, apply, ...}", source=str(path),
                         field="parameters")
    parameters = []
    for name, entry in found.items():
        field = f"parameters.{name}"
        if not isinstance(entry, dict):
            raise InputError("expected a mapping with path and apply", source=str(path), field=field)
        dotted = entry.get("path")
        if not isinstance(dotted, str) or not dotted or any(part == "" for part in dotted.split(".")):
            raise InputError(f"expected a dotted path into the scenario, got {dotted!r}", source=str(path),
                             field=f"{field}.path")
        apply = entry.get("apply", "set")
        if apply not in APPLY:
            raise InputError(f"expected one of {', '.join(APPLY)}, got {apply!r}", source=str(path),
                             field=f"{field}.apply")
        label = entry.get("label")
        sampled, ratio, bounds = entry.get("sampled"), entry.get("width_ratio"), entry.get("range")
        if sampled is not None and not isinstance(sampled, bool):
            raise InputError(f"expected true or false, got {sampled!r}", source=str(path), field=f"{field}.sampled")
        if ratio is not None and not (_is_number(ratio) and ratio >= 0):
            raise InputError(f"expected a number >= 0, got {ratio!r}", source=str(path), field=f"{field}.width_ratio")
        parameters.append(PosteriorParameter(str(name), dotted, apply, label if isinstance(label, str) and label
                                             else str(name),
                                             range=tuple(bounds) if isinstance(bounds, list) and len(bounds) == 2
                                             else None,
                                             sampled=sampled, width_ratio=float(ratio) if ratio is not None else None))
    return tuple(parameters)


def _read_csv(text: str, path: Path, parameters: Sequence[PosteriorParameter]) -> tuple[tuple, np.ndarray]:
    """The draws in the JSON's parameter order, and their weights."""
    try:
        rows = iter(list(csv.reader(io.StringIO(text, newline=""))))
    except csv.Error as exc:
        raise InputError(f"expected CSV ({exc})", source=str(path)) from None
    header = next(rows, None) or []
    names = [p.name for p in parameters]
    if header[:2] != ["draw", "weight"] or sorted(header[2:]) != sorted(names) or len(set(header)) != len(header):
        raise InputError(f"expected the header draw,weight,{','.join(names)} (the parameters of {JSON}), "
                         f"got {','.join(header)!r}", source=str(path), field="line 1")
    column = {name: header.index(name) for name in names}
    values, weights = [], []
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        where = f"line {line}"
        if len(row) != len(header):
            raise InputError(f"expected {len(header)} columns, got {len(row)}", source=str(path), field=where)
        draw = len(values)
        if row[0].strip() != str(draw):
            raise InputError(f"expected draw {draw} (draws numbered 0, 1, ... in order), got {row[0]!r}",
                             source=str(path), field=f"{where}: draw")
        weight = _finite(row[1])
        if weight is None or weight < 0:
            raise InputError(f"expected a finite weight >= 0, got {row[1]!r}", source=str(path),
                             field=f"{where}: weight")
        weights.append(weight)
        values.append(tuple(_value(row[column[p.name]], p, path, where) for p in parameters))
    if not values:
        raise InputError("expected at least one draw", source=str(path))
    weights_array = np.asarray(weights, dtype=float)
    if not weights_array.sum() > 0:
        raise InputError("expected at least one draw with a positive weight, got all weights 0", source=str(path),
                         field="weight")
    return tuple(values), weights_array


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _value(text: str, parameter: PosteriorParameter, path: Path, where: str):
    """A number; or, for ``apply: set`` only, the text (a date), which the scenario's validation checks."""
    value = _finite(text)
    if value is not None:
        if parameter.apply == "multiply" and value < 0:
            raise InputError(f"expected a non-negative factor, got {text!r}", source=str(path),
                             field=f"{where}: {parameter.name}")
        return value
    if parameter.apply == "set" and text.strip() and text.strip().lower() not in ("nan", "inf", "-inf", "infinity"):
        return text.strip()
    raise InputError(f"expected a finite number, got {text!r}", source=str(path), field=f"{where}: {parameter.name}")


# --- writing (the format's reference writer; tests and benchmarks build fixtures with it) ------
def _cell(value) -> str:
    """A value as the CSV holds it: a count as a whole number, another number exactly (repr), a date as text."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)


def write_posterior(directory: str | Path, parameters: Mapping[str, Mapping], values: Sequence[Sequence],
                    weights: Sequence[float] | None = None, *, calibration: str, base: str | None = None,
                    spec: str | None = None, sampler: str = "unknown",
                    targets_used: Sequence[str] = (), effective_draws: float | None = None,
                    convergence: Mapping | None = None, sensitivity: Mapping | None = None) -> Path:
    """Write ``posterior.csv`` and ``posterior.json`` (atomically) and return the directory.

    The one writer of the format (``bandwagon calibrate`` writes through it).
    ``parameters`` maps names to ``{"path", "apply", "label", ...}`` (written
    as given), ``values[draw]`` holds one value per parameter in that order
    (numbers, or ISO dates as text), ``weights`` defaults to equal weights.
    ``base`` is relative to the directory.  ``effective_draws`` is the
    sampler's estimate; without one, Kish's from the weights.  ``convergence``: the chains' diagnostics
    (:meth:`sim.calibration.bayes.diagnostics.Convergence.as_dict`), recorded so that every later use can say whether
    the draws come from converged chains.  ``sensitivity``: the posterior under other likelihoods
    (:meth:`sim.calibration.bayes.sensitivity.Sensitivity.as_dict`), recorded as given.
    """
    directory = Path(directory)
    names = list(parameters)
    weights = [1.0] * len(values) if weights is None else list(weights)
    lines = [",".join(["draw", "weight", *names])]
    for draw, (weight, row) in enumerate(zip(weights, values)):
        lines.append(",".join([str(draw), repr(float(weight)), *(_cell(v) for v in row)]))
    text = "\n".join(lines) + "\n"
    w = np.asarray(weights, dtype=float)
    meta = {
        "format": FORMAT,
        "calibration": calibration,
        "spec": spec,
        "base": base,
        "parameters": {name: dict(entry) for name, entry in parameters.items()},
        "effective_draws": (round(float(effective_draws), 1) if effective_draws is not None
                            else float(w.sum() ** 2 / (w ** 2).sum()) if (w ** 2).sum() > 0 else 0.0),
        "sampler": sampler,
        "convergence": dict(convergence) if convergence is not None else None,
        "targets_used": list(targets_used),
        **({"sensitivity": dict(sensitivity)} if sensitivity is not None else {}),
        "csv_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    write_text(directory / CSV, text)
    write_text(directory / JSON, json.dumps(meta, indent=2) + "\n")
    return directory


def kish(weights) -> float:
    """``(sum w)^2 / sum w^2`` (Kish 1965): how many equally weighted draws the weights are worth (0 if none)."""
    w = np.asarray(weights, float)
    total = w.sum()
    return float(total ** 2 / np.sum(w ** 2)) if total > 0 else 0.0
