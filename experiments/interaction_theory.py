"""The interaction desk against queueing theory, with the numbers (the cases of tests/test_interaction_desk.py).

    python experiments/interaction_theory.py          # about a minute

Each line: what is compared, the desk's estimate with its standard error (batch
means over blocks of days), the theoretical value, and the distance in standard
errors.  The tests assert |z| < 4 on these very cases (same seeds).
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.mechanisms.interaction.single import WaitLoggingDesk, run_single_desk
from sim.queueing_theory import MMc, erlang_a, periodic_single_server
from sim.queueing_theory import batch_means as batch
from sim.scenario.schema import Desk, Messages

FOLLOWERS = 1000.0
HOUR = 1 / 24


def desk(size, hours, shifts=("daily 00:00-24:00",)):
    return Desk(staff={"size": size, "shifts": list(shifts), "service": {"mean_hours": hours}})


def messages(lam, patience=None, **extra):
    return Messages(per_follower_per_day=lam / FOLLOWERS,
                    patience=None if patience is None else {"mean_hours": patience}, **extra)


def line(what, observed, se, theory, scale=1.0, unit=""):
    z = (observed - theory) / se if se > 0 else math.nan
    print(f"  {what:<46} {observed * scale:9.4f} +- {se * scale:.4f}{unit:<3}  theory {theory * scale:9.4f}  z = {z:+.2f}")


def main() -> None:
    print("M/M/3, load 0.7, mean service 1 hour (Erlang C); 300 days, batch means of 10 days")
    lam, mu, c, days = 50.4, 24.0, 3, 300
    run = run_single_desk(desk(c, 1.0), messages(lam), FOLLOWERS, days, 11, desk_class=WaitLoggingDesk)
    _, arrived, wait = run.desk.waits_at()
    day = np.floor(arrived).astype(int)
    q = MMc(lam, mu, c)
    line("mean wait (hours)", *batch(wait, day, 2, days, 10), q.mean_wait, 24, " h")
    for t in (0.0, 0.5, 1.0, 2.0):
        line(f"P(wait > {t} h)", *batch((wait > t * HOUR).astype(float), day, 2, days, 10),
             float(q.wait_exceeds(t * HOUR)))

    print("M/M/2, load 0.7, 30% urgent served first (Cobham 1954)")
    lam, c = 33.6, 2
    run = run_single_desk(desk(c, 1.0), messages(lam, urgent_share=0.3), FOLLOWERS, days, 13,
                          desk_class=WaitLoggingDesk)
    priority, arrived, wait = run.desk.waits_at()
    for cls, theory in zip((0, 1), MMc(lam, mu, c).priority_mean_waits([0.3, 0.7])):
        mine = priority == cls
        line(f"mean wait, {'urgent' if cls == 0 else 'normal'} (hours)",
             *batch(wait[mine], np.floor(arrived[mine]).astype(int), 2, days, 10), theory, 24, " h")

    for load in (0.9, 1.2):
        print(f"M/M/3+M, load {load}, mean patience 2 hours (Erlang A, exact birth-death chain)")
        lam, theta = load * 3 * mu, 12.0
        run = run_single_desk(desk(3, 1.0), messages(lam, patience=2.0), FOLLOWERS, days, 15)  # the tests' seed
        rec = np.array([r.received for r in run.days], dtype=float)
        ab = np.array([r.abandoned for r in run.days], dtype=float)
        area = np.array([r.area for r in run.days])
        a = erlang_a(lam, mu, 3, theta)
        line("abandonment share", *batch(ab, np.arange(days), 2, days, 10, weights=rec), a.p_abandon)
        line("mean number in system L", *batch(area, np.arange(days), 2, days, 10), a.in_system)
        little = max(abs(r.area - (r.closed + r.open_age - prev))
                     for r, prev in zip(run.days, [0.0] + [r.open_age for r in run.days[:-1]]))
        print(f"  Little's law, sample path, worst day: |area - time spent inside| = {little:.1e} message-days")

    print("One server on duty 09:00-17:00 daily, finishing the message in hand (periodic chain, matrix exponentials)")
    lam, mu, theta, days = 20.0, 60.0, 4.0, 400
    run = run_single_desk(desk(1, 0.4, ["daily 09:00-17:00"]), messages(lam, patience=6.0), FOLLOWERS, days, 17)
    p = periodic_single_server(lam, mu, theta, [(9 / 24, False), (8 / 24, True), (7 / 24, False)])
    d = np.arange(days)
    for what, values, theory in (
            ("answered per day", [r.answered for r in run.days], p.served.sum()),
            ("abandoned per day", [r.abandoned for r in run.days], p.abandoned.sum()),
            ("message-days in system per day", [r.area for r in run.days], p.area.sum()),
            ("busy staff-days per day", [b for b, _ in run.staff], p.busy.sum()),
            ("backlog at midnight", [r.backlog for r in run.days], float(p.at_start @ np.arange(p.at_start.size)))):
        line(what, *batch(np.asarray(values, dtype=float), d, 5, days, 5), theory)


if __name__ == "__main__":
    main()
