"""Saved results, read back for figures and reports: run and sweep-point directories.

A result directory holds ``summary.csv`` and ``manifest.json`` of kind ``run``
(written by ``bandwagon run``) or ``sweep-point`` (one point of ``bandwagon
sweep``), with the resolved scenario under ``"scenario"``.  The timeseries table
(``timeseries.csv.gz``, ``.csv`` or ``.parquet``: one row per replication) is optional and read only when a figure needs the
replications themselves: the band of monthly flows and the uncertainty of a
difference between runs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..output.formats import find
from ..output.tables import Summary, read_timeseries
from ..targets import Targets

KINDS = ("run", "sweep-point")
RUN_STAMP = re.compile(r"^\d{8}T\d{6}Z$")
"""Names ``bandwagon run`` gives the runs of a scenario by default: ``results/<scenario>/<UTC timestamp>``."""
REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    """One run or sweep point: its scenario, its summary and, lazily, its replications."""

    label: str
    """How figures and tables name it: the scenario's name, or the sweep point's."""
    scenario: dict
    """The resolved scenario document (``Scenario.to_dict()``)."""
    summary: Summary
    kind: str = "run"
    path: Path | None = None
    replications: int | None = None
    seed: int | None = None
    parameters: dict = field(default_factory=dict)
    """A sweep point's parameters (dotted path -> value)."""
    targets: Targets | None = None
    notes: list[str] = field(default_factory=list)
    """What could not be used (a missing targets file...), said in reports."""
    timeseries_path: Path | None = None
    posterior: dict | None = None
    """The manifest's ``posterior`` entry (:func:`sim.posterior.manifest_entry`): the files, the draws used."""
    chosen: str | None = None
    """How the directory was found when a parent of timestamped runs was named (said on stderr)."""
    _timeseries: tuple | None = field(default=None, repr=False)

    # --- what it holds ---------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.scenario.get("name", self.label))

    @property
    def description(self) -> str:
        return str(self.scenario.get("description", "")).strip()

    @property
    def dates(self) -> np.ndarray:
        return self.summary.dates

    @property
    def metrics(self) -> list[str]:
        return self.summary.metrics

    def events(self) -> dict[str, dt.date]:
        """Enabled dated events: name -> date."""
        return {name: dt.date.fromisoformat(str(event["date"]))
                for name, event in (self.scenario.get("events") or {}).items() if event.get("enabled", True)}

    def account_launches(self) -> dict[str, dt.date]:
        return {name: dt.date.fromisoformat(str(account["launch"]))
                for name, account in (self.scenario.get("accounts") or {}).items()}

    @property
    def uncertainty(self) -> str:
        """What the spread of the replications holds, in words, for every band and table built on it."""
        if self.posterior is None:
            return "replication noise only"
        return f"parameter uncertainty (posterior from {self.posterior.get('calibration', '?')}) and replication noise"

    def draws(self) -> list[int] | None:
        """The posterior draw of each replication, if the run drew from a posterior."""
        return list(self.posterior.get("draws") or []) if self.posterior is not None else None

    def has_timeseries(self) -> bool:
        return self._timeseries is not None or (self.timeseries_path is not None and self.timeseries_path.is_file())

    def timeseries(self) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """``(dates, {metric: (replications, days)})`` or None without ``timeseries.csv``."""
        if self._timeseries is None and self.has_timeseries():
            self._timeseries = read_timeseries(self.timeseries_path)
        return self._timeseries

    def replication_count(self) -> int | None:
        if self.replications:
            return self.replications
        series = self.timeseries()
        if series is not None and series[1]:
            return int(next(iter(series[1].values())).shape[0])
        return self.summary.replications or None


# --- reading a directory ---------------------------------------------------------------
def _not_a_result(path: Path, why: str) -> InputError:
    return InputError(f"expected a run or sweep-point directory (summary.csv and manifest.json of kind "
                      f"{' or '.join(KINDS)}), but {why}", source=str(path))


def _is_result(path: Path) -> bool:
    """A complete run or sweep point (runs are moved into place whole, so a manifest means complete)."""
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(manifest, dict) and manifest.get("kind") in KINDS and (path / "summary.csv").is_file()


def resolve_run_dir(path: str | Path) -> tuple[Path, str | None]:
    """The run directory ``path`` means, and a note when it was chosen among several.

    A run directory means itself.  A directory of timestamped runs (the
    default ``results/<scenario>/``) means its latest complete run, and the
    note says which; a directory holding other runs in subfolders is an error
    naming them, since which one is meant cannot be guessed.
    """
    path = Path(path)
    if not path.is_dir() or (path / "manifest.json").exists():
        return path, None
    try:
        children = sorted(child for child in path.iterdir() if child.is_dir() and not child.name.startswith("."))
    except OSError:
        return path, None
    runs = [child for child in children if _is_result(child)]
    stamped = [run for run in runs if RUN_STAMP.match(run.name)]
    if stamped:
        latest = stamped[-1]
        others = f" (of {len(stamped)} timestamped runs)" if len(stamped) > 1 else ""
        return latest, f"{path} is a directory of runs: using the latest, {latest}{others}"
    if runs:
        names = ", ".join(run.name for run in runs[:4]) + (", ..." if len(runs) > 4 else "")
        raise _not_a_result(path, f"it has no manifest.json; it holds runs in subfolders ({names}): name one of them")
    return path, None


def load_result(path: str | Path, targets_file: Path | None = None) -> Result:
    """Read a run or sweep-point directory, or raise a one-line :class:`InputError`.

    A directory of timestamped runs stands for its latest run (:func:`resolve_run_dir`).
    """
    path, chosen = resolve_run_dir(path)
    if not path.is_dir():
        raise _not_a_result(path, "it is not a directory" if path.exists() else "it does not exist")
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise _not_a_result(path, "it has no manifest.json")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"expected a JSON manifest ({exc.__class__.__name__})", source=str(manifest_path)) from None
    if not isinstance(manifest, dict) or manifest.get("kind") not in KINDS:
        kind = manifest.get("kind") if isinstance(manifest, dict) else None
        raise _not_a_result(path, f"its manifest.json is of kind {kind!r}")
    scenario = manifest.get("scenario")
    if not isinstance(scenario, dict) or "name" not in scenario:
        raise InputError("expected the resolved scenario under \"scenario\"", source=str(manifest_path))
    if not (path / "summary.csv").is_file():
        raise _not_a_result(path, "it has no summary.csv")
    summary = Summary.read(path / "summary.csv")
    kind = manifest["kind"]
    parameters = next((v for v in (manifest.get("parameters"), manifest.get("point")) if isinstance(v, dict)), {})
    label = str(scenario["name"]) if kind == "run" else point_label(path.name, parameters)
    replications = manifest.get("replications") or scenario.get("replications")
    seed = manifest.get("seed", scenario.get("seed"))
    result = Result(label=label, scenario=scenario, summary=summary, kind=kind, path=path,
                    replications=int(replications) if replications else None,
                    seed=int(seed) if seed is not None else None,
                    parameters=parameters,
                    timeseries_path=find(path, "timeseries"), chosen=chosen,
                    posterior=manifest["posterior"] if isinstance(manifest.get("posterior"), dict) else None)
    result.targets = load_targets(result, targets_file)
    return result


def point_label(point: str, parameters: dict) -> str:
    """A sweep point by its parameter values when that is short (``push=2, imitation=0.5``)."""
    text = ", ".join(f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"
                     for name, value in parameters.items())
    return text if text and len(text) <= 40 else point


def load_targets(result: Result, targets_file: Path | None = None) -> Targets | None:
    """The scenario's targets file, found as written, from here, or from the repository root.

    A run stores the path it was given (relative to where it ran), so a run
    read from elsewhere may not find it; it is then drawn without reported
    figures and the report says why.  ``targets_file`` overrides the scenario.
    """
    if targets_file is not None:
        return Targets.from_yaml(targets_file)
    stored = (result.scenario.get("outputs") or {}).get("targets")
    if not stored:
        return None
    stored = Path(stored)
    candidates = [stored] if stored.is_absolute() else [Path.cwd() / stored, REPOSITORY / stored]
    for candidate in candidates:
        if candidate.is_file():
            return Targets.from_yaml(candidate)
    result.notes.append(f"targets file {stored} not found: no reported figures shown (use --targets FILE)")
    return None


def load_results(paths: list[Path], targets_file: Path | None = None) -> list[Result]:
    """Several results, with labels made unique (a scenario run twice gets its directory's name)."""
    results = [load_result(p, targets_file) for p in paths]
    seen: dict[str, int] = {}
    for result in results:
        seen[result.label] = seen.get(result.label, 0) + 1
    for result in results:
        if seen[result.label] > 1 and result.path is not None:
            result.label = f"{result.label} ({result.path.name})"
    labels = [r.label for r in results]
    for i, result in enumerate(results):
        if labels.count(result.label) > 1:
            result.label = f"{result.label} #{i + 1}"
    return results
