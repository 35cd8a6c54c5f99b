"""The posterior stage: the chains on the twin, their diagnostics, the correction with the stochastic model,
posterior.nc, cross-validation and simulation-based calibration.

The module table is :mod:`sim.calibration`'s.
"""
