"""Runs drawn from a posterior: which draw each replication takes, how it is applied, what is recorded.

The posterior here is the small fake of ``conftest.tiny_posterior`` (two
parameters of the tiny scenario, six draws, one of weight 0), written in the
format ``bandwagon calibrate`` writes.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from sim import Scenario, simulate
from sim.cli import main
from sim.errors import InputError
from sim.results.loading import load_result
from sim.posterior import assign, draw_indices, load_posterior, scenarios_for, write_posterior

WEIGHTS = np.array([1.0, 0.0, 2.0, 1.0, 3.0, 1.0])
"""The weights of ``conftest.tiny_posterior``."""


def counterfactual(tmp_path: Path, tiny_path: Path, name: str, body: str) -> Scenario:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"extends: {tiny_path}\nname: {name}\n{body}\n", encoding="utf-8")
    return Scenario.from_yaml(path)


# --- which draw -------------------------------------------------------------------------------
def test_draws_are_a_function_of_seed_and_replication_only():
    twenty = draw_indices(WEIGHTS, 7, range(20))
    assert draw_indices(WEIGHTS, 7, range(20)) == twenty
    assert draw_indices(WEIGHTS, 7, range(4)) == twenty[:4]  # a shorter run takes the first draws of a longer one
    assert draw_indices(WEIGHTS, 7, [12, 3]) == [twenty[12], twenty[3]]
    assert draw_indices(WEIGHTS, 8, range(20)) != twenty


def test_resampling_frequencies_match_the_weights_within_binomial_error():
    n = 20_000
    counts = np.bincount(draw_indices(WEIGHTS, 20120126, range(n)), minlength=len(WEIGHTS))
    p = WEIGHTS / WEIGHTS.sum()
    se = np.sqrt(n * p * (1 - p))
    assert counts[1] == 0  # weight 0: never drawn
    assert np.all(np.abs(counts - n * p) <= 4 * se + 1e-9), (counts, n * p, se)


def test_a_counterfactual_takes_the_baselines_draw_replication_by_replication(tmp_path, tiny_path, tiny_posterior):
    posterior = load_posterior(tiny_posterior)
    np.testing.assert_array_equal(posterior.weights, WEIGHTS)
    base = Scenario.from_yaml(tiny_path)
    no_push = counterfactual(tmp_path, tiny_path, "no-push", "events: {policy_push: {enabled: false}}")
    no_imitation = counterfactual(tmp_path, tiny_path, "no-imitation", "set: {agencies.levels.*.hazard.imitation: 0}")
    plain = assign(posterior, base, 12)
    for other in (no_push, no_imitation):
        assert assign(posterior, other, 12).draws == plain.draws
    assert plain.draws == tuple(draw_indices(WEIGHTS, base.seed, range(12)))

    runs = scenarios_for(base, 12, posterior)
    muted = scenarios_for(no_imitation, 12, posterior)
    for r, draw in enumerate(plain.draws):
        factor, push = posterior.values[draw]
        for level, spec in runs[r].agencies.levels.items():
            assert spec.hazard.imitation == pytest.approx(base.agencies.levels[level].hazard.imitation * factor)
            assert muted[r].agencies.levels[level].hazard.imitation == 0  # a factor keeps a zero at zero
        assert [c.multiply for c in runs[r].events["policy_push"].changes] == [push] * 5


def test_a_counterfactuals_own_value_wins_over_a_drawn_one_and_is_said(tmp_path, tiny_path, tiny_posterior):
    posterior = load_posterior(tiny_posterior)
    big_push = counterfactual(tmp_path, tiny_path, "big-push", "set: {events.policy_push.changes.*.multiply: 4.0}")
    assignment = assign(posterior, big_push, 6)
    assert all(c.multiply == 4.0 for s in assignment.scenarios(big_push) for c in s.events["policy_push"].changes)
    assert any("push is not drawn at events.policy_push.changes.*.multiply: big-push sets it to 4.0" in n
               for n in assignment.notes)
    swept = assign(posterior, Scenario.from_yaml(tiny_path), 6,
                   keep={"agencies.levels.county.hazard.imitation": "swept by x, which wins"})
    assert all("agencies.levels.county.hazard.imitation" not in o for o in swept.overrides)
    assert all("agencies.levels.court.hazard.imitation" in o for o in swept.overrides)
    assert swept.notes == ("imitation is not drawn at agencies.levels.county.hazard.imitation: swept by x, which wins",)


# --- the scenario key ---------------------------------------------------------------------------
def test_posterior_key_is_relative_to_its_file_and_inherited_through_extends(tmp_path, tiny_path, tiny_posterior):
    (tmp_path / "base.yaml").write_text(f"extends: {tiny_path}\nposterior: {tiny_posterior.name}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "cf.yaml").write_text("extends: ../base.yaml\nevents: {policy_push: {enabled: false}}\n")
    (tmp_path / "sub" / "off.yaml").write_text("extends: ../base.yaml\nposterior: null\n")
    assert Scenario.from_yaml(tmp_path / "sub" / "cf.yaml").posterior == str(tiny_posterior.resolve())
    assert Scenario.from_yaml(tmp_path / "sub" / "off.yaml").posterior is None
    (tmp_path / "sub" / "lost.yaml").write_text("extends: ../base.yaml\nposterior: nowhere\n")
    with pytest.raises(InputError) as caught:
        Scenario.from_yaml(tmp_path / "sub" / "lost.yaml")
    assert caught.value.source == str(tmp_path / "sub" / "lost.yaml") and caught.value.field == "posterior"


# --- bandwagon run --posterior ---------------------------------------------------------------------
def run(scenario: Path, out: Path, *options: str) -> int:
    return main(["run", str(scenario), "--replications", "3", "--out", str(out), "--no-progress", *options])


@pytest.mark.slow
def test_run_applies_each_replications_draw_and_records_it(tmp_path, tiny_path, tiny_posterior):
    drawn_figures = tmp_path / "tiny.yaml"
    drawn_figures.write_text(f"extends: {tiny_path}\noutputs: {{figures: true, adoptions: false}}\n")
    out = tmp_path / "run"
    assert run(drawn_figures, out, "--posterior", str(tiny_posterior), "--workers", "2") == 0
    manifest = json.loads((out / "manifest.json").read_text())
    recorded = manifest["posterior"]
    scenario = Scenario.from_yaml(tiny_path)
    draws = draw_indices(WEIGHTS, scenario.seed, range(3))
    assert recorded["draws"] == draws and recorded["distinct_draws"] == len(set(draws))
    assert recorded["csv_sha256"] == hashlib.sha256((tiny_posterior / "posterior.csv").read_bytes()).hexdigest()
    assert recorded["calibration"] == "tiny-fake" and recorded["draws_available"] == 6
    assert {key: recorded["parameters"]["push"][key] for key in ("path", "apply", "label")} == {
        "path": "events.policy_push.changes.*.multiply", "apply": "set", "label": "size of the push"}
    assert recorded["notes"] == []

    _, written = load_result(out).timeseries()
    expected = scenarios_for(scenario.with_overrides({"replications": 3}), 3, load_posterior(tiny_posterior))
    differs = False
    for r in range(3):
        drawn = simulate(expected[r], r).metrics["gov_accounts.sina"]
        np.testing.assert_array_equal(written["gov_accounts.sina"][r], drawn)
        differs |= not np.array_equal(drawn, simulate(scenario, r).metrics["gov_accounts.sina"])
    assert differs  # the draws changed the runs
    report = (out / "report.md").read_text()
    assert "| bands hold | parameter uncertainty (posterior from tiny-fake) and replication noise |" in report


@pytest.mark.slow
def test_without_a_posterior_a_run_is_as_before_and_says_replication_noise_only(tmp_path, tiny_path, tiny_posterior):
    with_key = tmp_path / "with-key.yaml"
    with_key.write_text(f"extends: {tiny_path}\nname: tiny\nposterior: {tiny_posterior}\n"
                        "outputs: {figures: true, adoptions: false}\n")
    out = tmp_path / "plain"
    assert run(with_key, out, "--no-posterior", "--workers", "1") == 0
    assert json.loads((out / "manifest.json").read_text())["posterior"] is None
    _, written = load_result(out).timeseries()
    scenario = Scenario.from_yaml(tiny_path)
    for r in range(3):
        np.testing.assert_array_equal(written["gov_accounts.sina"][r],
                                      simulate(scenario, r).metrics["gov_accounts.sina"])
    assert "| bands hold | replication noise only |" in (out / "report.md").read_text()
    keyed = tmp_path / "keyed"
    assert run(with_key, keyed, "--workers", "1") == 0  # the scenario's posterior: is used by default
    assert json.loads((keyed / "manifest.json").read_text())["posterior"]["calibration"] == "tiny-fake"


# --- bad posterior directories ---------------------------------------------------------------------
def rewrite_csv(directory: Path, edit) -> None:
    """Edit posterior.csv's rows and record the new hash, so the check under test is the one that fails."""
    path = directory / "posterior.csv"
    rows = list(csv.reader(path.read_text().splitlines()))
    edit(rows)
    text = "\n".join(",".join(row) for row in rows) + "\n"
    path.write_text(text)
    meta = json.loads((directory / "posterior.json").read_text())
    meta["csv_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    (directory / "posterior.json").write_text(json.dumps(meta))


def edit_json(directory: Path, edit) -> None:
    meta = json.loads((directory / "posterior.json").read_text())
    edit(meta)
    (directory / "posterior.json").write_text(json.dumps(meta))


def set_cell(row: int, column: int, value: str):
    def edit(rows):
        rows[row][column] = value
    return edit


def set_column(column: int, value: str):
    def edit(rows):
        for row in rows[1:]:
            row[column] = value
    return edit


BAD = {
    "no posterior.csv": (lambda d: (d / "posterior.csv").unlink(), "posterior.csv is missing"),
    "no posterior.json": (lambda d: (d / "posterior.json").unlink(), "posterior.json is missing"),
    "a path the scenario lacks": (
        lambda d: edit_json(d, lambda m: m["parameters"]["push"].update(path="events.no_such.changes.*.multiply")),
        "posterior.json: parameters.push.path: expected a path of scenario tiny"),
    "malformed weight": (lambda d: rewrite_csv(d, set_cell(3, 1, "heavy")),
                         "posterior.csv: line 4: weight: expected a finite weight >= 0, got 'heavy'"),
    "negative weight": (lambda d: rewrite_csv(d, set_cell(2, 1, "-1")),
                        "posterior.csv: line 3: weight: expected a finite weight >= 0, got '-1'"),
    "infinite weight": (lambda d: rewrite_csv(d, set_cell(2, 1, "inf")), "line 3: weight: expected a finite weight"),
    "all weights zero": (lambda d: rewrite_csv(d, set_column(1, "0")),
                         "expected at least one draw with a positive weight"),
    "draws out of order": (lambda d: rewrite_csv(d, set_cell(3, 0, "7")), "line 4: draw: expected draw 2"),
    "a missing column": (lambda d: rewrite_csv(d, lambda rows: [row.pop() for row in rows]),
                         "posterior.csv: line 1: expected the header draw,weight,imitation,push"),
    "a negative factor": (lambda d: rewrite_csv(d, set_cell(2, 2, "-0.5")),
                          "line 3: imitation: expected a non-negative factor"),
    "a value that is not a number": (lambda d: rewrite_csv(d, set_cell(2, 2, "nan")),
                                     "line 3: imitation: expected a finite number, got 'nan'"),
    "a draw the scenario refuses": (lambda d: rewrite_csv(d, set_column(3, "-1")),
                                    "gives tiny an invalid value: events.policy_push.changes.0.multiply"),
    "a draw the dated events refuse": (lambda d: rewrite_csv(d, lambda rows: [
        set_column(2, "10")(rows), set_column(3, "1000000")(rows)]),  # imitation x10, then pushed x1e6: past its bound
        "once the event of 2011-10-15 is applied"),
    "a CSV edited after calibration": (lambda d: (d / "posterior.csv").write_text(
        (d / "posterior.csv").read_text().replace("0.5,", "0.6,", 1)), "posterior.json: csv_sha256: expected"),
    "another format": (lambda d: edit_json(d, lambda m: m.update(format="bandwagon-posterior/0")),
                       "posterior.json: format: expected 'bandwagon-posterior/1'"),
    "not JSON": (lambda d: (d / "posterior.json").write_text("{draws"), "posterior.json: expected a JSON document"),
    "no directory": (lambda d: __import__("shutil").rmtree(d), "but it does not exist"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_posterior_directory_is_one_line_exit_2_and_nothing_written(tmp_path, tiny_path, tiny_posterior,
                                                                         capsys, case):
    mangle, expected = BAD[case]
    mangle(tiny_posterior)
    out = tmp_path / "out"
    assert run(tiny_path, out, "--posterior", str(tiny_posterior), "--workers", "1") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bandwagon run: error: "), err
    assert expected in err, err
    assert not out.exists()


def test_validate_refuses_what_run_would_refuse_in_a_scenarios_posterior(tmp_path, tiny_path, tiny_posterior, capsys):
    rewrite_csv(tiny_posterior, set_column(3, "-1"))  # every draw gives the push a negative size
    keyed = tmp_path / "keyed.yaml"
    keyed.write_text(f"extends: {tiny_path}\nposterior: {tiny_posterior}\n")
    assert main(["validate", str(keyed)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "posterior.csv: draw" in err and "policy_push" in err, err


def test_a_date_parameter_is_drawn_as_an_iso_date(tmp_path, tiny_path):
    directory = tmp_path / "dated"
    directory.mkdir()
    write_posterior(directory, {"push_date": {"path": "events.policy_push.date", "apply": "set", "kind": "date",
                                              "range": ["2011-09-01", "2011-12-01"]}},
                    [["2011-09-01"], ["2011-11-20"]], [1.0, 3.0], calibration="dated",
                    base=str(Path(tiny_path).resolve()))
    scenario = Scenario.from_yaml(tiny_path)
    posterior = load_posterior(directory)
    runs = scenarios_for(scenario, 8, posterior)
    draws = draw_indices(posterior.weights, scenario.seed, range(8))
    assert [str(s.events["policy_push"].date) for s in runs] == [posterior.values[d][0] for d in draws]


@pytest.mark.slow
@pytest.mark.parametrize("convergence,said", [
    ({"converged": False, "max_rhat": 1.2, "min_ess_bulk": 40.0, "min_ess_tail": 25.0, "chains": 16},
     "did NOT converge (rank R-hat up to 1.200"),
    (None, "records no convergence diagnostics")], ids=["not-converged", "unknown"])
def test_a_run_over_an_unconverged_posterior_says_so_plainly(tmp_path, tiny_path, capsys, convergence, said):
    """Issue 18: whatever uses draws of chains that did not converge says so, on the terminal, in the manifest and
    in the report; a converged posterior adds no such line (the other tests' posterior)."""
    from conftest import write_tiny_posterior

    posterior = write_tiny_posterior(tmp_path / "unconverged", tiny_path, convergence=convergence)
    with_report = tmp_path / "tiny.yaml"
    with_report.write_text(f"extends: {tiny_path}\noutputs: {{figures: true, adoptions: false}}\n")
    out = tmp_path / "run"
    assert run(with_report, out, "--posterior", str(posterior)) == 0
    assert said in capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert said in manifest["posterior"]["notes"][0]
    assert said in (out / "report.md").read_text()
    converged = write_tiny_posterior(tmp_path / "converged", tiny_path)
    assert not any("converge" in note for note in assign(load_posterior(converged), Scenario.from_yaml(tiny_path),
                                                         3).notes)
