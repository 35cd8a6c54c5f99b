"""Closed forms and exact chains the interaction desk is tested against.

An account's staff answering messages is a multi-server queue.  With Poisson
arrivals at rate ``lam``, exponential service at rate ``mu`` per server and
``c`` servers (offered load ``a = lam / mu``, utilisation ``rho = a / c < 1``):

* **Erlang C** (Erlang 1917): the probability that an arrival waits is
  ``C(c, a)``; the wait ``W_q`` has ``P(W_q > t) = C(c, a) exp(-(c mu - lam) t)``
  and mean ``C(c, a) / (c mu - lam)``.
* **Non-preemptive priorities** with a common exponential service (Cobham
  1954; Kleinrock, *Queueing Systems* vol. 2, 1976, section 3.6): class ``k``
  waits on average ``C(c, a) / (c mu (1 - s_{k-1}) (1 - s_k))`` with
  ``s_k`` the load of classes ``1..k`` per server.
* **Erlang A** (M/M/c+M; Palm 1943, Garnett, Mandelbaum and Reiman 2002,
  "Designing a call center with impatient customers", MSOM 4(3)): each
  waiting customer abandons at rate ``theta``.  The number in system is a
  birth-death chain (births ``lam``, deaths ``mu min(n, c) + theta (n - c)+``);
  it has no closed form worth the name, so :func:`erlang_a` solves the chain
  truncated where the stationary mass is below ``1e-15``, which is exact to
  machine precision.  The share abandoning is ``theta E[(N - c)+] / lam``.
* **Little's law** (Little 1961): for any stable queue ``L = lam W``;
  :func:`littles_identity` is its sample-path form, exact on every finite run.
* **Shifts**: a single server switched off at night (it finishes the message
  in hand first) makes the chain periodic in time; :func:`periodic_single_server`
  computes its periodic steady state with matrix exponentials, the known
  answer the desk's shift bookkeeping is tested against.

Rates are per unit of time; any unit works as long as it is the same for all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm


# --- Erlang B and C --------------------------------------------------------------------------
def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c with offered load ``a`` (the stable recursion)."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c with offered load ``a = lam / mu`` (needs ``a < c``)."""
    if not 0 <= a < c:
        raise ValueError(f"Erlang C needs 0 <= a < c, got a={a}, c={c}")
    b = erlang_b(c, a)
    return c * b / (c - a * (1 - b))


@dataclass(frozen=True)
class MMc:
    """The M/M/c queue's waiting time (FIFO, or any order among identical customers)."""

    lam: float
    mu: float
    c: int

    @property
    def load(self) -> float:
        return self.lam / self.mu

    @property
    def p_wait(self) -> float:
        return erlang_c(self.c, self.load)

    @property
    def mean_wait(self) -> float:
        return self.p_wait / (self.c * self.mu - self.lam)

    def wait_exceeds(self, t):
        """``P(W_q > t)`` for ``t >= 0``."""
        return self.p_wait * np.exp(-(self.c * self.mu - self.lam) * np.asarray(t, dtype=float))

    def priority_mean_waits(self, shares: list[float]) -> list[float]:
        """Mean wait of each class under non-preemptive priority (first class served first).

        ``shares`` are the classes' shares of the arrivals (Cobham 1954).
        """
        base = self.p_wait / (self.c * self.mu)
        out, before = [], 0.0
        for share in shares:
            upto = before + share * self.lam / (self.c * self.mu)
            out.append(base / ((1 - before) * (1 - upto)))
            before = upto
        return out


# --- Erlang A ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ErlangA:
    """Stationary M/M/c+M: the birth-death chain of the number in system."""

    lam: float
    mu: float
    c: int
    theta: float
    distribution: np.ndarray
    """``P(N = n)``, n = 0..len - 1 (truncated where the mass is negligible)."""

    @property
    def waiting(self) -> float:
        """``E[(N - c)+]``: mean number waiting."""
        n = np.arange(self.distribution.size)
        return float(np.sum(np.maximum(n - self.c, 0) * self.distribution))

    @property
    def in_system(self) -> float:
        return float(np.sum(np.arange(self.distribution.size) * self.distribution))

    @property
    def p_abandon(self) -> float:
        """Share of arrivals that abandon: the abandonment rate over the arrival rate."""
        return self.theta * self.waiting / self.lam

    @property
    def p_wait(self) -> float:
        """Share of arrivals that find every server busy (PASTA)."""
        return float(self.distribution[self.c:].sum())

    @property
    def mean_wait(self) -> float:
        """Mean time waiting, over every arrival (served or not): Little's law on the queue."""
        return self.waiting / self.lam


def erlang_a(lam: float, mu: float, c: int, theta: float, tail: float = 1e-15) -> ErlangA:
    """Solve M/M/c+M exactly: the birth-death chain, truncated where ``P(N = n) < tail``."""
    if theta <= 0 and lam >= c * mu:
        raise ValueError("without abandonment the queue needs lam < c mu")
    weights = [1.0]
    n = 0
    while True:
        n += 1
        death = mu * min(n, c) + theta * max(n - c, 0)
        weights.append(weights[-1] * lam / death)
        if n > c and weights[-1] < tail * sum(weights) and lam < death:
            break
    p = np.asarray(weights)
    return ErlangA(lam=lam, mu=mu, c=c, theta=theta, distribution=p / p.sum())


# --- standard errors of a simulation's estimates -----------------------------------------------
def batch_means(values: np.ndarray, days: np.ndarray, first: int, last: int, block: int,
                weights: np.ndarray | None = None) -> tuple[float, float]:
    """Mean and standard error of ``values`` by batch means over blocks of ``block`` days in [first, last).

    Observations of one queue are correlated; means over blocks much longer
    than the queue's memory are nearly independent, so their spread gives the
    standard error (Law and Kelton, *Simulation Modeling and Analysis*, 3rd
    ed., 2000, section 9.5.3).  With ``weights`` each block's value is the
    ratio ``sum(values) / sum(weights)`` (a share, or a mean per message).
    """
    means = []
    for start in range(first, last, block):
        inside = (days >= start) & (days < start + block)
        means.append(values[inside].mean() if weights is None else values[inside].sum() / weights[inside].sum())
    means = np.asarray(means)
    return float(means.mean()), float(means.std(ddof=1) / np.sqrt(means.size))


# --- Little's law ----------------------------------------------------------------------------
def littles_identity(arrivals: np.ndarray, exits: np.ndarray, start: float, end: float) -> float:
    """``integral of N(t) over [start, end)`` computed from the customers' times.

    ``exits`` may be ``inf`` (still in the system).  Little's law in its
    sample-path form: the area under the number in system equals the time the
    customers spent in it within the window, whatever the queue (Little 1961).
    """
    a = np.clip(np.asarray(arrivals, dtype=float), start, end)
    e = np.clip(np.asarray(exits, dtype=float), start, end)
    return float(np.sum(np.maximum(e - a, 0.0)))


# --- A server with working hours: the periodic chain -----------------------------------------
@dataclass(frozen=True)
class PeriodicSingleServer:
    """Periodic steady state of one server with a rota; per-phase means, in phase order."""

    at_start: np.ndarray
    """Distribution of the number in system at the start of a period."""
    served: np.ndarray
    """Mean messages finished in each phase."""
    abandoned: np.ndarray
    """Mean messages abandoned in each phase."""
    area: np.ndarray
    """Mean integral of the number in system over each phase."""
    busy: np.ndarray
    """Mean time the server is busy in each phase."""


def periodic_single_server(lam: float, mu: float, theta: float, phases: list[tuple[float, bool]],
                           capacity: int = 40, steps: int = 200) -> PeriodicSingleServer:
    """One server, Poisson arrivals, exponential service and patience, on duty in some phases of a period.

    ``phases`` are consecutive ``(length, on_duty)`` pieces making up the
    period (a day with office hours: ``[(9/24, False), (8/24, True), (7/24,
    False)]``).  When a duty phase ends the server finishes the message in
    hand, then stops (no pre-emption) until the next duty phase.  States:
    ``n`` messages in the system and whether the server is working (``n > 0``
    when on duty; off duty, only until the message in hand is finished).  The
    chain is truncated at ``capacity`` messages (a ``ValueError`` says so if
    the mass near it is not negligible); its periodic steady state is the fixed
    point of the one-period transition matrix, a product of matrix exponentials
    of the on-duty and off-duty generators.  Per-phase means are integrated with
    the trapezoidal rule on ``steps`` sub-intervals.
    """
    N = capacity
    size = 2 * (N + 1)  # index n: working on a message; N + 1 + n: not working

    def working(n):
        return n

    def idle(n):
        return N + 1 + n

    def generator(on_duty: bool) -> np.ndarray:
        Q = np.zeros((size, size))
        for n in range(N + 1):
            for state, busy in ((working(n), True), (idle(n), False)):
                if busy and n == 0:
                    continue  # 'working' needs a message in hand
                if on_duty and not busy and n > 0:
                    continue  # on duty, a server with messages is working
                waiting = n - 1 if busy else n
                if n < N:
                    Q[state, working(n + 1) if (busy or on_duty) else idle(n + 1)] += lam
                if busy:
                    after = n - 1
                    Q[state, working(after) if (on_duty and after > 0) else idle(after)] += mu
                if waiting > 0:  # an abandonment leaves the message in hand, if any, in hand
                    Q[state, working(n - 1) if busy else idle(n - 1)] += theta * waiting
                Q[state, state] -= Q[state].sum()
        return Q

    Q = {True: generator(True), False: generator(False)}
    # At the start of duty an idle server with messages starts working; at its end nothing jumps.
    start_duty = np.zeros((size, size))
    for n in range(N + 1):
        start_duty[working(n), working(n) if n > 0 else idle(0)] = 1.0
        start_duty[idle(n), working(n) if n > 0 else idle(0)] = 1.0
    transfer = np.eye(size)
    for length, duty in phases:
        if duty:
            transfer = transfer @ start_duty
        transfer = transfer @ expm(Q[duty] * length)
    values, vectors = np.linalg.eig(transfer.T)
    p0 = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    p0 = np.abs(p0) / np.abs(p0).sum()
    if p0[N] + p0[2 * N + 1] > 1e-12:
        raise ValueError(f"capacity {N} truncates the chain: raise it")

    n_of = np.concatenate([np.arange(N + 1), np.arange(N + 1)])
    busy_of = np.concatenate([(np.arange(N + 1) > 0).astype(float), np.zeros(N + 1)])
    waiting_of = np.maximum(n_of - busy_of, 0)
    out = {key: [] for key in ("served", "abandoned", "area", "busy")}
    p = p0
    for length, duty in phases:
        if duty:
            p = p @ start_duty
        step = expm(Q[duty] * (length / steps))
        trace = [p]
        for _ in range(steps):
            trace.append(trace[-1] @ step)
        trace = np.asarray(trace)
        weights = np.full(steps + 1, length / steps)
        weights[[0, -1]] /= 2
        busy = float(weights @ (trace @ busy_of))
        out["served"].append(mu * busy)
        out["busy"].append(busy)
        out["abandoned"].append(theta * float(weights @ (trace @ waiting_of)))
        out["area"].append(float(weights @ (trace @ n_of)))
        p = trace[-1]
    return PeriodicSingleServer(at_start=p0[:N + 1] + p0[N + 1:], **{k: np.asarray(v) for k, v in out.items()})
