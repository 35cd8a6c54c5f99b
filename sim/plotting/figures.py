"""Figures drawn from a run's :class:`~sim.output.tables.Summary`."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..output.tables import Summary
from ..targets import Target, Targets
from .style import EVENT_COLOUR, OKABE_ITO, TARGET_COLOUR, format_count_axis, format_date_axis, new_figure, styled


def band(ax: Axes, summary: Summary, metric: str, label: str, colour: str) -> None:
    """Mean line and 5-95% band of one metric."""
    stats = summary.stats[metric]
    ax.fill_between(summary.dates, stats["p05"], stats["p95"], color=colour, alpha=0.25, linewidth=0)
    ax.plot(summary.dates, stats["mean"], color=colour, label=label, linewidth=1.8)


def target_markers(ax: Axes, targets: Iterable[Target], label: str = "reported figure") -> None:
    """Reported figures as markers, with their accepted range as error bars."""
    first = True
    for target in targets:
        low, high = target.bounds
        high = target.value * 1.25 if not np.isfinite(high) else high
        marker = {"at_least": "^", "at_most": "v"}.get(target.kind, "o")
        ax.errorbar([np.datetime64(target.when, "D")], [target.value],
                    yerr=[[max(target.value - low, 0)], [max(high - target.value, 0)]],
                    fmt=marker, color=TARGET_COLOUR, markersize=6, capsize=3, zorder=5,
                    label=label if first else None)
        first = False


def event_lines(ax: Axes, events: dict[str, dt.date]) -> None:
    for name, date in events.items():
        ax.axvline(np.datetime64(date, "D"), color=EVENT_COLOUR, linestyle=":", linewidth=1)
        ax.annotate(name.replace("_", " "), xy=(np.datetime64(date, "D"), 1), xycoords=("data", "axes fraction"),
                    xytext=(-3, -3), textcoords="offset points", ha="right", va="top", fontsize=8,
                    color=EVENT_COLOUR, rotation=90)


def adoption_figure(summary: Summary, title: str, targets: Targets | None = None,
                    events: dict[str, dt.date] | None = None) -> Figure:
    """Verified government accounts per platform: mean, 5-95% band, reported figures."""
    metrics = [m for m in summary.metrics if m.startswith("gov_accounts.") and m.count(".") == 1]
    with styled():
        fig, ax = new_figure()
        for colour, metric in zip(OKABE_ITO, metrics):
            band(ax, summary, metric, metric.split(".", 1)[1].capitalize(), colour)
        if targets is not None:
            shown = [t for t in targets.targets.values()
                     if t.metric in metrics and summary.dates[0] <= np.datetime64(t.when, "D") <= summary.dates[-1]]
            target_markers(ax, shown)
        if events:
            event_lines(ax, events)
        format_date_axis(ax)
        format_count_axis(ax, "verified government accounts")
        ax.set_title(title)
        ax.legend(loc="upper left", title=f"mean and 5-95% band of {summary.replications} runs"
                  if summary.replications else None)
        ax.set_ylim(bottom=0)
    return fig
