"""One executor for every command that runs the model: ``run``, ``calibrate`` and ``sweep``.

``base``     the interface: an ordered ``map`` (replications, calibration candidates; optional chunks
             for many short tasks) and an unordered ``imap_unordered`` (sweeps), both with a bounded
             number of tasks in flight; an initializer that builds shared context once per worker
``context``  that context, kept per executor in each worker and handed to its tasks (:func:`task_context`)
``local``    in-process (one worker) and a pool of local processes
``cluster``  Dask: a LocalCluster (``--scheduler local``) or a running scheduler (``tcp://host:port``)
``options``  ``--workers`` and ``--scheduler`` for the command line, and :func:`make_executor`

    from sim.execution import make_executor

    with make_executor(scheduler=None, workers=2) as executor:
        runs = list(executor.map(simulate_replication, tasks))          # in task order

Tasks are pure functions of their arguments, so results do not depend on
the executor, the number of workers or the order tasks finish in.
"""

from .base import Executor, default_workers
from .context import NoContext, task_context
from .cluster import DaskCluster, check_address
from .local import InProcess, LocalPool
from .options import add_arguments, check_arguments, executor_from, make_executor

__all__ = ["DaskCluster", "Executor", "InProcess", "LocalPool", "NoContext", "add_arguments", "check_address",
           "check_arguments", "default_workers", "executor_from", "make_executor", "task_context"]
