"""A whole sweep, start to finish: check the directory, run what is missing, write the results.

    from sim.execution import make_executor
    from sim.sweep.pipeline import plan_sweep, run

    plan = plan_sweep("experiments/imitation-vs-policy.yaml", replications=2, levels=3)
    with make_executor(scheduler=None, workers=2) as executor:
        run(plan, "results/sweeps/trial", executor)

Every check of input happens in :func:`plan_sweep` and
:meth:`SweepStore.check`, before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..execution import Executor
from ..model import simulate
from ..scenario.loading import check_events
from ..versioning import model_version
from .engine import Progress, run_sweep
from .plan import Plan, canonical_json
from .resolve import resolve
from .spec import load_spec, validated
from .store import SweepStore


def plan_sweep(spec_path, *, base=None, replications: int | None = None, samples: int | None = None,
               levels: int | None = None, posterior=None, no_posterior: bool = False, engine: str | None = None) -> Plan:
    """Load, shorten if asked, resolve and plan a sweep spec (all input checked)."""
    source = str(spec_path)
    spec = validated(load_spec(spec_path), source, replications=replications, samples=samples, levels=levels,
                     engine=engine)
    plan = Plan.make(resolve(spec, source, base_path=base, posterior=posterior, no_posterior=no_posterior))
    if plan.sweep.base.events:
        for point in plan.points:  # each point's events applied in turn, as its runs will
            check_events(plan.scenario(point), f"{source}: point {point.id}")
    return plan


def manifest(plan: Plan) -> dict:
    """``manifest.json`` of a sweep directory: deterministic, so a resumed sweep writes the same bytes."""
    sweep = plan.sweep
    document = sweep.document()
    fingerprint = hashlib.sha256(canonical_json({"document": document, "model_version": model_version()})
                                 .encode("ascii")).hexdigest()
    return {
        "kind": "sweep",
        "name": sweep.name,
        "description": sweep.spec.description,
        "model_version": model_version(),
        "fingerprint": fingerprint,
        "design": sweep.spec.design,
        "engine": sweep.base.engine,
        "points": len(plan.points),
        "replications": sweep.spec.replications,
        "runs": plan.runs,
        "parameters": {p.name: {"path": p.path, "apply": p.apply, "paths": list(p.paths)} for p in sweep.parameters},
        "columns": {c.name: c.kind for c in sweep.columns},
        "summaries": list(sweep.summaries),
        "posterior": sweep.posterior_entry,
        "document": document,
    }


@dataclass(frozen=True)
class Finished:
    progress: Progress
    assembly_seconds: float
    executor: str


def run(plan: Plan, out, executor: Executor, *, progress: bool = True, model: Callable = simulate) -> Finished:
    """Run the sweep into ``out`` (resuming it if it holds this sweep) and write its results."""
    out = Path(out)
    content = manifest(plan)
    SweepStore.check(out, content)
    started = dt.datetime.now(dt.timezone.utc)
    with SweepStore(out).opened(content) as store:
        done = run_sweep(plan, store, executor, progress=progress, model=plan.model(model))
        seconds = finish(plan, store)
        store.log_session(_session(started, executor, done, seconds))
    return Finished(done, seconds, executor.description)


def finish(plan: Plan, store: SweepStore) -> float:
    """Tables, sensitivity and figures from the stored runs; returns the seconds it took."""
    from ..output.atomic import write_bytes
    from ..plotting.style import render
    from ..report.content import FigureItem
    from ..report.sweep import sweep_report
    from ..report.writing import write_reports
    from ..targets import Targets
    from . import figures, sensitivity
    from .design import design_generator
    from .results import assemble

    started = time.perf_counter()
    sweep = plan.sweep
    results = assemble(plan, store)
    indices = sensitivity.analyse(plan, results, design_generator(sweep.spec.seed, "bootstrap"))
    sensitivity.write(store.root / "sensitivity.csv", indices)
    targets = Targets.from_yaml(sweep.base.outputs.targets) if sweep.base.outputs.targets else None
    drawn = {"curves": figures.curves_figure(plan, results, targets),
             "sensitivity": figures.sensitivity_figure(plan, indices)}
    if sweep.heatmap is not None:
        drawn["heatmap"] = figures.heatmap_figure(plan, results)
    items = []
    for name, fig in drawn.items():
        png = render(fig, "png")
        write_bytes(store.root / f"{name}.png", png)
        items.append(FigureItem(name, FIGURE_CAPTIONS[name], png, f"{name}.png"))
    write_reports(sweep_report(plan, indices, store.root / "points.csv", items), store.root)
    return time.perf_counter() - started


FIGURE_CAPTIONS = {
    "curves": "The curve of each point (mean of its runs at each month end, held until the next), coloured by a "
              "parameter, with the reported figures.",
    "sensitivity": "How much each parameter moves each outcome, with 95% intervals.",
    "heatmap": "The mean of one outcome over the grid of the two parameters.",
}


def _session(started: dt.datetime, executor: Executor, progress: Progress, seconds: float) -> dict:
    from ..output.manifest import environment

    return {"started_utc": started.isoformat(timespec="seconds"), "executor": executor.description,
            "runs_done": progress.done, "runs_cached": progress.cached, "run_seconds": round(progress.seconds, 3),
            "assembly_seconds": round(seconds, 3), "environment": environment()}
