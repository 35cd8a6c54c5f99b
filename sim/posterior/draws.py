"""Which posterior draw each replication takes, and the replication's scenario with it applied.

Replication ``r`` of a scenario with seed ``s`` takes draw ``d_r``: the
inverse of the weights' cumulative distribution at one uniform variate of the
named stream ``posterior`` of ``SeedSequence(s, spawn_key=(r,))``, a stream
the model never uses (:mod:`sim.streams`).  So the draws are resampled by
weight, independently across replications (multinomial resampling), and

* ``d_r`` depends only on the seed, ``r`` and the weights: a counterfactual
  run with the baseline's seed and posterior gives its replication ``r`` the
  baseline's draw ``r``, on top of the same random numbers; the paired
  difference of the two runs is the counterfactual's effect *in that draw*;
* ``d_r`` does not depend on the number of replications, so a run of 4
  replications takes the first 4 draws of a run of 20, and the two pair over
  those 4;
* the replications stay independent and identically distributed, so the
  spread of a statistic over them (a 5-95% band, a t interval) keeps its
  usual meaning, now over parameters and noise together.

The draw is applied over the scenario being run (:func:`assign`), bound to
*that* scenario's document with :func:`sim.scenario.binding.bind`: a factor
(``apply: multiply``) scales the scenario's own values, so a counterfactual
that switches imitation off keeps it off; a value (``apply: set``) replaces
the scenario's value only where the scenario agrees with the calibration's
base scenario, so a counterfactual's own choice (a push of size 4) is never
overwritten by a draw.  Paths listed in ``keep`` (a sweep's swept
parameters) are never touched.  Every exception is said in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import numpy as np

from ..errors import InputError
from ..scenario import Scenario
from ..scenario import paths as dotted
from ..scenario.binding import Binding, bind
from ..scenario.loading import check_events
from ..streams import Streams
from .directory import Posterior

STREAM = "posterior"
"""The named random stream (of each replication's SeedSequence) that picks its draw."""


def draw_indices(weights: np.ndarray, seed: int, replications: Iterable[int]) -> list[int]:
    """The draw each replication takes: weighted resampling, one independent uniform per replication."""
    weights = np.asarray(weights, dtype=float)
    cumulative = np.cumsum(weights)
    total = cumulative[-1]
    last = int(np.flatnonzero(weights > 0)[-1])  # u * total can round up to total; never pick a weight-0 draw
    chosen = []
    for r in replications:
        u = Streams.for_run(seed, r).generator(STREAM).random()
        chosen.append(min(int(np.searchsorted(cumulative, u * total, side="right")), last))
    return chosen


@dataclass(frozen=True)
class Assignment:
    """A posterior bound to one scenario: each replication's draw, as scenario overrides.

    Small and picklable (no draws but the ones used), so it travels with the
    tasks of a sweep to any worker.
    """

    draws: tuple[int, ...]
    """``draws[r]``: the posterior draw of replication ``r``."""
    overrides: tuple[dict, ...]
    """``overrides[r]``: concrete dotted path -> value, for :meth:`Scenario.with_overrides`."""
    source: str
    """``posterior.csv``, named by errors."""
    notes: tuple[str, ...] = ()
    """Where the posterior is not applied, and why."""

    def scenario(self, scenario: Scenario, replication: int) -> Scenario:
        """``scenario`` with replication ``replication``'s draw applied (an InputError names the draw)."""
        try:
            drawn = scenario.with_overrides(self.overrides[replication], source=self.source)
            check_events(drawn, self.source)  # the dated events applied to the drawn values, as the run will
            return drawn
        except InputError as exc:
            where = f"{exc.field}: " if exc.field else ""
            raise InputError(f"gives {scenario.name} an invalid value: {where}{exc.expected}", source=self.source,
                             field=f"draw {self.draws[replication]}") from None

    def scenarios(self, scenario: Scenario) -> list[Scenario]:
        """Every replication's scenario, each validated (so all input is checked before any run)."""
        built: dict[int, Scenario] = {}
        out = []
        for r, draw in enumerate(self.draws):
            if draw not in built:
                built[draw] = self.scenario(scenario, r)
            out.append(built[draw])
        return out

    def describe(self) -> dict:
        return {"stream": STREAM, "draws": list(self.draws), "distinct_draws": len(set(self.draws)),
                "notes": list(self.notes)}


def assign(posterior: Posterior, scenario: Scenario, replications: int,
           keep: Mapping[str, str] | None = None) -> Assignment:
    """Bind ``posterior`` to ``scenario`` and give each of ``replications`` replications its draw.

    ``keep`` maps concrete paths the posterior must not touch to the reason
    (a sweep's swept parameter).  A parameter path the scenario lacks is an
    :class:`InputError` naming ``posterior.json`` and the parameter.
    """
    keep = keep or {}
    data = scenario.to_dict()
    base = posterior.base_document() if any(p.apply == "set" for p in posterior.parameters) else None
    bindings: list[Binding] = []
    notes: list[str] = []
    if posterior.warning() is not None:  # first: every output that lists the notes leads with it
        notes.append(posterior.warning())
    if base is None and any(p.apply == "set" for p in posterior.parameters):
        notes.append(f"{posterior.json_path.name} names no base scenario: its values (apply: set) replace "
                     f"{scenario.name}'s wherever their paths lead, its own choices included")
    for parameter in posterior.parameters:
        field = f"parameters.{parameter.name}.path"
        try:
            binding = bind(parameter.path, parameter.apply, data, source=str(posterior.json_path), field=field,
                           numbers=parameter.apply == "multiply")
        except InputError as exc:
            raise InputError(f"expected a path of scenario {scenario.name} ({exc.expected})",
                             source=str(posterior.json_path), field=field) from None
        kept = []
        left: dict[str, list[str]] = {}
        for concrete, value in zip(binding.paths, binding.base_values):
            if concrete in keep:
                left.setdefault(keep[concrete], []).append(concrete)
            elif parameter.apply == "set" and base is not None and _differs(base, concrete, value):
                left.setdefault(f"{scenario.name} sets it to {value}, the calibration's base to "
                                f"{dotted.get(base, concrete)}: the scenario's value is kept", []).append(concrete)
            else:
                kept.append((concrete, value))
        for reason, concretes in left.items():
            where = (parameter.path if len(concretes) == len(binding.paths) and len(concretes) > 1
                     else ", ".join(concretes[:3]) + (f" and {len(concretes) - 3} more" if len(concretes) > 3 else ""))
            notes.append(f"{parameter.name} is not drawn at {where}: {reason}")
        bindings.append(Binding(path=binding.path, apply=binding.apply, paths=tuple(p for p, _ in kept),
                                base_values=tuple(v for _, v in kept)))
    draws = draw_indices(posterior.weights, scenario.seed, range(replications))
    overrides = []
    for draw in draws:
        values: dict[str, object] = {}
        for binding, value in zip(bindings, posterior.values[draw]):
            values.update(binding.overrides(value))
        overrides.append(values)
    return Assignment(draws=tuple(draws), overrides=tuple(overrides), source=str(posterior.csv_path),
                      notes=tuple(notes))


def manifest_entry(posterior: Posterior, assignment: Assignment) -> dict:
    """What a run's or sweep's manifest says of its posterior: the files, their hashes, the draws used."""
    return {**posterior.describe(), **assignment.describe()}


def _differs(base: dict, concrete: str, value) -> bool:
    try:
        return dotted.get(base, concrete) != value
    except KeyError:  # the calibration's base has no such value: nothing to protect
        return False


def scenarios_for(scenario: Scenario, replications: int, posterior: Posterior | None) -> list[Scenario]:
    """The scenario of each replication ``0..replications-1``: ``scenario`` itself, or with its posterior draw."""
    if posterior is None:
        return [scenario] * replications
    return assign(posterior, scenario, replications).scenarios(scenario)


@dataclass(frozen=True)
class DrawnModel:
    """``model(scenario, r)`` run on replication ``r``'s draw: how a sweep's tasks take the posterior.

    The sweep's plan keys each run by the scenario this produces, so a resumed
    sweep finds exactly the runs it made.
    """

    model: Callable
    assignment: Assignment

    def __call__(self, scenario: Scenario, replication: int):
        return self.model(self.assignment.scenario(scenario, replication), replication)
