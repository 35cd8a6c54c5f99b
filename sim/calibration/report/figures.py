"""``fit.png`` and ``profiles.png``: the fitted curves against the targets, the profiles."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from ...plotting.style import OKABE_ITO, TARGET_COLOUR, format_count_axis, format_date_axis, new_figure, si_count, styled
from ..fit.identifiability import critical
from ..pipeline import Result
from ..bayes.stage import prior_draws, width_ratios

GROUPS = {"internet_users": "users", "microbloggers": "users", "registered_users": "users"}
TITLES = {"gov_accounts": "Government accounts", "users": "Internet users and micro-bloggers",
          "followers": "Followers of named accounts"}
LABELS = {"gov_accounts": "accounts", "users": "people", "followers": "followers"}


def _group(metric: str) -> str:
    family = metric.split(".")[0]
    return GROUPS.get(family, family)


def _label(scenario, metric: str) -> str:
    """A reader's name for a metric: platform and account labels from the scenario."""
    parts = metric.split(".")

    def platform(name: str) -> str:
        return scenario.platforms[name].label if name in scenario.platforms else name

    if parts[0] == "gov_accounts":
        level = f", {scenario.agencies.levels[parts[2]].label.lower()}" if len(parts) > 2 else ""
        return platform(parts[1]) + level
    if parts[0] == "registered_users":
        return f"registered on {platform(parts[1])}"
    if parts[0] == "followers":
        account = scenario.accounts[parts[1]].label.split(" (")[0] if parts[1] in scenario.accounts else parts[1]
        return f"{account}, {'all platforms' if parts[2] == 'all' else platform(parts[2])}"
    return {"internet_users": "internet users", "microbloggers": "micro-bloggers (any platform)"}.get(metric, metric)


def _panels(result: Result) -> list[tuple[str, list[str], bool]]:
    """(group, metrics, log scale): one panel per group, plus a log-scale one where targets span decades."""
    groups: dict[str, list[str]] = {}
    for metric in result.problem.targets.metrics:
        groups.setdefault(_group(metric), []).append(metric)
    panels = []
    for group, metrics in groups.items():
        panels.append((group, metrics, False))
        values = [t.value for t in result.problem.targets.targets if t.metric in metrics]
        if min(values) < 0.01 * max(values):
            panels.append((group, metrics, True))
    return panels


def fit_figure(result: Result) -> Figure:
    """Every target metric: stochastic mean and 5-95% band, mean field, the targets with their tolerance."""
    problem = result.problem
    panels = _panels(result)
    cols = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / cols)
    R = len(problem.replications)
    with styled():
        fig, axes = new_figure(width=11 if cols == 2 else 7.5, height=3.6 * rows + 0.5, nrows=rows, ncols=cols,
                               squeeze=False)
        dates = result.meanfield.dates()
        for ax, (group, metrics, log) in zip(axes.flat, panels):
            first = len(dates) - 1
            for colour, metric in zip(OKABE_ITO, metrics):
                runs = result.series.get(metric)
                mf = result.meanfield.metrics[metric]
                label = _label(problem.base, metric)
                if runs is not None:
                    d = dates[: runs.shape[1]]
                    p5, p95 = np.percentile(runs, [5, 95], axis=0)
                    mean = runs.mean(axis=0)
                    ax.fill_between(d, np.maximum(p5, 0.5) if log else p5, p95, color=colour, alpha=0.25, linewidth=0)
                    ax.plot(d, mean, color=colour, linewidth=1.8, label=label)
                    nonzero = np.flatnonzero(mean > 0)
                else:
                    nonzero = np.flatnonzero(mf > 0)
                ax.plot(dates, mf, color=colour, linewidth=1.2, linestyle="--")
                if nonzero.size:
                    first = min(first, int(nonzero[0]))
            shown = [t for t in problem.targets.targets if t.metric in metrics]
            _targets(ax, shown, log, lambda metric, day: _curve_at(result, metric, day))
            span = len(dates) - first
            ax.set_xlim(dates[max(0, first - max(3, span // 20))], dates[-1])
            if log:
                ax.set_yscale("log")
                ax.set_ylim(bottom=0.5)
                ax.yaxis.set_major_formatter(FuncFormatter(si_count))
                ax.set_ylabel(f"{LABELS.get(group, 'count')} (log scale)")
            else:
                format_count_axis(ax, LABELS.get(group, "count"))
                ax.set_ylim(bottom=0)
            format_date_axis(ax)
            title = TITLES.get(group, group)
            ax.set_title(title + (" (log scale: the early phase)" if log else ""))
            handles, labels = ax.get_legend_handles_labels()
            handles += [Line2D([], [], color="#555555", linewidth=1.8), Line2D([], [], color="#555555", linewidth=1.2,
                                                                                 linestyle="--")]
            labels += [f"stochastic mean (band: 5-95% of {R} runs)", "mean field"]
            ax.legend(handles, labels, loc="upper left" if group in ("followers", "gov_accounts") and not log else "best",
                      fontsize=8)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        fig.suptitle(f"Calibration {problem.name}: the fitted model against the reported figures\n"
                     f"(black markers; bars: the accepted range)", fontsize=10)
    return fig


def _curve_at(result: Result, metric: str, day) -> float:
    """The fitted curve (stochastic mean, or the mean field) of ``metric`` at the end of ``day``."""
    index = (day - result.meanfield.start).days
    runs = result.series.get(metric)
    if index < 0:
        return 0.0
    if runs is not None and index < runs.shape[1]:
        return float(runs[:, index].mean())
    return float(result.meanfield.metrics[metric][index])


def _targets(ax, targets, log: bool, curve_at) -> None:
    """The figures as markers; a flow figure (a change over a period) is drawn as the rise it asks for, from
    the fitted curve's value the day before its period starts."""
    labels = set()
    for t in targets:
        low, high = t.bounds
        when = np.datetime64(t.when, "D")
        offset = 0.0 if t.date is not None else curve_at(t.metric, t.dates_needed()[0])
        marker = "s" if t.date is None else {"at_least": "^", "at_most": "v", "interval": "D",
                                             "more_than": "^"}.get(t.kind, "o")
        label = ("flow figure: the rise over its period, from the curve at its start" if t.date is None else
                 {"at_least": "reported figure: at least", "at_most": "reported figure: at most",
                  "interval": "reported figure: a range",
                  "more_than": "reported figure: more than (bar: up to the next round number)"}
                 .get(t.kind, "reported figure (bar: its tolerance)"))
        value = offset + t.value
        top = offset + high if math.isfinite(high) else value * (3.0 if log else 1.15)
        bottom = max(offset + low, 0.5) if log else offset + low
        ax.errorbar([when], [value], yerr=[[max(value - bottom, 0)], [max(top - value, 0)]], fmt=marker,
                    color=TARGET_COLOUR, markersize=6, capsize=3, zorder=5, label=None if label in labels else label)
        labels.add(label)


def profiles_figure(result: Result) -> Figure:
    """Profile of the objective (chi^2 in noise units) over each parameter's range."""
    problem, ident = result.problem, result.identifiability
    space = problem.space
    n = len(space)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    zc, threshold = critical(problem.spec.analysis.level)
    level = problem.spec.analysis.level
    with styled():
        fig, axes = new_figure(width=3.7 * cols, height=2.9 * rows + 0.6, nrows=rows, ncols=cols, squeeze=False)
        for ax, p, verdict in zip(axes.flat, space, ident.parameters):
            prof = result.profiles.get(p.name)
            colour = {"identified": OKABE_ITO[2], "weakly identified": OKABE_ITO[1]}.get(verdict.verdict, OKABE_ITO[3])
            if prof is not None:
                x = np.array([p.value(g) for g in prof.grid])
                ax.plot(x, np.maximum(prof.delta, 0.0), marker="o", markersize=3, color=colour, linewidth=1.5)
                if prof.interval is not None:
                    ax.axvspan(p.value(prof.interval[0]), p.value(prof.interval[1]), color=colour, alpha=0.15,
                               linewidth=0, label=f"profile {level:.0%} interval")
            else:
                ax.text(0.5, 0.5, "no profile\n(time budget)", transform=ax.transAxes, ha="center", va="center")
            ax.axhline(threshold, color="#555555", linestyle=":", linewidth=1, label=f"{level:.0%} threshold")
            ax.axvline(verdict.value, color=TARGET_COLOUR, linewidth=1, label="fitted")
            ax.errorbar([verdict.value], [0.94], xerr=[[verdict.value - verdict.low], [verdict.high - verdict.value]],
                        fmt="none", ecolor=TARGET_COLOUR, capsize=3, linewidth=1.5, label="linearised interval",
                        transform=ax.get_xaxis_transform(), clip_on=False, zorder=6)
            if p.log:
                ax.set_xscale("log")
                decades = math.log10(p.high / p.low)
                ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0,) if decades > 1.5 else (1.0, 2.0, 5.0)))
                ax.xaxis.set_minor_formatter(NullFormatter())
            else:
                ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.set_xlim(p.low, p.high)
            ax.set_yscale("symlog", linthresh=threshold)
            top = max(4 * threshold, float(np.nanmax(prof.delta)) * 2 if prof is not None else 0.0)
            ax.set_ylim(-0.05 * threshold, top)
            if p.dated:
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos, p=p: p.show(v)[5:]))
            else:
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: si_count(v) if abs(v) >= 1000 else f"{v:g}"))
            unit = "x base" if p.apply == "multiply" and "(x)" not in p.label else ""
            ax.set_xlabel(f"{p.label} {unit}".strip())
            ax.set_ylabel("profile delta chi^2")
            ax.set_title(f"{p.label}: {verdict.verdict}", fontsize=9.5, color=colour)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        if n < rows * cols:  # the legend in the first empty slot
            spare = list(axes.flat)[n]
            spare.set_visible(True)
            spare.axis("off")
            spare.legend(handles, labels, loc="center", fontsize=9)
        else:
            fig.legend(handles, labels, loc="lower center", ncols=4, fontsize=8)
        fig.suptitle(f"Calibration {problem.name}: profiles of the objective (chi^2 in units of the targets' "
                     f"uncertainty,\nminimised over the other parameters on the mean field corrected at the fit)",
                     fontsize=9.5)
    return fig


def posterior_figure(result: Result) -> Figure:
    """Corner plot of the posterior: each parameter's marginal against its prior on the diagonal, each pair's
    joint density below it, in unit coordinates of the ranges (ticks labelled with values)."""
    posterior = result.posterior
    space = result.problem.space
    total = posterior.weights.sum()
    z, w = posterior.z, (posterior.weights / total if total > 0 else np.full(len(posterior.z), 1 / len(posterior.z)))
    prior = prior_draws(space)
    shown = _narrowed(z, w, prior)
    z, prior = z[:, shown], prior[:, shown]
    parameters = [space.parameters[i] for i in shown]
    left = len(space) - len(shown)
    n = len(shown)
    bins = np.linspace(0.0, 1.0, 21)
    size = max(0.8, min(1.6, 16.0 / n))
    with styled():
        fig, axes = new_figure(width=size * n + 1.2, height=size * n + 1.4, nrows=n, ncols=n, squeeze=False)
        fig.set_layout_engine(None)
        fig.subplots_adjust(left=0.12, right=0.99, bottom=0.08, top=0.95, wspace=0.08, hspace=0.08)
        for i in range(n):
            for j in range(n):
                ax = axes[i, j]
                if j > i:
                    ax.set_visible(False)
                    continue
                if i == j:
                    ax.hist(prior[:, i], bins=bins, density=True, histtype="step", color="#777777", linewidth=1,
                            label="prior")
                    ax.hist(z[:, i], bins=bins, weights=w, density=True, color=OKABE_ITO[0], alpha=0.6,
                            label="posterior")
                    ax.set_yticks([])
                else:
                    h, _, _ = np.histogram2d(z[:, j], z[:, i], bins=bins, weights=w)
                    ax.imshow(h.T, origin="lower", extent=(0, 1, 0, 1), aspect="auto", cmap="Blues",
                              interpolation="nearest")
                    ax.set_ylim(0, 1)
                ax.set_xlim(0, 1)
                _unit_ticks(ax.xaxis, parameters[j], show=i == n - 1)
                if i != j:
                    _unit_ticks(ax.yaxis, parameters[i], show=j == 0)
                if i == n - 1:
                    ax.set_xlabel(parameters[j].label, fontsize=7, rotation=35, ha="right")
                if j == 0 and i > 0:
                    ax.set_ylabel(parameters[i].label, fontsize=7, rotation=0, ha="right", va="center")
        axes[0, 0].set_ylabel(parameters[0].label, fontsize=7, rotation=0, ha="right", va="center")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", bbox_to_anchor=(0.98, 0.9), fontsize=10,
                   title="diagonal: each parameter's", title_fontsize=10)
        state = ("" if posterior.converged else
                 f"NOT CONVERGED (rank R-hat up to {posterior.convergence.worst['rhat']:.2f}): provisional. ")
        fig.suptitle(f"{state}Calibration {result.problem.name}: posterior of the parameters (parameter uncertainty "
                     f"given the figures; {posterior.effective_draws:.0f} effective draws).\nDiagonal: marginal against "
                     "the prior; below: pairs (darker = more probable). Axes span each parameter's range."
                     + (f"\nShown: the {n} parameters the figures narrow most; the other {left} stay close to "
                        "their prior (report.md's table gives every one)." if left else ""),
                     fontsize=11, x=0.5, ha="center")
    return fig


CORNER_MOST = 10
"""A corner plot of more parameters than this is unreadable at any size: it shows the ones narrowed most."""


def _narrowed(z: np.ndarray, w: np.ndarray, prior: np.ndarray) -> list[int]:
    """Indices of the parameters to draw, in their order: all of them if few, else the :data:`CORNER_MOST` whose
    posterior 90% interval is narrowest against the prior's (unit coordinates)."""
    n = z.shape[1]
    if n <= CORNER_MOST:
        return list(range(n))
    return sorted(np.argsort(width_ratios(z, w, prior), kind="stable")[:CORNER_MOST].tolist())


def _unit_ticks(axis, p, show: bool) -> None:
    """Ticks at the ends of a range drawn in unit coordinates, labelled with values (aligned inwards, so the
    labels of neighbouring panels do not run into each other)."""
    axis.set_ticks([0.0, 1.0])
    if not show:
        axis.set_ticklabels([])
        return
    labels = [p.show(p.value(u)) if p.dated else _short(p.value(u)) for u in (0.0, 1.0)]
    if p.dated:
        labels = [label[5:] for label in labels]  # month-day: the year is in the label
    texts = axis.set_ticklabels(labels, fontsize=6)
    vertical = axis.axis_name == "y"
    for text, end in zip(texts, ("low", "high")):
        if vertical:
            text.set_verticalalignment("bottom" if end == "low" else "top")
        else:
            text.set_horizontalalignment("left" if end == "low" else "right")


def _short(value: float) -> str:
    return si_count(value) if abs(value) >= 1000 else f"{value:.3g}"
