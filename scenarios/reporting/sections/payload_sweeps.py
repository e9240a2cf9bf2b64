"""Generic: any scenario whose benchmarks carry payload_bytes > 0 at two or more sizes.

Per scenario, a log-log plot of time per call against payload size (one line per runtime, the
band its interquartile range, dashed the fitted line), and a table of the fit t = a + b*bytes:
a is the fixed cost of one call, b the cost of each byte, 1/b the throughput.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from scenarios.reporting import fmt, plots, stats
from scenarios.reporting.model import Report
from scenarios.reporting.sections import Block, Figure, Table, Text, section


def sweep_scenarios(report: Report) -> list[str]:
    """Scenarios with timed benchmarks at two or more payload sizes above zero, one benchmark
    per size (several at one size, e.g. one per memory access path, are not one sweep)."""
    timed = report.timed()
    timed = timed[timed["payload_bytes"] > 0]
    sizes = timed.groupby("scenario")["payload_bytes"].nunique()
    per_size = timed.groupby(["scenario", "key", "payload_bytes"])["benchmark"].nunique()
    mixed = set(per_size[per_size > 1].index.get_level_values("scenario"))
    return [s for s in report.run.scenarios if sizes.get(s, 0) >= 2 and s not in mixed]


def process_medians(report: Report, scenario: str, key: str) -> pd.DataFrame:
    """One row per benchmark and process: payload_bytes and the median ns of that process."""
    v = report.values(scenario)
    v = v[(v["key"] == key) & (v["payload_bytes"] > 0)]
    return v.groupby(["benchmark", "process"], as_index=False).agg(
        payload_bytes=("payload_bytes", "first"), ns=("ns", "median"))


@section("Payload sweeps", order=30)
def payload_sweeps(report: Report) -> list[Block]:
    scenarios = sweep_scenarios(report)
    if not scenarios:
        return []
    blocks: list[Block] = [Text(
        "Time per call against payload size, both axes logarithmic; the line joins the "
        "medians, the band spans the interquartile range of the values, the dashed line is "
        "the fit t = a + b·bytes (least squares on per-process medians, weighted by relative "
        "error). a is the fixed cost of a call, b the cost per byte, and 1/b the throughput "
        "of the part that scales with the payload. Where b is within two standard errors of "
        "0 the sizes measured do not resolve a per-byte cost, and no throughput is given.")]
    rows = []
    for scenario in scenarios:
        fig = plots.figure(9.0, 4.8)
        ax = fig.add_subplot()
        total = len(report.benchmarks(scenario))
        for key in report.keys:
            cells = report.timed(scenario)
            cells = cells[(cells["key"] == key) & (cells["payload_bytes"] > 0)]
            if cells.empty:
                continue
            cells = cells.sort_values("payload_bytes")
            color = report.color(key)
            x = cells["payload_bytes"].to_numpy(float)
            ax.fill_between(x, cells["q1_ns"], cells["q3_ns"], color=color, alpha=0.18,
                            linewidth=0)
            ax.plot(x, cells["median_ns"], marker="o", color=color, label=report.label(key))
            points = process_medians(report, scenario, key)
            fit = stats.fit_payload(points["payload_bytes"].to_numpy(), points["ns"].to_numpy())
            if fit is not None:
                grid = np.geomspace(x.min(), x.max(), 50)
                ax.plot(grid, fit.predict(grid), linestyle="--", color=color, linewidth=1)
            rows.append(_fit_row(report.label(key), scenario, fit, len(cells), total))
        plots.bytes_axis(ax, report.timed(scenario)["payload_bytes"])
        plots.time_axis(ax, log=True)
        ax.grid(which="major", alpha=0.3)
        ax.set_title(f"{scenario}: time per call against payload size")
        handles, _ = ax.get_legend_handles_labels()
        handles.append(Line2D([], [], linestyle="--", color="black", linewidth=1,
                              label="fit a + b·bytes"))
        ax.legend(handles=handles, loc="upper left", fontsize=8)
        blocks.append(Figure(fig, scenario, f"{scenario}: time per call against payload size",
                             alt=f"Log-log plot of {scenario} time per call against payload "
                                 "size, one line per runtime"))
    blocks.append(Table(pd.DataFrame(rows), "Fit of t = a + b·bytes per runtime (± one "
                                            "standard error)"))
    return blocks


def _fit_row(label: str, scenario: str, fit: stats.PayloadFit | None, sizes: int, total: int
             ) -> dict[str, str]:
    row = {"scenario": scenario, "runtime": label}
    if fit is None:
        return {**row, "fixed cost a": "—", "per-byte cost b": "—", "throughput 1/b": "—",
                "sizes fitted": f"{sizes} of {total} (too few to fit)"}
    per_byte = f"{fmt.number(fit.per_byte_ns)} ± {fmt.number(fit.per_byte_se)} ns/B"
    resolved = fit.per_byte_resolved
    return {**row,
            "fixed cost a": f"{fmt.ns(fit.fixed_ns)} ± {fmt.ns(fit.fixed_se)}",
            "per-byte cost b": per_byte if resolved else f"not resolved ({per_byte})",
            "throughput 1/b": f"{fmt.number(fit.mb_per_s)} MB/s" if resolved else "—",
            "sizes fitted": f"{fit.sizes} of {total}"}
