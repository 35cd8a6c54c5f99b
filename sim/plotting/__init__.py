"""Figures from saved results, in one shared look.

``style``    the look: Okabe-Ito colours, rc settings, axis formats, rendering (Agg, never pyplot)
``results``  run and sweep-point directories read back (summary, manifest, timeseries on demand)
``series``   the data behind a figure: means, 5-95% bands, monthly flows, differences between runs
``figures``  a run's figures and the comparison figure, drawn from ``series``
"""
