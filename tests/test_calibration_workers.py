"""A calibration's workers hold its problem through the executor (:class:`sim.calibration.problem.models.Workers`),
not in a module: two calibrations with different problems in one process never see each other's.

The two problems are the one-level Bass problem with eight figures and with two (:func:`bass_problem`): a
worker evaluating the other calibration's problem returns the wrong number of values, a density rebuilt in a
worker around the other problem the wrong log posterior.  Every comparison is exact: the same points in the
same batches give the same numbers wherever they are evaluated.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.calibration.problem.bass import DATES, bass_problem
from sim.calibration.problem.density import Correction, TwinDensity, evaluate
from sim.calibration.problem.models import Workers, batches, twin_batch, twin_chunk
from sim.execution import NoContext


def log_posterior(args) -> float:
    """In a worker: a density that was pickled in the caller and rebuilt there, at one point."""
    density, x = args
    return density(x)[0]


def density_of(problem) -> TwinDensity:
    n = len(problem.space)
    return TwinDensity(problem, Correction.none(len(problem.targets)), active=np.arange(n), held=np.full(n, 0.5),
                       used=np.ones(len(problem.targets), bool))


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "two processes"])
def test_two_calibrations_in_one_process_each_evaluate_their_own_problem(workers):
    first, second = bass_problem(), bass_problem(dates=DATES[:2])
    assert len(first.targets) == len(DATES) > len(second.targets) == 2
    z = np.random.default_rng(20).random((40, 3))  # three batches of the numpy twin
    chunks = batches(z)
    expected = [np.vstack([twin_batch(p, c) for c in chunks]) for p in (first, second)]
    densities = [density_of(p) for p in (first, second)]
    x = z[:4]
    with Workers(first, workers) as one, Workers(second, workers) as two:
        streams = [w.executor.map(twin_chunk, chunks) for w in (one, two)]
        got = [[], []]
        for _ in chunks:  # the two calibrations' tasks interleaved
            for k in (0, 1):
                got[k].append(next(streams[k]))
        rebuilt = [w.map(log_posterior, [(d, xi) for xi in x]) for w, d in zip((one, two), densities)]
        batched = [evaluate(d, x, w)[0] for w, d in zip((one, two), densities)]
    for k in (0, 1):
        assert np.array_equal(np.vstack(got[k]), expected[k])
        here = np.array([densities[k](xi)[0] for xi in x])
        assert np.isfinite(here).all()
        assert np.array_equal(np.array(rebuilt[k]), here)
        with Workers(densities[k].problem, 1) as alone:  # the reference: its calibration alone, in this process
            assert np.array_equal(batched[k], evaluate(densities[k], x, alone)[0])
    assert not np.array_equal(rebuilt[0], rebuilt[1])  # the two problems do differ where both are evaluated


def test_a_calibration_task_outside_the_calibrations_workers_is_refused():
    with pytest.raises(NoContext):
        twin_chunk(np.full((1, 3), 0.5))
