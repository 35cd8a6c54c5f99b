"""The interaction loop's compiled twin: a named account's followers with the feedback, its desk as a fluid.

The day of :meth:`.meanfield.InteractionMeanField._account`, step for step,
with the same functions (:func:`~sim.model.mechanisms.following.expected_gain`,
:func:`.feedback.unfollow_probability`, :func:`.feedback.appeal`,
:func:`.fluid.responsiveness`, :class:`.fluid.FluidDesk`), in one compiled
loop from the account's launch.  A desk's day is cut into pieces where shifts
begin or end, so days of different weekdays can be differently shaped steps:
the loop chooses, each day, among the distinct shapes of the week (Monday to
Friday are usually one, the weekend another: ``lax.switch``, each shape
compiled once).  The feedback reads the desk's flows over the last
``window_days`` days, kept as the running totals of the last ``window_days + 1``
days.

What it computes: the account's followers (per platform and in all), its
appeal, its messages received, answered and abandoned, and its backlog.  It
leaves out what only reports read (response-time percentiles, prompt answers,
staff utilisation, the ordinary accounts' messages): a calibration against
one of those uses the numpy twin (:class:`~sim.model.parametric.NotCompilable`
tells it so).
"""

from __future__ import annotations

import numpy as np

from ...arithmetic import divide_where
from ...compiled import Compiled
from ..following import FollowParameters, expected_gain
from .feedback import FeedbackParameters, appeal, prompt_share, unfollow_probability
from .fluid import FluidDesk, responsiveness
from .intensity import HOURS, Surge, base_rate, hour_fractions

FLOWS = ("received", "answered", "abandoned", "waiting")


class InteractionCompiled(Compiled):
    def solve(self) -> dict[str, object]:
        structure = self.context.structure
        if structure.interaction is None:
            return {}
        metrics = {}
        for account in structure.accounts:
            metrics.update(self._account(account))
        return metrics

    def _account(self, account: str) -> dict[str, object]:
        c = self.context
        xp, structure, D = c.xp, c.structure, c.days
        static = c.static
        platforms = list(structure.accounts[account].platforms)
        P = len(platforms)
        launch = structure.horizon.day(structure.accounts[account].launch)
        start = min(max(launch, 0), D)
        first_weekday = structure.horizon.start.weekday()
        desk = FluidDesk(static.interaction.accounts[account], static.interaction.messages, first_weekday)
        for weekday in range(7):  # the relaxations of every piece, computed once, outside the loop
            for duration, _ in desk._staffing[weekday]:
                for team in desk.teams:
                    team.relaxations(duration)
        within = static.interaction.feedback.within_hours / 24
        window = structure.interaction.feedback.window_days
        hourly = xp.asarray(static.interaction.messages.hourly, dtype=float)
        weekly = xp.asarray(static.interaction.messages.weekly, dtype=float)
        hourly, weekly = hourly / hourly.mean(), weekly / weekly.mean()
        surges = tuple(Surge(onset=structure.horizon.day(issue.date) + issue.hour / 24, excess=issue.surge - 1.0,
                             decay=issue.decay_days)
                       for issue in static.interaction.hot_issues.values() if account in issue.accounts)
        users = [c.shared["registered"][:, list(structure.platforms).index(p)] for p in platforms]
        platform_list = platforms

        def arrivals(d, weekday):
            """Messages per unit of base rate in each of the day's pieces, and over the day (as
            :meth:`.meanfield.InteractionMeanField._arrivals`): the pieces of ``weekday``'s shape, the weekly
            factor of day ``d``'s own weekday."""
            shares, durations = desk.shares[weekday], desk.durations[weekday]
            factor = weekly[(first_weekday + d) % 7]
            if surges:
                weights = (xp.asarray(shares) @ (hourly * hour_fractions(xp.reshape(d, (1,)), surges)[0])
                           * factor)
            else:
                weights = xp.asarray(shares) @ hourly / HOURS * factor
            return [weights[i] / durations[i] for i in range(len(durations))], weights.sum()

        def day(d, weekday, state):
            followers, today, teams, window_flows = state
            view = c.on(d)
            rules = FeedbackParameters.batch([view.interaction.feedback])
            opened = window_flows[-1] - window_flows[0]                       # (P, flows) over the window
            new_followers, tomorrow, bases = [], [], []
            total = 0.0
            for i, platform in enumerate(platform_list):
                follow = FollowParameters.batch([view.accounts[account].platforms[platform]])
                f = followers[i]
                f = f + expected_gain(follow, users[i][d], f, d - launch, today[i])
                f = f - f * unfollow_probability(rules, today[i])
                received, answered, abandoned, waiting = (opened[i, j] for j in range(len(FLOWS)))
                prompt, median = responsiveness(received, answered + abandoned, answered, waiting, desk.mean_service,
                                                within)
                tomorrow.append(appeal(rules, prompt_share(rules, received, prompt), median))
                base = f * base_rate(1.0, view.interaction.messages, platform)
                bases.append(base)
                total = total + base
                new_followers.append(f)
            for team, (x, area, waiting) in zip(desk.teams, teams):
                team.x, team.area, team.waiting = x, area, waiting
            rates, per_base = arrivals(d, weekday)
            result = desk.day(weekday, [total * rate for rate in rates])
            flows = xp.stack([total * per_base, result.answered, result.abandoned, result.waiting])
            shares = xp.stack([divide_where(b, total, total > 0, 1.0 / P) for b in bases])       # (P,)
            window_flows = xp.concatenate([window_flows[1:], (window_flows[-1] + shares[:, None] * flows)[None]])
            teams = tuple((team.x, team.area, team.waiting) for team in desk.teams)
            records = (xp.stack(new_followers), xp.stack(today), xp.stack(bases), flows, result.backlog)
            return (tuple(new_followers), tuple(tomorrow), teams, window_flows), records

        # Weekdays whose desk days have the same pieces share one compiled step.
        shapes: dict[tuple, int] = {}
        shape_of = []
        for weekday in range(7):
            key = (tuple((duration, tuple(None if st is None else (st.on_duty, st.staff_days) for st in staffing))
                         for duration, staffing in desk._staffing[weekday]), desk.shares[weekday].tobytes())
            shape_of.append(shapes.setdefault(key, weekday))
        representatives = sorted(set(shape_of))
        branch_of = np.array([representatives.index(shape) for shape in shape_of])

        def step(state, d):
            weekday = (first_weekday + d) % 7
            branches = [lambda state, d=d, w=w: day(d, w, state) for w in representatives]
            return c.lax.switch(xp.asarray(branch_of)[weekday], branches, state)

        zero = xp.zeros(())
        teams = tuple((zero, zero, zero) for _ in desk.teams)
        state = (tuple(zero for _ in platforms), tuple(zero + 1.0 for _ in platforms), teams,
                 xp.zeros((window + 1, P, len(FLOWS))))
        _, records = c.lax.scan(step, state, np.arange(start, D))
        followers, appeals, bases, flows, backlog = records

        def before(values, fill=0.0):
            """A series from the launch on, preceded by the days before it."""
            return xp.concatenate([xp.full((start, *values.shape[1:]), fill), values])

        followers, appeals, bases, flows, backlog = (before(followers), before(appeals, 1.0), before(bases),
                                                     before(flows), before(backlog))
        total = bases.sum(axis=1)
        shares = divide_where(bases, total[:, None], (total > 0)[:, None], 1.0 / P)                # (D, P)
        out = {f"followers.{account}.all": followers.sum(axis=1)}
        for i, p in enumerate(platforms):
            out[f"followers.{account}.{p}"] = followers[:, i]
            out[f"appeal.{account}.{p}"] = appeals[:, i]
            out[f"backlog.{account}.{p}"] = backlog * shares[:, i]
            for j, flow in enumerate(FLOWS[:3]):
                out[f"messages.{account}.{p}.{flow}"] = xp.cumsum(flows[:, j] * shares[:, i])
        return out
