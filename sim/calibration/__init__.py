"""Calibration against reported figures, honest about what they identify.

``bandwagon calibrate SPEC`` in four subpackages, one per concern, in the order
a calibration goes through them, and the pipeline that runs them:

``problem/``   what is calibrated and how a candidate is evaluated
    ``spec``            the calibration spec's file format (experiments/calibrate-*.yaml)
    ``parameters``      free parameters: dotted paths, set or multiply, unit-cube coordinates, priors
    ``problem``         the spec checked against its base scenario and targets (all input errors)
    ``likelihood``      the figures' noise model (Kennedy and O'Hagan 2001): the one likelihood of search and posterior
    ``objective``       targets as a residual vector: deviance residuals, log errors, their uncertainty
    ``models``          evaluating candidates: mean field and stochastic (common random numbers), workers, budget, history
    ``twin``            the compiled (JAX) twin of the problem's base scenario
    ``density``         the posterior density on the twin, evaluated in batches on the workers
    ``bass``            a one-level Bass problem with its closed-form twin (a test bed with known answers)
``fit/``       the best fit and what the figures identify
    ``search``          global stage on the mean field, least-squares refinement on the stochastic model
    ``profiles``        profiles of the objective on the corrected mean field
    ``identifiability`` singular values, flat directions, intervals, verdicts
``bayes/``     the posterior stage
    ``stage``           sample on the twin, correct with the stochastic model -> :class:`~.bayes.stage.Posterior`
    ``split``           which parameters the figures inform (sampled) and which are drawn from their prior
    ``chains``          the Metropolis kernels (multiple-try and random-walk chains in groups)
    ``diagnostics``     convergence and importance weights, from ArviZ
    ``inference``       posterior.nc, an ArviZ InferenceData file
    ``crossvalidation`` leave each binding figure out of a calibration's posterior, score what was reported
    ``sensitivity``     the posterior under the other reading of "more than" and a discrepancy of 0.1 (reweighted)
    ``sbc``             simulation-based calibration of the real calibration (its figures, kinds and sampler)
``report/``    the files a calibration directory holds
    ``report``, ``posterior_report``, ``labels``  report.html and report.md (a :class:`sim.report.content.Report`)
    ``figures``         figures/fit.png, profiles.png, posterior.png
    ``posterior_file``  posterior.csv and posterior.json (the format is :mod:`sim.posterior`'s)
    ``outputs``         every file, written atomically
``pipeline``   the whole calibration as one computation -> :class:`Result`

:mod:`sim.posterior` (a package beside this one) reads and writes a shipped
posterior directory; :mod:`.bayes.stage` is the stage that produces one.
"""

from ..model.meanfield import MeanFieldRecords, meanfield
from .pipeline import Result, calibrate
from .problem.problem import Problem, load_problem

__all__ = ["MeanFieldRecords", "Problem", "Result", "calibrate", "load_problem", "meanfield"]
