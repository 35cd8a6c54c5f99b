"""The model: a pure function of (scenario, replication) returning records, and its mean-field twin.

``mechanism`` says what a mechanism is; ``mechanisms/`` holds them (users,
following, adoption, ...), each owning its rates, metrics and both views;
``simulation`` runs them in one SimPy environment; ``meanfield`` solves their
expectations; ``population`` lays out the agencies; ``segments`` applies
dated events; ``records`` is what a run returns.
"""

from .mechanism import metric_names, written_metrics
from .meanfield import MeanFieldRecords, meanfield
from .records import Adoptions, RunRecords
from .simulation import simulate

__all__ = ["Adoptions", "MeanFieldRecords", "RunRecords", "meanfield", "metric_names", "simulate",
           "written_metrics"]
