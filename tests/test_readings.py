"""Figures read as the article states them (issue 18, part 5): "more than N" as a range up to the next round
number, with soft edges in the likelihood; the targets file says how each such figure is read and why."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.calibration.bayes.crossvalidation import binding, score
from sim.calibration.problem.likelihood import INTERVAL, Figures
from sim.calibration.problem.objective import TargetSet
from sim.report.content import reported_text as reported
from sim.cli import main as cli
from sim.errors import InputError
from sim.targets import Target, Targets, next_round

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "scenarios" / "targets" / "beijing-review-2012.yaml"


def phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def box(a: float, b: float) -> float:
    """``Phi(a) - Phi(b)`` by hand, from whichever tail keeps its digits (erfc, not 1 - erf)."""
    r = math.sqrt(2.0)
    return 0.5 * (math.erfc(-a / r) - math.erfc(-b / r)) if a < 0 else 0.5 * (math.erfc(b / r) - math.erfc(a / r))


def more_than(value: float, **extra) -> Target:
    return Target(metric="followers.shanghai_city.sina", date="2011-12-12", kind="more_than", value=value,
                  reading="a rounded figure", **extra)


# --- the rule --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, upper", [
    (300e6, 350e6),      # one significant digit: half a unit
    (1e6, 1.5e6),
    (5, 5.5),
    (0.5, 0.55),
    (410_000, 420_000),  # two: one unit of the last
    (250e6, 260e6),
    (19_500, 19_600),    # three
    (2.5, 2.6),
])
def test_the_next_round_number_is_one_step_of_the_last_significant_digit(value, upper):
    assert next_round(value) == pytest.approx(upper, rel=1e-12)


def test_a_more_than_figure_is_bounded_on_both_sides():
    t = more_than(410_000)
    assert t.bounds == (410_000, pytest.approx(420_000))
    assert t.two_sided
    assert t.met(415_000) and t.met(410_000)
    assert not t.met(409_999) and not t.met(421_000)
    assert t.log_error(840_000) == pytest.approx(math.log(840_000 / 420_000))
    assert t.log_error(205_000) == pytest.approx(math.log(205_000 / 410_000))
    # the tolerance is slack on both ends, as for the one-sided kinds
    slack = more_than(410_000, tolerance=0.1)
    assert slack.bounds == (pytest.approx(369_000), pytest.approx(462_000))


def test_the_other_reading_is_unbounded_above_and_keeps_everything_else():
    t = more_than(300e6)
    other = t.other_reading()
    assert other.kind == "at_least" and other.bounds == (300e6, math.inf)
    assert other.value == t.value and other.metric == t.metric and other.date == t.date
    equal = Target(metric="internet_users", date="2011-12-31", value=5e8, tolerance=0.05)
    assert equal.other_reading() is equal


def test_the_article_s_three_more_than_figures_carry_their_reading():
    targets = Targets.from_yaml(ARTICLE).targets
    read = {name: t for name, t in targets.items() if t.kind == "more_than"}
    assert set(read) == {"microbloggers_2011", "shanghai_city_sina_followers", "shanghai_city_all_followers"}
    for name, t in read.items():
        assert "more than" in t.quote
        assert t.reading and "below" in t.reading, name
    # each figure's upper end as its reading states it in words, the rule's
    assert read["microbloggers_2011"].bounds[1] == 350e6
    assert read["shanghai_city_sina_followers"].bounds[1] == 420_000
    assert read["shanghai_city_all_followers"].bounds[1] == 1.5e6
    assert targets["first_government_account"].kind == "at_least"


# --- the likelihood ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [300_000.0, 405_000.0, 415_000.0, 421_000.0, 500_000.0, 2.3e6])
def test_the_likelihood_of_more_than_is_the_soft_edged_box(value):
    """``Phi((x - log 410,000)/sigma) - Phi((x - log 420,000)/sigma)``, by hand from the erf."""
    figures = Figures.of([more_than(410_000)], precision=0.01)
    assert figures.kind[0] == INTERVAL
    sigma = np.array([0.05])
    got = figures.log_terms(np.array([value]), sigma)[0]
    x = math.log(value)
    expected = math.log(box((x - math.log(410_000)) / 0.05, (x - math.log(420_000)) / 0.05))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_the_upper_edge_is_where_the_reading_puts_it():
    """A deliberate mistake (the upper end a whole unit of the digit, 400 million, not half of one) would leave
    360 million almost as likely as 320 million; read as the article's rounding implies it is not."""
    figures = Figures.of([Target(metric="microbloggers", date="2011-12-31", kind="more_than", value=300e6,
                                 reading="rounded")], precision=0.01)
    sigma = np.array([0.03])
    inside, beyond = figures.log_terms(np.array([[320e6], [360e6]]), sigma)[:, 0]
    # 360 million is log(360/350) / 0.03 = 0.94 sd past the upper edge at 350 million: Phi(-0.94) = 0.17
    assert inside == pytest.approx(math.log(phi(math.log(320 / 300) / 0.03) - phi(math.log(320 / 350) / 0.03)))
    assert beyond == pytest.approx(math.log(phi(math.log(360 / 300) / 0.03) - phi(math.log(360 / 350) / 0.03)))
    assert beyond - inside < math.log(0.2)
    # and the unbounded reading does not care
    other = Figures.of([Target(metric="microbloggers", date="2011-12-31", kind="at_least", value=300e6)], 0.01)
    assert other.log_terms(np.array([360e6]), sigma)[0] > -1e-6


def test_deviance_residuals_sign_more_than_by_side():
    targets = TargetSet(names=("t",), targets=(more_than(410_000),), start=np.datetime64("2009-08-01").item(),
                        precision=0.01, discrepancy=0.03)
    low, mid, high = (targets.residuals(np.array([v])) [0] for v in (300_000.0, 415_000.0, 600_000.0))
    assert low < 0 < high
    assert abs(mid) < 0.1 * min(abs(low), high)


def test_a_more_than_figure_always_binds_in_cross_validation():
    """Like an interval (both ends inform), however well the posterior meets it."""
    class Fake:
        pass
    t = more_than(410_000)
    targets = TargetSet(names=("t",), targets=(t,), start=np.datetime64("2009-08-01").item(), precision=0.01)
    fake = Fake()
    fake.problem = Fake()
    fake.problem.targets = targets
    fake.mean_values = np.full((4, 1), 415_000.0)
    fake.correction = Fake()
    fake.correction.intrinsic = np.zeros(1)
    fake.correction.surrogate = np.zeros(1)
    fake.weights = np.full(4, 0.25)
    assert binding(fake).tolist() == [True]
    # scored by the predictive probability of the reported range (not by a band overlapping it)
    inside = score(targets, 0, np.array([415_000.0]), np.array([0.005]), np.array([1.0]))
    beyond = score(targets, 0, np.array([600_000.0]), np.array([0.05]), np.array([1.0]))
    assert inside.covered is None and inside.probability > 0.9 and beyond.probability < 1e-6


def test_reports_say_more_than_and_its_reading():
    assert reported(more_than(410_000)) == "more than 410,000 (read: below 420,000)"


# --- bad input ------------------------------------------------------------------------------------------
def test_more_than_without_a_reading_is_refused_in_one_line(tmp_path, tiny_path, capsys):
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump({"targets": {"t": {"metric": "gov_accounts.sina", "date": "2010-06-01",
                                                         "kind": "more_than", "value": 10}}}), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        Targets.from_yaml(targets)
    assert "reading" in str(caught.value) and "targets.t" in str(caught.value)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"base": str(tiny_path), "targets": str(targets), "replications": 2,
                                    "budget": {"evaluations": 5},
                                    "parameters": {"x": {"path": "population.internet.growth_rate",
                                                         "range": [0.3, 0.9]}}}), encoding="utf-8")
    out = tmp_path / "out"
    assert cli(["calibrate", str(spec), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(targets) in err and "reading" in err, err
    assert not out.exists()


def test_low_and_high_stay_for_intervals_only():
    with pytest.raises(ValueError, match="only for kind: interval"):
        more_than(410_000, high=500_000)


# --- the push's sign: an effect that rests on a parameter the figures leave at its prior ----------------------
from sim.report.content import effects_table, prior_driven, touches  # noqa: E402
from sim.results import effects as E  # noqa: E402

PUSH = "events.policy_push.changes.*.multiply"
BASE = {"events": {"policy_push": {"enabled": True, "date": "2011-10-15",
                                   "changes": [{"path": "agencies.levels.*.hazard.innovation", "multiply": 2.0}]}},
        "platforms": {"tencent": {"launch": "2010-04-01"}}}


class Run:
    """What the effect table reads of a loaded run."""

    uncertainty = "parameter uncertainty (posterior from cal) and replication noise"

    def __init__(self, label: str, scenario: dict, width_ratio: float | None, sampled: bool | None = True):
        self.label, self.scenario = label, scenario
        entry = {"path": PUSH, "apply": "set", "label": "policy push (factor)", "range": [0.5, 4.0]}
        entry.update({k: v for k, v in (("width_ratio", width_ratio), ("sampled", sampled)) if v is not None})
        self.posterior = {"calibration": "cal", "parameters": {"push_size": entry}}


def counterfactual(change: dict, width_ratio: float | None, sampled: bool | None = True):
    import copy

    other = copy.deepcopy(BASE)
    for path, value in change.items():
        node = other
        *parents, leaf = path.split(".")
        for key in parents:
            node = node[key]
        node[leaf] = value
    run, reference = Run("no push", other, width_ratio, sampled), Run("baseline", BASE, width_ratio, sampled)
    row = E.Effect(date=np.datetime64("2011-12-31"), mean=-900.0, low=-1500.0, high=-400.0, positive=0.0, zero=0.0,
                   mean_half_width=50.0, n=100, paired=True)
    table = effects_table([E.Effects(run=run, reference=reference, metric="gov_accounts.sina", rows=[row],
                                     holds=Run.uncertainty)])
    return prior_driven(run, reference), table


def test_a_switched_off_push_acts_through_its_size_and_nothing_else():
    assert touches(PUSH, "events.policy_push.enabled")
    assert touches(PUSH, "events.policy_push.changes.0.multiply")
    assert not touches(PUSH, "events.policy_push.date")
    assert not touches(PUSH, "events.hot_issue.enabled")  # another event switched off
    assert not touches(PUSH, "platforms.tencent.launch")
    assert not touches("events.policy_push.date", "events.policy_push.changes.0.multiply")


@pytest.mark.parametrize("width_ratio, sampled", [(0.97, True), (None, False), (0.9, None)])
def test_an_effect_through_a_parameter_left_at_its_prior_says_so(width_ratio, sampled):
    found, table = counterfactual({"events.policy_push.enabled": False}, width_ratio, sampled)
    assert [d["name"] for d in found] == ["push_size"]
    (row,) = table.rows
    assert row[-1].startswith("sign and size pinned down") or row[-1].startswith("sign clear")
    assert row[-1].endswith("from the prior of policy push (factor), not from the figures")
    assert "range 0.5 to 4.0" in table.caption and "come from that prior range, not from the reported figures" \
        in table.caption


@pytest.mark.parametrize("change, width_ratio", [
    ({"events.policy_push.enabled": False}, 0.5),    # the figures narrow the push: its sign is theirs
    ({"events.policy_push.enabled": False}, 0.89),   # just inside the threshold
    ({"platforms.tencent.launch": "2009-10-01"}, 0.97),  # the counterfactual does not act through the push
])
def test_an_effect_the_figures_inform_is_not_blamed_on_the_prior(change, width_ratio):
    found, table = counterfactual(change, width_ratio)
    assert found == []
    assert "prior" not in table.rows[0][-1] and "prior range" not in table.caption


def test_the_push_may_slow_adoption_in_the_calibration_s_prior():
    """Its range reaches below 1, so a posterior effect of the push has no sign fixed by the prior."""
    spec = yaml.safe_load((ROOT / "experiments" / "calibrate-baseline.yaml").read_text(encoding="utf-8"))
    low, high = spec["parameters"]["push_size"]["range"]
    assert low < 1.0 < high
