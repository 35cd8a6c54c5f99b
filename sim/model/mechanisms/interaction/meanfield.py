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

Approximations (besides the fluid itself): the prompt share and the median
come from the fluid's mean response read as exponential (:func:`.fluid.responsiveness`)
over the last ``window_days`` days, where the engine uses the exact shares of
the messages of those days; messages are shared between an account's
platforms in proportion to their arrivals.  The sampled ordinary accounts have
no twin (their followers are fixed shares of the platforms' users and do not
feed back unless ``adoption_elasticity`` is on, which the twin ignores).
"""

from __future__ import annotations

import numpy as np

from ....scenario.schema import Scenario
from ...mechanism import MeanField
from ..following import expected_gain
from .feedback import appeal, prompt_share, unfollow_probability
from .fluid import FluidDesk, responsiveness
from .intensity import Profile, Surge, base_rate, hourly_expected


class InteractionMeanField(MeanField):
    def solve(self) -> dict[str, np.ndarray]:
        twin = self.twin
        scenario = twin.scenario
        if scenario.interaction is None:
            return {}
        metrics: dict[str, np.ndarray] = {}
        for account in scenario.accounts:
            metrics.update(self._account(scenario, account))
        return metrics

    def _account(self, scenario: Scenario, account: str) -> dict[str, np.ndarray]:
        twin, D = self.twin, self.twin.days
        spec = scenario.interaction
        platforms = list(scenario.accounts[account].platforms)
        index = {p: k for k, p in enumerate(scenario.platforms)}
        registered = twin.shared["registered"]
        launch = scenario.horizon.day(scenario.accounts[account].launch)
        first_weekday = scenario.horizon.start.weekday()
        profile = Profile.of(spec.messages, first_weekday)  # the cycles are not time-varying
        surges = tuple(Surge(onset=scenario.horizon.day(i.date) + i.hour / 24, excess=i.surge - 1.0,
                             decay=i.decay_days) for i in spec.hot_issues.values() if account in i.accounts)
        fluid = FluidDesk(spec.accounts[account], spec.messages, first_weekday)
        within = spec.feedback.within_hours / 24

        followers = dict.fromkeys(platforms, 0.0)
        today = dict.fromkeys(platforms, 1.0)
        # Per platform and day: received, answered, abandoned, waiting area (the day's share of the desk's).
        flows = {p: np.zeros((D + 1, 4)) for p in platforms}
        out = {name: np.zeros(D) for name in self._names(account, platforms)}
        for d in range(max(launch, 0), D):
            now = twin.segments[twin.segment_of_day[d]][1]
            messages, feedback = now.interaction.messages, now.interaction.feedback
            tomorrow = {}
            first = max(d - feedback.window_days, 0)
            for p in platforms:
                entry = now.accounts[account].platforms[p]
                followers[p] += expected_gain(entry, registered[index[p]][d], followers[p], d - launch, today[p])
                followers[p] -= followers[p] * unfollow_probability(feedback, today[p])
                received, answered, abandoned, waiting = (flows[p][d] - flows[p][first]).tolist()  # days first..d-1
                measured = responsiveness(received, answered + abandoned, answered, waiting, fluid.mean_service, within)
                if measured is None:
                    tomorrow[p] = 1.0
                else:
                    prompt, median = measured
                    tomorrow[p] = appeal(feedback, prompt_share(feedback, received, prompt), median)
            hourly = [hourly_expected(d, base_rate(followers[p], messages, p), profile, surges) for p in platforms]
            arrivals = [float(h.sum()) for h in hourly]
            day = fluid.day(d, sum(hourly))
            for p, mine in zip(platforms, arrivals):
                share = mine / day.received if day.received > 0 else 1.0 / len(platforms)
                flows[p][d + 1] = flows[p][d] + (mine, day.answered * share, day.abandoned * share, day.waiting * share)
                out[f"backlog.{account}.{p}"][d] = day.backlog * share
                out[f"appeal.{account}.{p}"][d] = today[p]
                out[f"followers.{account}.{p}"][d] = followers[p]
            out[f"followers.{account}.all"][d] = sum(followers.values())
            today = tomorrow
        for p in platforms:
            for j, c in enumerate(("received", "answered", "abandoned")):
                out[f"messages.{account}.{p}.{c}"] = flows[p][1:, j].copy()
        for p in platforms:
            out[f"appeal.{account}.{p}"][:max(launch, 0)] = 1.0
        return out

    @staticmethod
    def _names(account: str, platforms: list[str]) -> list[str]:
        names = [f"followers.{account}.all"]
        for p in platforms:
            names += [f"followers.{account}.{p}", f"backlog.{account}.{p}", f"appeal.{account}.{p}"]
            names += [f"messages.{account}.{p}.{c}" for c in ("received", "answered", "abandoned")]
        return names
