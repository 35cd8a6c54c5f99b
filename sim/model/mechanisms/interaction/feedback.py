"""Responsiveness earns followers: the appeal of an account and the unfollowing it causes.

The article's theme is "better interaction": accounts that answer citizens
earn their audience.  Over the last ``window_days`` complete days an account
(on one platform) has a *prompt share*, the share of its messages answered
within ``within_hours`` (:func:`prompt_share`: shrunk towards the reference by
``prior_messages`` pseudo-messages, as a follower who has seen three answers
does not yet conclude much), and a *median response time*.  Its appeal multiplies
the follow hazard of :mod:`sim.model.mechanisms.following`:

    appeal = min(1, share / reference_share) ** elasticity
             * min(1, reference_median_hours / median_hours) ** delay_elasticity

so an account at least as responsive as the reference keeps the follow rates
the baseline was calibrated with (Shanghai City set out to "respond
immediately", Beijing Review 2012), and a worse one loses appeal in
proportion, with the elasticities as the percentage loss per percentage
shortfall.  Its followers also leave, each at hazard
``unfollow_rate_per_day * (1 - appeal)``: a poorly answered surge costs
followers.  With no message in the window the appeal stays 1.

These pure functions are used by the engine (on the measured shares) and
the mean-field twin (on its fluid estimates) alike.
"""

from __future__ import annotations

import math

from ....scenario.schema import Feedback


def prompt_share(feedback: Feedback, received: float, prompt: float) -> float | None:
    """The prompt share followers perceive from ``prompt`` of ``received`` messages; None with nothing to go on."""
    weight = received + feedback.prior_messages
    if weight <= 0:
        return None
    return (prompt + feedback.prior_messages * feedback.reference_share) / weight


def appeal(feedback: Feedback, prompt_share: float | None, median_hours: float | None) -> float:
    """The multiplier of the follow hazard; None for a measure with no messages behind it."""
    value = 1.0
    if prompt_share is not None and feedback.elasticity > 0:
        value *= min(1.0, prompt_share / feedback.reference_share) ** feedback.elasticity
    if median_hours is not None and feedback.delay_elasticity > 0 and median_hours > 0:
        value *= min(1.0, feedback.reference_median_hours / median_hours) ** feedback.delay_elasticity
    return value


def unfollow_probability(feedback: Feedback, appeal_: float, dt: float = 1.0) -> float:
    """Probability that one follower stops following within ``dt`` days at this appeal."""
    return -math.expm1(-feedback.unfollow_rate_per_day * (1.0 - appeal_) * dt)


def adoption_multiplier(feedback: Feedback, prompt_share: float | None) -> float:
    """Optional: a level's adoption hazard multiplier from its accounts' prompt share (1 when off)."""
    if prompt_share is None or feedback.adoption_elasticity == 0:
        return 1.0
    return (max(prompt_share, 1e-9) / feedback.reference_share) ** feedback.adoption_elasticity
