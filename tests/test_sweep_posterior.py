"""``bandwagon sweep --posterior``: swept parameters set, the others drawn per replication, resumable exactly.

The posterior is the small fake of ``conftest.tiny_posterior`` (agency
imitation as a factor, the push's size as a value).  The sweep varies the
county level's imitation, which the posterior also touches: the swept value
must win there and the posterior's draw must reach every other level.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.model.records import RunRecords
from sim.posterior import draw_indices, load_posterior
from sim.execution import InProcess
from sim.sweep.pipeline import plan_sweep, run
from sim.sweep.plan import run_key

SPEC = """\
name: drawn
base: {base}
design: grid
replications: 3
seed: 5
parameters:
  county: {{path: agencies.levels.county.hazard.imitation, values: [0.1, 0.3]}}
outcomes:
  oct: {{metric: gov_accounts.sina, at: 2011-10-31}}
summaries: [gov_accounts.sina]
"""


@pytest.fixture
def spec(tmp_path, tiny_path) -> Path:
    path = tmp_path / "drawn.yaml"
    path.write_text(textwrap.dedent(SPEC.format(base=tiny_path)), encoding="utf-8")
    return path


class Recording:
    """A stand-in model that records the scenario of each run and returns a series made from it."""

    def __init__(self):
        self.seen = []

    def __call__(self, scenario, replication: int) -> RunRecords:
        self.seen.append((scenario, replication))
        days = (scenario.horizon.end - scenario.horizon.start).days + 1
        level = scenario.agencies.levels["county"].hazard.imitation + scenario.events["policy_push"].changes[0].multiply
        series = np.rint(level * np.arange(days)).astype(np.int64)
        return RunRecords(scenario=scenario.name, replication=replication, seed=scenario.seed,
                          start=scenario.horizon.start, metrics={"gov_accounts.sina": series}, adoptions=None,
                          events=0)


def test_swept_values_win_the_rest_is_drawn_and_each_run_is_keyed_by_what_it_ran(tmp_path, spec, tiny_path,
                                                                                 tiny_posterior):
    plan = plan_sweep(spec, posterior=tiny_posterior)
    posterior = load_posterior(tiny_posterior)
    model = Recording()
    run(plan, tmp_path / "out", InProcess(), progress=False, model=model)
    draws = draw_indices(posterior.weights, 5, range(3))
    base = plan.sweep.base
    assert len(model.seen) == 6
    for point in plan.points:
        for r in range(3):
            (scenario,) = [s for s, rep in model.seen if rep == r
                           and s.agencies.levels["county"].hazard.imitation == point.values[0]]
            factor, push = posterior.values[draws[r]]
            assert scenario.agencies.levels["court"].hazard.imitation == pytest.approx(
                base.agencies.levels["court"].hazard.imitation * factor)  # drawn: the same draw at every point
            assert all(c.multiply == push for c in scenario.events["policy_push"].changes)
            assert point.keys[r] == run_key(scenario.to_dict(), r)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["posterior"]["draws"] == draws
    assert manifest["posterior"]["notes"] == [
        "imitation is not drawn at agencies.levels.county.hazard.imitation: swept by county, which wins"]
    point = json.loads((tmp_path / "out" / "points" / plan.points[0].id / "manifest.json").read_text())
    assert point["posterior"]["csv_sha256"] == posterior.csv_sha256


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in ("sessions.jsonl", ".lock")}


def sweep(spec: Path, out: Path, *options: str) -> int:
    return main(["sweep", str(spec), "--out", str(out), "--no-progress", "--workers", "1", *options])


def test_a_sweep_over_a_posterior_resumes_to_the_same_files_and_refuses_another_posterior(tmp_path, spec,
                                                                                           tiny_posterior, capsys):
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    options = ("--posterior", str(tiny_posterior), "--replications", "2")
    assert sweep(spec, whole, *options) == 0
    assert "swept by county, which wins" in capsys.readouterr().err
    shutil.copytree(whole, resumed)
    stored = sorted((resumed / "runs").glob("*/*.json.gz"))
    assert len(stored) == 4
    for path in stored[::2]:  # as if killed after half the runs: run files are written whole or not at all
        path.unlink()
    for name in ("runs.csv", "points.csv"):
        (resumed / name).unlink()
    assert sweep(spec, resumed, *options) == 0
    assert "(2 new, 2 cached)" in capsys.readouterr().out
    assert files(resumed) == files(whole)

    other = tmp_path / "other-posterior"
    shutil.copytree(tiny_posterior, other)
    text = (other / "posterior.csv").read_text().replace("\n0,1.0,", "\n0,5.0,")
    (other / "posterior.csv").write_text(text)
    meta = json.loads((other / "posterior.json").read_text())
    meta["csv_sha256"] = __import__("hashlib").sha256(text.encode()).hexdigest()
    (other / "posterior.json").write_text(json.dumps(meta))
    before = files(whole)
    assert sweep(spec, whole, "--posterior", str(other), "--replications", "2") == 2
    err = capsys.readouterr().err
    assert "holds a different sweep" in err and "changed: posterior" in err
    assert files(whole) == before
