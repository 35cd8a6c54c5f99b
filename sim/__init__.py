"""Bandwagon: Chinese government agencies on the micro-blogging bandwagon, 2009-2011.

The public API, what a notebook needs (everything else is the machinery of
the ``bandwagon`` commands):

    from sim import load_scenario, replicate
    scenario = load_scenario("scenarios/baseline.yaml").with_overrides({"events.policy_push.enabled": False})
    runs = replicate(scenario, 4)        # pandas: (replication, date) x metric

* scenarios: :func:`load_scenario` (a file, checked as ``bandwagon run`` checks
  it), :class:`Scenario` (``from_yaml``, ``with_overrides``, ``to_dict``);
* the model: :func:`simulate` (one replication's :class:`RunRecords`),
  :func:`replicate` (replications as a pandas frame), :func:`meanfield` (the
  deterministic twin), :func:`model_version`;
* saved results: :func:`load_result` (a directory ``bandwagon run`` wrote).
"""

from .inputs import load_scenario
from .model import RunRecords, meanfield, simulate
from .results import load_result
from .runner import replicate
from .scenario import Scenario
from .versioning import __version__, model_version

__all__ = ["RunRecords", "Scenario", "load_result", "load_scenario", "meanfield", "model_version", "replicate",
           "simulate", "__version__"]
