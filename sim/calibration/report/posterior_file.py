"""How a calibration's posterior becomes a posterior directory (``posterior.csv``, ``posterior.json``).

The format (``bandwagon-posterior/1``) is read and written by :mod:`sim.posterior`
(``bandwagon run --posterior``, ``compare``, ``sweep --posterior``); this module
only says how a calibration's free parameters fill it:

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
  ``convergence`` (``converged``, the largest rank R-hat, the smallest bulk and
  tail ESS, chains, k-hat and Kish's efficiency of the importance weights),
  ``targets_used``, ``sensitivity`` (the posterior under the other reading of
  the figures and a larger discrepancy, :mod:`..bayes.sensitivity`) and
  ``csv_sha256`` (of the CSV's bytes).  Each parameter also records
  ``sampled`` (false: drawn from its prior and importance-weighted) and
  ``width_ratio`` (its posterior 90% interval over its prior's: near 1, the
  figures say little about it, and whatever follows from it comes from the
  prior).

"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..problem.parameters import FreeParameter, ParameterSpace


def _prior_json(p: FreeParameter) -> dict:
    if p.prior is None:
        return {"distribution": "uniform", "on": "days" if p.dated else p.spacing}
    data = p.prior.model_dump(mode="json", exclude_none=True)
    if data.get("distribution") == "uniform":
        data["on"] = "days" if p.dated else p.spacing
    return data


def _range(p: FreeParameter) -> list:
    return [p.show(p.low), p.show(p.high)] if p.dated else [p.low, p.high]


def _cell(p: FreeParameter, value: float):
    """A draw's value as the format writes it: an ISO date for a date, a whole number for a count."""
    if p.dated:
        return p.show(value)
    return int(round(value)) if p.apply == "set" and any(p.integer) else float(f"{value:.10g}")


def write_posterior(directory: Path, *, space: ParameterSpace, values: np.ndarray, weights: np.ndarray,
                    calibration: str, spec: str, base: Path, final_dir: Path, effective_draws: float, sampler: str,
                    targets_used: list[str], convergence: dict | None = None, sensitivity: dict | None = None,
                    informed: dict | None = None) -> None:
    """Write the calibration's posterior into ``directory`` (staged for ``final_dir``), through the format's one
    writer, :func:`sim.posterior.write_posterior`."""
    from ...posterior import write_posterior as write

    parameters = {p.name: {"path": p.path, "apply": p.apply, "label": p.label, "range": _range(p),
                           "spacing": p.spacing, "prior": _prior_json(p), "kind": "date" if p.dated else "number"}
                  for p in space}
    for name, entry in (informed or {}).items():
        parameters[name].update(entry)
    write(directory, parameters, [[_cell(p, v) for p, v in zip(space, row)] for row in values],
          [float(f"{w:.10g}") for w in weights], calibration=calibration, spec=spec,
          base=os.path.relpath(Path(base).resolve(), Path(final_dir).resolve()), sampler=sampler,
          targets_used=targets_used, effective_draws=effective_draws, convergence=convergence,
          sensitivity=sensitivity)


def csv_rows(count: int, rows: int) -> np.ndarray:
    """Which of ``count`` draws (the chains laid end to end) ``posterior.csv`` holds: at most ``rows``, evenly
    spaced, so every chain keeps its share."""
    if count <= rows:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, rows).round().astype(int))
