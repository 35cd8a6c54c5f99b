"""The best fit and what the figures identify: the search, profiles of the objective, identifiability.

The module table is :mod:`sim.calibration`'s.
"""
