"""Government agencies opening verified micro-blog accounts.

The hazard is defined once, in :mod:`.hazard`; the engine races the agencies
to accounts exactly (:mod:`.race`, :mod:`.order`, wired into a run by
:mod:`.engine`), the agent view makes every agency a SimPy process that
opens its accounts by thinning (:mod:`.agents`; ``engine: agents``), and the
twin solves the same hazard's mean-field ODE (:mod:`.meanfield`), also stepped
a day at a time in the compiled twin (:mod:`.compiled`).  The synthetic
population the agencies come from is
:mod:`sim.model.population`.
"""

from ...mechanism import Definition
from .agents import AgencyProcesses
from .compiled import AdoptionCompiled
from .engine import Adoption
from .hazard import metric_names
from .meanfield import AdoptionMeanField

MECHANISM = Definition(name="adoption", order=30, metric_names=metric_names, engine=Adoption,
                       meanfield=AdoptionMeanField, reads=("users.registered",), inputs=("multiplier",),
                       agents=AgencyProcesses, compiled=AdoptionCompiled)
