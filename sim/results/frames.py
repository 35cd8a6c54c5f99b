"""Replications as pandas frames: the model's records in the shape a notebook wants.

One row per replication and day, one column per metric (the names of
:func:`sim.model.metric_names`), indexed by ``(replication, date)``, so that

* ``frame["gov_accounts.sina"].unstack("replication")`` is a day x replication table to plot;
* ``frame.groupby(level="date").quantile([0.05, 0.95])`` is the 5-95% band ``summary.csv`` holds;
* ``frame.xs("2011-10-31", level="date")`` is every replication on one day.

Counts stay integers and hours or shares floats (NaN where undefined), as in
the run's tables.  ``frame.attrs`` says where the numbers come from (scenario,
seed, model version) and what their spread holds.  pandas is an optional
dependency (the ``notebook`` extra); nothing else in the package needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..model import RunRecords

if TYPE_CHECKING:
    import pandas


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("results as a pandas frame need pandas: pip install -e '.[notebook]'") from None
    return pandas


def frame(runs: Sequence[RunRecords], **attrs) -> "pandas.DataFrame":
    """The replications ``runs`` (one scenario's, any replication indices) as one frame.

    ``attrs`` are stored in ``frame.attrs`` (e.g. ``holds``: what the spread of the replications holds).
    """
    pd = _pandas()
    if not runs:
        raise ValueError("expected at least one replication")
    dates = runs[0].dates()
    metrics = list(runs[0].metrics)
    index = pd.MultiIndex.from_product([[run.replication for run in runs], pd.DatetimeIndex(dates)],
                                       names=["replication", "date"])
    columns = {metric: np.concatenate([run.metrics[metric] for run in runs]) for metric in metrics}
    table = pd.DataFrame(columns, index=index)
    table.columns.name = "metric"
    table.attrs.update({"scenario": runs[0].scenario, "seed": runs[0].seed, **attrs})
    return table
