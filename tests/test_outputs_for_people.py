"""Outputs that misled a newcomer (issue 11): run directories, sweep curves, report numbers and order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.report.content import error_text, model_text
from sim.report.numbers import number, numbers_alike, value_text
from sim.results import series as S
from sim.plotting.figures import TARGET_MARKERS
from sim.targets import Target

from test_compare import write_result


# --- a directory of timestamped runs means its latest -------------------------------------------
@pytest.fixture
def runs_of_a_scenario(tmp_path):
    rng = np.random.default_rng(3)
    parent = tmp_path / "results" / "baseline"
    for stamp in ("20240101T000000Z", "20250301T120000Z", "20241231T235959Z"):
        write_result(parent / stamp, "baseline", "2010-01-01", {"m": rng.poisson(50, (2, 30)).cumsum(axis=1)})
    (parent / ".20260101T000000Z.partial-x").mkdir()  # a run being written: not complete, not chosen
    return parent


def test_plot_of_a_directory_of_runs_draws_the_latest_and_says_so(runs_of_a_scenario, capsys):
    assert main(["plot", str(runs_of_a_scenario)]) == 0
    captured = capsys.readouterr()
    latest = runs_of_a_scenario / "20250301T120000Z"
    assert f"using the latest, {latest}" in captured.err
    assert (latest / "report.html").is_file()
    assert not (runs_of_a_scenario / "report.html").exists()


def test_compare_of_directories_of_runs_uses_the_latest_of_each(runs_of_a_scenario, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(runs_of_a_scenario), "--relative-to", str(runs_of_a_scenario),
                 "--out", str(out), "--metric", "m"]) == 0
    err = capsys.readouterr().err
    assert "using the latest" in err and "20250301T120000Z" in err
    assert (out / "report.html").is_file()


def test_a_directory_of_other_runs_points_to_its_subfolders(tmp_path, capsys):
    parent = tmp_path / "mine"
    for name in ("first", "second"):
        write_result(parent / name, name, "2010-01-01", {"m": np.ones((2, 5))})
    assert main(["plot", str(parent)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "holds runs in subfolders (first, second): name one of them" in err


# --- sweep curves: steps at month ends, a legend for what is drawn --------------------------------
def test_sweep_curves_are_month_end_steps_and_the_legend_shows_the_markers_drawn(tmp_path, tiny_path):
    from sim.execution import make_executor
    from sim.sweep.pipeline import plan_sweep, run
    from sim.sweep.figures import curves_figure
    from sim.sweep.results import assemble
    from sim.sweep.store import SweepStore

    spec = tmp_path / "spec.yaml"
    spec.write_text(f"base: {tiny_path}\ndesign: grid\nreplications: 1\nseed: 3\nparameters:\n"
                    "  push: {path: 'events.policy_push.changes.*.multiply', values: [1.0, 4.0]}\n"
                    "outcomes: {a: {metric: gov_accounts.sina, at: 2011-10-31}}\n")
    plan = plan_sweep(spec)
    out = tmp_path / "sweep"
    with make_executor(None, 1) as executor:
        run(plan, out, executor, progress=False)
    results = assemble(plan, SweepStore(out))
    from sim.targets import Targets

    targets = Targets.from_yaml(plan.sweep.base.outputs.targets)
    fig = curves_figure(plan, results, targets)
    ax = fig.axes[0]
    curves = [line for line in ax.lines if line.get_drawstyle() == "steps-post"]
    assert len(curves) == 2
    # the two curves part at the first month end after the push, never before it
    a, b = (np.asarray(line.get_ydata(), float) for line in curves)
    days = plan.sweep.start + np.asarray(results.curve_days).astype("timedelta64[D]").astype(object)
    first_apart = days[np.flatnonzero(a != b)[0]]
    assert first_apart >= dt.date(2011, 10, 15)
    # every marker in the legend is one drawn, and every kind drawn is in the legend
    drawn = {str(line.get_marker()) for line in ax.lines
             if str(line.get_gid()).startswith("target:") and line.get_marker() in TARGET_MARKERS.values()}
    legend = {str(h.get_marker()) for h in ax.get_legend().legend_handles if h.get_marker() not in (None, "None")}
    assert drawn and legend == drawn
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    text = (out / "report.md").read_text()
    assert text.index("## Summary") < text.index("## Outcomes by point") < text.index("## Figures")
    assert all(f"({name}.png)" in text for name in ("curves", "sensitivity"))


# --- report numbers and order ----------------------------------------------------------------------
def test_counts_get_thousands_separators_uniformly():
    assert value_text(1240) == "1,240" and value_text(57120) == "57,120" and value_text(1240.0) == "1,240"
    assert value_text(0.045) == "0.045" and value_text(999) == "999"
    assert number(1240) == "1,240" and number(96.8) == "96.8"


def test_quantiles_take_the_precision_of_their_mean():
    assert model_text(S.TargetValue(mean=107.2, low=96.8, high=120.4)) == "107 (97\u2013120)"
    assert numbers_alike([55.5, 42.46, 68.5]) == ["55.5", "42.5", "68.5"]
    assert numbers_alike([5.123, 4.0, 6.5]) == ["5.12", "4.00", "6.50"]


@pytest.mark.parametrize("kind, value, extra, mean, error", [
    ("at_least", 1, {}, 107, "in range"),
    ("at_least", 410000, {}, 400000, "-2.4% below 410,000"),
    ("interval", 19500, {"low": 18000, "high": 20000}, 21000, "+5.0% above 20,000"),
    ("equal", 5000, {"tolerance": 0.1}, 5100, "+2.0%"),
    ("equal", 10, {"tolerance": 0.1}, 1070, "\u00d7107"),
])
def test_errors_are_measured_from_the_accepted_range(kind, value, extra, mean, error):
    target = Target(metric="m", date=dt.date(2011, 1, 1), kind=kind, value=value, **extra)
    assert error_text(target, S.TargetValue(mean=mean, low=None, high=None))[0] == error


@pytest.mark.slow
def test_reports_put_the_reported_figures_before_the_figures_and_name_them(tiny_path, tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(tiny_path), "--replications", "1", "--out", str(out), "--no-progress"]) == 0
    assert main(["plot", str(out)]) == 0
    text = (out / "report.md").read_text()
    assert text.index("## Reported figures") < text.index("## Figures")
    assert "| Government accounts at the start of 2011 |" in text
    assert "government_accounts_start_2011" not in text and "government accounts start 2011" not in text
    cmp = tmp_path / "cmp"
    assert main(["compare", str(out), "--out", str(cmp)]) == 0
    text = (cmp / "report.md").read_text()
    assert text.index("## Reported figures") < text.index("## Figures")

