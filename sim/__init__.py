"""Bandwagon: Chinese government agencies on the micro-blogging bandwagon, 2009-2011.

    >>> from sim import Scenario, simulate
    >>> records = simulate(Scenario.from_yaml("scenarios/baseline.yaml"), replication=0)
"""

from .model import RunRecords, simulate
from .scenario import Scenario
from .versioning import model_version

__version__ = "0.1.0"
"""The package's version; :func:`model_version` adds a hash of the model's source to it."""

__all__ = ["RunRecords", "Scenario", "simulate", "model_version", "__version__"]
