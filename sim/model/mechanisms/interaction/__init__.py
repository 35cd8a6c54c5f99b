"""The interaction loop: citizens write to government accounts, staff answer, responsiveness earns followers."""

from ...mechanism import Definition
from .compiled import InteractionCompiled
from .engine import Interaction
from .meanfield import InteractionMeanField
from .metrics import float_metrics, metric_names

MECHANISM = Definition(name="interaction", order=40, metric_names=metric_names, engine=Interaction,
                       meanfield=InteractionMeanField, float_metrics=float_metrics,
                       reads=("users.registered", "following.followers", "adoption.opened_since"),
                       sets=("following.appeal", "following.unfollow", "adoption.multiplier"),
                       compiled=InteractionCompiled)
