"""Scenario files: format (:mod:`.schema`), loading (:mod:`.loading`), dotted paths (:mod:`.paths`)."""

from .schema import NATIONAL, Scenario

__all__ = ["NATIONAL", "Scenario"]
