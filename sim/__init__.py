"""Bandwagon: Chinese government agencies on the micro-blogging bandwagon, 2009-2011.

    >>> from sim import Scenario, simulate
    >>> records = simulate(Scenario.from_yaml("scenarios/baseline.yaml"), replication=0)
"""

from .model import RunRecords, simulate
from .scenario import Scenario
from .versioning import __version__, model_version

__all__ = ["RunRecords", "Scenario", "simulate", "model_version", "__version__"]
