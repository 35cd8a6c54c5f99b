"""Figures drawn from saved results: a run's four figures and the comparison of runs.

Every figure has dates on the x axis, its unit on the y axis, the mean with a
band (and a note saying what the band is), the reported figures as markers with
their accepted range, and the enabled events as dotted lines.  Artists carry a
``gid`` naming what they show (``mean:<key>``, ``band:<key>``,
``target:<name>``), so tests can check the data behind a figure, not its
pixels.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Iterable

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..targets import Target
from ..results import series as S
from ..results import effects as E
from ..results.loading import Result
from .style import (BAND_ALPHA, EVENT_COLOUR, LINE_WIDTH, TARGET_COLOUR, TOTAL_COLOUR, colour, format_count_axis,
                    format_date_axis, linestyle, new_figure, note, styled)

FOLLOWERS_DAYS = 28
"""Days after a named account's launch shown in the followers figure."""

TARGET_MARKERS = {"equal": "o", "interval": "D", "at_least": "^", "at_most": "v", "more_than": "^"}
TARGET_LABELS = {"equal": "reported figure \u00b1 tolerance", "interval": "reported figure and range",
                 "at_least": "reported figure (at least)", "at_most": "reported figure (at most)",
                 "more_than": "reported figure (more than; bar: read up to the next round number)"}


# --- what metrics are called ------------------------------------------------------------
def unit(metric: str) -> str:
    """The y-axis unit of a metric."""
    if metric.startswith("gov_accounts."):
        return "verified government accounts"
    if metric.startswith("followers."):
        return "followers"
    if metric.endswith(".se"):
        return "standard error"
    if metric.startswith(("messages.", "backlog.")):
        return "messages"
    if metric.startswith("response_hours."):
        return "response time (hours)"
    if metric.startswith(("appeal.", "utilisation.")):
        return "share"
    return "people"


def platform_label(scenario: dict, platform: str) -> str:
    return ((scenario.get("platforms") or {}).get(platform) or {}).get("label") or platform.capitalize()


def metric_label(metric: str, scenario: dict) -> str:
    """A reader's name for a metric: 'Verified government accounts on Sina Weibo: People's courts'."""
    parts = metric.split(".")
    if metric == "internet_users":
        return "Internet users"
    if metric == "microbloggers":
        return "Micro-bloggers (any platform)"
    if parts[0] == "registered_users" and len(parts) == 2:
        return f"Registered users of {platform_label(scenario, parts[1])}"
    if parts[0] == "gov_accounts" and len(parts) in (2, 3):
        text = f"Verified government accounts on {platform_label(scenario, parts[1])}"
        return text if len(parts) == 2 else f"{text}: {level_label(scenario, parts[2])}"
    if parts[0] == "followers" and len(parts) == 3:
        account = ((scenario.get("accounts") or {}).get(parts[1]) or {}).get("label", parts[1])
        account = account.split(" (")[0]
        where = "all platforms" if parts[2] == "all" else platform_label(scenario, parts[2])
        return f"Followers of {account}, {where}"
    return metric


def level_label(scenario: dict, level: str) -> str:
    return (((scenario.get("agencies") or {}).get("levels") or {}).get(level) or {}).get("label") or level


# --- drawing pieces ----------------------------------------------------------------------
def draw_band(ax: Axes, band: S.Band, label: str, key: str, colour_: str, style: str = "-") -> None:
    """The mean as a line (``gid mean:key``) over its band (``gid band:key``)."""
    if band.end is not None:  # monthly flows: steps over months
        edges = np.append(band.dates, band.end)
        if band.has_band:
            ax.stairs(band.high, edges, baseline=band.low, fill=True, color=colour_, alpha=BAND_ALPHA,
                      linewidth=0, gid=f"band:{key}")
        ax.stairs(band.mean, edges, baseline=None, color=colour_, linestyle=style, linewidth=LINE_WIDTH,
                  label=label, gid=f"mean:{key}")
        return
    if band.has_band:
        ax.fill_between(band.dates, band.low, band.high, color=colour_, alpha=BAND_ALPHA, linewidth=0,
                        gid=f"band:{key}")
    ax.plot(band.dates, band.mean, color=colour_, linestyle=style, linewidth=LINE_WIDTH, label=label,
            gid=f"mean:{key}")


def draw_targets(ax: Axes, items: Iterable[tuple[str, Target]], colours: dict[str, str] | None = None) -> set[str]:
    """Reported figures as markers (``gid target:<name>``) with their accepted range as a bar.

    The bar spans :attr:`Target.bounds`; an open side (at least, at most) has
    no bar on that side and the marker points the open way.  Returns the kinds
    drawn, for :func:`target_legend`.
    """
    kinds = set()
    for name, target in items:
        low, high = target.bounds
        below = max(target.value - low, 0.0) if np.isfinite(low) and low > 0 else 0.0
        above = max(high - target.value, 0.0) if np.isfinite(high) else 0.0
        face = (colours or {}).get(target.metric, TARGET_COLOUR)
        container = ax.errorbar([np.datetime64(target.date, "D")], [target.value], yerr=[[below], [above]],
                                fmt=TARGET_MARKERS[target.kind], color=TARGET_COLOUR, markerfacecolor=face,
                                markeredgecolor=TARGET_COLOUR, markersize=7, capsize=4, elinewidth=1.3,
                                zorder=6, clip_on=False, gid=f"target:{name}")
        container.lines[0].set_gid(f"target:{name}")
        for bars in container.lines[2]:
            bars.set_gid(f"target-range:{name}")
        kinds.add(target.kind)
    return kinds


def target_legend(kinds: set[str]) -> list[Line2D]:
    return [Line2D([], [], marker=TARGET_MARKERS[k], color=TARGET_COLOUR, markerfacecolor="white",
                   linestyle="none", markersize=7, label=TARGET_LABELS[k])
            for k in ("equal", "interval", "at_least", "at_most", "more_than") if k in kinds]


def band_handle(label: str, colour_: str, style: str = "-", band: bool = True) -> tuple | Line2D:
    line = Line2D([], [], color=colour_, linestyle=style, linewidth=LINE_WIDTH, label=label)
    return (Patch(color=colour_, alpha=BAND_ALPHA, linewidth=0), line) if band else line


def event_lines(ax: Axes, events: dict[str, dt.date], label: bool = True) -> None:
    """Dated events as dotted lines, named above the axes (where no curve can hide them)."""
    lo, hi = ax.get_xlim()
    for name, date in events.items():
        ax.axvline(np.datetime64(date, "D"), color=EVENT_COLOUR, linestyle=":", linewidth=1.1, zorder=1,
                   gid=f"event:{name}")
    if label and events:
        top = ax.secondary_xaxis("top")
        top.set_xticks([mdates.date2num(np.datetime64(d, "D")) for d in events.values()],
                       labels=[name.replace("_", " ") for name in events])
        top.tick_params(axis="x", length=3, color=EVENT_COLOUR, labelsize=8, labelcolor=EVENT_COLOUR, pad=1)
        top.spines["top"].set_visible(False)
        top.set_gid("events")
    ax.set_xlim(lo, hi)


def _finish(ax: Axes, unit_: str, start=None, end=None, bottom: float | None = 0) -> None:
    format_date_axis(ax)
    format_count_axis(ax, unit_)
    if start is not None:
        ax.set_xlim(np.datetime64(start, "D"), np.datetime64(end, "D"))
    if bottom is not None:
        ax.set_ylim(bottom=bottom)


def _legend(ax: Axes, handles: list, loc: str = "upper left", **kwargs) -> None:
    labels = [h[1].get_label() if isinstance(h, tuple) else h.get_label() for h in handles]
    ax.legend(handles, labels, loc=loc, **kwargs)


def _legend_beside(ax: Axes, handles: list, **kwargs) -> None:
    """A legend to the right of the axes, where it cannot hide a curve, a band or a reported figure."""
    _legend(ax, handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)


def _per_run(whats: dict[str, list[str]]) -> str:
    """``what`` once if every run's band is the same kind, else each with the runs it applies to."""
    if len(whats) == 1:
        return next(iter(whats))
    return "; ".join(f"{what} for {' / '.join(labels)}" for what, labels in whats.items())


def _no_data(title: str, message: str) -> Figure:
    """A small figure saying what is missing, so a report never has a hole."""
    with styled():
        fig, ax = new_figure(height=2.2)
        ax.set_axis_off()
        ax.set_title(title)
        ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color=EVENT_COLOUR)
    return fig


# --- a run's figures ---------------------------------------------------------------------
def platforms_of(result: Result, prefix: str) -> list[str]:
    """Platforms with a ``<prefix>.<platform>`` metric, in the scenario's order."""
    found = {m.split(".")[1] for m in result.metrics if m.startswith(prefix + ".") and m.count(".") == 1}
    order = list(result.scenario.get("platforms") or {})
    return [p for p in order if p in found] + sorted(found - set(order))


def adoption_figure(result: Result) -> Figure:
    """Verified government accounts per platform: the levels stacked, the total with its band."""
    platforms = platforms_of(result, "gov_accounts")
    title = f"Verified government accounts by level: {result.label}"
    if not platforms:
        return _no_data(title, "no gov_accounts.<platform> metric in this run")
    levels = list(((result.scenario.get("agencies") or {}).get("levels") or {}))
    with styled():
        fig, axes = new_figure(7.5, 5.6, ncols=len(platforms), sharey=True, squeeze=False)
        kinds: set[str] = set()
        level_handles: dict[str, Patch] = {}
        band = None
        for ax, platform in zip(axes[0], platforms):
            total = f"gov_accounts.{platform}"
            present = [lv for lv in levels if f"{total}.{lv}" in result.summary.stats]
            if present:
                stack = [result.summary.stats[f"{total}.{lv}"]["mean"] for lv in present]
                polys = ax.stackplot(result.dates, stack, colors=[colour(i) for i in range(len(present))],
                                     alpha=0.85, edgecolor="white", linewidth=0.4)
                for i, (lv, poly) in enumerate(zip(present, polys)):
                    poly.set_gid(f"stack:{total}.{lv}")
                    level_handles.setdefault(lv, Patch(color=colour(i), alpha=0.85,
                                                       label=level_label(result.scenario, lv)))
            band = S.metric_band(result, total)
            draw_band(ax, band, "all levels: mean", total, TOTAL_COLOUR)
            kinds |= draw_targets(ax, S.plotted_targets(result.targets, [total], result.dates))
            _finish(ax, unit(total) if ax is axes[0][0] else "", result.dates[0], result.dates[-1])
            event_lines(ax, result.events())
            ax.set_title(platform_label(result.scenario, platform), fontweight="normal", fontsize=10)
        handles = [band_handle(f"all levels: mean, {band.what}", TOTAL_COLOUR), *target_legend(kinds)]
        _legend(axes[0][0], handles, loc="upper left")
        levels_shown = list(reversed(list(level_handles.values())))
        explained = textwrap.fill(f"grey band around the total: {band.described}", 110)
        fig.legend(levels_shown, [h.get_label() for h in levels_shown], loc="outside lower center", ncols=2,
                   title=f"{explained}\nstacked areas: mean by level, top first", alignment="left")
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=11)
    return fig


def users_figure(result: Result) -> Figure:
    """Internet users, micro-bloggers and each platform's registered users, in people."""
    metrics = [m for m in ("internet_users", "microbloggers") if m in result.summary.stats]
    metrics += [f"registered_users.{p}" for p in platforms_of(result, "registered_users")]
    title = f"Internet users and micro-bloggers: {result.label}"
    if not metrics:
        return _no_data(title, "no user metrics in this run")
    with styled():
        fig, ax = new_figure()
        colours = {m: colour(i) for i, m in enumerate(metrics)}
        band = None
        for m in metrics:
            band = S.metric_band(result, m)
            draw_band(ax, band, metric_label(m, result.scenario), m, colours[m])
        kinds = draw_targets(ax, S.plotted_targets(result.targets, metrics, result.dates), colours)
        _finish(ax, unit(metrics[0]), result.dates[0], result.dates[-1])
        event_lines(ax, result.events())
        handles = [band_handle(metric_label(m, result.scenario), colours[m]) for m in metrics]
        _legend(ax, handles + target_legend(kinds), loc="best")
        ax.set_title(title)
        note(fig, textwrap.fill(f"Lines: mean; shaded: {band.described}. Marker colour: the curve the figure is "
                                "reported for.", 130))
    return fig


def window(band: S.Band, start, end) -> S.Band:
    """The part of a daily band between ``start`` and ``end`` (inclusive)."""
    keep = (band.dates >= start) & (band.dates <= end)
    cut = (lambda a: a[keep]) if band.has_band else (lambda a: None)
    return S.Band(band.dates[keep], band.mean[keep], cut(band.low), cut(band.high), band.what, holds=band.holds)


def followers_figure(result: Result) -> Figure:
    """Followers of each named account from its launch day on (values at the end of each day)."""
    launches = result.account_launches()
    accounts = [a for a in launches if any(m.startswith(f"followers.{a}.") for m in result.metrics)]
    accounts = [a for a in accounts if result.dates[0] <= np.datetime64(launches[a], "D") <= result.dates[-1]]
    title = f"Followers of the named accounts after launch: {result.label}"
    if not accounts:
        return _no_data(title, "no named account launched within this run's horizon")
    with styled():
        fig, axes = new_figure(7.5, 4.2 if len(accounts) == 1 else 3.0 * len(accounts), nrows=len(accounts),
                               squeeze=False)
        what = ""
        for ax, account in zip(axes[:, 0], accounts):
            launch = np.datetime64(launches[account], "D")
            start, end = launch, min(launch + FOLLOWERS_DAYS, result.dates[-1])
            platforms = [p for p in (result.scenario.get("accounts") or {})[account].get("platforms", {})
                         if f"followers.{account}.{p}" in result.summary.stats]
            metrics = [f"followers.{account}.{p}" for p in platforms]
            colours = {m: colour(i) for i, m in enumerate(metrics)}
            if f"followers.{account}.all" in result.summary.stats:
                metrics.append(f"followers.{account}.all")
                colours[metrics[-1]] = TOTAL_COLOUR
            handles = []
            for m in metrics:
                band = window(S.metric_band(result, m), start, end)
                where = m.rsplit(".", 1)[1]
                label = "all platforms" if where == "all" else platform_label(result.scenario, where)
                draw_band(ax, band, label, m, colours[m])
                handles.append(band_handle(label, colours[m]))
                what = band.described
            kinds = draw_targets(ax, S.plotted_targets(result.targets, metrics, np.arange(start, end + 1)), colours)
            _finish(ax, unit(metrics[0]), start, end)
            _days_axis(ax)
            _legend(ax, handles + target_legend(kinds), loc="lower right")
            label = (result.scenario["accounts"][account].get("label") or account).split(" (")[0]
            ax.set_title(f"Followers of {label}, launched {launches[account]}"
                         + ("" if len(accounts) > 1 else f": {result.label}"))
        note(fig, textwrap.fill(f"Lines: mean at the end of each day from the launch day; shaded: {what}.", 130))
    return fig


def _days_axis(ax: Axes) -> None:
    """A few weeks of dates: weekly ticks reading '28 Nov 2011', so no tick is a bare day number."""
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=7))
    ax.xaxis.set_minor_locator(mdates.DayLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b\n%Y"))


def monthly_figure(result: Result) -> Figure:
    """New verified government accounts per calendar month, per platform."""
    platforms = platforms_of(result, "gov_accounts")
    title = f"New verified government accounts per month: {result.label}"
    if not platforms:
        return _no_data(title, "no gov_accounts.<platform> metric in this run")
    with styled():
        fig, ax = new_figure()
        handles = []
        what = ""
        for i, platform in enumerate(platforms):
            metric = f"gov_accounts.{platform}"
            band = S.monthly_new(result, metric)
            if len(band.dates) == 0:
                continue
            draw_band(ax, band, platform_label(result.scenario, platform), f"monthly:{metric}", colour(i))
            handles.append(band_handle(platform_label(result.scenario, platform), colour(i), band=band.has_band))
            what = band.described
        _finish(ax, "new verified government accounts per month", result.dates[0], result.dates[-1])
        event_lines(ax, result.events())
        _legend(ax, handles)
        ax.set_title(title)
        note(fig, textwrap.fill(f"Steps: mean per calendar month; shaded: {what}." if "no band" not in what
                                else f"Steps: mean per calendar month ({what}).", 130))
    return fig


def interaction_figure(result: Result) -> Figure:
    """Each named account's response times and backlog per platform from its launch on, as weekly averages."""
    launches = result.account_launches()
    accounts = [a for a in launches if any(m.startswith(f"backlog.{a}.") for m in result.metrics)]
    title = f"Answering citizens: {result.label}"
    if not accounts:
        return _no_data(title, "no interaction metrics in this run (the scenario has no interaction section)")
    issues = {name: dt.date.fromisoformat(str(issue["date"])) for name, issue in
              (((result.scenario.get("interaction") or {}).get("hot_issues")) or {}).items()}
    with styled():
        fig, axes = new_figure(7.5, 3.4 * len(accounts) + 0.9, nrows=len(accounts), ncols=2, squeeze=False)
        what = ""
        for row, account in zip(axes, accounts):
            launch = np.datetime64(launches[account], "D")
            start, end = max(launch, result.dates[0]), result.dates[-1]
            platforms = [p for p in (result.scenario.get("accounts") or {})[account].get("platforms", {})
                         if f"backlog.{account}.{p}" in result.summary.stats]
            handles = []
            for i, p in enumerate(platforms):
                label = platform_label(result.scenario, p)
                median = window(S.rolling_band(result, f"response_hours.{account}.{p}.p50"), start, end)
                draw_band(row[0], median, f"{label}: median", f"response_hours.{account}.{p}.p50", colour(i))
                slow = window(S.rolling_band(result, f"response_hours.{account}.{p}.p90"), start, end)
                row[0].plot(slow.dates, slow.mean, color=colour(i), linestyle=":", linewidth=1.4,
                            gid=f"mean:response_hours.{account}.{p}.p90")
                backlog = window(S.rolling_band(result, f"backlog.{account}.{p}"), start, end)
                draw_band(row[1], backlog, label, f"backlog.{account}.{p}", colour(i))
                handles += [band_handle(f"{label}: median", colour(i)),
                            Line2D([], [], color=colour(i), linestyle=":", linewidth=1.4, label=f"{label}: 90th pct.")]
                what = median.what
            name = (result.scenario["accounts"][account].get("label") or account).split(" (")[0]
            _finish(row[0], "response time (hours)", start, end)
            _finish(row[1], "messages", start, end)
            for ax in row:
                event_lines(ax, {k: v for k, v in issues.items() if start <= np.datetime64(v, "D") <= end})
            row[0].set_title(f"{name}: response times", fontweight="normal", fontsize=10)
            row[1].set_title(f"{name}: backlog, end of day", fontweight="normal", fontsize=10)
            _legend(row[0], handles, loc="upper left", fontsize=7, ncols=2)
            row[0].set_ylim(top=row[0].get_ylim()[1] * 1.25)  # room for the legend
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=11)
        note(fig, textwrap.fill(
            f"Weekly averages (trailing 7 days) of each day's median and 90th percentile response time (arrival to "
            f"answer, over the day's answers) and of the end-of-day backlog. Lines: mean over runs; shaded: {what}."
            + (" Dotted verticals: hot issues." if issues else ""), 120))
    return fig


RUN_FIGURES = {
    "adoption": adoption_figure,
    "monthly": monthly_figure,
    "users": users_figure,
    "followers": followers_figure,
    "interaction": interaction_figure,
}
"""A run's figures by file name (``figures/<name>.<format>``), in report order."""

CAPTIONS = {
    "adoption": "Verified government accounts on each platform: the mean by level stacked, the total with its band "
                "and the reported figures.",
    "monthly": "New verified government accounts per calendar month.",
    "users": "Internet users, micro-bloggers (people holding an account on any platform) and each platform's "
             "registered users.",
    "followers": "Followers of the named accounts in the days after their launch.",
    "interaction": "How the named accounts answer citizens: the median and 90th percentile of each day's response "
                   "times, and the messages waiting or in hand at the end of each day.",
}


def run_figures(result: Result) -> dict[str, Figure]:
    return {name: build(result) for name, build in RUN_FIGURES.items()}


# --- comparing runs ----------------------------------------------------------------------
def focus_window(metric: str, results: list[Result]) -> tuple[np.datetime64, np.datetime64]:
    """The days to show: the whole horizon, or the weeks after launch for a named account's followers."""
    start = min(r.dates[0] for r in results)
    end = max(r.dates[-1] for r in results)
    if metric.startswith("followers."):
        account = metric.split(".")[1]
        launches = [np.datetime64(r.account_launches()[account], "D") for r in results
                    if account in r.account_launches()]
        if launches:
            return max(start, min(launches)), min(end, max(launches) + FOLLOWERS_DAYS)
    return start, end


def coinciding(results: list[Result], metric: str) -> list[list[str]]:
    """Groups of runs whose mean curves of ``metric`` are identical on their common days."""
    groups: list[list[Result]] = []
    for r in results:
        for group in groups:
            a = group[0]
            dates = S.common_dates(a, r)
            if len(dates) and np.array_equal(a.summary.stats[metric]["mean"][S.on_days(a.dates, dates)],
                                             r.summary.stats[metric]["mean"][S.on_days(r.dates, dates)]):
                group.append(r)
                break
        else:
            groups.append([r])
    return [[r.label for r in g] for g in groups if len(g) > 1]


def comparison_figure(results: list[Result], metric: str, reference: Result | None = None) -> Figure:
    """``metric`` of several runs on the same axes, each with its 5-95% band, aligned by date.

    With a ``reference``, a second panel shows each other run minus the
    reference with the confidence band of :func:`series.difference`.  Runs
    without the metric are named in the note under the figure, and so are
    runs whose curves coincide (a counterfactual that does not touch the
    metric gives the very same numbers, its random numbers being shared).
    """
    having = [r for r in results if metric in r.summary.stats]
    missing = [r.label for r in results if metric not in r.summary.stats]
    colours = {r.label: colour(i) for i, r in enumerate(results)}
    styles = {r.label: linestyle(i) for i, r in enumerate(results)}
    scenario = having[0].scenario if having else {}
    start, end = focus_window(metric, having or results)
    diff = reference is not None and metric in reference.summary.stats and len(having) > 1
    events: dict[str, dt.date] = {}
    for r in having:
        for name, date in r.events().items():
            if start <= np.datetime64(date, "D") <= end:
                events.setdefault(name, date)
    with styled():
        if diff:
            fig, (ax, dax) = new_figure(9.0, 6.4, nrows=2, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
        else:
            fig, ax = new_figure(9.0, 4.6)
        handles, whats = [], {}
        for r in having:
            band = window(S.metric_band(r, metric), start, end)
            draw_band(ax, band, r.label, f"{metric}:{r.label}", colours[r.label], styles[r.label])
            handles.append(band_handle(r.label, colours[r.label], styles[r.label]))
            whats.setdefault(band.described, []).append(r.label)
        targets = next((r.targets for r in having if r.targets is not None), None)
        kinds = draw_targets(ax, S.plotted_targets(targets, [metric], np.arange(start, end + 1)))
        _finish(ax, unit(metric), start, end)
        event_lines(ax, events)
        _legend_beside(ax, handles + target_legend(kinds), title="mean and band")
        ax.set_title(metric_label(metric, scenario))
        lines = ["Lines: mean; shaded: " + _per_run(whats) + "."]
        if diff:
            dwhat, dhandles = {}, []
            for r in having:
                if r is reference:
                    continue
                band = window(E.difference(r, reference, metric), start, end)
                label = f"{r.label} \u2212 {reference.label}"
                draw_band(dax, band, label, f"difference:{metric}:{r.label}", colours[r.label], styles[r.label])
                dhandles.append(band_handle(label, colours[r.label], styles[r.label], band=band.has_band))
                dwhat.setdefault(band.described, []).append(r.label)
            dax.axhline(0, color=colours[reference.label], linewidth=1.2, linestyle=styles[reference.label],
                        zorder=2)
            _finish(dax, f"difference ({unit(metric).split()[-1]})", start, end, bottom=None)
            low, high = dax.get_ylim()
            if high - low < 2:
                dax.set_ylim(-1, 1)
            event_lines(dax, events, label=False)
            _legend_beside(dax, dhandles)
            dax.set_title(f"Difference from {reference.label} (each run minus {reference.label})",
                          fontweight="normal", fontsize=10)
            lines.append("Lower panel: " + _per_run(dwhat) + ".")
        same = coinciding(having, metric)
        if same:
            groups = "; ".join(" = ".join(g) for g in same)
            lines.append(f"Identical means, drawn on top of each other: {groups}.")
        if missing:
            lines.append(f"Not in {'; '.join(missing)}.")
        note(fig, "\n".join(textwrap.fill(line, 145) for line in lines))
    return fig
