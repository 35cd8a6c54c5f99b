"""One look for every figure: colour-blind-safe colours, readable at README size.

Colours are the Okabe-Ito palette (Okabe and Ito 2008, "Color Universal
Design"), distinguishable under the common colour-vision deficiencies; where a
figure needs more series than the palette has colours, line styles tell them
apart.  Figures are built with :class:`matplotlib.figure.Figure` directly,
never pyplot, so nothing depends on a display or on global state (the Agg
canvas is attached explicitly); :func:`styled` applies the rc settings only
inside its block.

Sizes: a 7.5-inch figure saved at 150 dpi is 1125 pixels wide; shown at the
README's width (about 830 pixels) 10-point text is still about 15 pixels high.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Iterator

import matplotlib as mpl
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..output.atomic import write_bytes

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
"""Blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black."""
LINESTYLES = ("-", "--", "-.", (0, (6, 1.5, 1, 1.5, 1, 1.5)))
TARGET_COLOUR = "#000000"
EVENT_COLOUR = "#555555"
TOTAL_COLOUR = "#000000"
BAND_ALPHA = 0.22
LINE_WIDTH = 1.9
FORMATS = ("png", "svg", "pdf")

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


@contextlib.contextmanager
def styled() -> Iterator[None]:
    with mpl.rc_context(RC):
        yield


def new_figure(width: float = 7.5, height: float = 4.2, **subplots) -> tuple[Figure, Axes]:
    """A figure with an Agg canvas and its axes (``subplots`` as for :meth:`Figure.subplots`)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots(**subplots)
    return fig, ax


def colour(i: int) -> str:
    """The ``i``-th series colour (black is kept for totals and reported figures)."""
    return OKABE_ITO[i % (len(OKABE_ITO) - 1)]


def linestyle(i: int) -> str:
    """Line style of the ``i``-th compared run: colour and dashes both tell runs apart, so
    curves that coincide stay visible and the figure survives greyscale printing."""
    return LINESTYLES[i % len(LINESTYLES)]


def si_count(value: float, _pos=None) -> str:
    """Counts with k / M / bn suffixes: 20k, 1.5M, 500M."""
    sign = "\u2212" if value < 0 else ""
    value = abs(value)
    for factor, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            text = f"{value / factor:.1f}".rstrip("0").rstrip(".")
            return f"{sign}{text}{suffix}"
    return f"{sign}{value:g}"


def format_date_axis(ax: Axes, maxticks: int = 9) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=maxticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def format_count_axis(ax: Axes, label: str) -> None:
    """Counts on the y axis, labelled with their unit (people, accounts, followers)."""
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(si_count))
    ax.set_ylabel(label)


def note(fig: Figure, text: str) -> None:
    """A small grey line of explanation under the axes (what a band is, what is missing)."""
    fig.supxlabel(text, fontsize=8, color=EVENT_COLOUR, x=0.01, ha="left")


def render(fig: Figure, fmt: str = "png") -> bytes:
    """The figure as bytes in ``fmt`` (png, svg or pdf), without volatile metadata."""
    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
    buffer = io.BytesIO()
    with styled():
        fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def save(fig: Figure, path: str | Path, fmt: str = "png") -> None:
    write_bytes(path, render(fig, fmt))
