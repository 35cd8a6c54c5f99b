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

These pure functions are used by the engine (on the measured shares, floats)
and the mean-field twin (on its fluid estimates: floats for one scenario,
arrays over a batch of scenarios, with :class:`FeedbackParameters`) alike.
A measure with no messages behind it is None (the engine's spelling) or NaN
(the twin's, member by member in a batch): either leaves its factor at 1.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from ....scenario.schema import Feedback
from ...arithmetic import TINY, batch_of, defined_ratio, divide_where, expm1, fmin, isnan, maximum, where


class FeedbackParameters(NamedTuple):
    """The feedback's parameters as the twin holds them: floats, or arrays over a batch of scenarios."""

    prior_messages: float
    reference_share: float
    elasticity: float
    reference_median_hours: float
    delay_elasticity: float
    unfollow_rate_per_day: float

    @classmethod
    def batch(cls, feedbacks: Sequence[Feedback]) -> "FeedbackParameters":
        return cls(*(batch_of([getattr(f, name) for f in feedbacks]) for name in cls._fields))


def prompt_share(feedback: Feedback | FeedbackParameters, received, prompt):
    """The prompt share followers perceive from ``prompt`` of ``received`` messages; None (NaN in a batch) with
    nothing to go on."""
    total = received + feedback.prior_messages
    if isinstance(prompt, float) or prompt is None or isinstance(prompt, int):
        return defined_ratio(prompt + feedback.prior_messages * feedback.reference_share, total)
    # Arrays: an unknown prompt count (NaN) is replaced before the arithmetic and restored after it (NaN in the
    # arithmetic would reach the compiled twin's gradients).
    known = ~isnan(prompt) & (total > 0)
    return divide_where(where(known, prompt, 0.0) + feedback.prior_messages * feedback.reference_share, total,
                        known, float("nan"))


def appeal(feedback: Feedback | FeedbackParameters, prompt_share, median_hours):
    """The multiplier of the follow hazard; a measure that is None or NaN has no messages behind it (factor 1).

    A NaN measure is replaced by the reference before the arithmetic, which gives the same factor 1 and keeps
    NaN out of the compiled twin's gradients."""
    value = 1.0
    if prompt_share is not None:
        share = where(isnan(prompt_share), feedback.reference_share, prompt_share)
        value = value * fmin(share / feedback.reference_share, 1.0) ** feedback.elasticity
    if median_hours is not None:  # a median of 0 (never measured so) counts as prompt
        median = where(isnan(median_hours), feedback.reference_median_hours, maximum(median_hours, TINY))
        value = value * fmin(feedback.reference_median_hours / median, 1.0) ** feedback.delay_elasticity
    return value


def unfollow_probability(feedback: Feedback | FeedbackParameters, appeal_, dt: float = 1.0):
    """Probability that one follower stops following within ``dt`` days at this appeal."""
    return -expm1(-feedback.unfollow_rate_per_day * (1.0 - appeal_) * dt)


def adoption_multiplier(feedback: Feedback, prompt_share: float | None) -> float:
    """Optional: a level's adoption hazard multiplier from its accounts' prompt share (1 when off)."""
    if prompt_share is None or feedback.adoption_elasticity == 0:
        return 1.0
    return (max(prompt_share, 1e-9) / feedback.reference_share) ** feedback.adoption_elasticity
