"""The following mechanism's section (:mod:`sim.model.mechanisms.following`): followers of a named account.

``accounts.<account>.platforms.<platform>``: the account's reach among the
platform's micro-bloggers and its follow hazard (a launch burst decaying to
a steady rate).  The account itself (level, province, launch date) is part
of the structure every mechanism shares (:class:`sim.scenario.schema.NamedAccount`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..fields import MAX_DAYS, MAX_RATE, Frozen, Rate, Share



class AccountOnPlatform(Frozen):
    """Following of a named account on one platform.

    Each micro-blogger of the platform within the account's reach who does
    not yet follow it starts following at hazard
    ``steady_rate_per_day + launch_rate_per_day * exp(-age / launch_decay_days)``.
    """

    reach: Share = Field(description="Share of the platform's micro-bloggers who may follow the account.")
    launch_rate_per_day: Rate = Field(description=f"Extra follow hazard at launch, per day (at most {MAX_RATE:,.0f}).")
    launch_decay_days: Annotated[float, Field(gt=0, le=MAX_DAYS, allow_inf_nan=False)] = Field(
        description=f"E-folding time of the launch burst, days (above 0, at most {MAX_DAYS:,})."
    )
    steady_rate_per_day: Rate = Field(description=f"Follow hazard after the burst, per day (at most {MAX_RATE:,.0f}).")


DYNAMIC_PARAMETERS = (
    "accounts.*.platforms.*.reach",
    "accounts.*.platforms.*.launch_rate_per_day",
    "accounts.*.platforms.*.steady_rate_per_day",
)
"""The following parameters a dated event may change."""
