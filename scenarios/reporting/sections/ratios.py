"""Generic: the heatmap of every runtime's ratio to the baseline, for any scenario."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import Normalize

from scenarios.reporting import fmt, plots
from scenarios.reporting.model import Report
from scenarios.reporting.sections import Block, Figure, Text, section

NO_NUMBER = "#d9d9d9"


@section("Ratios to the baseline", order=10)
def ratio_heatmap(report: Report) -> list[Block]:
    names = [n for n in report.benchmarks() if report.cells.loc[
        report.cells["benchmark"] == n, "ratio"].notna().any()]
    keys = report.keys
    if not names or len(keys) < 2:
        return []
    grid = np.full((len(names), len(keys)), np.nan)
    notes: dict[tuple[int, int], str] = {}
    for i, name in enumerate(names):
        scenario = report.cells.loc[report.cells["benchmark"] == name, "scenario"].iloc[0]
        for j, key in enumerate(keys):
            cell = report.cell(key, name)
            if cell is None or math.isnan(cell["ratio"]):
                notes[(i, j)] = report.why_no_number(key, name, scenario)[0]
                continue
            grid[i, j] = math.log2(cell["ratio"])
            if key == cell["baseline"]:
                notes[(i, j)] = "baseline"
            else:
                notes[(i, j)] = fmt.ratio(cell["ratio"]) + (
                    "" if cell["significant"] else "\nn.s.")
    span = max(1.0, float(np.nanmax(np.abs(grid))))
    norm = Normalize(-span, span)
    fig = plots.figure(2.5 + 1.4 * len(keys), 1.4 + 0.42 * len(names))
    ax = fig.add_subplot()
    ax.set_facecolor(NO_NUMBER)
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="RdBu_r", norm=norm, aspect="auto")
    for (i, j), text in notes.items():
        value = grid[i, j]
        dark = not math.isnan(value) and abs(norm(value) - 0.5) > 0.33
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="white" if dark else "black", style="italic" if math.isnan(value) else None)
    ax.set_xticks(range(len(keys)), [report.label(k) for k in keys], rotation=20, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("runtime")
    ax.set_ylabel("benchmark")
    step = max(1, math.ceil(2 * span / 8))  # at most about nine ticks
    top = math.ceil(span) // step * step
    ticks = list(range(-top, top + 1, step))
    bar = fig.colorbar(image, ax=ax, ticks=ticks, shrink=0.9)
    bar.ax.set_yticklabels([f"×{2 ** t}" if t >= 0 else f"×1/{2 ** -t}" for t in ticks])
    bar.set_label("ratio to the baseline (log₂ scale)")
    base = (report.label(report.baseline) if report.baseline
            else "the fastest runtime of each benchmark")
    ax.set_title(f"Time per call relative to\n{base}", fontsize=11)
    return [
        Text(f"Each cell is a runtime's median divided by the baseline's ({base}); "
             "n.s. marks a ratio whose 95 % bootstrap interval (resampling processes) "
             "contains 1. Grey cells have no number: they show why."),
        Figure(fig, "heatmap", "Ratio of each runtime's median to the baseline, per benchmark",
               alt="Heatmap: rows are benchmarks, columns runtimes, colour the log2 of the "
                   "ratio to the baseline; cells are labelled with the ratio or the status."),
    ]
