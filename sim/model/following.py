"""Followers of named government accounts (e.g. Shanghai City).

The article's theme is interaction: an account that answers people earns
followers.  A named account's audience on platform ``k`` is the share
``reach`` of the platform's micro-bloggers; each of them who does not yet
follow starts following at hazard

    steady_rate_per_day + launch_rate_per_day * exp(-age / launch_decay_days)

a burst at launch (press coverage, novelty) decaying to a steady rate set by
how active and responsive the account is; saturation comes from the finite
audience.  The daily step draws ``Binomial(audience - followers,
1 - exp(-integral of the hazard over the day))``, exact for a given audience,
which itself moves only once a day (see :mod:`.users`).  Followers therefore
never exceed the platform's micro-bloggers.
"""

from __future__ import annotations

import math

import numpy as np

from ..scenario.schema import Scenario


class FollowerBook:
    """Follower counts of every named account on every platform it is on."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator, launch_days: dict[str, int]):
        self.rng = rng
        self.entries = [
            (account, platform)
            for account, spec in scenario.accounts.items()
            for platform in spec.platforms
        ]
        self.launch_day = {account: launch_days[account] for account in scenario.accounts}
        self.followers = {entry: 0 for entry in self.entries}
        self.open: set[str] = set()
        self.load(scenario)

    def load(self, scenario: Scenario) -> None:
        self.params = {
            (account, platform): scenario.accounts[account].platforms[platform]
            for account, platform in self.entries
        }

    def launch(self, account: str) -> None:
        self.open.add(account)

    def step(self, day: int, users_by_platform: dict[str, int], dt: float = 1.0) -> None:
        """Draw the new followers of every open account over ``[day, day + dt)``."""
        for entry in self.entries:
            account, platform = entry
            if account not in self.open:
                continue
            spec = self.params[entry]
            audience = int(spec.reach * users_by_platform[platform])
            remaining = audience - self.followers[entry]
            if remaining <= 0:
                continue
            age = day - self.launch_day[account]
            tau = spec.launch_decay_days
            burst = spec.launch_rate_per_day * tau * (math.exp(-age / tau) - math.exp(-(age + dt) / tau))
            exposure = spec.steady_rate_per_day * dt + burst
            self.followers[entry] += int(self.rng.binomial(remaining, -math.expm1(-exposure)))
