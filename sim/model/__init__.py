"""The model: a pure function of (scenario, replication) returning records.

``population`` lays out the agencies, ``adoption`` races them to accounts,
``users`` moves the aggregate populations, ``following`` grows named
accounts' followers, ``simulation`` wires them into one SimPy run.
"""

from .records import Adoptions, RunRecords
from .simulation import simulate

__all__ = ["Adoptions", "RunRecords", "simulate"]
