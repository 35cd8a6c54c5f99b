"""A calibration spec checked against its base scenario and targets: the :class:`Problem`.

Everything is checked here, before any output exists: the base scenario
loads, every target names a metric the model writes and dates within the
horizon, every parameter path leads to numbers of the base scenario and both
ends of its range give a valid scenario.  Errors are one line naming the file
and the field (:class:`sim.errors.InputError`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import InputError
from ...inputs import load_scenario
from ...scenario import Scenario
from ...targets import Targets
from ...model import metric_names
from .objective import TargetSet
from .parameters import ParameterSpace, resolve_parameters
from .spec import CalibrationSpec


@dataclass(frozen=True)
class Problem:
    spec: CalibrationSpec
    source: str
    """The spec file."""
    base_path: Path
    base: Scenario
    """The base scenario as the spec names it (full horizon)."""
    model_base: Scenario
    """What every evaluation starts from: the base, its horizon cut after the last target date when the
    scenario allows it (the model is causal), recording only the metrics the targets read."""
    targets_path: Path | None
    targets: TargetSet
    space: ParameterSpace

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def replications(self) -> list[int]:
        first = self.spec.first_replication
        return list(range(first, first + self.spec.replications))

    def scenario(self, z: np.ndarray) -> Scenario:
        """The evaluation scenario at unit coordinates ``z``."""
        return self.space.scenario(self.model_base, z, source=self.source)

    def full_scenario(self, z: np.ndarray) -> Scenario:
        """The base scenario (full horizon, all outputs) at unit coordinates ``z``."""
        return self.space.scenario(self.base, z, source=self.source)

    @property
    def days(self) -> int:
        h = self.model_base.horizon
        return (h.end - h.start).days + 1


def load_problem(path: str | Path, base: str | Path | None = None) -> Problem:
    """Read and check a calibration spec (raises :class:`InputError`, writes nothing).

    ``base`` replaces the spec's base scenario (a quick trial on a small scenario, as ``--base``).
    """
    source = str(path)
    spec = CalibrationSpec.from_yaml(path)
    here = Path(path).parent
    base_path = here / spec.base if base is None else Path(base)
    if not base_path.is_file():
        raise InputError(f"expected an existing scenario file, got {base_path if base else spec.base} (not found)",
                         source="--base" if base else source, field=None if base else "base")
    base = load_scenario(base_path)  # from here on, the scenario itself

    if spec.targets is not None:
        targets_path = here / spec.targets
        if not targets_path.is_file():
            raise InputError(f"expected an existing targets file, got {spec.targets} (not found)", source=source,
                             field="targets")
    elif base.outputs.targets is not None:
        targets_path = Path(base.outputs.targets)
    else:
        targets_path = None
    found = dict(Targets.from_yaml(targets_path).targets) if targets_path is not None else {}
    for i, name in enumerate(spec.omit_targets):
        if name not in found:
            raise InputError(f"expected one of the targets {', '.join(found) or '(none)'}, got {name!r}",
                             source=source, field=f"omit_targets.{i}")
        del found[name]
    found.update(spec.extra_targets)
    if not found:
        raise InputError("expected at least one target (a targets file, or extra_targets)", source=source,
                         field="targets")
    checked = Targets(source=str(targets_path or source), targets=found)
    h = base.horizon
    try:
        checked.check_against(set(metric_names(base)), h.start, h.end, str(targets_path or source))
    except InputError as exc:
        name = (exc.field or "").split(".")[1] if exc.field else ""
        if name in spec.extra_targets:  # the offending target came from the spec
            exc = InputError(exc.expected, source=source, field="extra_" + exc.field)
        raise exc from None
    target_set = TargetSet(names=tuple(found), targets=tuple(found.values()), start=h.start,
                           precision=spec.analysis.figure_precision, discrepancy=spec.likelihood.discrepancy,
                           one_history=spec.likelihood.one_history)

    space = resolve_parameters(spec.parameters, base, source)
    return Problem(spec=spec, source=source, base_path=base_path, base=base,
                   model_base=_model_base(base, target_set), targets_path=targets_path, targets=target_set,
                   space=space)


def _model_base(base: Scenario, targets: TargetSet) -> Scenario:
    """The base as evaluations run it: only the targets' metrics, and no day after the last one needed.

    Cutting the horizon is exact because the model is causal: dated events after the cut are dropped
    (they act only from their date), and the cut never comes before a platform's launch or a named
    account's opening (those change who races from the start).
    """
    data = base.to_dict()
    data["outputs"]["metrics"] = targets.metrics
    cut = max([targets.last_date, *(p.launch for p in base.platforms.values()),
               *(a.launch for a in base.accounts.values())])
    if cut < base.horizon.end:
        data["horizon"]["end"] = cut.isoformat()
        data["events"] = {name: e for name, e in data["events"].items() if dt.date.fromisoformat(e["date"]) <= cut}
    return Scenario.from_dict(data, source="<calibration>")

