"""The interaction loop's mean-field twin: named accounts' followers with the feedback, and their desks as fluids.

For each named account, day by day from its launch, with the engine's order
and lag (:mod:`.engine`): the expected followers gain by the following
mechanism's own step (:func:`~sim.model.mechanisms.following.expected_gain`)
at the appeal in force, and lose the expected unfollowers
(:func:`.feedback.unfollow_probability`); the day's expected messages per
hour come from the engine's intensity (:func:`.intensity.hour_fractions`, as
:func:`.intensity.hourly_expected`: exact); the desk is the fluid queue of :mod:`.fluid`; and tomorrow's appeal is
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

A batch of scenarios of one structure (:func:`sim.model.meanfield.structure`:
among others the desks' shifts, which accounts have a department, the hot
issues' targets and the feedback window) is solved at once, every value an
array over the batch, as the other mechanisms' twins do; one scenario is the
batch of one, in floats.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ....scenario.schema import Scenario
from ...arithmetic import batch_of, divide_where, expm1
from ...mechanism import MeanField
from ..following import FollowParameters, expected_gain
from .feedback import FeedbackParameters, appeal, prompt_share, unfollow_probability
from .fluid import FluidDesk, responsiveness
from .intensity import HOURS, Surge, base_rate, hour_fractions
from .metrics import LEVEL, metric_names

FLOWS = ("received", "answered", "abandoned", "waiting")
"""A platform's daily flows at a desk, as the feedback reads them over its window."""


class AccountDays:
    """A named account's daily records in the twin, ``(..., days, ...)`` arrays laid out member by member."""

    def __init__(self, series: Callable[..., np.ndarray], days: int, platforms: int, teams: int):
        self.followers, self.base, self.appeal = series(platforms), series(platforms), series(platforms, fill=1.0)
        """Per platform: followers at the end of the day, messages a day of an ordinary week, appeal in force."""
        self.cumulative = np.moveaxis(series(platforms, len(FLOWS), days=days + 1), 2, 1)
        """Per platform, the :data:`FLOWS` before each day (row ``d``: days ``0..d-1``)."""
        self.flows = np.moveaxis(series(len(FLOWS)), 1, 0)
        """The desk's :data:`FLOWS` of each day."""
        self.backlog, self.busy, self.present = series(), series(teams), series(teams)
        """Messages at the desk at the end of the day; staff-days busy and on duty, per team."""


class InteractionMeanField(MeanField):
    """The named accounts' desks as fluids and the levels' expected messages, for one scenario or a batch."""

    def solve(self) -> dict[str, np.ndarray]:
        twin = self.twin
        scenario = twin.scenario
        if scenario.interaction is None:
            return {}
        metrics = {}
        for account in scenario.accounts:
            metrics.update(self._account(account))
        if scenario.interaction.sample_per_level > 0:
            metrics.update(self._levels())
        for name in metric_names(scenario):
            if name not in metrics:
                metrics[name] = self._not_estimated()
        return {name: member_major(values) for name, values in metrics.items()}

    def _not_estimated(self) -> np.ndarray:
        """NaN every day; for a batch, one read-only block that each member's copy reads (nothing to allocate)."""
        if self.twin.shape == () or self.twin.days == 1:
            return self._series(fill=np.nan)
        return np.broadcast_to(np.nan, (self.twin.days, *self.twin.shape))

    # --- what every member holds -------------------------------------------------------------------
    def _stacked(self, read: Callable[[Scenario], list[float]]) -> np.ndarray:
        """``read`` of every member, stacked on the last axis for a batch: ``(n,)`` or ``(n, batch)``."""
        values = np.array([read(s) for s in self.twin.members], dtype=float)
        return values[0] if self.twin.shape == () else values.T

    def _profile(self) -> tuple[np.ndarray, np.ndarray]:
        """The daily and weekly cycles, normalised to mean 1 (as :class:`.intensity.Profile`): (24, ...), (7, ...)."""
        hourly = self._stacked(lambda s: s.interaction.messages.hourly)
        weekly = self._stacked(lambda s: s.interaction.messages.weekly)
        return hourly / hourly.mean(axis=0), weekly / weekly.mean(axis=0)

    def _surges(self, hits: Callable) -> tuple[Surge, ...]:
        """The hot issues for which ``hits(issue)`` holds, their values over the batch."""
        twin = self.twin
        out = []
        for name, issue in twin.scenario.interaction.hot_issues.items():
            if hits(issue):
                def value(read, name=name):
                    return twin.values(lambda s: read(s, s.interaction.hot_issues[name]))
                out.append(Surge(onset=value(lambda s, i: s.horizon.day(i.date) + i.hour / 24),
                                 excess=value(lambda s, i: i.surge - 1.0), decay=value(lambda s, i: i.decay_days)))
        return tuple(out)

    def _series(self, *lead: int, days: int | None = None, fill: float = 0.0) -> np.ndarray:
        """A new ``(*lead, days, ...)`` array of ``fill``, laid out member by member (:func:`member_major`)."""
        days = self.twin.days if days is None else days
        return np.moveaxis(np.full((*lead, *self.twin.shape, days), fill), -1, len(lead))

    def _per_follower(self, platform: str) -> list:
        """Messages a day per follower on ``platform`` (an ordinary week, no surge), per parameter segment."""
        return [batch_of([base_rate(1.0, s.interaction.messages, platform) for s in members])
                for members in self.twin.segment_members()]

    def _users(self, platform: str) -> np.ndarray:
        """The expected registered users of ``platform``, ``(days, ...)``."""
        k = list(self.twin.scenario.platforms).index(platform)
        return np.moveaxis(np.asarray(self.twin.shared["registered"][k]), -1, 0)[:self.twin.days]

    # --- named accounts ----------------------------------------------------------------------------
    def _account(self, account: str) -> dict[str, np.ndarray]:
        twin, D, scenario = self.twin, self.twin.days, self.twin.scenario
        members, shape = twin.members, twin.shape
        platforms = list(scenario.accounts[account].platforms)
        P = len(platforms)
        launch = max(scenario.horizon.day(scenario.accounts[account].launch), 0)
        first_weekday = scenario.horizon.start.weekday()
        desk = FluidDesk([s.interaction.accounts[account] for s in members], [s.interaction.messages for s in members],
                         first_weekday)
        within = twin.values(lambda s: s.interaction.feedback.within_hours / 24)
        window = scenario.interaction.feedback.window_days  # shared by the batch (the structure)
        segments = twin.segment_members()
        follow = [[FollowParameters.batch([s.accounts[account].platforms[p] for s in seg]) for seg in segments]
                  for p in platforms]
        per_follower = [self._per_follower(p) for p in platforms]
        feedback = [FeedbackParameters.batch([s.interaction.feedback for s in seg]) for seg in segments]
        users = [self._users(p) for p in platforms]
        rates, per_base = self._arrivals(desk, account, launch)

        records = AccountDays(self._series, D, P, len(desk.teams))
        followers = [twin.values(lambda s: 0.0) for _ in platforms]
        today = [1.0] * P
        tomorrow = [1.0] * P
        for d in range(launch, D):
            segment = twin.segment_of_day[d]
            rules = feedback[segment]
            first = max(d - window, 0)
            total = 0.0
            bases = []
            for i in range(P):
                f = followers[i]
                f = f + expected_gain(follow[i][segment], users[i][d], f, d - launch, today[i])
                f = f - f * unfollow_probability(rules, today[i])
                followers[i] = f
                received, answered, abandoned, waiting = records.cumulative[i, d] - records.cumulative[i, first]
                prompt, median = responsiveness(received, answered + abandoned, answered, waiting, desk.mean_service,
                                                within)  # days first..d-1
                tomorrow[i] = appeal(rules, prompt_share(rules, received, prompt), median)
                base = f * per_follower[i][segment]
                bases.append(base)
                total = total + base
                records.followers[i, d] = f
                records.appeal[i, d] = today[i]
                records.base[i, d] = base
            day = desk.day((first_weekday + d) % 7, [total * rate for rate in rates[d]])
            flows = records.flows[d]
            flows[0] = total * per_base[d]
            flows[1] = day.answered
            flows[2] = day.abandoned
            flows[3] = day.waiting
            records.backlog[d] = day.backlog
            records.busy[:, d] = day.busy
            records.present[:, d] = day.present
            for i in range(P):  # the day's flows shared between platforms as their messages are
                share = divide_where(bases[i], total, total > 0, 1.0 / P)
                records.cumulative[i, d + 1] = records.cumulative[i, d] + share * flows
            today, tomorrow = tomorrow, today
        return self._account_metrics(account, platforms, launch, desk, within, records)

    def _account_metrics(self, account: str, platforms: list[str], launch: int, desk: FluidDesk, within,
                         records: "AccountDays") -> dict[str, np.ndarray]:
        """The account's metrics from its daily records, all days at once (messages split between platforms in
        proportion to their arrivals)."""
        P = len(platforms)
        received, answered = records.flows[:, 0], records.flows[:, 1]
        had = received > 0
        mean = divide_where(records.flows[:, 3], received, had, math.nan) + desk.mean_service  # Little's law
        prompt = np.where(had, answered * -expm1(-within / mean), 0.0)
        total = records.base.sum(axis=0)
        out = {f"followers.{account}.all": records.followers.sum(axis=0)}
        for i, p in enumerate(platforms):
            share = divide_where(records.base[i], total, total > 0, 1.0 / P)
            out.update({
                f"followers.{account}.{p}": records.followers[i], f"appeal.{account}.{p}": records.appeal[i],
                f"backlog.{account}.{p}": records.backlog * share,
                f"response_hours.{account}.{p}.p50": mean * (math.log(2) * 24),
                f"response_hours.{account}.{p}.p90": mean * (math.log(10) * 24),
                f"messages.{account}.{p}.prompt": cumulative_sum(prompt * share)})
            for j, flow in enumerate(FLOWS[:3]):
                out[f"messages.{account}.{p}.{flow}"] = records.cumulative[i, 1:, j]
        for t, team in enumerate(["staff", "department"][:len(desk.teams)]):
            utilisation = divide_where(records.busy[t], records.present[t], records.present[t] > 0, math.nan)
            utilisation[:launch] = math.nan
            out[f"utilisation.{account}.{team}"] = utilisation
        return out

    def _arrivals(self, desk: FluidDesk, account: str, launch: int) -> tuple[list, np.ndarray]:
        """Messages per unit of base rate (messages a day of an ordinary week without surges), from the engine's
        intensity (:func:`.intensity.hour_fractions`, exact): per day, the rate in each of the desk's pieces
        (a list of floats, or of arrays over the batch), and the day's total, ``(days, ...)``."""
        twin, D = self.twin, self.twin.days
        hourly, weekly = self._profile()
        surges = self._surges(lambda issue: account in issue.accounts)
        days = np.arange(launch, D)
        hours = hour_fractions(days, surges) if surges else None
        weekdays = (twin.scenario.horizon.start.weekday() + days) % 7
        rates: list = [None] * D
        totals = np.zeros((D, *twin.shape))
        for weekday in range(7):
            chosen = days[weekdays == weekday]
            if chosen.size == 0:
                continue
            shares, durations = desk.shares[weekday], desk.durations[weekday]
            if hours is None:
                weights = (shares @ hourly / HOURS * weekly[weekday])[None]           # (1, pieces, ...)
            else:
                profile = hourly * hours[chosen - launch]                               # (days, 24, ...)
                weights = np.einsum("ph,dh...->dp...", shares, profile) * weekly[weekday]
            totals[chosen] = weights.sum(axis=1)
            per_piece = weights / durations.reshape(-1, *(1,) * (weights.ndim - 2))
            rows = [row.tolist() if row.ndim == 1 else list(row) for row in per_piece]
            for j, d in enumerate(chosen.tolist()):
                rates[d] = rows[j if hours is not None else 0]
        return rates, totals

    # --- sampled ordinary accounts: expected messages received -----------------------------------------
    def _levels(self) -> dict[str, np.ndarray]:
        """Expected messages to a level's ordinary accounts, which open the day after their agency adopts."""
        twin, D, scenario = self.twin, self.twin.days, self.twin.scenario
        spec = scenario.interaction
        platforms, level_names, levels = list(scenario.platforms), list(scenario.agencies.levels), list(spec.levels)
        hourly, weekly = self._profile()
        days = np.arange(D)
        cycle = weekly[(scenario.horizon.start.weekday() + days) % 7]                       # (days, ...)
        segment = np.asarray(twin.segment_of_day)
        # Messages a day to an account open all day, per unit of its followers' share of the platform's users.
        per_share = np.stack([np.reshape(self._users(p) * np.array(self._per_follower(p))[segment] * cycle, (D, -1))
                              for p in platforms], axis=-1)                     # (days, batch or 1, platforms)
        accounts = twin.shared["gov_accounts_by_level"][:, :, :, [level_names.index(level) for level in levels]]
        named = np.zeros((D, 1, len(platforms), len(levels)))
        for acc in scenario.accounts.values():
            if acc.level in levels:
                for platform in acc.platforms:
                    named[scenario.horizon.day(acc.launch):, 0, platforms.index(platform), levels.index(acc.level)] += 1
        if named.any():
            accounts = np.maximum(accounts - named, 0.0)
        # Accounts open by the end of yesterday receive today's messages: (levels, batch or 1, days), days last.
        daily = np.zeros((len(levels), per_share.shape[1], D))
        daily[:, :, 1:] = np.einsum("dbkl,dbk->lbd", accounts[:-1], per_share[1:])
        out = {}
        for j, level in enumerate(levels):
            received = daily[j] * np.reshape(twin.values(lambda s: s.interaction.levels[level].follower_share), (-1, 1))
            surges = self._surges(lambda issue: level in issue.levels)
            if surges:  # the day's messages with the surges over those without
                lift = np.einsum("h...,dh...->d...", hourly, hour_fractions(days, surges)) / (hourly.sum(axis=0) / HOURS)
                received *= np.reshape(lift, (D, -1)).T
            total = np.cumsum(received, axis=-1).T                                         # (days, batch or 1)
            out[f"messages.{LEVEL}.{level}.received"] = total if twin.shape else total[:, 0]
        return out


def member_major(values: np.ndarray) -> np.ndarray:
    """``values`` (days, batch) laid out member by member (each member's days contiguous): a batch hands each member
    its own series as a contiguous block.  One scenario's series is returned as it is."""
    if values.ndim == 1 or values.strides[0] <= values.strides[1]:  # (a broadcast block: both 0)
        return values
    return np.ascontiguousarray(values.T).T


def cumulative_sum(daily: np.ndarray) -> np.ndarray:
    """Running totals over the days (axis 0), member by member."""
    return np.cumsum(member_major(daily).T, axis=-1).T
