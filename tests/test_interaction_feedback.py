"""The feedback of responsiveness on followers: appeal, unfollowing, the optional adoption multiplier."""

from __future__ import annotations

import math

import pytest

from sim.model.mechanisms.interaction.feedback import adoption_multiplier, appeal, unfollow_probability
from sim.scenario.schema import Feedback


def test_appeal_is_full_at_or_above_the_reference_and_falls_with_the_elasticity():
    fb = Feedback(reference_share=0.8, elasticity=2.0, reference_median_hours=6, delay_elasticity=1.0)
    assert appeal(fb, 0.8, 6.0) == 1.0
    assert appeal(fb, 0.95, 1.0) == 1.0  # better than the reference earns nothing extra
    assert appeal(fb, 0.4, 6.0) == pytest.approx(0.25)  # half the reference share, elasticity 2
    assert appeal(fb, 0.8, 12.0) == pytest.approx(0.5)  # twice the reference median, elasticity 1
    assert appeal(fb, None, None) == 1.0  # no messages, no verdict
    assert appeal(Feedback(elasticity=0.0), 0.1, 100.0) == 1.0  # feedback off


def test_unfollowing_needs_lost_appeal():
    fb = Feedback(unfollow_rate_per_day=0.02)
    assert unfollow_probability(fb, 1.0) == 0.0
    assert unfollow_probability(fb, 0.5) == pytest.approx(1 - math.exp(-0.01))


def test_adoption_multiplier_is_off_by_default():
    assert adoption_multiplier(Feedback(), 0.2) == 1.0
    fb = Feedback(reference_share=0.8, adoption_elasticity=1.0)
    assert adoption_multiplier(fb, 0.4) == pytest.approx(0.5)
    assert adoption_multiplier(fb, None) == 1.0


def test_a_handful_of_messages_cannot_swing_the_prompt_share():
    from sim.model.mechanisms.interaction.feedback import prompt_share

    fb = Feedback(reference_share=0.8, prior_messages=10)
    assert prompt_share(fb, 2, 0) == pytest.approx((0 + 8) / 12)  # two late answers: 0.67, not 0
    assert prompt_share(fb, 1000, 500) == pytest.approx(508 / 1010)  # many messages: the measured share
    assert prompt_share(Feedback(prior_messages=0), 0, 0) is None
    assert prompt_share(Feedback(prior_messages=0), 4, 3) == 0.75
