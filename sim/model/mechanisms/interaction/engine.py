"""The interaction loop's part of a run: desks, their messages, and the feedback on followers.

Each named account has a desk (:mod:`.desk`) fed by one stream of messages
per platform it is on; a sample of each listed level's agencies has desks too
(:mod:`.sampling`), opened the day after the agency's account opens.  The
day's arrivals of every stream are drawn at the start of the day, after the
followers' step (:mod:`.feeder`), so they see the day's followers.

Feedback, at the start of day ``d`` (this mechanism runs after following and
adoption): the appeal for tomorrow is computed from the responsiveness of
the days closed so far (:mod:`.feedback`) and handed to the following
mechanism through its inputs: ``appeal`` (the multiplier of tomorrow's follow
hazard) and ``unfollow`` (tomorrow's probability of leaving at that appeal,
set again by :meth:`Interaction.reload` when a dated event changes the
unfollow rate).  So the appeal of day ``d`` rests on the messages of the week
before day ``d - 1``, and the twin (:mod:`.meanfield`) keeps the same lag.
Optionally, a level's adoption hazard is scaled by its sampled accounts'
prompt share (``feedback.adoption_elasticity``, off by default), through the
adoption mechanism's input ``multiplier``, which it applies at once.

Random streams: ``interaction.arrivals`` (arrival times, urgency, substance,
patience), ``interaction.desk.<account>`` (a named desk's service times),
``interaction.sample`` (which agencies are sampled, and their desks' service
times).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from ....scenario.schema import Scenario
from ...mechanism import Engine
from .feedback import adoption_multiplier, appeal, prompt_share, unfollow_probability
from .feeder import Feeder, Stream
from .intensity import Profile, Surge
from .metrics import COUNTS, LEVEL, account_metrics, level_metrics, median, percentiles_hours
from .sampling import draw_sample, scale_up
from .single import build_desk
from .tally import StreamTally


class NamedStream:
    """A named account on one platform: its ledger, its cumulative counts, its recent answers."""

    def __init__(self, account: str, platform: str, tally: StreamTally, window: int):
        self.entry = (account, platform)
        self.tally = tally
        self.totals = dict.fromkeys(COUNTS, 0)
        self.recent: deque[list[float]] = deque(maxlen=window)
        """Response times of the last ``window`` closed days."""
        self.area = self.closed = self.open_age = 0.0
        """Little's law, summed over the closed days: area = closed + open_age (message-days)."""
        self.appeal_today = 1.0
        """The appeal following uses today (the one set yesterday)."""
        self.appeal_next = 1.0
        """The appeal set for tomorrow."""


class SampledAgency:
    """One sampled agency of a level: its desk, its streams (one per platform, from ``first``), its totals."""

    def __init__(self, agency: int, desk, tallies: list[StreamTally], first: int):
        self.agency = agency
        self.desk = desk
        self.tallies = tallies
        self.first = first
        """Index of its first stream in the feeder's list."""
        self.totals = dict.fromkeys(COUNTS, 0)
        self.backlog = 0


class Interaction(Engine):
    """Every desk of the run, the feeder of their messages, and the feedback."""

    def __init__(self, run) -> None:
        super().__init__(run)
        scenario = run.scenario
        self.spec = scenario.interaction
        if self.spec is None:
            return
        env, streams = run.env, run.streams
        self.following = run.mechanism("following")
        self.users = run.mechanism("users")
        self.adoption = run.mechanism("adoption")
        self.platforms = list(scenario.platforms)
        self.first_weekday = scenario.horizon.start.weekday()
        feedback = self.spec.feedback
        within = feedback.within_hours / 24
        self.lag = math.ceil(within)
        """Days after its arrival day at which a message's promptness is known."""

        feed: list[Stream] = []
        self.named: list[NamedStream] = []
        self.named_desks = []
        self.launch = {account: scenario.horizon.day(acc.launch) for account, acc in scenario.accounts.items()}
        for account, acc in scenario.accounts.items():
            desk = build_desk(env, self.spec.accounts[account], streams.generator(f"interaction.desk.{account}"),
                              self.first_weekday, name=account)
            self.named_desks.append((account, desk))
            for platform in acc.platforms:
                tally = StreamTally(f"{account}.{platform}", within)
                desk.tallies.append(tally)
                self.named.append(NamedStream(account, platform, tally, feedback.window_days))
                feed.append(Stream(tally, desk, platform))

        self.levels: dict[str, list[SampledAgency]] = {}
        self.frame: dict[str, int] = {}
        self.sampled: dict[int, SampledAgency] = {}
        self.busy_sampled: set = set()
        """Sampled desks with something to do today (only they are closed at the end of the day)."""
        shares = [0.0] * len(feed)  # followers of a sampled account: its level's share of its platform's users
        if self.spec.sample_per_level > 0:
            rng = streams.generator("interaction.sample")
            population = run.population
            pinned = np.array(sorted(population.pinned.values()), dtype=np.int64)
            for level, level_spec in self.spec.levels.items():
                members = np.flatnonzero(population.level_of == population.level_names.index(level))
                frame = np.setdiff1d(members, pinned)
                self.frame[level] = int(frame.size)
                chosen = draw_sample(frame, self.spec.sample_per_level, rng)
                agencies = []
                for agency, desk_rng in zip(chosen.tolist(), rng.spawn(len(chosen))):
                    desk = build_desk(env, level_spec.desk, desk_rng, self.first_weekday, name=f"{level}.{agency}",
                                      timed=False, busy=self.busy_sampled)
                    tallies = [StreamTally(f"{level}.{agency}.{p}", within) for p in self.platforms]
                    desk.tallies.extend(tallies)
                    sampled = SampledAgency(agency, desk, tallies, len(feed))
                    for platform, tally in zip(self.platforms, tallies):
                        feed.append(Stream(tally, desk, platform))
                        shares.append(level_spec.follower_share)
                    agencies.append(sampled)
                    self.sampled[agency] = sampled
                self.levels[level] = agencies
        self._seen = [0] * len(self.platforms)
        self.named_entries = [s.entry for s in self.named]
        self.share = np.array(shares)
        self.opened = np.zeros(len(feed))
        """1 for a sampled account that is open (named accounts: their followers are 0 until launch)."""
        self.platform_of = np.array([self.platforms.index(s.platform) for s in feed], dtype=np.int64)

        surges, hits = self._surges(scenario, feed)
        self.feeder = Feeder(env, self.spec.messages, Profile.of(self.spec.messages, self.first_weekday), feed,
                             self._followers, surges, hits, streams.generator("interaction.arrivals"))
        self._outputs(run)

    # --- structure ---------------------------------------------------------------------------------
    def _surges(self, scenario: Scenario, feed: list[Stream]) -> tuple[list[Surge], np.ndarray]:
        issues = list(self.spec.hot_issues.values())
        hits = np.zeros((len(issues), len(feed)))
        level_of_stream = {}
        for level, agencies in self.levels.items():
            for sampled in agencies:
                for tally in sampled.tallies:
                    level_of_stream[id(tally)] = level
        account_of_stream = {id(s.tally): s.entry[0] for s in self.named}
        surges = []
        for i, issue in enumerate(issues):
            surges.append(Surge(onset=scenario.horizon.day(issue.date) + issue.hour / 24,
                                excess=issue.surge - 1.0, decay=issue.decay_days))
            for k, stream in enumerate(feed):
                key = id(stream.tally)
                if account_of_stream.get(key) in issue.accounts or level_of_stream.get(key) in issue.levels:
                    hits[i, k] = 1.0
        return surges, hits

    def _outputs(self, run) -> None:
        metric = run.metric
        self.out_named = []
        for stream in self.named:
            a, p = stream.entry
            metric(f"appeal.{a}.{p}")[:] = 1.0  # full appeal until the feedback says otherwise
            self.out_named.append((stream, {c: metric(f"messages.{a}.{p}.{c}") for c in COUNTS},
                                   metric(f"backlog.{a}.{p}"), metric(f"response_hours.{a}.{p}.p50"),
                                   metric(f"response_hours.{a}.{p}.p90"), metric(f"appeal.{a}.{p}")))
        names = set(account_metrics(run.scenario)) | set(level_metrics(run.scenario))
        self.out_utilisation = []
        for account, desk in self.named_desks:
            outs = [metric(f"utilisation.{account}.staff")]
            if desk.department is not None:
                outs.append(metric(f"utilisation.{account}.department"))
            self.out_utilisation.append((desk, outs))
        self.out_levels = {}
        days = run.horizon.days
        self.level_values = {level: np.zeros((len(COUNTS) + 1, len(agencies), days), dtype=np.int64)
                             for level, agencies in self.levels.items()}
        """Per level: (received, answered, abandoned, prompt, backlog) x sampled agency x day."""
        self.level_written = {level: np.zeros((len(agencies), days), dtype=bool)
                              for level, agencies in self.levels.items()}
        self.all_sampled = [(level, i, sampled) for level, agencies in self.levels.items()
                            for i, sampled in enumerate(agencies)]
        for level in self.levels:
            prefix = f"messages.{LEVEL}.{level}"
            if f"{prefix}.received" in names:
                self.out_levels[level] = (
                    {c: (metric(f"{prefix}.{c}"), metric(f"{prefix}.{c}.se")) for c in COUNTS},
                    (metric(f"backlog.{LEVEL}.{level}"), metric(f"backlog.{LEVEL}.{level}.se")),
                    metric(f"response_hours.{LEVEL}.{level}.p50"), metric(f"response_hours.{LEVEL}.{level}.p90"))

    def _followers(self) -> np.ndarray:
        """Every stream's followers: the named accounts' counts, then the sampled accounts' shares of their users."""
        registered = np.asarray(self.users.registered, dtype=float)
        followers = self.share * self.opened * registered[self.platform_of]
        named = self.following.followers
        followers[:len(self.named_entries)] = [named[e] for e in self.named_entries]
        return followers

    # --- the day -----------------------------------------------------------------------------------
    def start_day(self, day: int) -> None:
        if self.spec is None:
            return
        self._open_sampled()
        self._feedback(day)
        self.feeder.start_day(day)

    def _open_sampled(self) -> None:
        """Sampled agencies whose accounts opened since yesterday start receiving messages today."""
        if not self.sampled:
            return
        for k in range(len(self.platforms)):
            new = self.adoption.opened_since(k, self._seen[k])
            for agency in self.sampled.keys() & new:
                self.opened[self.sampled[agency].first + k] = 1.0
            self._seen[k] += len(new)

    def _feedback(self, day: int) -> None:
        feedback = self.spec.feedback
        for stream in self.named:
            if self.launch[stream.entry[0]] > day:
                continue  # not launched: no messages, no verdict
            stream.appeal_today = stream.appeal_next
            stream.appeal_next = appeal(feedback, *self.responsiveness(stream, day))
            self._hand_over(stream)
        if feedback.adoption_elasticity > 0 and self.levels:
            self._adoption_feedback(day)

    def _hand_over(self, stream: NamedStream) -> None:
        """Tomorrow's appeal, and the unfollowing it brings, as the following mechanism's inputs."""
        self.following.set("appeal", stream.entry, stream.appeal_next)
        self.following.set("unfollow", stream.entry, unfollow_probability(self.spec.feedback, stream.appeal_next))

    def responsiveness(self, stream: NamedStream, day: int) -> tuple[float | None, float | None]:
        """(prompt share, median response in hours) of the days closed before ``day``; None without messages."""
        window = self.spec.feedback.window_days
        last = day - 1 - self.lag
        received, prompt = stream.tally.prompt_share(last - window + 1, last)
        share = prompt_share(self.spec.feedback, received, prompt) if received else None
        recent = [x for day in stream.recent for x in day]
        return share, (median(recent) * 24 if recent else None)

    def _adoption_feedback(self, day: int) -> None:
        window, last = self.spec.feedback.window_days, day - 1 - self.lag
        for level, agencies in self.levels.items():
            received = prompt = 0
            for sampled in agencies:
                for tally in sampled.tallies:
                    r, p = tally.prompt_share(last - window + 1, last)
                    received, prompt = received + r, prompt + p
            m = adoption_multiplier(self.spec.feedback, prompt_share(self.spec.feedback, received, prompt)
                                    if received else None)
            self.adoption.set("multiplier", level, m)

    def reload(self, scenario: Scenario) -> None:
        if self.spec is None:
            return
        self.spec = scenario.interaction
        self.feeder.load(self.spec.messages)
        now = self.run.env.now
        for stream in self.named:  # tomorrow's unfollowing at the unfollow rate now in force
            if self.launch[stream.entry[0]] < now:
                self._hand_over(stream)

    # --- records -----------------------------------------------------------------------------------
    def record(self, day: int) -> None:
        if self.spec is None:
            return
        days = {}
        for account, desk in self.named_desks:
            if day < self.launch[account]:
                desk.discard_until(day + 1.0)  # nothing to tell before the account opens
                continue
            streams, teams = desk.close_day(day)
            for tally, record in zip(desk.tallies, streams):
                days[id(tally)] = record
            days[account] = teams
        for stream, counts, backlog, p50, p90, appeal_out in self.out_named:
            record = days.get(id(stream.tally))
            if record is None:
                continue
            for c in COUNTS:
                stream.totals[c] += getattr(record, c)
                counts[c][day] = stream.totals[c]
            backlog[day] = record.backlog
            stream.area += record.area
            stream.closed += record.closed
            stream.open_age = record.open_age
            p50[day], p90[day] = percentiles_hours(record.responses)
            stream.recent.append(record.responses.tolist())
            appeal_out[day] = stream.appeal_today
        for desk, outs in self.out_utilisation:
            for out, (busy, present) in zip(outs, days.get(desk.name, ())):
                out[day] = busy / present if present > 0 else math.nan
        if self.levels:
            self._record_levels(day)

    def _record_levels(self, day: int) -> None:
        """Close the day of the sampled desks that had something to do, and note their running totals.

        A sampled agency's totals change only on days something happens at its
        desk; :meth:`finish` fills the other days in and scales the levels up,
        all days at once.
        """
        responses: dict[str, list[np.ndarray]] = {}
        for level, i, sampled in self.all_sampled if self.busy_sampled else ():
            if not sampled.desk.active:
                continue
            sampled.backlog = 0
            for record in sampled.desk.close_streams(day):
                for c in COUNTS:
                    sampled.totals[c] += getattr(record, c)
                sampled.backlog += record.backlog
                if record.responses.size:
                    responses.setdefault(level, []).append(record.responses)
            self.level_values[level][:, i, day] = [*(sampled.totals[c] for c in COUNTS), sampled.backlog]
            self.level_written[level][i, day] = True
        for level, pooled in responses.items():
            outs = self.out_levels.get(level)
            if outs is not None:
                outs[2][day], outs[3][day] = percentiles_hours(np.concatenate(pooled))

    def finish(self) -> dict[str, object]:
        """Each sampled agency's totals filled forward over its quiet days, then each level scaled up, per day."""
        if self.spec is None:
            return {}
        for level, (counts, (backlog, backlog_se), _, _) in self.out_levels.items():
            values, written = self.level_values[level], self.level_written[level]
            written[:, 0] = True  # before its account opens an agency has nothing (the arrays start at 0)
            days = np.arange(written.shape[1])
            for i in range(written.shape[0]):
                source = np.maximum.accumulate(np.where(written[i], days, 0))
                values[:, i, :] = values[:, i, source]
            for q, (total_out, se_out) in enumerate([*(counts[c] for c in COUNTS), (backlog, backlog_se)]):
                total, se = scale_up(values[q], self.frame[level])
                total_out[:] = np.rint(total).astype(np.int64)
                se_out[:] = se
        return {}
