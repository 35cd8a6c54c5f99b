"""Scenario files: extends, set, attribution of errors, frozen results."""

from __future__ import annotations

import textwrap

import pytest
from pydantic import ValidationError

from sim import Scenario
from sim.errors import InputError
from sim.scenario import paths


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return path


def test_every_shipped_scenario_validates(scenarios_dir):
    files = sorted(scenarios_dir.glob("*.yaml"))
    assert {f.name for f in files} >= {"baseline.yaml", "no-policy-push.yaml", "no-imitation.yaml"}
    for path in files:
        scenario = Scenario.from_yaml(path)
        assert scenario.name == path.stem


def test_counterfactuals_differ_from_the_baseline_only_where_they_say(baseline_path):
    base = Scenario.from_yaml(baseline_path).to_dict()
    no_push = Scenario.from_yaml(baseline_path.parent / "no-policy-push.yaml").to_dict()
    assert no_push["events"]["policy_push"]["enabled"] is False
    no_push["events"]["policy_push"]["enabled"] = True
    for key in ("name", "description"):
        no_push[key] = base[key]
    assert no_push == base

    no_imitation = Scenario.from_yaml(baseline_path.parent / "no-imitation.yaml")
    for level in no_imitation.agencies.levels.values():
        assert level.hazard.imitation == 0 and level.hazard.regional_imitation == 0


def test_extends_merges_and_set_applies_wildcards(tmp_path, baseline_path):
    path = write(tmp_path / "cf.yaml", f"""
        extends: {baseline_path}
        horizon: {{end: 2011-12-31}}
        set:
          agencies.levels.*.hazard.upper_tier: 0.5
    """)
    scenario = Scenario.from_yaml(path)
    base = Scenario.from_yaml(baseline_path)
    assert scenario.name == "cf"
    assert scenario.horizon.start == base.horizon.start
    assert str(scenario.horizon.end) == "2011-12-31"
    assert all(level.hazard.upper_tier == 0.5 for level in scenario.agencies.levels.values())
    assert scenario.agencies.levels["county"].count == base.agencies.levels["county"].count


def test_error_names_the_file_that_set_the_field(tmp_path, scenarios_dir):
    base = tmp_path / "base.yaml"
    base.write_text((scenarios_dir / "baseline.yaml").read_text().replace("seed: 20120126", "seed: -5"))
    (tmp_path / "targets").mkdir()
    (tmp_path / "targets" / "beijing-review-2012.yaml").write_text(
        (scenarios_dir / "targets" / "beijing-review-2012.yaml").read_text())
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nreplications: 3\n")
    with pytest.raises(InputError) as info:
        Scenario.from_yaml(child)
    assert info.value.source == str(base)
    assert info.value.field == "seed"


@pytest.mark.parametrize("text, field, words", [
    ("extends: {b}\nseed: 1\nseed: 2\n", None, "duplicate key"),
    ("extends: {b}\nagencies: {{levels: {{county: {{hazard: {{imitation: -1}}}}}}}}\n",
     "agencies.levels.county.hazard.imitation", "greater than or equal to 0"),
    ("extends: {b}\nplatforms: {{sina: {{launch: 2030-01-01}}}}\n", "platforms.sina.launch", "within the horizon"),
    ("extends: {b}\nhorizon: {{end: 2009-01-01}}\n", "horizon.end", "after horizon.start"),
    ("extends: {b}\naccounts: {{shanghai_city: {{province: atlantis}}}}\n", "accounts.shanghai_city.province", "provinces"),
    ("extends: {b}\nagencies: {{levels: {{county: {{parent: county}}}}}}\n", "agencies.levels.county.parent", "cycle"),
    ("extends: {b}\nevents: {{push2: {{date: 2011-01-01, changes: [{{path: agencies.levels.county.count, multiply: 2}}]}}}}\n",
     "events.push2.changes.0.path", "time-varying"),
    ("extends: {b}\nevents: {{push2: {{date: 2011-01-01, changes: [{{path: agencies.levels.nowhere.hazard.imitation, multiply: 2}}]}}}}\n",
     "events.push2.changes.0.path", "path to a parameter"),
    ("extends: {b}\nset: {{agencies.levels.county.hazard: 1}}\n", "agencies.levels.county.hazard", "not to a section"),
    ("extends: {b}\nextends2: 1\n", "extends2", "unknown key"),
    ("extends: missing.yaml\n", "extends", "not found"),
    ("- a\n- b\n", None, "mapping"),
])
def test_bad_files_give_one_clear_line(tmp_path, baseline_path, text, field, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text.format(b=baseline_path))
    with pytest.raises(InputError) as info:
        Scenario.from_yaml(path)
    line = info.value.line()
    assert "\n" not in line
    assert words in line
    assert str(path) in line
    if field:
        assert info.value.field == field


def test_extends_cycle_is_refused(tmp_path):
    write(tmp_path / "a.yaml", "extends: b.yaml\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\n")
    with pytest.raises(InputError, match="cycle"):
        Scenario.from_yaml(tmp_path / "a.yaml")


def test_scenarios_are_frozen(baseline_path):
    scenario = Scenario.from_yaml(baseline_path)
    with pytest.raises(ValidationError):
        scenario.seed = 3
    with pytest.raises(ValidationError):
        scenario.horizon.end = scenario.horizon.start


def test_with_overrides_validates_and_leaves_the_original(baseline_path):
    scenario = Scenario.from_yaml(baseline_path)
    changed = scenario.with_overrides({"agencies.levels.county.count": 10})
    assert changed.agencies.levels["county"].count == 10
    assert scenario.agencies.levels["county"].count != 10
    with pytest.raises(InputError, match="greater than or equal to 0"):
        scenario.with_overrides({"agencies.levels.county.count": -1})
    with pytest.raises(InputError) as info:
        scenario.with_overrides({"agencies.levels.cuonty.count": 1}, source="spec.yaml")
    assert info.value.source == "spec.yaml" and "county" in info.value.line()


def test_paths_expand_and_get():
    data = {"a": {"x": {"v": 1}, "y": {"v": 2}}, "l": [{"v": 3}]}
    assert paths.expand(data, "a.*.v") == ["a.x.v", "a.y.v"]
    assert paths.expand(data, "l.0.v") == ["l.0.v"]
    assert paths.get(data, "a.y.v") == 2
    assert paths.expand(data, "a.*") == []  # sections are not values
    with pytest.raises(KeyError):
        paths.get(data, "a.z.v")


def test_named_account_needs_a_body_in_its_province(tmp_path, baseline_path):
    # Provincial bodies are spread equally: with 5 of them, Shanghai (9th province) gets none.
    path = write(tmp_path / "few.yaml", f"""
        extends: {baseline_path}
        agencies: {{levels: {{provincial: {{count: 5}}}}}}
    """)
    with pytest.raises(InputError) as info:
        Scenario.from_yaml(path)
    assert info.value.field == "agencies.levels.provincial.count"
    assert info.value.source == str(path)  # the file that set the count, not the one naming the account
    assert "shanghai" in info.value.line()
