"""A spec checked against its base scenario: the :class:`Sweep`.

Everything a sweep needs is checked here, before any output exists: parameter
paths lead to values of the base scenario, outcomes name metrics the model
writes and dates within the horizon, figure choices name parameters and
outcome columns.  Errors are one line naming the spec file and the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from ..errors import InputError
from ..inputs import load_referenced_scenario
from ..model import written_metrics
from ..posterior import Assignment, assign, chosen, manifest_entry
from ..scenario import Scenario
from ..scenario.binding import Binding, bind, check_disjoint
from .outcomes import Column, columns_of
from .spec import SweepSpec


def default_summaries(scenario: Scenario) -> list[str]:
    """Platform totals of accounts and users, people online and on micro-blogs, followers of named accounts."""
    platforms = list(scenario.platforms)
    return ["internet_users", "microbloggers", *(f"registered_users.{p}" for p in platforms),
            *(f"gov_accounts.{p}" for p in platforms), *(f"followers.{a}.all" for a in scenario.accounts)]


@dataclass(frozen=True)
class Parameter(Binding):
    """A varied parameter: a binding (the scenario values it sets) with a name, label and spacing."""

    name: str
    spacing: str
    label: str

    def default_baseline(self, source: str):
        if self.apply == "multiply":
            return 1.0
        first = self.base_values[0]
        if any(v != first for v in self.base_values):
            raise InputError(f"expected a baseline: the {len(self.paths)} values matched by {self.path} differ",
                             source=source, field=f"parameters.{self.name}.baseline")
        return first


@dataclass(frozen=True)
class Sweep:
    spec: SweepSpec
    source: str
    """The spec file."""
    base: Scenario
    """The base scenario with the sweep's seed and replications."""
    parameters: tuple[Parameter, ...]
    columns: tuple[Column, ...]
    summaries: tuple[str, ...]
    curve: str
    colour_by: str
    heatmap: str | None
    sensitivity: tuple[str, ...]
    posterior: Assignment | None = None
    """Each replication's posterior draw over the parameters not swept (None: replication noise only)."""
    posterior_entry: dict | None = None
    """What manifests record of the posterior (:func:`sim.posterior.manifest_entry`)."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def start(self) -> dt.date:
        return self.base.horizon.start

    @property
    def days(self) -> int:
        return (self.base.horizon.end - self.base.horizon.start).days + 1

    def document(self) -> dict:
        """What determines the results: the spec, the posterior drawn from, the resolved base scenario."""
        spec = self.spec.model_dump(mode="json")
        if self.posterior_entry is not None:  # under "spec", so a changed posterior is named when refused
            spec["posterior"] = {key: self.posterior_entry[key] for key in ("csv_sha256", "parameters", "draws")}
        return {"spec": spec, "base": self.base.to_dict()}


def resolve(spec: SweepSpec, source: str, base_path: str | Path | None = None, posterior: str | Path | None = None,
            no_posterior: bool = False) -> Sweep:
    """Check ``spec`` against its base scenario (``base_path`` overrides the spec's ``base``).

    ``posterior`` (or else the base scenario's ``posterior:``, unless
    ``no_posterior``) gives each replication a posterior draw of the
    parameters the sweep does not vary: a swept parameter wins wherever both
    touch a scenario value, and the notes say where.
    """
    if base_path is None:
        scenario = load_referenced_scenario(Path(source).parent / spec.base, source=source, field="base")
    else:
        scenario = load_referenced_scenario(base_path, source="--base", field=None)
    base = scenario.with_overrides({"seed": spec.seed, "replications": spec.replications,
                                    **({"engine": spec.engine} if spec.engine else {})}, source=source)
    data = base.to_dict()
    parameters = tuple(_parameter(name, p, data, source) for name, p in spec.parameters.items())
    check_disjoint(((p.name, p) for p in parameters), source=source)

    metrics = written_metrics(base)
    h = base.horizon
    columns: list[Column] = []
    for name, outcome in spec.outcomes.items():
        _check_metric(outcome.metric, metrics, source, f"outcomes.{name}.metric")
        if outcome.at is not None and not h.start <= outcome.at <= h.end:
            raise InputError(f"expected a date within the horizon {h.start}..{h.end}, got {outcome.at}",
                             source=source, field=f"outcomes.{name}.at")
        columns += columns_of(name, outcome, h.start)

    if spec.summaries is None:
        summaries = [m for m in default_summaries(base) if m in metrics]
    else:
        summaries = []
        for i, pattern in enumerate(spec.summaries):
            matched = [m for m in metrics if fnmatchcase(m, pattern)]
            if not matched:
                raise InputError(f"expected a pattern matching a metric (e.g. {', '.join(metrics[:3])}), got {pattern!r}",
                                 source=source, field=f"summaries.{i}")
            summaries += [m for m in matched if m not in summaries]

    figures = spec.figures
    curve = figures.curve or f"gov_accounts.{next(iter(base.platforms))}"
    _check_metric(curve, metrics, source, "figures.curve")
    names = [p.name for p in parameters]
    colour_by = figures.colour_by or names[0]
    if colour_by not in names:
        raise InputError(f"expected one of the parameters {', '.join(names)}, got {colour_by!r}",
                         source=source, field="figures.colour_by")
    column_names = [c.name for c in columns]
    heatmap = figures.heatmap
    two_parameter_grid = spec.design == "grid" and len(parameters) == 2
    if heatmap is not None and heatmap not in column_names:
        raise InputError(f"expected one of the outcome columns {', '.join(column_names)}, got {heatmap!r}",
                         source=source, field="figures.heatmap")
    if heatmap is not None and not two_parameter_grid:
        raise InputError("expected no heatmap: it is drawn for grids over two parameters only",
                         source=source, field="figures.heatmap")
    if two_parameter_grid:
        heatmap = heatmap or column_names[0]
    sensitivity = figures.sensitivity or column_names[:6]
    for i, name in enumerate(sensitivity):
        if name not in column_names:
            raise InputError(f"expected one of the outcome columns {', '.join(column_names)}, got {name!r}",
                             source=source, field=f"figures.sensitivity.{i}")
    drawn = chosen(base.posterior, posterior, no_posterior)
    assignment = entry = None
    if drawn is not None:
        swept = {concrete: f"swept by {p.name}, which wins" for p in parameters for concrete in p.paths}
        assignment = assign(drawn, base, spec.replications, keep=swept)
        entry = manifest_entry(drawn, assignment)
    return Sweep(spec=spec, source=source, base=base, parameters=parameters, columns=tuple(columns),
                 summaries=tuple(summaries), curve=curve, colour_by=colour_by, heatmap=heatmap,
                 sensitivity=tuple(sensitivity), posterior=assignment, posterior_entry=entry)


def _check_metric(metric: str, metrics: list[str], source: str, field: str) -> None:
    if metric not in metrics:
        raise InputError(f"expected a metric the model writes (e.g. {', '.join(metrics[:4])}, ...), got {metric!r}",
                         source=source, field=field)


def _parameter(name: str, spec, data: dict, source: str) -> Parameter:
    binding = bind(spec.path, spec.apply, data, source=source, field=f"parameters.{name}.path",
                   numbers=spec.range is not None)
    return Parameter(path=binding.path, apply=binding.apply, paths=binding.paths, base_values=binding.base_values,
                     name=name, spacing=spec.spacing, label=spec.label or name)
