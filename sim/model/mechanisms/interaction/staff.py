"""A team's members of staff as a resource: claims granted in priority order, at SimPy event times.

A *claim* asks for one member of staff: a message's (priority 0 if urgent,
1 otherwise) or an *absence* (priority -1: a member going off duty, who
leaves as soon as the message in hand is finished).  Waiting claims are
granted lowest priority first, then in order of request (first come, first
served within a priority): the discipline of :class:`simpy.PriorityResource`,
without pre-emption.

Why not :class:`simpy.PriorityResource` itself.  It is what this class first
was, and what its tests compare with (``tests/test_interaction_desk.py``
checks the waits against Erlang C and Cobham's priority formula, which a
``PriorityResource`` meets too).  But SimPy's resource turns every request
and every release into an event of its own, so a message cost four events
per team it passed through, and every shift change one event per member of
staff: the desks then took more time than all the rest of a full-scale
replication (``benchmarks/engine.py``, section 7).  Here claims are granted
synchronously, at the time of the SimPy event that frees a member of staff
(a service completion, a shift starting) or brings a claim (an arrival, a
shift ending), which is when SimPy would grant them too; a message costs its
arrival and one service completion per team.
"""

from __future__ import annotations

import heapq
from typing import Callable

ABSENT, URGENT, NORMAL = -1, 0, 1


class Claim:
    """One request for one member of staff."""

    __slots__ = ("priority", "message", "on_grant", "granted", "withdrawn")

    def __init__(self, priority: int, message, on_grant: Callable[["Claim"], None] | None):
        self.priority = priority
        self.message = message
        """The message handled, or None for an absence."""
        self.on_grant = on_grant
        self.granted = False
        self.withdrawn = False


class StaffPool:
    """``capacity`` members of staff; claims wait in a heap keyed (priority, time, order of request)."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError("a pool of staff needs a capacity of at least 1")
        self.capacity = capacity
        self.held = 0
        """Claims granted and not yet released."""
        self.queue: list[tuple[int, float, int, Claim]] = []
        self._order = 0
        self._granting = False

    def request(self, priority: int, now: float, message=None, on_grant=None) -> Claim:
        """A new claim; granted at once (``on_grant(claim)``) if a member of staff is free and none waits before it."""
        claim = Claim(priority, message, on_grant)
        self._order += 1
        heapq.heappush(self.queue, (priority, now, self._order, claim))
        self._grant()
        return claim

    def release(self, claim: Claim) -> None:
        """The member of staff held by ``claim`` is free again: the next claim in order gets them."""
        claim.granted = False
        self.held -= 1
        self._grant()

    def withdraw(self, claim: Claim) -> None:
        """A claim still waiting is given up (it is skipped when it reaches the head of the queue)."""
        claim.withdrawn = True

    def waiting(self) -> list[Claim]:
        return [entry[3] for entry in self.queue if not entry[3].withdrawn]

    def keep_waiting(self, keep: Callable[[Claim], bool]) -> None:
        """Drop the waiting claims ``keep`` refuses (and the withdrawn ones)."""
        self.queue = [entry for entry in self.queue if not entry[3].withdrawn and keep(entry[3])]
        heapq.heapify(self.queue)

    def _grant(self) -> None:
        # A grant may release at once (an expired message) and so ask to grant again: the loop below does it,
        # not a nested call, so a long run of expired messages never deepens the stack.
        if self._granting:
            return
        self._granting = True
        try:
            queue = self.queue
            while self.held < self.capacity and queue:
                claim = heapq.heappop(queue)[3]
                if claim.withdrawn:
                    continue
                self.held += 1
                claim.granted = True
                if claim.on_grant is not None:
                    claim.on_grant(claim)
        finally:
            self._granting = False
