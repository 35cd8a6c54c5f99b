"""Ordinary accounts: the scale-up from a simple random sample is unbiased and its standard error is right."""

from __future__ import annotations

import math

import numpy as np

from sim.model.mechanisms.interaction.sampling import draw_sample, scale_up


def test_scale_up_is_unbiased_and_its_standard_error_matches_the_spread_of_estimates():
    rng = np.random.default_rng(7)
    frame = 500
    values = np.where(rng.random(frame) < 0.3, rng.poisson(4.0, frame), 0).astype(float)  # most agencies idle
    truth = values.sum()
    n, draws = 12, 4000
    estimates, errors = [], []
    for _ in range(draws):
        sample = draw_sample(np.arange(frame), n, rng)
        total, se = scale_up(values[sample].tolist(), frame)
        estimates.append(total)
        errors.append(se)
    estimates = np.asarray(estimates)
    spread = estimates.std(ddof=1)
    assert abs(estimates.mean() - truth) < 4 * spread / math.sqrt(draws)  # unbiased (Horvitz-Thompson)
    # Cochran's formula, with the population variance, is the exact sd of the estimate:
    exact = frame * math.sqrt((1 - n / frame) * values.var(ddof=1) / n)
    assert abs(spread - exact) < 4 * exact / math.sqrt(2 * (draws - 1))
    assert abs(np.mean(np.square(errors)) - exact ** 2) < 0.1 * exact ** 2  # s^2 is unbiased for the variance


def test_a_census_has_no_sampling_error():
    values = [3.0, 0.0, 5.0]
    assert scale_up(values, 3) == (8.0, 0.0)
    per_day = np.array([[1.0, 3.0], [0.0, 0.0], [2.0, 5.0]])  # three members, two days
    totals, errors = scale_up(per_day, 3)
    assert totals.tolist() == [3.0, 8.0] and errors.tolist() == [0.0, 0.0]
    assert draw_sample(np.arange(3), 10, np.random.default_rng(1)).tolist() == [0, 1, 2]


def test_samples_are_without_replacement_and_in_frame_order():
    sample = draw_sample(np.arange(100, 200), 30, np.random.default_rng(2))
    assert len(set(sample.tolist())) == 30 and np.all(np.diff(sample) > 0) and sample.min() >= 100
