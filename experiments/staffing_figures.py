"""The staffing sweep's figures: response time, abandonment and followers over team size x message rate.

    python experiments/staffing_figures.py results/sweeps/staffing [OUT.png]

Reads the sweep directory written by ``bandwagon sweep experiments/staffing.yaml``
(``runs.csv`` and each point's ``summary.csv``) and draws three heat maps
over the grid, each cell the mean over the point's runs:

* the median response time in hours: the mean over the days from the
  account's launch to the end of the horizon of each day's median (Sina and
  Tencent pooled by their messages);
* the share of messages whose senders gave up (abandoned / received, both
  platforms);
* the account's followers on all platforms at the end of the horizon, in
  millions.

The abandonment and followers cells also show, small, the 90% interval of the
runs (5th-95th percentile), so the reader sees how much of a difference is
noise; the response time is the mean over runs of each day's median (the
sweep keeps each point's mean series), so it has no interval.  Writes
``staffing.png`` in the sweep directory unless told otherwise.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.errors import InputError
from sim.output.tables import Summary
from sim.plotting.style import new_figure, note, save, styled

PLATFORMS = ("sina", "tencent")


def read_runs(sweep: Path) -> list[dict[str, str]]:
    try:
        with open(sweep / "runs.csv", newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        raise InputError("expected a sweep directory with runs.csv (run bandwagon sweep experiments/staffing.yaml)",
                         source=str(sweep)) from None


def grid(rows: list[dict[str, str]], value) -> tuple[list[float], list[float], np.ndarray, np.ndarray, np.ndarray]:
    """(teams, rates, mean, p05, p95) of ``value(row)`` over each point's runs, team x rate."""
    teams = sorted({float(r["team"]) for r in rows})
    rates = sorted({float(r["rate"]) for r in rows})
    shape = (len(teams), len(rates))
    mean, low, high = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    for i, team in enumerate(teams):
        for j, rate in enumerate(rates):
            values = np.array([value(r) for r in rows if float(r["team"]) == team and float(r["rate"]) == rate])
            values = values[~np.isnan(values)]
            if values.size:
                mean[i, j] = values.mean()
                low[i, j], high[i, j] = np.percentile(values, [5, 95])
    return teams, rates, mean, low, high


def column(row: dict[str, str], name: str) -> float:
    text = row.get(name, "")
    return float(text) if text else np.nan


def median_response_hours(sweep: Path) -> dict[str, float]:
    """Per point: the mean over the days after launch of the day's median response, pooled over platforms."""
    out = {}
    for point in sorted((sweep / "points").iterdir()):
        summary = Summary.read(point / "summary.csv")
        manifest = json.loads((point / "manifest.json").read_text(encoding="utf-8"))
        launch = np.datetime64(dt.date.fromisoformat(manifest["scenario"]["accounts"]["shanghai_city"]["launch"]))
        after = summary.dates >= launch + 7  # the first week's handful of messages says little
        medians = [summary.stats[f"response_hours.shanghai_city.{p}.p50"]["mean"][after] for p in PLATFORMS]
        out[point.name] = float(np.nanmean(np.concatenate(medians)))
    return out


def figure(sweep: Path) -> Figure:
    rows = read_runs(sweep)
    medians = median_response_hours(sweep)
    panels = [
        ("median response time", "hours", lambda r: medians.get(r["point"], np.nan), "{:.1f}", False),
        ("senders who gave up", "% of messages",
         lambda r: 100 * sum(column(r, f"abandoned_{p}.final") for p in PLATFORMS)
         / max(sum(column(r, f"received_{p}.final") for p in PLATFORMS), 1), "{:.0f}%", True),
        ("followers at the end", "millions", lambda r: column(r, "followers.final") / 1e6, "{:.2f}", True),
    ]
    with styled():
        fig, axes = new_figure(11.0, 4.4, ncols=3)
        for ax, (title, unit, value, fmt, interval) in zip(axes, panels):
            teams, rates, mean, low, high = grid(rows, value)
            image = ax.imshow(mean, origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(len(rates)), [f"{r * 1e5:g}" for r in rates])
            ax.set_yticks(range(len(teams)), [f"{t:g}" for t in teams])
            ax.set_xlabel("messages per 100,000 followers per day")
            ax.set_ylabel("staff per team")
            ax.set_title(f"{title} ({unit})", fontsize=10)
            ax.grid(False)
            bar = fig.colorbar(image, ax=ax, shrink=0.85)
            bar.set_label(unit)
            middle = np.nanmean(mean)
            for i in range(len(teams)):
                for j in range(len(rates)):
                    if np.isnan(mean[i, j]):
                        continue
                    colour = "white" if mean[i, j] < middle else "black"
                    ax.text(j, i + (0.12 if interval else 0), fmt.format(mean[i, j]), ha="center", va="center",
                            fontsize=8, color=colour)
                    if interval:
                        ax.text(j, i - 0.22, f"{fmt.format(low[i, j])}-{fmt.format(high[i, j])}", ha="center",
                                va="center", fontsize=5.5, color=colour)
        replications = len(rows) // max(len({r["point"] for r in rows}), 1)
        fig.suptitle("Staffing Shanghai City's desk: office hours, Monday to Friday (experiments/staffing.yaml)",
                     x=0.01, ha="left", fontweight="bold", fontsize=11)
        note(fig, textwrap.fill(
            f"Each cell: mean over {replications} runs (large) and, for abandonment and followers, 5-95% of the runs "
            "(small). Response time: mean over the runs and over the days from a week after launch (2011-11-28) to "
            "the end of the horizon of each day's median. The baseline assumes 1 message per 100,000 followers a "
            "day and a larger team on long days (scenarios/baseline.yaml).", 170))
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep", type=Path, help="the sweep directory")
    parser.add_argument("out", type=Path, nargs="?", help="the PNG to write (default: <sweep>/staffing.png)")
    args = parser.parse_args()
    out = args.out or args.sweep / "staffing.png"
    save(figure(args.sweep), out)
    print(f"staffing figures -> {out}")


if __name__ == "__main__":
    main()
