"""The staff who answer an account's messages: teams with rotas, in a SimPy run.

One account has one desk, shared by its platforms: its own **staff** (a team
of ``size`` members, :class:`.staff.StaffPool`) and, optionally, the
**department** responsible for substantive matters (another team).  A message
claims a member of the staff, urgent ones first (priority 0, others 1); a
substantive one is then forwarded to the department, where it queues again
with its priority.  It is *answered* when the last of them finishes.  Its
arrival and each service completion are SimPy events; a team grants its
members at those events (:mod:`.staff` says why it is not a
``simpy.PriorityResource``).

Patience.  A sender gives up when no one has started on the message by its
deadline (arrival + patience), in either queue; a message being handled is
never abandoned.  Abandonment is resolved lazily, which is exact: an expired
claim stays in the queue until it reaches the head, and is then granted and
released at once, taking no one's time, so the order of the others is
unchanged (the queue is FIFO within a priority); its exit is booked at its
deadline.  At each day's end the expired claims are swept out, so every
abandonment is counted on the day it happened and the backlog is exact.
No message needs a SimPy process or a patience timer of its own.

Rotas.  Off-duty staff are *absence* claims of the highest priority (-1):
when a shift ends, that many absences are claimed, and each is granted as
soon as a member of staff finishes the message in hand (no pre-emption);
when a shift starts, absences still waiting are withdrawn first, then
granted ones released.
"""

from __future__ import annotations

import simpy

from ....scenario.schema import Desk as DeskSpec
from ....scenario.schema import Team as TeamSpec
from .durations import DurationSampler
from .schedule import Rota
from .staff import ABSENT, NORMAL, URGENT, Claim, StaffPool
from .tally import StreamTally

__all__ = ["ABSENT", "NORMAL", "URGENT", "DeskEngine", "Message", "Team"]

class Message:
    __slots__ = ("tally", "arrived", "deadline", "priority", "substantive")

    def __init__(self, tally: StreamTally, arrived: float, deadline: float, priority: int, substantive: bool):
        self.tally = tally
        self.arrived = arrived
        self.deadline = deadline
        self.priority = priority
        self.substantive = substantive


class Team:
    """One team: its pool of staff, its rota, and the time its staff are busy and present.

    Staff present at time t: ``max(on duty, busy)`` (someone finishing a message
    after the end of a shift is still there); utilisation is busy over present.
    A team with nothing to do sleeps: its rota stops scheduling changes, and it wakes up,
    on the rota's current count, when the next message reaches it.  Shift
    changes matter only to messages, so skipping them while there are none is
    exact, and it saves a quiet desk its shift events (the sampled ordinary
    accounts have hundreds of quiet desks).
    """

    def __init__(self, env: simpy.Environment, spec: TeamSpec, rota: Rota, service: DurationSampler, name: str,
                 timed: bool = True):
        """``timed``: keep the staff's busy and present time (for utilisation); a sampled desk needs neither."""
        self.env = env
        self.timed = timed
        self.name = name
        self.size = spec.size
        self.rota = rota
        self.service = service
        self.pool = StaffPool(max(spec.size, 1))
        self.absences: list[Claim] = []
        self.work = 0
        """Messages queued at or being handled by this team."""
        self.busy = 0
        self.last = env.now
        self.busy_area = 0.0
        self.present_area = 0.0
        self.fixed = rota.always
        """A rota that never changes needs no process: the team is always awake."""
        self.awake = self.fixed
        self.on_duty = rota.counts[0] if self.fixed else 0
        if self.size == 0:
            self._absent(1)  # a team of none: its placeholder server is never there
        elif self.fixed:
            self._set_on_duty(self.on_duty)

    # --- time accounting ------------------------------------------------------------------------
    def advance(self, t: float) -> None:
        if not self.timed:
            return
        dt = t - self.last
        if dt <= 0:
            return
        if self.awake:
            self.busy_area += self.busy * dt
            self.present_area += max(self.on_duty, self.busy) * dt
        else:
            self.present_area += self.rota.staff_days(self.last, t)
        self.last = t

    def close(self, end: float) -> tuple[float, float]:
        """(busy, present) staff-days since the last close; counters restart."""
        self.advance(end)
        out = (self.busy_area, self.present_area)
        self.busy_area = self.present_area = 0.0
        return out

    # --- work ---------------------------------------------------------------------------------------
    def take(self) -> None:
        """A message joins this team's queue (waking the team, on the rota's current count, if it slept)."""
        if not self.awake:
            now = self.env.now
            self.advance(now)
            self.awake = True
            self.on_duty = self.rota.on_duty(now)
            self._set_on_duty(self.on_duty)
            self._segments = self.rota.segments(now)
            next(self._segments)  # the current piece, just applied
            self._next_change()
        self.work += 1

    def start(self) -> None:
        self.advance(self.env.now)
        self.busy += 1

    def finish(self) -> None:
        self.advance(self.env.now)
        self.busy -= 1
        self.work -= 1

    def drop(self) -> None:
        """A queued message's sender gave up."""
        self.work -= 1

    # --- the rota ---------------------------------------------------------------------------------
    def _next_change(self) -> None:
        """Schedule the rota's next change (a timeout with a callback: no process to resume)."""
        begin, _, count = next(self._segments)
        self.env.timeout(begin - self.env.now, value=count).callbacks.append(self._change)

    def _change(self, event) -> None:
        self.advance(self.env.now)
        self.on_duty = event.value
        self._set_on_duty(event.value)
        if self.work == 0:
            self.awake = False  # nothing to do: sleep until the next message
        else:
            self._next_change()

    def _set_on_duty(self, count: int) -> None:
        wanted = self.size - count
        if wanted > len(self.absences):
            self._absent(wanted - len(self.absences))
        excess = len(self.absences) - wanted
        if excess > 0:  # the latest waiting absences go first, then the latest granted (in one pass: O(size))
            pending = [c for c in self.absences if not c.granted]
            withdrawn = pending[len(pending) - min(excess, len(pending)):]
            granted = [c for c in self.absences if c.granted]
            released = granted[len(granted) - (excess - len(withdrawn)):] if excess > len(withdrawn) else []
            gone = {id(c) for c in withdrawn + released}
            self.absences = [c for c in self.absences if id(c) not in gone]
            for claim in withdrawn:
                self.pool.withdraw(claim)
            for claim in reversed(released):
                self.pool.release(claim)

    def _absent(self, n: int) -> None:
        now = self.env.now
        for _ in range(n):
            self.absences.append(self.pool.request(ABSENT, now))


class DeskEngine:
    """An account's desk: its staff, its department, and the ledgers of its streams."""

    def __init__(self, env: simpy.Environment, spec: DeskSpec, staff_rota: Rota, staff_service: DurationSampler,
                 department_rota: Rota | None = None, department_service: DurationSampler | None = None,
                 name: str = "desk", timed: bool = True, busy: set | None = None):
        """``busy``: a set the desk adds itself to when it has something to do (to close only those)."""
        self.env = env
        self.name = name
        self.staff = Team(env, spec.staff, staff_rota, staff_service, f"{name}.staff", timed)
        self.department = (Team(env, spec.department, department_rota, department_service, f"{name}.department",
                                timed) if spec.department is not None else None)
        self.tallies: list[StreamTally] = []
        self.active = False
        """Whether anything arrived since the last close or is still in the system."""
        self.busy = busy

    def teams(self) -> list[Team]:
        return [self.staff] + ([self.department] if self.department is not None else [])

    # --- a message's way through ------------------------------------------------------------------
    def arrive(self, message: Message) -> None:
        if not self.active:
            self.active = True
            if self.busy is not None:
                self.busy.add(self)
        message.tally.arrive(message.arrived)
        self._queue(self.staff, message, self._staff_granted)

    def _queue(self, team: Team, message: Message, granted) -> None:
        team.take()
        team.pool.request(message.priority, self.env.now, message, granted)

    def _start(self, team: Team, claim: Claim, done) -> bool:
        """Begin handling a granted message; False if its sender had already given up."""
        message, now = claim.message, self.env.now
        if now > message.deadline:
            message.tally.abandon(message.arrived, message.deadline, now)
            team.drop()
            team.pool.release(claim)
            return False
        team.start()
        timeout = self.env.timeout(team.service.draw(), value=claim)
        timeout.callbacks.append(done)
        return True

    def _finish(self, team: Team, claim: Claim) -> None:
        team.finish()
        team.pool.release(claim)

    def _staff_granted(self, claim: Claim) -> None:
        self._start(self.staff, claim, self._staff_done)

    def _staff_done(self, event) -> None:
        claim = event.value
        self._finish(self.staff, claim)
        message = claim.message
        if message.substantive and self.department is not None:
            self._queue(self.department, message, self._department_granted)
        else:
            message.tally.answer(message.arrived, self.env.now)

    def _department_granted(self, claim: Claim) -> None:
        self._start(self.department, claim, self._department_done)

    def _department_done(self, event) -> None:
        claim = event.value
        self._finish(self.department, claim)
        message = claim.message
        message.tally.answer(message.arrived, self.env.now)

    # --- the end of a day ---------------------------------------------------------------------------
    def sweep(self, end: float) -> None:
        """Book every sender who gave up by ``end`` and drop their claims from the queues."""
        for team in self.teams():
            expired = [c for c in team.pool.waiting() if c.message is not None and c.message.deadline <= end]
            if not expired:
                continue
            for claim in expired:
                message = claim.message
                message.tally.abandon(message.arrived, message.deadline, end)
                team.drop()
            team.pool.keep_waiting(lambda c: c.message is None or c.message.deadline > end)

    def close_day(self, day: int):
        """End day ``day``: book the day's abandonments, then each stream's and team's record.

        Call it when every event before ``day + 1`` has been processed and none after.
        """
        end = day + 1.0
        self.sweep(end)
        streams = [tally.close(day) for tally in self.tallies]
        teams = [team.close(end) for team in self.teams()]
        self.active = any(tally.in_system for tally in self.tallies)
        return streams, teams

    def discard_until(self, end: float) -> None:
        """Forget the teams' time up to ``end`` (an account not yet open has no utilisation to report)."""
        for team in self.teams():
            team.close(end)

    def close_streams(self, day: int):
        """:meth:`close_day` for the streams only, or None for a desk that had nothing to do all day."""
        if not self.active:
            return None
        self.sweep(day + 1.0)
        streams = [tally.close(day) for tally in self.tallies]
        self.active = any(tally.in_system for tally in self.tallies)
        if not self.active and self.busy is not None:
            self.busy.discard(self)
        return streams
