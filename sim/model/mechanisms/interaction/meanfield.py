"""The interaction loop's mean-field twin: named accounts' followers with the feedback, and their desks as fluids.

For each named account, day by day from its launch, with the engine's order
and lag (:mod:`.engine`): the expected followers gain by the following
mechanism's own step (:func:`~sim.model.mechanisms.following.expected_gain`)
at the appeal in force, and lose the expected unfollowers
(:func:`.feedback.unfollow_probability`); the day's expected messages per
hour come from the engine's intensity (:func:`.intensity.hourly_expected`,
exact); the desk is the fluid queue of :mod:`.fluid`; and tomorrow's appeal is
:func:`.feedback.appeal` of the fluid's responsiveness over the last
``window_days`` days.  The twin replaces the followers the following
mechanism's twin computed without feedback (the same function with appeal 1).

Approximations (besides the fluid itself): the prompt share and the
percentiles of the response time come from the fluid's mean response ``R``
read as exponential (median ``R ln 2``, 90th percentile ``R ln 10``), where
the engine measures them on the messages; messages are shared between an
account's platforms in proportion to their arrivals.  For the sampled
ordinary accounts the twin gives the level's expected messages received
(exact in expectation given the expected accounts open, which the adoption
twin shares); it does not model their desks, so their answered, abandoned,
prompt, backlog and response metrics, and every standard error, are NaN.
"""

from __future__ import annotations

import math

import numpy as np

from ....scenario.schema import Scenario
from ...mechanism import MeanField
from ..following import expected_gain
from .feedback import appeal, prompt_share, unfollow_probability
from .fluid import FluidDesk, responsiveness
from .intensity import Profile, Surge, base_rate, hourly_expected
from .metrics import LEVEL, metric_names


class InteractionMeanField(MeanField):
    """Solved member by member in a batch: each desk is a fluid stepped in Python, whose cost grows with the batch."""

    def solve(self) -> dict[str, np.ndarray]:
        twin = self.twin
        if twin.scenario.interaction is None:
            return {}
        if twin.shape == ():
            return self._member(0)
        members = [self._member(b) for b in range(len(twin.members))]
        return {name: np.stack([m[name] for m in members], axis=-1) for name in members[0]}

    def _member(self, b: int) -> dict[str, np.ndarray]:
        scenario = self.twin.members[b]
        D = self.twin.days
        metrics = {name: np.full(D, np.nan) for name in metric_names(scenario)}  # NaN: not estimated by the twin
        for account in scenario.accounts:
            metrics.update(self._account(scenario, b, account))
        if scenario.interaction.sample_per_level > 0:
            metrics.update(self._levels(scenario, b))
        return metrics

    def _registered(self, b: int) -> np.ndarray:
        """Member ``b``'s expected registered users, (platforms, days)."""
        registered = self.twin.shared["registered"]
        return registered if self.twin.shape == () else registered[:, b, :]

    # --- named accounts ----------------------------------------------------------------------------
    def _account(self, scenario: Scenario, b: int, account: str) -> dict[str, np.ndarray]:
        twin, D = self.twin, self.twin.days
        spec = scenario.interaction
        platforms = list(scenario.accounts[account].platforms)
        index = {p: k for k, p in enumerate(scenario.platforms)}
        registered = self._registered(b)
        segments = twin.segments[b]
        launch = max(scenario.horizon.day(scenario.accounts[account].launch), 0)
        profile = Profile.of(spec.messages, scenario.horizon.start.weekday())  # the cycles are not time-varying
        surges = tuple(_surge(scenario, issue) for issue in spec.hot_issues.values() if account in issue.accounts)
        fluid = FluidDesk(spec.accounts[account], spec.messages, scenario.horizon.start.weekday())
        within = spec.feedback.within_hours / 24

        followers = dict.fromkeys(platforms, 0.0)
        today = dict.fromkeys(platforms, 1.0)
        # Per platform and day (cumulative, row d = before day d): received, answered, abandoned, waiting, prompt.
        flows = {p: np.zeros((D + 1, 5)) for p in platforms}
        out = {f"followers.{account}.all": np.zeros(D)}
        for p in platforms:
            out.update({f"followers.{account}.{p}": np.zeros(D), f"backlog.{account}.{p}": np.zeros(D),
                        f"appeal.{account}.{p}": np.ones(D),
                        f"response_hours.{account}.{p}.p50": np.full(D, np.nan),
                        f"response_hours.{account}.{p}.p90": np.full(D, np.nan)})
        teams = ["staff"] + (["department"] if fluid.department is not None else [])
        for team in teams:
            out[f"utilisation.{account}.{team}"] = np.full(D, np.nan)
        for d in range(launch, D):
            now = segments[twin.segment_of_day[d]][1]
            messages, feedback = now.interaction.messages, now.interaction.feedback
            tomorrow = {}
            first = max(d - feedback.window_days, 0)
            for p in platforms:
                entry = now.accounts[account].platforms[p]
                followers[p] += expected_gain(entry, registered[index[p]][d], followers[p], d - launch, today[p])
                followers[p] -= followers[p] * unfollow_probability(feedback, today[p])
                received, answered, abandoned, waiting, _ = (flows[p][d] - flows[p][first]).tolist()  # days first..d-1
                measured = responsiveness(received, answered + abandoned, answered, waiting, fluid.mean_service, within)
                if measured is None:
                    tomorrow[p] = 1.0
                else:
                    prompt, median = measured
                    tomorrow[p] = appeal(feedback, prompt_share(feedback, received, prompt), median)
            hourly = [hourly_expected(d, base_rate(followers[p], messages, p), profile, surges) for p in platforms]
            arrivals = [float(h.sum()) for h in hourly]
            day = fluid.day(d, sum(hourly))
            mean = day.waiting / day.received + fluid.mean_service if day.received > 0 else math.nan
            prompt_today = day.answered * -math.expm1(-within / mean) if day.received > 0 else 0.0
            for p, mine in zip(platforms, arrivals):
                share = mine / day.received if day.received > 0 else 1.0 / len(platforms)
                flows[p][d + 1] = flows[p][d] + (mine, day.answered * share, day.abandoned * share,
                                                 day.waiting * share, prompt_today * share)
                out[f"backlog.{account}.{p}"][d] = day.backlog * share
                out[f"appeal.{account}.{p}"][d] = today[p]
                out[f"followers.{account}.{p}"][d] = followers[p]
                out[f"response_hours.{account}.{p}.p50"][d] = mean * math.log(2) * 24
                out[f"response_hours.{account}.{p}.p90"][d] = mean * math.log(10) * 24
            out[f"followers.{account}.all"][d] = sum(followers.values())
            for team, busy, present in zip(teams, day.busy, day.present):
                out[f"utilisation.{account}.{team}"][d] = busy / present if present > 0 else math.nan
            today = tomorrow
        for p in platforms:
            for j, c in enumerate(("received", "answered", "abandoned")):
                out[f"messages.{account}.{p}.{c}"] = flows[p][1:, j].copy()
            out[f"messages.{account}.{p}.prompt"] = flows[p][1:, 4].copy()
        return out

    # --- sampled ordinary accounts: expected messages received -----------------------------------------
    def _levels(self, scenario: Scenario, b: int) -> dict[str, np.ndarray]:
        """Expected messages to a level's ordinary accounts, which open the day after their agency adopts."""
        twin, D = self.twin, self.twin.days
        spec = scenario.interaction
        accounts = np.moveaxis(twin.shared["gov_accounts_by_level"][:, b], 0, 1)  # (platforms, days, levels), named too
        registered = self._registered(b)
        segments = twin.segments[b]
        level_names = list(scenario.agencies.levels)
        profile = Profile.of(spec.messages, scenario.horizon.start.weekday())
        days = np.arange(D)
        cycle = profile.weekly[(scenario.horizon.start.weekday() + days) % 7]
        per_segment = np.array([[base_rate(1.0, segment.interaction.messages, p) for _, segment in segments]
                                for p in scenario.platforms])                   # (platforms, segments)
        rates = per_segment[:, np.asarray(twin.segment_of_day)]                  # (platforms, days)
        out = {}
        for level, level_spec in spec.levels.items():
            li = level_names.index(level)
            surges = [_surge(scenario, issue) for issue in spec.hot_issues.values() if level in issue.levels]
            lift = np.ones(D) if not surges else _daily_lift(D, profile, surges)
            daily = np.zeros(D)
            for k, platform in enumerate(scenario.platforms):
                named = np.zeros(D)
                for acc in scenario.accounts.values():
                    if acc.level == level and platform in acc.platforms:
                        named[scenario.horizon.day(acc.launch):] += 1
                ordinary = np.maximum(accounts[k, :, li] - named, 0.0)
                open_today = np.concatenate(([0.0], ordinary[:-1]))  # opened by the end of yesterday
                daily += open_today * level_spec.follower_share * registered[k][:D] * rates[k] * cycle * lift
            out[f"messages.{LEVEL}.{level}.received"] = np.cumsum(daily)
        return out


def _surge(scenario: Scenario, issue) -> Surge:
    return Surge(onset=scenario.horizon.day(issue.date) + issue.hour / 24, excess=issue.surge - 1.0,
                 decay=issue.decay_days)


def _daily_lift(D: int, profile: Profile, surges: list[Surge]) -> np.ndarray:
    """For each day, the day's expected messages with the surges over those without (hourly profile weighted)."""
    lift = np.empty(D)
    for d in range(D):
        lift[d] = hourly_expected(d, 1.0, profile, tuple(surges)).sum() / hourly_expected(d, 1.0, profile).sum()
    return lift


