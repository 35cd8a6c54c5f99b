"""Calibration against reported figures, honest about what they identify.

One module per stage of the pipeline (``bandwagon calibrate SPEC``):

``spec``             the calibration spec's file format (experiments/calibrate-*.yaml)
``parameters``       free parameters: dotted paths, set or multiply, unit-cube coordinates
``problem``          the spec checked against its base scenario and targets (all input errors)
``likelihood``       the figures' noise model (Kennedy and O'Hagan 2001): the one likelihood of search and posterior
``objective``        targets as a residual vector: deviance residuals, log errors, their uncertainty
``meanfield``        the deterministic mean-field model with the engine's parameters (scipy.integrate)
``models``           evaluating candidates: mean field and stochastic (common random numbers), budget, history
``search``           global stage on the mean field, least-squares refinement on the stochastic model
``identifiability``  singular values, flat directions, intervals, verdicts
``profiles``         profiles of the objective on the corrected mean field
``density``          the posterior density on the mean-field twin, evaluated in batches on the workers
``split``            which parameters the figures inform (sampled) and which are drawn from their prior
``chains``           independent groups of multiple-try Metropolis chains on the batched twin
``diagnostics``      rank R-hat, bulk and tail ESS, Pareto k-hat (ArviZ)
``posterior``        the posterior stage: sample on the twin, correct with the stochastic model
``crossvalidation``  leave each binding figure out of a calibration's posterior, predict what was reported
``sbc``              simulation-based calibration of the real calibration (its figures, kinds and sampler)
``bass``             a one-level Bass problem with its closed-form twin (a test bed with known answers)
``pipeline``         the whole calibration as one computation -> :class:`Result`
``report``, ``posterior_report``, ``report_format``, ``figures``, ``outputs``, ``posterior_file``
                     report.md, fit.png, profiles.png, posterior.png, posterior.csv/json, the files
"""

from ..model.meanfield import MeanFieldRecords, meanfield
from .pipeline import Result, calibrate
from .problem import Problem, load_problem

__all__ = ["MeanFieldRecords", "Problem", "Result", "calibrate", "load_problem", "meanfield"]
