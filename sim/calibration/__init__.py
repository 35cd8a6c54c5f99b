"""Calibration against reported figures, honest about what they identify.

One module per stage of the pipeline (``bandwagon calibrate SPEC``):

``spec``             the calibration spec's file format (experiments/calibrate-*.yaml)
``parameters``       free parameters: dotted paths, set or multiply, unit-cube coordinates
``problem``          the spec checked against its base scenario and targets (all input errors)
``objective``        targets as a residual vector: weighted squared log errors, their uncertainty
``meanfield``        the deterministic mean-field model with the engine's parameters (scipy.integrate)
``models``           evaluating candidates: mean field and stochastic (common random numbers), budget, history
``search``           global stage on the mean field, least-squares refinement on the stochastic model
``identifiability``  singular values, flat directions, intervals, verdicts
``profiles``         profiles of the objective on the corrected mean field
``pipeline``         the whole calibration as one computation -> :class:`Result`
``report``, ``figures``, ``outputs``   report.md, fit.png and profiles.png, the files
"""

from ..model.meanfield import MeanFieldRecords, meanfield
from .pipeline import Result, calibrate
from .problem import Problem, load_problem

__all__ = ["MeanFieldRecords", "Problem", "Result", "calibrate", "load_problem", "meanfield"]
