"""Bandwagon: Chinese government agencies on the micro-blogging bandwagon, 2009-2011.

    >>> from sim import Scenario, simulate
    >>> records = simulate(Scenario.from_yaml("scenarios/baseline.yaml"), replication=0)
"""

from .model import RunRecords, simulate
from .scenario import Scenario

__version__ = "0.1.0"

__all__ = ["RunRecords", "Scenario", "simulate", "__version__"]
