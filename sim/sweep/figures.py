"""The sweep's figures: sensitivity.png, curves.png and, for two-parameter grids, heatmap.png.

Built with :mod:`sim.plotting.style` (Okabe-Ito colours for categories;
viridis, also readable under colour-vision deficiencies and in greyscale, for
continuous parameters and outcomes), with :class:`matplotlib.figure.Figure`,
never pyplot.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from ..results import series as S
from ..plotting.figures import draw_targets, event_lines, target_legend
from ..plotting.style import OKABE_ITO, format_count_axis, format_date_axis, new_figure, note, si_count, styled
from .outcomes import Column
from .results import Results, parameter_text
from .sensitivity import CONFIDENCE, Index

SEQUENTIAL = "viridis"


def _date_text(start: dt.date, day: float, fmt: str = "%Y-%m") -> str:
    return (start + dt.timedelta(days=int(math.floor(day + 0.5)))).strftime(fmt)


def parameter_axis_label(plan, name: str) -> str:
    parameter = next(p for p in plan.sweep.parameters if p.name == name)
    return f"{parameter.label} (\u00d7 base value)" if parameter.apply == "multiply" else parameter.label


# --- sensitivity ----------------------------------------------------------------------
def sensitivity_figure(plan, indices: list[Index]) -> Figure:
    sweep = plan.sweep
    shown = list(sweep.sensitivity)
    labels = [parameter_axis_label(plan, p.name).replace(" (\u00d7 base value)", "") for p in sweep.parameters]
    names = [p.name for p in sweep.parameters]
    ncols = min(3, len(shown))
    nrows = math.ceil(len(shown) / ncols)
    sobol = plan.design.sobol_n is not None
    with styled():
        fig, axes = new_figure(width=3.3 * ncols + 1.2, height=0.35 * len(names) * nrows + 1.3 * nrows + 0.6,
                               nrows=nrows, ncols=ncols, squeeze=False, sharey=True)
        y = np.arange(len(names))
        for k, ax in enumerate(axes.flat):
            if k >= len(shown):
                ax.set_visible(False)
                continue
            outcome = shown[k]
            rows = {(ix.parameter, ix.measure): ix for ix in indices if ix.outcome == outcome}
            measures = [("first_order", "first order"), ("total_order", "total")] if sobol else [("src", "SRC")]
            height = 0.8 / len(measures)
            empty = not any(math.isfinite(ix.estimate) for ix in rows.values())
            for m, (measure, label) in enumerate(measures if not empty else []):
                ixs = [rows[(name, measure)] for name in names]
                est = np.array([ix.estimate for ix in ixs], dtype=float)
                low = np.array([ix.low for ix in ixs], dtype=float)
                high = np.array([ix.high for ix in ixs], dtype=float)
                err = np.vstack([np.clip(est - low, 0, None), np.clip(high - est, 0, None)])
                err = np.nan_to_num(err)
                offset = (m - (len(measures) - 1) / 2) * height
                ax.barh(y + offset, np.nan_to_num(est), height=height * 0.9, color=OKABE_ITO[m],
                        xerr=err, error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "#333333"},
                        label=label if k == 0 else None)
            note = next(iter(rows.values())).note
            if not empty:
                ax.axvline(0, color="#333333", linewidth=0.8)
            else:
                ax.text(0.5, 0.5, f"no indices: {note or 'no estimate'}", transform=ax.transAxes, ha="center",
                        va="center", fontsize=9, color="#555555")
                ax.set_xticks([])
            title = outcome
            if not sobol:
                r2 = next((ix.r2 for ix in rows.values() if math.isfinite(ix.r2)), math.nan)
                if math.isfinite(r2):
                    title += f"\nR\u00b2 of linear fit {r2:.2f}"
            ax.set_title(title, fontsize=9)
            ax.grid(axis="y", visible=False)
            if sobol:
                ax.set_xlim(min(-0.05, ax.get_xlim()[0]), max(1.0, ax.get_xlim()[1]))
        axes[0, 0].set_yticks(y, labels)
        axes[0, 0].invert_yaxis()
        for ax in axes[-1]:
            ax.set_xlabel("Sobol' index (share of variance)" if sobol else "standardised regression coefficient")
        what = (f"Sobol' indices, {plan.design.sobol_n} base samples, mean of {_runs(sweep.spec.replications)} per point"
                if sobol else f"standardised regression coefficients over {len(plan.points)} points x "
                f"{_runs(sweep.spec.replications)}")
        fig.suptitle(f"{sweep.name}: {what}; bars: {CONFIDENCE:.0%} confidence intervals", fontsize=10)
        if sobol:
            fig.legend(loc="outside lower center", ncols=2)
    return fig


# --- curves ---------------------------------------------------------------------------
def curves_figure(plan, results: Results, targets=None) -> Figure:
    """Each point's mean curve, coloured by one parameter, with the reported figures as markers.

    The curves are known at month ends only, so each is drawn as steps: the
    level at a month's end held until the next.  A line joining month ends
    would bend up to a month before whatever it depicts (a push on the 15th
    would seem to start on the 30th of the month before).
    """
    sweep = plan.sweep
    index = [p.name for p in sweep.parameters].index(sweep.colour_by)
    values = [point.values[index] for point in plan.points]
    dates = np.datetime64(sweep.start, "D") + results.curve_days
    spec = sweep.spec.parameters[sweep.colour_by]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    width = 0.7 if len(plan.points) > 50 else 1.4
    alpha = 0.45 if len(plan.points) > 50 else 0.9
    steps = {"drawstyle": "steps-post", "linewidth": width, "alpha": alpha}
    with styled():
        fig, ax = new_figure(width=8.2, height=4.6)
        handles = []
        if numeric and len(set(values)) > 1:
            low, high = spec.range if spec.range is not None else (min(values), max(values))
            norm = (mcolors.LogNorm(low, high) if spec.spacing == "log" and low > 0
                    else mcolors.Normalize(low, high))
            mappable = ScalarMappable(norm=norm, cmap=SEQUENTIAL)
            for curve, value in sorted(zip(results.curves, values), key=lambda cv: cv[1]):
                ax.plot(dates, curve, color=mappable.to_rgba(value), **steps)
            bar = fig.colorbar(mappable, ax=ax, pad=0.01)
            ticks = (np.geomspace(low, high, 5) if isinstance(norm, mcolors.LogNorm) else np.linspace(low, high, 5))
            bar.set_ticks(ticks, labels=[f"{t:.3g}" for t in ticks])
            bar.ax.minorticks_off()
            bar.set_label(parameter_axis_label(plan, sweep.colour_by))
        else:
            palette = {v: OKABE_ITO[i % len(OKABE_ITO)] for i, v in enumerate(dict.fromkeys(values))}
            for curve, value in zip(results.curves, values):
                ax.plot(dates, curve, color=palette[value], **steps)
            handles += [Line2D([], [], color=colour, label=f"{parameter_axis_label(plan, sweep.colour_by)} = "
                               f"{parameter_text(value)}") for value, colour in palette.items()]
        if targets is not None:
            # Reported figures far above every curve would squash the curves (e.g. a scaled-down test scenario).
            top = float(np.nanmax(results.curves)) if results.curves.size else 0.0
            shown = [(name, t) for name, t in S.plotted_targets(targets, [sweep.curve], dates) if t.value <= 2 * top]
            handles += target_legend(draw_targets(ax, shown))
        if handles:
            ax.legend(handles=handles, loc="upper left")
        format_date_axis(ax)
        event_lines(ax, {name: event.date for name, event in sweep.base.events.items()
                         if event.enabled and dates[0] <= np.datetime64(event.date, "D") <= dates[-1]})
        format_count_axis(ax, f"{sweep.curve} (mean of runs at month ends)")
        ax.set_ylim(bottom=0)
        ax.set_title(f"{sweep.name}: {sweep.curve}, {len(plan.points)} points, mean of "
                     f"{_runs(sweep.spec.replications)} each")
        note(fig, "Steps: each point's mean level at a month's end, held until the next month's end.")
    return fig


# --- heatmap --------------------------------------------------------------------------
def heatmap_figure(plan, results: Results) -> Figure:
    sweep = plan.sweep
    column_index = [c.name for c in sweep.columns].index(sweep.heatmap)
    column: Column = sweep.columns[column_index]
    rows_parameter, cols_parameter = sweep.parameters
    row_values = list(dict.fromkeys(p.values[0] for p in plan.points))
    col_values = list(dict.fromkeys(p.values[1] for p in plan.points))
    grid = np.full((len(row_values), len(col_values)), math.nan)
    for point, mean in zip(plan.points, results.point_means[:, column_index]):
        grid[row_values.index(point.values[0]), col_values.index(point.values[1])] = mean
    start = sweep.start
    text = (lambda v: _date_text(start, v)) if column.is_date else (lambda v: si_count(v))
    with styled():
        fig, ax = new_figure(width=7.2, height=4.8)
        ax.grid(False)
        finite = grid[np.isfinite(grid)]
        norm = mcolors.Normalize(finite.min(), finite.max()) if finite.size else mcolors.Normalize(0, 1)
        mesh = ax.pcolormesh(np.arange(len(col_values) + 1) - 0.5, np.arange(len(row_values) + 1) - 0.5, grid,
                             cmap=SEQUENTIAL, norm=norm, shading="flat")
        if grid.size <= 144:
            for (i, j), value in np.ndenumerate(grid):
                if math.isfinite(value):
                    light = norm(value) < 0.55
                    ax.text(j, i, text(value), ha="center", va="center", fontsize=8,
                            color="white" if light else "black")
                else:
                    ax.text(j, i, "never", ha="center", va="center", fontsize=8, color="#555555")
        ax.set_xticks(range(len(col_values)), [parameter_text(v) for v in col_values])
        ax.set_yticks(range(len(row_values)), [parameter_text(v) for v in row_values])
        ax.set_xlabel(parameter_axis_label(plan, cols_parameter.name))
        ax.set_ylabel(parameter_axis_label(plan, rows_parameter.name))
        bar = fig.colorbar(mesh, ax=ax, pad=0.02)
        if column.is_date:
            bar.formatter = FuncFormatter(lambda v, _pos: _date_text(start, v))
            bar.update_ticks()
        else:
            bar.formatter = FuncFormatter(si_count)
            bar.update_ticks()
        bar.set_label(_column_label(column, start) + f" (mean of {_runs(sweep.spec.replications)})")
        ax.set_title(f"{sweep.name}: {column.name}")
    return fig


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def _column_label(column: Column, start: dt.date) -> str:
    if column.at is not None:
        return f"{column.metric} on {start + dt.timedelta(days=column.at)}"
    if column.reaches is not None:
        return f"date {column.metric} reaches {si_count(column.reaches)}"
    return {"t10": "date of 10% of final level", "t50": "date of 50% of final level",
            "t90": "date of 90% of final level", "peak_monthly": "largest monthly increase",
            "peak_month": "month of largest increase", "final": "final level"}[column.feature] + f", {column.metric}"
