"""Bad input in the interaction section: one line naming the file and the field, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import Scenario
from sim.errors import InputError
from sim.scenario.shifts import parse_shift

DESK = "interaction.accounts.shanghai_city"

BAD = {
    "team of size 0 with messages arriving": (
        "interaction: {accounts: {shanghai_city: {staff: {size: 0}}}}", f"{DESK}.staff.size"),
    "department of size 0 with substantive messages": (
        "interaction: {accounts: {shanghai_city: {department: {size: 0}}}}", f"{DESK}.department.size"),
    "negative message rate": (
        "interaction: {messages: {per_follower_per_day: -0.001}}", "interaction.messages.per_follower_per_day"),
    "negative platform activity": (
        "interaction: {messages: {activity: {sina: -1}}}", "interaction.messages.activity.sina"),
    "activity of an unknown platform": (
        "interaction: {messages: {activity: {weixin: 1.0}}}", "interaction.messages.activity.weixin"),
    "a shift that does not parse": (
        "interaction: {accounts: {shanghai_city: {staff: {shifts: ['weekdays 9-17']}}}}", f"{DESK}.staff.shifts.0"),
    "a shift with an impossible time": (
        "interaction: {accounts: {shanghai_city: {staff: {shifts: ['mon-fri 09:00-25:00']}}}}", f"{DESK}.staff.shifts.0"),
    "a shift of no length": (
        "interaction: {accounts: {shanghai_city: {staff: {shifts: ['daily 09:00-09:00']}}}}", f"{DESK}.staff.shifts.0"),
    "zero patience": (
        "interaction: {messages: {patience: {mean_hours: 0}}}", "interaction.messages.patience.mean_hours"),
    "zero service time": (
        "interaction: {accounts: {shanghai_city: {staff: {service: {mean_hours: 0}}}}}", f"{DESK}.staff.service.mean_hours"),
    "lognormal without cv": (
        "interaction: {accounts: {shanghai_city: {staff: {service: {distribution: lognormal}}}}}", f"{DESK}.staff.service"),
    "hot issue for an unknown account": (
        "interaction: {hot_issues: {scare: {date: 2011-12-20, accounts: [beijing_city], surge: 5, decay_days: 2}}}",
        "interaction.hot_issues.scare.accounts.0"),
    "hot issue for an unknown level": (
        "interaction: {hot_issues: {scare: {date: 2011-12-20, levels: [township], surge: 5, decay_days: 2}}}",
        "interaction.hot_issues.scare.levels.0"),
    "hot issue outside the horizon": (
        "interaction: {hot_issues: {scare: {date: 2013-01-01, accounts: [shanghai_city], surge: 5, decay_days: 2}}}",
        "interaction.hot_issues.scare.date"),
    "hot issue hitting nobody": (
        "interaction: {hot_issues: {scare: {date: 2011-12-20, surge: 5, decay_days: 2}}}", "interaction.hot_issues.scare"),
    "a surge below 1": (
        "interaction: {hot_issues: {scare: {date: 2011-12-20, accounts: [shanghai_city], surge: 0.5, decay_days: 2}}}",
        "interaction.hot_issues.scare.surge"),
    "a desk for an account that does not exist": (
        "interaction: {accounts: {beijing_city: {staff: {size: 1, service: {mean_hours: 1}}}}}",
        "interaction.accounts.beijing_city"),
    "hourly profile of the wrong length": (
        "interaction: {messages: {hourly: [1, 2, 3]}}", "interaction.messages.hourly"),
    "an unknown key": ("interaction: {feedback: {elastcity: 2}}", "interaction.feedback.elastcity"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_interaction_input_is_one_line_naming_file_and_field(tmp_path, baseline_path, name):
    content, field = BAD[name]
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {baseline_path}\n{content}\n")
    with pytest.raises(InputError) as caught:
        Scenario.from_yaml(path)
    line = caught.value.line()
    assert "\n" not in line and str(path) in line, line
    assert caught.value.field == field, line


@pytest.mark.slow
@pytest.mark.parametrize("name", ["team of size 0 with messages arriving", "a shift that does not parse",
                                  "hot issue outside the horizon"])
def test_run_refuses_bad_interaction_input_and_writes_nothing(tmp_path, baseline_path, name):
    content, field = BAD[name]
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(f"extends: {baseline_path}\n{content}\n")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "sim", "run", str(scenario), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and str(scenario) in lines[0]
    assert not out.exists()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_text_either_parses_as_a_shift_or_says_what_was_expected(text):
    try:
        shift = parse_shift(text)
    except ValueError as exc:
        assert str(exc).startswith("expected") and "\n" not in str(exc)
    else:
        assert 0 <= shift.start_hour < 24 and shift.start_hour < shift.end_hour <= shift.start_hour + 24
        assert shift.days and all(0 <= d < 7 for d in shift.days)


@pytest.mark.parametrize("text, days, start, end, staff", [
    ("mon-fri 09:00-17:00", (0, 1, 2, 3, 4), 9, 17, None),
    ("daily 22:00-06:00 x2", tuple(range(7)), 22, 30, 2),
    ("sat,sun 10:00-16:30 x1", (5, 6), 10, 16.5, 1),
    ("fri-mon 00:00-24:00", (0, 4, 5, 6), 0, 24, None),
    ("Weekdays 8:30-12:00", (0, 1, 2, 3, 4), 8.5, 12, None),
])
def test_shifts_parse(text, days, start, end, staff):
    shift = parse_shift(text)
    assert (shift.days, shift.start_hour, shift.end_hour, shift.staff) == (days, start, end, staff)
