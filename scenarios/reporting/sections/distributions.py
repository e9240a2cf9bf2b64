"""Generic: per scenario, every value of every process per runtime, as a box + strip plot."""

from __future__ import annotations

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from scenarios.reporting import fmt, plots
from scenarios.reporting.model import Report
from scenarios.reporting.sections import Block, Figure, Text, section

SLOT = 0.8  # width of one benchmark's group of runtimes on the x axis


@section("Distributions", order=20)
def distributions(report: Report) -> list[Block]:
    blocks: list[Block] = []
    for scenario in report.run.scenarios:
        if report.values(scenario).empty:
            continue
        blocks.append(_scenario_plot(report, scenario))
    if blocks:
        blocks.insert(0, Text(
            "Dots are the individual values (each the mean of one timed loop in one worker "
            "process), boxes span the interquartile range, the thick black line is the median "
            "(pyperf's, as in the table). A slot with a word instead of dots had no number."))
    return blocks


def _scenario_plot(report: Report, scenario: str) -> Figure:
    names = report.benchmarks(scenario)
    keys = report.keys
    values = report.values(scenario)
    width = SLOT / len(keys)
    fig = plots.figure(1.8 + 0.32 * len(names) * len(keys), 4.2)
    ax = fig.add_subplot()
    marks = blended_transform_factory(ax.transData, ax.transAxes)
    for i, name in enumerate(names):
        for j, key in enumerate(keys):
            x = i - SLOT / 2 + width * (j + 0.5)
            v = values.loc[(values["benchmark"] == name) & (values["key"] == key), "ns"]
            if v.empty:
                ax.text(x, 0.03, report.value_text(key, name, scenario), transform=marks,
                        rotation=90, ha="center", va="bottom", fontsize=7, color="#555555")
                continue
            color = report.color(key)
            ax.boxplot([v.to_numpy()], positions=[x], widths=width * 0.8, showfliers=False,
                       patch_artist=True, manage_ticks=False,
                       boxprops={"facecolor": color, "alpha": 0.25, "edgecolor": color},
                       whiskerprops={"color": color}, capprops={"color": color},
                       medianprops={"color": "black", "linewidth": 2.5})
            ax.scatter(x + plots.jitter(len(v), width * 0.5, seed=i * 31 + j), v, s=9,
                       color=color, alpha=0.7, linewidths=0, zorder=3)
    plots.time_axis(ax, log=plots.wants_log(values["ns"]))
    payloads = [report.run.cells.loc[report.run.cells["benchmark"] == n, "payload_bytes"].max()
                for n in names]
    sized = [pd.notna(p) and p > 0 for p in payloads]
    ticks = [fmt.nbytes(p) if ok else n for n, p, ok in zip(names, payloads, sized, strict=True)]
    ax.set_xticks(range(len(names)), ticks, rotation=30 if len(names) > 4 else 0,
                  ha="right" if len(names) > 4 else "center")
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_xlabel("payload size" if any(sized) else "benchmark")
    ax.grid(axis="y", which="major", alpha=0.3)
    ax.set_title(f"{scenario}: time per call, every value of every process", fontsize=11)
    handles = [Line2D([], [], marker="o", linestyle="", color=report.color(k),
                      label=report.label(k)) for k in keys if k in set(values["key"])]
    handles.append(Line2D([], [], color="black", linewidth=2.5, label="median"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8,
              frameon=False)
    return Figure(fig, scenario, f"{scenario}: the values of every runtime",
                  alt=f"Box and strip plot of {scenario}: time per call for each runtime")
