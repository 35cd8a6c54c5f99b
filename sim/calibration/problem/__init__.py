"""What is calibrated and how a candidate is evaluated: the spec, the free parameters, the checked problem,
the likelihood and objective, the models (mean field, stochastic, compiled twin) and the twin's density.

The module table is :mod:`sim.calibration`'s.
"""
