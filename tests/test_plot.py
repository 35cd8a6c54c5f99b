"""A run's figures and ``bandwagon plot``: the data behind each figure, not its pixels.

Each figure is checked against the files it is drawn from, read here with the
csv module: the mean line equals ``summary.csv``'s mean, the band spans
``p05``..``p95``, the monthly steps are the month-end differences of
``timeseries.csv.gz``, and the markers sit at the targets' dates and values with
their accepted ranges.
"""

from __future__ import annotations

import re

import csv
import datetime as dt
import gzip
import shutil
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pytest
from matplotlib.collections import LineCollection

from sim.cli import main
from sim.plotting import figures as F
from sim.results.loading import load_result
from sim.plotting.style import OKABE_ITO
from sim.targets import Targets

ROOT = Path(__file__).resolve().parents[1]
TARGETS = Targets.from_yaml(ROOT / "scenarios" / "targets" / "beijing-review-2012.yaml")


# --- reading what was drawn ----------------------------------------------------------------
def artist(fig, gid: str):
    found = [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]
    assert found, f"no artist {gid!r} in the figure"
    return found[0]


def days(x) -> np.ndarray:
    return mdates.date2num(np.asarray(x, dtype="datetime64[D]"))


def line_data(fig, gid: str) -> tuple[np.ndarray, np.ndarray]:
    line = artist(fig, gid)
    return days(line.get_xdata()), np.asarray(line.get_ydata(), dtype=float)


def band_data(fig, gid: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, lower edge, upper edge) of a fill_between polygon, grouped by x."""
    vertices = artist(fig, gid).get_paths()[0].vertices
    xs = np.unique(vertices[:, 0])
    low = np.array([vertices[vertices[:, 0] == x, 1].min() for x in xs])
    high = np.array([vertices[vertices[:, 0] == x, 1].max() for x in xs])
    return xs, low, high


def read_summary(path: Path) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, list]] = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            m = out.setdefault(row["metric"], {"date": [], "mean": [], "p05": [], "p95": []})
            for key in m:
                m[key].append(row[key] if key == "date" else float(row[key]))
    return {metric: {k: np.array(v, dtype="datetime64[D]" if k == "date" else float) for k, v in cols.items()}
            for metric, cols in out.items()}


def read_replications(path: Path, metric: str) -> np.ndarray:
    rows: dict[int, list[float]] = {}
    with gzip.open(path, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["metric"] == metric:
                rows.setdefault(int(row["replication"]), []).append(float(row["value"]))
    return np.array([rows[r] for r in sorted(rows)])


# --- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plot") / "tiny"
    assert main(["run", str(ROOT / "tests" / "data" / "tiny.yaml"), "--out", str(out), "--workers", "1",
                 "--no-progress"]) == 0
    return out


@pytest.fixture(scope="module")
def tiny(tiny_run):
    return load_result(tiny_run)


@pytest.fixture(scope="module")
def summary(tiny_run):
    return read_summary(tiny_run / "summary.csv")


def assert_mean_and_band(fig, key: str, stats: dict[str, np.ndarray], keep=slice(None)) -> None:
    x, y = line_data(fig, f"mean:{key}")
    np.testing.assert_array_equal(x, days(stats["date"][keep]))
    np.testing.assert_allclose(y, stats["mean"][keep], rtol=1e-12)
    bx, low, high = band_data(fig, f"band:{key}")
    np.testing.assert_array_equal(bx, days(stats["date"][keep]))
    np.testing.assert_allclose(low, stats["p05"][keep], rtol=1e-12)
    np.testing.assert_allclose(high, stats["p95"][keep], rtol=1e-12)


def assert_targets(fig, metrics: list[str], start=None, end=None) -> int:
    """Every stock target of ``metrics`` (within the dates) is a marker at its date and value."""
    drawn = 0
    for name, target in TARGETS.targets.items():
        if target.metric not in metrics or (start is not None and not start <= target.date <= end):
            continue
        x, y = line_data(fig, f"target:{name}")
        assert x.tolist() == [days(np.datetime64(target.date, "D"))]
        assert y.tolist() == [target.value]
        bars = artist(fig, f"target-range:{name}")
        assert isinstance(bars, LineCollection)
        (segment,) = bars.get_segments()
        low, high = target.bounds
        expected_low = low if 0 < low else target.value
        expected_high = high if np.isfinite(high) else target.value
        np.testing.assert_allclose(sorted(segment[:, 1]), [expected_low, expected_high])
        drawn += 1
    return drawn


# --- the four figures --------------------------------------------------------------------------
@pytest.mark.slow
def test_adoption_figure_stacks_levels_under_the_total_with_its_band(tiny, summary):
    fig = F.adoption_figure(tiny)
    levels = ["central", "provincial", "prefecture", "county", "police", "court", "official"]
    for platform in ("sina", "tencent"):
        total = f"gov_accounts.{platform}"
        assert_mean_and_band(fig, total, summary[total])
        stack = artist(fig, f"stack:{total}.official").get_paths()[0].vertices
        top = np.array([stack[stack[:, 0] == x, 1].max() for x in days(summary[total]["date"])])
        np.testing.assert_allclose(top, sum(summary[f"{total}.{lv}"]["mean"] for lv in levels), rtol=1e-9)
    assert assert_targets(fig, ["gov_accounts.sina"]) == 3
    assert fig.axes[0].get_ylabel() == "verified government accounts"
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Sina Weibo", "Tencent Weibo"]


def test_users_figure_puts_people_on_one_axis(tiny, summary):
    fig = F.users_figure(tiny)
    metrics = ["internet_users", "microbloggers", "registered_users.sina", "registered_users.tencent"]
    for metric in metrics:
        assert_mean_and_band(fig, metric, summary[metric])
    assert assert_targets(fig, metrics) == 3
    assert fig.axes[0].get_ylabel() == "people"
    push = artist(fig, "event:policy_push")
    assert days(push.get_xdata()).tolist() == [days(np.datetime64("2011-10-15"))] * 2
    (top,) = [a for a in fig.axes[0].child_axes if a.get_gid() == "events"]
    assert [t.get_text() for t in top.get_xticklabels()] == ["policy push"]


def test_followers_figure_shows_the_weeks_after_launch(tiny, summary):
    fig = F.followers_figure(tiny)
    launch = np.datetime64("2011-11-28")
    dates = summary["internet_users"]["date"]
    keep = (dates >= launch) & (dates <= min(launch + F.FOLLOWERS_DAYS, dates[-1]))
    for metric in ("followers.shanghai_city.sina", "followers.shanghai_city.tencent", "followers.shanghai_city.all"):
        assert_mean_and_band(fig, metric, summary[metric], keep)
    assert assert_targets(fig, ["followers.shanghai_city.sina", "followers.shanghai_city.all"]) == 2
    assert fig.axes[0].get_ylabel() == "followers"
    assert fig.axes[0].get_xlim()[0] == days(launch)


@pytest.mark.slow
def test_monthly_figure_is_month_end_differences_of_the_replications(tiny_run, tiny):
    fig = F.monthly_figure(tiny)
    dates = read_summary(tiny_run / "summary.csv")["internet_users"]["date"]
    per_run = read_replications(tiny_run / "timeseries.csv.gz", "gov_accounts.sina")
    month_end = [i for i in range(len(dates)) if i == len(dates) - 1 or
                 dates[i + 1].astype("datetime64[M]") != dates[i].astype("datetime64[M]")]
    flows = np.diff(per_run[:, month_end], axis=1, prepend=0)
    assert flows.sum(axis=1).tolist() == per_run[:, -1].tolist()  # the tiny horizon ends on 2011-12-31
    steps = artist(fig, "mean:monthly:gov_accounts.sina").get_data()
    np.testing.assert_allclose(steps.values, flows.mean(axis=0))
    assert steps.edges[0] == days(np.datetime64("2009-08-01")) and steps.edges[-1] == days(np.datetime64("2012-01-01"))
    band = artist(fig, "band:monthly:gov_accounts.sina").get_data()
    np.testing.assert_allclose(band.baseline, np.percentile(flows, 5, axis=0))
    np.testing.assert_allclose(band.values, np.percentile(flows, 95, axis=0))
    assert fig.axes[0].get_ylabel() == "new verified government accounts per month"


def test_monthly_figure_without_timeseries_shows_the_mean_only(tiny_run, tmp_path, summary):
    copy = tmp_path / "run"
    copy.mkdir()
    for name in ("summary.csv", "manifest.json"):
        shutil.copy(tiny_run / name, copy / name)
    fig = F.monthly_figure(load_result(copy))
    steps = artist(fig, "mean:monthly:gov_accounts.sina").get_data()
    dates = summary["gov_accounts.sina"]["date"]
    ends = [i for i, d in enumerate(dates) if (d + 1).astype("datetime64[M]") != d.astype("datetime64[M]")]
    np.testing.assert_allclose(steps.values, np.diff(summary["gov_accounts.sina"]["mean"][ends], prepend=0), atol=1e-6)
    assert not [a for a in fig.axes[0].get_children() if str(a.get_gid()).startswith("band:")]
    assert "no band" in fig.get_supxlabel()


def test_month_ends_leave_out_an_unfinished_last_month():
    from sim.results.series import month_ends

    dates = np.arange(np.datetime64("2010-01-15"), np.datetime64("2010-03-10"))
    index, starts, end = month_ends(dates)
    assert dates[index].tolist() == [dt.date(2010, 1, 31), dt.date(2010, 2, 28)]
    assert starts.tolist() == [dt.date(2010, 1, 1), dt.date(2010, 2, 1)]
    assert end == np.datetime64("2010-03-01")


def test_target_markers_show_each_kind_of_range():
    fig, ax = F.new_figure()
    targets = Targets.model_validate({"targets": {
        "eq": {"metric": "m", "date": "2010-01-01", "value": 100, "tolerance": 0.1},
        "least": {"metric": "m", "date": "2010-02-01", "kind": "at_least", "value": 50},
        "most": {"metric": "m", "date": "2010-03-01", "kind": "at_most", "value": 70, "tolerance": 0.2},
        "range": {"metric": "m", "date": "2010-04-01", "kind": "interval", "value": 10, "low": 8, "high": 20},
    }})
    kinds = F.draw_targets(ax, targets.targets.items())
    assert kinds == {"equal", "at_least", "at_most", "interval"}
    expected = {"eq": (90, 110), "least": (50, 50), "most": (70, 84), "range": (8, 20)}
    for name, (low, high) in expected.items():
        (segment,) = artist(fig, f"target-range:{name}").get_segments()
        np.testing.assert_allclose(sorted(segment[:, 1]), [low, high])
    assert artist(fig, "target:least").get_marker() == "^"
    assert artist(fig, "target:most").get_marker() == "v"


def test_every_figure_has_dates_units_and_the_palette(tiny):
    palette = {c.lower() for c in OKABE_ITO}
    for name, fig in F.run_figures(tiny).items():
        for ax in fig.axes:
            if not ax.get_children() or not ax.lines and not ax.patches:
                continue
            assert isinstance(ax.xaxis.get_major_formatter(), (mdates.ConciseDateFormatter, mdates.DateFormatter)), name
            colours = {line.get_color().lower() for line in ax.lines if str(line.get_gid()).startswith("mean:")}
            assert colours <= palette, (name, colours - palette)
        assert any(ax.get_ylabel() for ax in fig.axes), name


def test_followers_axis_says_month_and_year_on_every_tick(tiny):
    fig = F.followers_figure(tiny)
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert len(labels) >= 3
    assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}\n20\d\d", label) for label in labels), labels


# --- the commands ----------------------------------------------------------------------------
@pytest.mark.slow
def test_plot_redraws_figures_and_reports_into_the_run(tiny_run, tmp_path):
    out = tmp_path / "redrawn"
    assert main(["plot", str(tiny_run), "--format", "svg", "--out", str(out)]) == 0
    for name in F.RUN_FIGURES:
        assert (out / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (out / "figures" / f"{name}.svg").read_bytes()[:500]
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    before = sorted(p.name for p in tiny_run.iterdir())
    assert main(["plot", str(tiny_run)]) == 0
    assert sorted(p.name for p in tiny_run.iterdir()) == sorted({*before, "figures", "report.html", "report.md"})


@pytest.mark.slow
def test_run_with_figures_writes_them(tmp_path):
    scenario = tmp_path / "tiny-figures.yaml"
    scenario.write_text(f"extends: {ROOT / 'tests' / 'data' / 'tiny.yaml'}\nreplications: 2\n"
                        "outputs: {figures: true, adoptions: false}\n")
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(f"{n}.png" for n in F.RUN_FIGURES)
    assert "tiny-figures" in (out / "report.md").read_text()


@pytest.mark.parametrize("make, expected", [
    (lambda d: None, "it does not exist"),
    (lambda d: d.mkdir(), "it has no manifest.json"),
    (lambda d: (d.mkdir(), (d / "manifest.json").write_text('{"kind": "sweep"}')), "of kind 'sweep'"),
    (lambda d: (d.mkdir(), (d / "manifest.json").write_text("{not json")), "expected a JSON manifest"),
    (lambda d: (d.mkdir(), (d / "manifest.json").write_text('{"kind": "run", "scenario": {"name": "x"}}')),
     "it has no summary.csv"),
])
def test_plot_refuses_what_is_not_a_run(tmp_path, capsys, make, expected):
    directory = tmp_path / "not-a-run"
    make(directory)
    before = sorted(tmp_path.rglob("*"))
    assert main(["plot", str(directory)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and err.startswith("bandwagon plot: error: ")
    assert sorted(tmp_path.rglob("*")) == before
