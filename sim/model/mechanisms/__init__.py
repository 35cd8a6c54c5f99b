"""The model's mechanisms, one module each (see :mod:`sim.model.mechanism`).

Every module here defines ``MECHANISM``; modules whose name starts with an
underscore are helpers, not mechanisms.
"""
