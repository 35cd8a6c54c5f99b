"""The files a calibration directory holds: report.md, the figures, posterior.csv/json, all written atomically.

The module table is :mod:`sim.calibration`'s.
"""
