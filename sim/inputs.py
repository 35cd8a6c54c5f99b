"""Scenario files checked against the model and the reported figures: what the commands load.

:meth:`Scenario.from_yaml <sim.scenario.schema.Scenario.from_yaml>` checks a
file against the scenario *format* (types, bounds, dated events), which knows
nothing of the model or of targets files.  Two checks need more, and are made
here, where the format, the model and the targets are all known:

* every ``outputs.metrics`` pattern must match a metric the model writes for
  this scenario (the names come from the mechanisms, :func:`sim.model.metric_names`);
* ``outputs.targets`` must name a readable targets file (:class:`sim.targets.Targets`).

Every command that reads a scenario file (``run``, ``validate``, ``sweep``,
``calibrate``) loads it through :func:`load_scenario`, so what ``validate``
passes, ``run`` accepts.  The model itself never comes back here: a dated
event applied mid-run goes through the format only.
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from pathlib import Path

from .errors import InputError
from .files import checked_path
from .model import metric_names
from .scenario.loading import Origins, as_reference, load_resolved
from .scenario.schema import Scenario
from .targets import Targets


def load_scenario(path: str | os.PathLike) -> Scenario:
    """The scenario file at ``path``, checked against the format, the model and its targets file."""
    scenario, origins = load_resolved(path, Scenario)
    check_scenario(scenario, origins)
    return scenario


def load_referenced_scenario(path: str | os.PathLike, *, source: str, field: str | None) -> Scenario:
    """The scenario a spec names (its ``base``): the file's own problems are reported against that field."""
    path = checked_path(path, source=source, field=field)
    try:
        return load_scenario(path)
    except InputError as exc:
        raise as_reference(exc, path, str(path), source=source, field=field) from None


def check_scenario(scenario: Scenario, origins: Origins | str) -> None:
    """The checks of a valid scenario that need the model or a targets file; errors name the file that set
    the field (``origins``, or the one source every field came from)."""
    source_of = origins.source_of if isinstance(origins, Origins) else (lambda field: origins)
    check_metric_patterns(scenario, source_of)
    check_targets_file(scenario, source_of)


def check_metric_patterns(scenario: Scenario, source_of) -> None:
    names = metric_names(scenario)
    for i, pattern in enumerate(scenario.outputs.metrics):
        if not any(fnmatchcase(name, pattern) for name in names):
            field = f"outputs.metrics.{i}"
            raise InputError(f"expected a pattern matching a metric of this scenario (e.g. {', '.join(names[:4])}, "
                             f"...), got {pattern!r}", source=source_of(field), field=field)


def check_targets_file(scenario: Scenario, source_of) -> None:
    targets = scenario.outputs.targets
    if targets is None:
        return
    source = source_of("outputs.targets")
    if not Path(targets).is_file():
        raise InputError(f"expected an existing targets file, got {targets} (not found)", source=source,
                         field="outputs.targets")
    try:
        Targets.from_yaml(targets)
    except InputError as exc:
        raise InputError(f"expected a targets file, but {exc.line()}", source=source, field="outputs.targets") from None
