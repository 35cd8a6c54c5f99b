"""Subcommands of ``bandwagon``: one module each, discovered by :mod:`sim.cli`.

A module defines ``register(subparsers)``, which adds its parser and sets
``handler`` to a function of the parsed arguments returning the exit status,
and optionally ``ORDER`` (its place in ``bandwagon --help``).
"""
