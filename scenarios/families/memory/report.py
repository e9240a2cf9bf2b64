"""The memory section: what an instance holds resident per runtime (the slope), how many fit in
a GiB, and what a host that never frees leaks (the curves), from ``figures.figures``."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from scenarios.families.memory import figures
from scenarios.families.memory.figures import DROP, LEAKS, RuntimeMemory
from scenarios.reporting import fmt, plots
from scenarios.reporting.model import Report
from scenarios.reporting.sections import Block, Figure, Table, Text, section

SCENARIOS = ("memory", "forgetful_host")
PATHS = {"forgetful_host/allocate": "allocate, never deallocate",
         "forgetful_host/returned_buffer": "upper_copy's returned buffer, never freed"}


def memory_figures(report: Report) -> dict[str, RuntimeMemory]:
    """``figures.figures`` of the report's run, once per report."""
    return report.summary("memory-figures", lambda _path, _manifest:
                          figures.figures(report.run))


def spread(values: list[float]) -> str:
    """``[low, high]`` over the fresh processes, or why there is none."""
    if len(values) < 2:
        return "(one process)"
    return f"[{fmt.size(min(values))}, {fmt.size(max(values))}] over {len(values)} processes"


def word(report: Report, key: str, benchmark: str) -> str:
    return ": ".join(filter(None, report.why_no_number(key, benchmark,
                                                       benchmark.split("/", 1)[0])))


def per_instance_text(report: Report, m: RuntimeMemory | None, key: str) -> str:
    if m is None or m.per_instance is None:
        return word(report, key, figures.PER_INSTANCE[-1])
    return f"{fmt.size(m.per_instance)} {spread(m.per_instance_values)}"


def _instance_row(report: Report, key: str, m: RuntimeMemory | None) -> dict[str, Any]:
    per_gib = m.instances_per_gib if m else None
    n = [p[0] for p in (m.points if m else [])]
    return {
        "runtime": report.label(key),
        "RSS per instance (slope)": per_instance_text(report, m, key),
        "instances per GiB": "—" if per_gib is None else fmt.number(per_gib),
        "linear memory per instance": fmt.size(m.linear_memory if m else None),
        "beyond linear memory": fmt.size(m.beyond_linear if m else None),
        "N live": ", ".join(map(str, n[1:])) + (f" ({m.stopped})" if m and m.stopped else ""),
        "engine over bare Python": fmt.size(m.engine if m else None),
        "one article module": fmt.size(m.module if m else None),
    }


def _leak_rows(report: Report, found: dict[str, RuntimeMemory]) -> list[dict[str, Any]]:
    rows = []
    for key, m in found.items():
        for name in LEAKS:
            leak = m.leaks.get(name)
            if leak is None:
                continue
            curve = leak.get("curve") or [[0, 0, 0]]
            rows.append({"runtime": report.label(key), "path": PATHS[name],
                         "linear memory per call": fmt.size(leak.get("bytes_per_call")),
                         "calls": leak.get("calls", "—"),
                         "linear memory at the end": fmt.size(curve[-1][1]),
                         "RSS growth at the end": fmt.size(curve[-1][2]),
                         "how it ended": leak.get("ending", "—")})
    return rows


def _drop_rows(report: Report, found: dict[str, RuntimeMemory]) -> list[dict[str, Any]]:
    rows = []
    for key, m in found.items():
        d = m.drop
        if d is None:
            continue
        share = d.get("returned_share", math.nan)
        rows.append({"runtime": report.label(key), "instances": d.get("instances"),
                     "RSS with them live": fmt.size(d.get("live")),
                     "RSS after dropping them": fmt.size(d.get("after")),
                     "given back": "—" if not math.isfinite(share) else f"{share:.0%}",
                     "note": "; ".join(filter(None, [d.get("stopped", ""),
                                                     d.get("keeps_instances", "")]))})
    return rows


def _slope_panel(report: Report, ax: Axes, found: dict[str, RuntimeMemory]) -> None:
    for key, m in found.items():
        pts = [p for p in m.points if p[0] > 0]
        if pts:
            ax.plot([p[0] for p in pts], [max(p[1], 1) for p in pts], "o-",
                    color=report.color(key), label=report.label(key))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("live instances (log scale)")
    ax.set_ylabel("RSS growth (log scale)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.size(v)))
    ax.set_title("RSS against live instances (validating process)")
    ax.legend(fontsize="small")


def _leak_panel(report: Report, ax: Axes, found: dict[str, RuntimeMemory], name: str) -> None:
    for key, m in found.items():
        curve = (m.leaks.get(name) or {}).get("curve")
        if curve:
            ax.plot([c[0] for c in curve], [c[1] for c in curve], "-",
                    color=report.color(key), label=f"{report.label(key)}: linear memory")
            ax.plot([c[0] for c in curve], [c[2] for c in curve], ":",
                    color=report.color(key), label=f"{report.label(key)}: RSS growth")
    ax.set_xlabel("calls without a free")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.size(v)))
    ax.set_title(PATHS[name])
    ax.legend(fontsize="x-small")


@section("Memory: per instance, and a forgetful host", order=54, scenarios=SCENARIOS)
def memory(report: Report) -> list[Block]:
    found = memory_figures(report)
    blocks: list[Block] = [Text(
        "Bytes, not time: resident memory (RSS after gc.collect()) read in a fresh process per "
        "value. RSS per instance is the slope of RSS against N live instances (each answered "
        "add_numbers first), fitted over N >= 1 so that what the first instance makes once is "
        "the intercept; instances per GiB is 2^30 over it. The linear memory is the "
        "instance's declared size, shown apart: a runtime that commits pages lazily holds "
        "less than it resident (a negative 'beyond linear memory'). RSS leaves out what the "
        "allocator keeps for reuse and counts in pages; see docs/scenarios.md#memory.")]
    if report.has_scenario("memory"):
        blocks.append(Table(pd.DataFrame([_instance_row(report, key, found.get(key))
                                          for key in report.keys]),
                            "Memory per runtime (median over fresh processes)"))
    leaks = [n for n in LEAKS if any(n in m.leaks for m in found.values())]
    panels = (1 if any(m.points for m in found.values()) else 0) + len(leaks)
    if panels:
        fig = plots.figure(5.0 * panels, 4.2)
        axes = fig.subplots(1, panels, squeeze=False)[0]
        i = 0
        if any(m.points for m in found.values()):
            _slope_panel(report, axes[0], found)
            i = 1
        for name, ax in zip(leaks, axes[i:], strict=True):
            _leak_panel(report, ax, found, name)
        blocks.append(Figure(fig, "memory", "RSS against live instances; linear memory and "
                             "RSS of a host that never frees, per call"))
    rows = _leak_rows(report, found)
    if rows:
        blocks.append(Table(pd.DataFrame(rows), f"The forgetful host: {LEAKS[0]} and "
                            f"{LEAKS[1]}, until the runtime refused or a cap"))
    rows = _drop_rows(report, found)
    if rows:
        blocks.append(Table(pd.DataFrame(rows), f"{DROP}: create instances, drop them, "
                            "collect: does the memory come back?"))
    return blocks
