"""Runs drawn from a posterior over the parameters: parameter uncertainty next to replication noise.

A *posterior directory* (:mod:`.directory`) is what ``bandwagon calibrate``
leaves behind: weighted draws of the free parameters (``posterior.csv``) and
what they mean (``posterior.json``).  :mod:`.draws` decides which draw each
replication takes and turns it into that replication's scenario, so the model
stays a pure function of (scenario, replication) and knows nothing of
posteriors.
"""

from .directory import Posterior, PosteriorParameter, chosen, kish, load_posterior, write_posterior
from .draws import Assignment, DrawnModel, assign, draw_indices, manifest_entry, scenarios_for

__all__ = ["Assignment", "DrawnModel", "Posterior", "PosteriorParameter", "assign", "chosen", "draw_indices",
           "load_posterior", "manifest_entry", "scenarios_for", "write_posterior"]
