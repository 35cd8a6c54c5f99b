"""``bandwagon compare``: overlays aligned by date, differences with their uncertainty, bad input.

Most tests use small synthetic result directories (a few days, known numbers)
written in the formats ``bandwagon run`` and ``bandwagon sweep`` write, so the
expected curves and confidence bands can be computed here independently; one
test compares two real runs of the tiny scenario.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import SimpleNamespace

import matplotlib.dates as mdates
import numpy as np
import pytest
from scipy import stats

from sim.cli import main
from sim.output.tables import Summary
from sim.results import effects as E
from sim.plotting.figures import comparison_figure
from sim.results.loading import load_result, load_results

ROOT = Path(__file__).resolve().parents[1]


# --- synthetic result directories ------------------------------------------------------------
def write_result(path: Path, name: str, start: str, series: dict[str, np.ndarray], *, seed: int = 7,
                 kind: str = "run", timeseries: bool = True, manifest: dict | None = None) -> Path:
    """A run (or sweep point) directory holding ``series[metric]`` of shape (replications, days)."""
    path.mkdir(parents=True)
    n, days = next(iter(series.values())).shape
    dates = np.datetime64(start, "D") + np.arange(days)
    runs = [SimpleNamespace(metrics={m: v[r] for m, v in series.items()}, dates=lambda: dates) for r in range(n)]
    Summary.of(runs).write(path / "summary.csv")
    if timeseries:
        with open(path / "timeseries.csv", "w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["replication", "date", "metric", "value"])
            for r in range(n):
                for metric, values in series.items():
                    writer.writerows([r, str(d), metric, repr(float(v))] for d, v in zip(dates, values[r]))
    scenario = {"name": name, "description": f"synthetic {name}", "seed": seed, "replications": n,
                "horizon": {"start": str(dates[0]), "end": str(dates[-1])}, "events": {}, "outputs": {}}
    (path / "manifest.json").write_text(json.dumps({"kind": kind, "scenario": scenario, "seed": seed,
                                                    "replications": n, **(manifest or {})}))
    return path


def artist(fig, gid: str):
    found = [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]
    assert found, f"no artist {gid!r}"
    return found[0]


def band_data(fig, gid: str):
    vertices = artist(fig, gid).get_paths()[0].vertices
    xs = np.unique(vertices[:, 0])
    return (xs, np.array([vertices[vertices[:, 0] == x, 1].min() for x in xs]),
            np.array([vertices[vertices[:, 0] == x, 1].max() for x in xs]))


def days(start: str, n: int) -> np.ndarray:
    return mdates.date2num(np.datetime64(start, "D") + np.arange(n))


@pytest.fixture
def rng():
    return np.random.default_rng(20120126)


# --- differences -------------------------------------------------------------------------------
def test_runs_of_one_seed_are_paired_by_replication(tmp_path, rng):
    shared = rng.normal(1000, 100, size=(6, 30)).cumsum(axis=1)  # the noise both runs share
    x = shared + rng.normal(50, 5, size=(6, 30))
    base = write_result(tmp_path / "base", "base", "2010-01-01", {"m": shared})
    other = write_result(tmp_path / "other", "other", "2010-01-01", {"m": x})
    runs = load_results([base, other])
    fig = comparison_figure(runs, "m", reference=runs[0])

    d = x - shared
    half = stats.t.ppf(0.95, 5) * d.std(axis=0, ddof=1) / np.sqrt(6)
    line = artist(fig, "mean:difference:m:other")
    np.testing.assert_allclose(np.asarray(line.get_ydata(), float), d.mean(axis=0), rtol=1e-9)
    xs, low, high = band_data(fig, "band:difference:m:other")
    np.testing.assert_array_equal(xs, days("2010-01-01", 30))
    np.testing.assert_allclose(low, d.mean(axis=0) - half, rtol=1e-9)
    np.testing.assert_allclose(high, d.mean(axis=0) + half, rtol=1e-9)
    assert "paired by replication" in fig.get_supxlabel()
    # pairing removes the shared noise: far tighter than treating the runs as independent
    assert (high - low).max() < 0.2 * (2 * stats.t.ppf(0.95, 10) * np.sqrt(
        x.var(axis=0, ddof=1) / 6 + shared.var(axis=0, ddof=1) / 6)).max()


def test_runs_of_different_seeds_get_welch_intervals(tmp_path, rng):
    y = rng.normal(100, 10, size=(5, 12))
    x = rng.normal(130, 20, size=(8, 12))
    ref = load_result(write_result(tmp_path / "ref", "ref", "2010-01-01", {"m": y}, seed=1))
    run = load_result(write_result(tmp_path / "run", "run", "2010-01-01", {"m": x}, seed=2))
    band = E.difference(run, ref, "m")
    vx, vy = x.var(axis=0, ddof=1) / 8, y.var(axis=0, ddof=1) / 5
    nu = (vx + vy) ** 2 / (vx ** 2 / 7 + vy ** 2 / 4)
    half = stats.t.ppf(0.95, nu) * np.sqrt(vx + vy)
    np.testing.assert_allclose(band.mean, x.mean(axis=0) - y.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(band.high - band.mean, half, rtol=1e-9)
    assert "Welch" in band.what


def test_without_timeseries_the_difference_has_no_band_and_says_so(tmp_path, rng):
    y = rng.normal(100, 10, size=(4, 10))
    ref = load_result(write_result(tmp_path / "ref", "ref", "2010-01-01", {"m": y}))
    point = load_result(write_result(tmp_path / "sweep" / "points" / "p0001", "base", "2010-01-01", {"m": y + 3},
                                     kind="sweep-point", timeseries=False,
                                     manifest={"point": "p0001", "parameters": {"push": 2.0}}))
    assert point.label == "push=2"
    band = E.difference(point, ref, "m")
    assert not band.has_band and band.what == "no band (no timeseries.csv)"
    np.testing.assert_allclose(band.mean, 3, rtol=1e-9)


# --- alignment and missing metrics ------------------------------------------------------------------
def test_compare_aligns_horizons_by_date_and_reports_missing_metrics(tmp_path, rng, capsys):
    a = write_result(tmp_path / "a", "early", "2010-01-01",
                     {"gov_accounts.sina": rng.integers(0, 100, (3, 90)).cumsum(axis=1).astype(float),
                      "internet_users": rng.normal(1e6, 1e3, (3, 90))})
    b = write_result(tmp_path / "b", "late", "2010-02-01",
                     {"gov_accounts.sina": rng.integers(0, 100, (3, 120)).cumsum(axis=1).astype(float),
                      "microbloggers": rng.normal(1e5, 1e3, (3, 120))})
    out = tmp_path / "out"
    assert main(["compare", str(a), str(b), "--relative-to", str(a), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "internet_users is not in late" in err and "microbloggers is not in early" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["missing"] == {"microbloggers": ["early"], "internet_users": ["late"]}
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "gov_accounts.sina.png", "internet_users.png", "microbloggers.png"]
    report = (out / "report.md").read_text()
    assert "| internet_users | late |" in report and "| microbloggers | early |" in report

    runs = load_results([a, b])
    fig = comparison_figure(runs, "gov_accounts.sina", reference=runs[0])
    for run, start, n in ((runs[0], "2010-01-01", 90), (runs[1], "2010-02-01", 120)):
        line = artist(fig, f"mean:gov_accounts.sina:{run.label}")
        np.testing.assert_array_equal(mdates.date2num(line.get_xdata()), days(start, n))
        np.testing.assert_allclose(line.get_ydata(), run.summary.stats["gov_accounts.sina"]["mean"])
    diff = artist(fig, "mean:difference:gov_accounts.sina:late")
    np.testing.assert_array_equal(mdates.date2num(diff.get_xdata()), days("2010-02-01", 59))  # Feb 1 to Mar 31
    expected = (runs[1].summary.stats["gov_accounts.sina"]["mean"][:59]
                - runs[0].summary.stats["gov_accounts.sina"]["mean"][31:])
    np.testing.assert_allclose(diff.get_ydata(), expected, rtol=1e-9)
    lonely = comparison_figure(runs, "internet_users", reference=runs[0])
    assert [line.get_gid() for line in lonely.axes[0].lines if str(line.get_gid()).startswith("mean:")] == [
        "mean:internet_users:early"]
    assert "Not in late" in lonely.get_supxlabel()


@pytest.mark.slow
def test_compare_two_tiny_runs_with_legend_by_scenario(tmp_path):
    tiny = ROOT / "tests" / "data" / "tiny.yaml"
    push_off = tmp_path / "tiny-no-push.yaml"
    push_off.write_text(f"extends: {tiny}\nreplications: 3\nevents: {{policy_push: {{enabled: false}}}}\n"
                        "outputs: {adoptions: false}\n")
    runs = []
    for scenario, name in ((tiny, "tiny"), (push_off, "no-push")):
        runs.append(tmp_path / name)
        assert main(["run", str(scenario), "--replications", "3", "--out", str(runs[-1]), "--workers", "1",
                     "--no-progress"]) == 0
    out = tmp_path / "compared"
    assert main(["compare", *map(str, runs), "--metric", "gov_accounts.sina", "--relative-to", str(runs[0]),
                 "--out", str(out)]) == 0
    assert (out / "figures" / "gov_accounts.sina.png").is_file()

    results = load_results(runs)
    fig = comparison_figure(results, "gov_accounts.sina", reference=results[0])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:2] == ["tiny", "tiny-no-push"]
    for result in results:
        s = result.summary.stats["gov_accounts.sina"]
        xs, low, high = band_data(fig, f"band:gov_accounts.sina:{result.label}")
        np.testing.assert_allclose(low, s["p05"])
        np.testing.assert_allclose(high, s["p95"])
    _, per_run = results[1].timeseries()
    _, per_ref = results[0].timeseries()
    d = per_run["gov_accounts.sina"] - per_ref["gov_accounts.sina"]
    np.testing.assert_allclose(artist(fig, "mean:difference:gov_accounts.sina:tiny-no-push").get_ydata(),
                               d.mean(axis=0))
    assert "paired by replication (common random numbers, n=3)" in fig.get_supxlabel()


# --- bad input ----------------------------------------------------------------------------------
@pytest.fixture
def two_runs(tmp_path, rng):
    return [write_result(tmp_path / n, n, "2010-01-01", {"gov_accounts.sina": rng.normal(10, 1, (2, 5))})
            for n in ("one", "two")]


@pytest.mark.parametrize("extra, expected", [
    (["--metric", "followers.nobody.all"], "--metric: expected a metric of at least one run"),
    (["--metric", "gov_accounts.sina", "--metric", "gov_accounts.weibo.*"], "got 'gov_accounts.weibo.*'"),
    (["{tmp}/not-a-run"], "it does not exist"),
    (["{tmp}"], "it has no manifest.json"),
    (["--relative-to", "{tmp}/elsewhere"], "it does not exist"),
])
def test_compare_refuses_bad_input_in_one_line_writing_nothing(tmp_path, two_runs, capsys, extra, expected):
    out = tmp_path / "out"
    args = [a.format(tmp=tmp_path) for a in extra]
    assert main(["compare", *map(str, two_runs), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bandwagon compare: error: ") and expected in err
    assert not out.exists()


def test_compare_does_not_overwrite_without_force(tmp_path, two_runs, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["compare", *map(str, two_runs), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


# --- pairing over shared replications, posterior draws, the effect table --------------------------------
def drawn(draws: list[int], sha: str = "abc") -> dict:
    """A manifest's posterior entry (what the differences need of it)."""
    return {"posterior": {"calibration": "cal", "csv_sha256": sha, "draws": draws, "distinct_draws": len(set(draws))}}


def test_runs_of_one_seed_pair_over_the_replications_both_have(tmp_path, rng, capsys):
    shared = rng.normal(1000, 100, size=(20, 15)).cumsum(axis=1)
    x = shared[:4] + rng.normal(50, 5, size=(4, 15))
    base = write_result(tmp_path / "base", "base", "2010-01-01", {"m": shared})
    short = write_result(tmp_path / "short", "short", "2010-01-01", {"m": x})
    runs = load_results([base, short])
    band = E.difference(runs[1], runs[0], "m")
    d = x - shared[:4]
    half = stats.t.ppf(0.95, 3) * d.std(axis=0, ddof=1) / 2
    np.testing.assert_allclose(band.mean, d.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(band.high - band.mean, half, rtol=1e-9)
    assert "paired by replication (common random numbers, n=4, the first 4 of 4 and 20)" in band.what
    out = tmp_path / "out"
    assert main(["compare", str(short), "--relative-to", str(base), "--out", str(out)]) == 0
    assert "their differences pair the first 4" in (out / "report.md").read_text()
    assert "compared 2 runs on 1 metric ->" in capsys.readouterr().out


def test_posterior_runs_are_paired_by_draw_and_their_band_is_the_spread_of_the_effect(tmp_path, rng):
    draws = [3, 1, 4, 1, 5, 9, 2, 6]
    effect = np.repeat(rng.normal(-40, 30, size=(8, 1)), 12, axis=1)  # the effect differs from draw to draw
    shared = rng.normal(500, 50, size=(8, 12)).cumsum(axis=1)
    x = shared + effect + rng.normal(0, 1, size=(8, 12))
    base = write_result(tmp_path / "base", "base", "2010-01-01", {"m": shared}, manifest=drawn(draws))
    other = write_result(tmp_path / "other", "other", "2010-01-01", {"m": x}, manifest=drawn(draws))
    runs = load_results([base, other])
    band = E.difference(runs[1], runs[0], "m")
    d = x - shared
    np.testing.assert_allclose(band.low, np.percentile(d, 5, axis=0), rtol=1e-9)
    np.testing.assert_allclose(band.high, np.percentile(d, 95, axis=0), rtol=1e-9)
    assert "the same posterior draws, n=8" in band.what
    assert band.holds == "parameter uncertainty (posterior from cal) and replication noise"
    # a t interval of the mean would be narrower by about sqrt(n): it would hide what the draws leave open
    assert (band.high - band.low).min() > 2 * (stats.t.ppf(0.95, 7) * d.std(axis=0, ddof=1) / np.sqrt(8)).max()

    (effects,) = E.comparison_effects(runs, runs[0], ["m"])
    (row,) = effects.rows  # no targets: the last common day only
    assert row.date == np.datetime64("2010-01-12") and row.paired and row.n == 8 and effects.drawn
    assert row.mean == pytest.approx(d[:, -1].mean()) and row.positive == pytest.approx((d[:, -1] > 0).mean())
    assert (row.low, row.high) == pytest.approx(tuple(np.percentile(d[:, -1], [5, 95])))

    elsewhere = write_result(tmp_path / "elsewhere", "elsewhere", "2010-01-01", {"m": x}, manifest=drawn(draws, "def"))
    out = tmp_path / "out"
    assert main(["compare", str(elsewhere), "--relative-to", str(base), "--out", str(out)]) == 0
    assert "do not share their posterior draws" in (out / "report.md").read_text()


def test_compare_legends_sit_beside_the_axes_not_on_the_data(tmp_path, rng):
    runs = load_results([write_result(tmp_path / n, n, "2010-01-01", {"m": rng.normal(10, 1, (3, 40)).cumsum(axis=1)})
                         for n in ("one", "two")])
    fig = comparison_figure(runs, "m", reference=runs[0])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes[:2]:
        legend = ax.get_legend()
        assert legend is not None
        assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1


@pytest.fixture(scope="module")
def tiny_effects(tmp_path_factory, tiny_posterior_module):
    """The tiny scenario and its no-push counterfactual, 8 replications each, with and without the posterior."""
    root = tmp_path_factory.mktemp("effects")
    tiny = ROOT / "tests" / "data" / "tiny.yaml"
    push_off = root / "tiny-no-push.yaml"
    push_off.write_text(f"extends: {tiny}\nevents: {{policy_push: {{enabled: false}}}}\n"
                        "outputs: {adoptions: false}\n")
    tables = {}
    for kind, options in (("posterior", ["--posterior", str(tiny_posterior_module)]), ("fixed", [])):
        runs = []
        for scenario in (tiny, push_off):
            runs.append(root / f"{kind}-{scenario.stem}")
            assert main(["run", str(scenario), "--replications", "8", "--out", str(runs[-1]), "--no-progress",
                         *options]) == 0
        out = root / f"compare-{kind}"
        assert main(["compare", *map(str, runs), "--metric", "gov_accounts.sina", "--relative-to", str(runs[0]),
                     "--out", str(out)]) == 0
        with open(out / "effects.csv", newline="") as handle:
            tables[kind] = ({row["date"]: row for row in csv.DictReader(handle)}, load_results(runs),
                            (out / "report.md").read_text())
    return tables


@pytest.mark.slow
def test_the_effect_table_of_a_counterfactual_over_the_posterior(tiny_effects):
    rows, results, report = tiny_effects["posterior"]
    assert list(rows) == ["2009-11-30", "2011-01-01", "2011-10-31", "2011-12-31"]  # the figures' dates, the end
    dates, per_run = results[1].timeseries()
    _, per_ref = results[0].timeseries()
    for date, row in rows.items():
        day = int((np.datetime64(date, "D") - dates[0]).astype(int))
        d = (per_run["gov_accounts.sina"] - per_ref["gov_accounts.sina"])[:, day]
        assert row["paired"] == "yes" and int(row["n"]) == 8
        assert float(row["mean"]) == pytest.approx(d.mean())
        assert (float(row["low"]), float(row["high"])) == pytest.approx(tuple(np.percentile(d, [5, 95])))
        assert float(row["positive_share"]) == pytest.approx((d > 0).mean())
    assert float(rows["2011-01-01"]["zero_share"]) == 1.0  # before the push: the same numbers in every draw
    assert rows["2011-12-31"]["holds"] == "parameter uncertainty (posterior from tiny-fake) and replication noise"
    end = [line for line in report.splitlines()
           if line.startswith("| Verified government accounts on Sina Weibo | 2011-12-31 |")]
    assert len(end) == 1 and "not pinned down" in end[0], end


def test_the_posteriors_effect_interval_holds_more_than_replication_noise(tiny_effects):
    drawn, fixed = tiny_effects["posterior"][0]["2011-12-31"], tiny_effects["fixed"][0]["2011-12-31"]
    width = {k: float(r["high"]) - float(r["low"]) for k, r in (("drawn", drawn), ("fixed", fixed))}
    assert width["drawn"] > 2 * width["fixed"], width
    assert fixed["holds"] == "replication noise only"
    assert "Runs without a posterior hold replication noise only" in tiny_effects["fixed"][2]


@pytest.mark.parametrize("low, high, zero, reading", [
    (0.0, 0.0, 1.0, "none: identical in every draw"),
    (-5.0, 3.0, 0.0, "sign not pinned down"),
    (-150.0, 0.0, 0.1, "size not pinned down: from none to -150"),
    (-300.0, -20.0, 0.0, "sign clear, size not pinned down: the interval's ends differ by a factor of 15.0"),
    (-300.0, -200.0, 0.0, "sign and size pinned down within a factor of 1.50"),
])
def test_the_reading_of_an_effect_says_what_its_interval_leaves_open(low, high, zero, reading):
    from sim.report.content import effect_reading

    effect = E.Effect(np.datetime64("2012-06-30"), (low + high) / 2, low, high, 0.0, zero, 1.0, 20, True)
    assert effect_reading(effect).startswith(reading)
