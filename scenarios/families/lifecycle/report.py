"""Lifecycle sections: compile time against module size; instantiate, cold start and first
call; compilation caches with their speed-ups and "cache ineffective" flags.

Module sizes, the compile fits and the cache verdicts are the run's lifecycle summary
(``lifecycle.json``, made by ``scenarios.families.lifecycle.figures``), read from the run folder, or
recomputed with the same function when the folder lacks it, so the page and the file never
disagree. Single cells (medians, IQRs, status words) come from the report as everywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from scenarios.families.lifecycle import figures as lifecycle
from scenarios.record.status import Status
from scenarios.reporting import fmt, plots
from scenarios.reporting.model import Report, is_missing
from scenarios.reporting.sections import Block, Figure, Html, Table, Text, section

MB = 1e6  # the fits' unit (lifecycle.fit_compile): 10^6 bytes
NOT_SUPPORTED = "not supported"
MECHANISMS = {  # what each cache mechanism is, in the words of the page
    "reuse": "compile once, instantiate many",
    "deserialize": "deserialize from bytes",
    "deserialize_file": "deserialize from a file",
    "disk_hit": "on-disk cache, warm (fresh engine)",
}


def summary(report: Report) -> dict[str, Any]:
    """The run's lifecycle summary: the file the run wrote, else recomputed from the folder."""
    return report.summary("lifecycle", lifecycle.summarize)


def _runtimes(report: Report, data: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    """Every key of the report, in its order, with its part of the summary (None: not run)."""
    return [(key, data["runtimes"].get(key)) for key in report.keys]


def _with_iqr(report: Report, key: str, benchmark: str, scenario: str) -> str:
    """``1.23 ms (IQR 1.20 ms–1.31 ms)``, or the status word of a cell without a number."""
    cell = report.cell(key, benchmark)
    if cell is None or is_missing(cell["median_ns"]):
        return report.value_text(key, benchmark, scenario)
    return f"{fmt.ns(cell['median_ns'])} (IQR {_iqr(report, key, benchmark)})"


def _no_number(report: Report, label: str, key: str, benchmarks: Iterable[str],
               scenario: str) -> Line2D:
    """A legend entry for a runtime with nothing to draw: its name and its status words."""
    words = sorted({report.value_text(key, b, scenario) for b in benchmarks} or
                   {report.why_no_number(key, "", scenario)[0]})
    return Line2D([], [], linestyle="none", marker="x", color=report.color(key),
                  label=f"{label}: {', '.join(words)} (no number)")


# --- compile -------------------------------------------------------------------------------

@section("Compile time against module size", order=50, scenarios=("compile",))
def compile_time(report: Report) -> list[Block]:
    data = summary(report)
    modules = {m["size"]: m for m in data["modules"]}
    sizes = sorted({int(b.rsplit("/", 1)[1]) for b in report.benchmarks("compile")})
    fig = plots.figure(9.0, 5.0)
    ax = fig.add_subplot()
    handles: list[Line2D] = []
    point_rows, fit_rows = [], []
    for key, mine in _runtimes(report, data):
        label, color = report.label(key), report.color(key)
        points = {p["size"]: p for p in (mine or {}).get("compile", {}).get("points", [])}
        fit = (mine or {}).get("compile", {}).get("fit")
        for size in sizes:
            name = f"compile/{size}"
            module = modules.get(size, {})
            point = points.get(size)
            point_rows.append({
                "runtime": label, "module size": fmt.nbytes(size),
                "bytes": f"{module['bytes']:,}" if module else "—",
                "functions": f"{module['functions']:,}" if module else "—",
                "median": (fmt.ns(point["median_s"] * 1e9) if point
                           else report.value_text(key, name, "compile")),
                "IQR": _iqr(report, key, name) if point else "—"})
        if not points:
            handles.append(_no_number(report, label, key, [f"compile/{s}" for s in sizes],
                                      "compile"))
            fit_rows.append(_fit_row(label, None, 0, len(sizes)))
            continue
        x = np.array([p["bytes"] for p in points.values()], float)
        y = np.array([p["median_s"] * 1e9 for p in points.values()])
        lo, hi = _iqr_bounds(report, key, [f"compile/{s}" for s in points])
        ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o", color=color, capsize=3)
        text = (f"{label}: {fmt.number(fit['ms_per_mb'])} ms/MB" if fit
                else f"{label}: no fit ({len(points)} size)")
        if fit:
            grid = np.geomspace(x.min(), x.max(), 60)
            line = (fit["intercept_ms"] + fit["ms_per_mb"] * grid / MB) * 1e6  # ns
            keep = line > 0
            ax.plot(grid[keep], line[keep], color=color, linewidth=1.2)
        handles.append(Line2D([], [], marker="o", color=color, label=text))
        fit_rows.append(_fit_row(label, fit, len(points), len(sizes)))
    plots.bytes_axis(ax, label="module size (bytes, log scale)")
    plots.time_axis(ax, log=True, label="compile time")
    ax.grid(which="major", alpha=0.3)
    ax.set_title("compile: cold compile time against module size\n(dots: medians, whiskers: "
                 "IQR, lines: fit time = a + b·MB)", fontsize=10)
    ax.legend(handles=handles, loc="upper left", fontsize=8)
    return [
        Text("Compiling a generated module (many functions with loops and calls) from its "
             "bytes, with no cache, at each size. Both axes are logarithmic; the line is the "
             "straight-line fit time = a + b·MB (least squares over the medians, MB = 10^6 "
             "bytes), and b is the compile cost in ms per MB. The exponent k of time ~ size^k "
             "says whether compile time grows linearly (k ≈ 1) with the module."),
        Figure(fig, "sizes", "Compile time against module size, per runtime, with the fitted "
                             "ms per MB",
               alt="Log-log plot of compile time against module size, one colour per runtime"),
        Table(pd.DataFrame(fit_rows), "Fit of compile time against module size, per runtime"),
        Table(pd.DataFrame(point_rows), "Compile time per module size (module bytes and "
                                        "function count of the generated module)"),
    ]


def _iqr(report: Report, key: str, benchmark: str) -> str:
    cell = report.cell(key, benchmark)
    return "—" if cell is None else f"{fmt.ns(cell['q1_ns'])}–{fmt.ns(cell['q3_ns'])}"


def _iqr_bounds(report: Report, key: str, benchmarks: list[str]) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    cells = [report.cell(key, b) or {} for b in benchmarks]
    return (np.array([c.get("q1_ns", np.nan) for c in cells], float),
            np.array([c.get("q3_ns", np.nan) for c in cells], float))


def _fit_row(label: str, fit: dict[str, float] | None, timed: int, total: int
             ) -> dict[str, str]:
    row = {"runtime": label, "sizes timed": f"{timed} of {total}"}
    if not fit:
        return {**row, "ms per MB": "no fit (fewer than 2 sizes timed)", "fixed cost": "—",
                "R²": "—", "time ~ size^k": "—"}
    return {**row, "ms per MB": f"{fmt.number(fit['ms_per_mb'])} ms/MB",
            "fixed cost": f"{fmt.number(fit['intercept_ms'])} ms",
            "R²": f"{fit['r2']:.3f}", "time ~ size^k": f"k = {fit['loglog_slope']:.2f}"}


# --- instantiate, cold start, first call ---------------------------------------------------

@section("Instantiate, cold start and first call", order=51,
         scenarios=("cold_start", "instantiate", "first_call"))
def start_up(report: Report) -> list[Block]:
    blocks: list[Block] = [Text(
        "Each cell: pyperf's median with the interquartile range of the values; a cell "
        "without a number shows its status (the reason is in the headline table).")]
    about = {
        "cold_start": "cold_start: a fresh process (wall time): start Python; + import the "
                      "runtime; + load the guest and call it once",
        "instantiate": "instantiate: an instance from an already compiled module (a fresh "
                       "store each), with and without host imports",
    }
    for scenario, caption in about.items():
        if report.has_scenario(scenario):
            blocks.append(Table(_grid(report, scenario), caption))
    if report.has_scenario("first_call"):
        blocks += _first_call(report)
    return blocks


def _grid(report: Report, scenario: str) -> pd.DataFrame:
    """Benchmarks as rows, runtimes as columns, each cell median (IQR) or its status word."""
    return pd.DataFrame([
        {"benchmark": name, **{report.label(k): _with_iqr(report, k, name, scenario)
                               for k in report.keys}}
        for name in report.benchmarks(scenario) or [scenario]])


def _first_call(report: Report) -> list[Block]:
    first, steady = "first_call/first", "first_call/steady"
    fig = plots.figure(8.0, 0.9 + 0.5 * len(report.keys))
    ax = fig.add_subplot()
    rows, drawn = [], []
    for i, key in enumerate(report.keys):
        a, b = report.cell(key, first) or {}, report.cell(key, steady) or {}
        ta, tb = a.get("median_ns", np.nan), b.get("median_ns", np.nan)
        rows.append({"runtime": report.label(key),
                     "first call": _with_iqr(report, key, first, "first_call"),
                     "steady call": _with_iqr(report, key, steady, "first_call"),
                     "first / steady": "—" if is_missing(ta) or is_missing(tb)
                     else fmt.ratio(ta / tb)})
        if is_missing(ta) or is_missing(tb):
            words = (f"{report.value_text(key, first, 'first_call')} / "
                     f"{report.value_text(key, steady, 'first_call')}")
            ax.text(0.02, i, f"no number: {words}", va="center",
                    transform=ax.get_yaxis_transform(), fontsize=8)
            continue
        color = report.color(key)
        ax.plot([tb, ta], [i, i], color=color, linewidth=1)
        ax.plot([ta], [i], "o", color=color)
        ax.plot([tb], [i], "o", color=color, markerfacecolor="white")
        drawn += [ta, tb]
    ax.set_yticks(range(len(report.keys)), [report.label(k) for k in report.keys])
    ax.set_ylim(-0.6, len(report.keys) - 0.4)
    plots.time_axis(ax, which="x", log=plots.wants_log(drawn), label="time of one call")
    ax.grid(axis="x", which="major", alpha=0.3)
    ax.set_title("first_call: the first call on a fresh instance (filled) against a steady "
                 "call (open)")
    ax.legend(handles=[Line2D([], [], marker="o", linestyle="none", color="black",
                              label="first call"),
                       Line2D([], [], marker="o", linestyle="none", color="black",
                              markerfacecolor="white", label="steady call")]
              + [Line2D([], [], color=report.color(k), label=report.label(k))
                 for k in report.keys], fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return [Figure(fig, "first-call", "First call against steady call, per runtime",
                   alt="Dumbbell plot of first-call and steady-call medians per runtime"),
            Table(pd.DataFrame(rows), "first_call: the first call on a fresh instance against "
                                      "a steady one (after warm-up calls)")]


# --- caches --------------------------------------------------------------------------------

@section("Compilation caches", order=52, scenarios=("cache",))
def caches(report: Report) -> list[Block]:
    data = summary(report)
    rules = data["rules"]
    verdicts = [(key, v) for key, mine in _runtimes(report, data) for v in
                (mine or {}).get("cache", [])]
    blocks: list[Block] = []
    bad = [(key, v) for key, v in verdicts if v["ineffective"]]
    if bad:
        blocks.append(Html(_warning(report, bad)))
    blocks.append(Text(
        f"Each mechanism is timed as a program uses it: load a working instance (compile or "
        f"load, instantiate, call run and check the answer), against {rules['baseline']} "
        f"(compile and instantiate every time) at the same module size. speed-up = time of "
        f"{rules['baseline']} / time through the cache. A cache is flagged 'cache "
        f"ineffective' when it is less than {rules['ineffective_below_speedup']:g}x faster "
        f"for a module of {rules['judged_from_bytes']:,} bytes or more, or at any size when "
        f"its artifact was rejected or the module it gave did not work."))
    if any(v["speedup"] is not None for _, v in verdicts):
        blocks.append(_speedup_figure(report, verdicts, rules))
    blocks.append(Table(pd.DataFrame([_cache_row(report, key, v) for key, v in verdicts]),
                        "Cache speed-ups per runtime, module size and mechanism"))
    missing = [k for k, mine in _runtimes(report, data) if not (mine or {}).get("cache")]
    if missing:
        blocks.append(Text("No cache results for: " + "; ".join(
            f"{report.label(k)} ({report.why_no_number(k, '', 'cache')[0]})"
            for k in missing)))
    return blocks


def _warning(report: Report, bad: list[tuple[str, dict[str, Any]]]) -> Markup:
    items = Markup("").join(
        Markup("<li><strong>{}</strong> · {} · {} ({} bytes): {}</li>").format(
            report.label(key), v["mechanism"], fmt.nbytes(v["size"]),
            f"{v['module_bytes']:,}" if v["module_bytes"] else "?", v["reason"])
        for key, v in bad)
    return Markup('<div class="banner cache-ineffective"><strong>Cache ineffective.</strong> '
                  "These caches do not save what a cache hit should (or their artifact was "
                  "not usable); a program relying on them pays for compilation on every "
                  "load:<ul>{}</ul></div>").format(items)


def _cache_row(report: Report, key: str, v: dict[str, Any]) -> dict[str, str]:
    status = v["status"]
    word = {Status.OK: "effective", "ineffective": "CACHE INEFFECTIVE",
            Status.UNSUPPORTED: NOT_SUPPORTED}.get(status, status)
    if status == Status.OK and (v["module_bytes"] or v["size"]) < lifecycle.JUDGED_FROM_BYTES:
        word = "not judged (small module)"
    hit = f"cache/{v['mechanism']}/{v['size']}"
    return {
        "runtime": report.label(key), "module size": fmt.nbytes(v["size"]),
        "mechanism": v["mechanism"],
        "compile each time": (fmt.ns(v["cold_s"] * 1e9) if v["cold_s"] is not None
                               else report.value_text(key, f"cache/{lifecycle.COLD_PATH}/"
                                                           f"{v['size']}", "cache")),
        "through the cache": (fmt.ns(v["hit_s"] * 1e9) if v["hit_s"] is not None
                              else NOT_SUPPORTED if status == Status.UNSUPPORTED
                              else report.value_text(key, hit, "cache")),
        "its miss": fmt.ns(v["miss_s"] * 1e9) if v["miss_s"] is not None else "—",
        "speed-up": fmt.ratio(v["speedup"]) if v["speedup"] is not None else "—",
        "verdict": word, "why": v["reason"],
    }


def _speedup_figure(report: Report, verdicts: list[tuple[str, dict[str, Any]]],
                    rules: dict[str, Any]) -> Figure:
    mechanisms = [m for m in lifecycle.HITS if any(v["mechanism"] == m for _, v in verdicts)]
    fig = plots.figure(4.2 * len(mechanisms), 4.4)
    axes = fig.subplots(1, len(mechanisms), sharey=True, squeeze=False)[0]
    threshold = rules["ineffective_below_speedup"]
    for ax, mechanism in zip(axes, mechanisms, strict=True):
        _speedup_panel(report, ax, mechanism,
                       [(k, v) for k, v in verdicts if v["mechanism"] == mechanism], threshold)
    axes[0].set_ylabel("speed-up over compiling every time (×, log scale)")
    fig.suptitle("Cache speed-up against module size, per mechanism (red ring: cache "
                 f"ineffective; dotted: {threshold:g}× required from "
                 f"{fmt.nbytes(rules['judged_from_bytes'])})")
    return Figure(fig, "speedups", "Cache speed-up over compiling every time, per mechanism "
                                   "and module size",
                  alt="Speed-up of each cache mechanism against module size, one panel per "
                      "mechanism, one colour per runtime")


def _speedup_panel(report: Report, ax: Axes, mechanism: str,
                   verdicts: list[tuple[str, dict[str, Any]]], threshold: float) -> None:
    handles = []
    for key in report.keys:
        mine = sorted((v for k, v in verdicts if k == key), key=lambda v: v["size"])
        if not mine:
            continue
        timed = [v for v in mine if v["speedup"] is not None]
        label, color = report.label(key), report.color(key)
        if not timed:
            words = sorted({NOT_SUPPORTED if v["status"] == Status.UNSUPPORTED else v["status"]
                            for v in mine})
            handles.append(Line2D([], [], linestyle="none", marker="x", color=color,
                                  label=f"{label}: {', '.join(words)}"))
            continue
        x = [v["module_bytes"] or v["size"] for v in timed]
        ax.plot(x, [v["speedup"] for v in timed], marker="o", color=color)
        bad = [v for v in timed if v["ineffective"]]
        ax.plot([v["module_bytes"] or v["size"] for v in bad], [v["speedup"] for v in bad],
                linestyle="none", marker="o", markersize=13, markerfacecolor="none",
                markeredgecolor="#b3261e", markeredgewidth=2)
        handles.append(Line2D([], [], marker="o", color=color, label=label))
    ax.axhline(threshold, color="black", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    plots.bytes_axis(ax, label="module size (bytes, log scale)")
    ax.grid(which="major", alpha=0.3)
    ax.set_title(f"{mechanism}: {MECHANISMS.get(mechanism, mechanism)}", fontsize=9)
    ax.legend(handles=handles, fontsize=7, loc="best")
