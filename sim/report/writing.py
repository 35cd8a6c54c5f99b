"""Writing a run's or a comparison's figures and reports into a directory.

Every file goes through :mod:`sim.output.atomic`.  Figures are written as PNG
(the reports use them) and, if asked, also as SVG or PDF.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from ..output.atomic import write_bytes, write_text
from ..plotting.figures import CAPTIONS, comparison_figure, metric_label, run_figures
from ..plotting.style import render
from ..results.loading import Result
from .content import FigureItem, comparison_report, run_report
from .html import to_html
from .markdown import to_markdown


def write_figures(figures: dict[str, Figure], captions: dict[str, str], out: Path,
                  fmt: str = "png") -> list[FigureItem]:
    """``out/figures/<name>.png`` (and ``.<fmt>``) for each figure; the items for a report."""
    items = []
    for name, fig in figures.items():
        png = render(fig, "png")
        write_bytes(out / "figures" / f"{name}.png", png)
        if fmt != "png":
            write_bytes(out / "figures" / f"{name}.{fmt}", render(fig, fmt))
        items.append(FigureItem(name, captions.get(name, name), png, f"figures/{name}.png"))
    return items


def write_reports(report, out: Path) -> None:
    write_text(out / "report.html", to_html(report))
    write_text(out / "report.md", to_markdown(report))


def write_run(result: Result, out: Path, fmt: str = "png") -> None:
    """A run's figures (:data:`sim.plotting.figures.RUN_FIGURES`) and its reports."""
    items = write_figures(run_figures(result), CAPTIONS, out, fmt)
    write_reports(run_report(result, items), out)


def write_comparison(results: list[Result], metrics: list[str], missing: dict[str, list[str]],
                     reference: Result | None, out: Path, fmt: str = "png", notes: list[str] | None = None,
                     effects: list | None = None) -> None:
    """One figure per metric (``figures/<metric>.png``) and the comparison's reports (with ``effects``)."""
    scenario = results[0].scenario
    figures = {metric: comparison_figure(results, metric, reference) for metric in metrics}
    captions = {}
    for metric in metrics:
        caption = f"{metric_label(metric, scenario)} ({metric}): mean and 5-95% band of each run"
        if reference is not None:
            caption += f"; below, each run minus {reference.label} with a 90% band (the note says which)"
        captions[metric] = caption + "."
    items = write_figures(figures, captions, out, fmt)
    write_reports(comparison_report(results, items, metrics, missing, reference, notes or [], effects), out)
