"""Where a sweep's runs execute: the executor every command uses (:mod:`sim.execution`), under its old name."""

from ..execution import DaskCluster, Executor, InProcess, LocalPool, check_address, make_executor

__all__ = ["DaskCluster", "Executor", "InProcess", "LocalPool", "check_address", "make_executor"]
