"""One look for every figure: colour-blind-safe colours, readable at README size.

Colours are the Okabe-Ito palette (Okabe and Ito 2008), distinguishable under
the common colour-vision deficiencies.  Figures are built with
:class:`matplotlib.figure.Figure` directly, never pyplot, so nothing depends
on a display or on global state; :func:`styled` applies the rc settings only
inside its block.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import matplotlib as mpl
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
TARGET_COLOUR = "#000000"
EVENT_COLOUR = "#555555"

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
}


@contextlib.contextmanager
def styled() -> Iterator[None]:
    with mpl.rc_context(RC):
        yield


def new_figure(width: float = 7.5, height: float = 4.2, **subplots) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.subplots(**subplots)
    return fig, ax


def si_count(value: float, _pos=None) -> str:
    """Counts with k / M suffixes: 20k, 1.5M, 500M."""
    for factor, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            text = f"{value / factor:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:g}"


def format_date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def format_count_axis(ax: Axes, label: str) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(si_count))
    ax.set_ylabel(label)
