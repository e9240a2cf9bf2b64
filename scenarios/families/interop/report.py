"""Both directions: callbacks into Python, argument marshalling, the fastest memory path.

The figures come from ``scenarios.families.interop.figures`` (the derivations also usable on bare
pyperf files), fed with this run's values, one "runtime" per report key so that a runtime run
on two interpreters stays two rows. Cells without a number show the status word.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from scenarios.families.interop import figures as interop
from scenarios.families.interop.callbacks import NO_IMPORT
from scenarios.reporting import fmt, plots, stats
from scenarios.reporting.model import Report, is_missing
from scenarios.reporting.sections import Block, Figure, Table, Text, section

IMPORT_ORDER = ("noop", "add", "log")  # cheapest crossing first
ARG_TYPES = ("i32", "i64", "f32", "f64")
ANALYSIS_COLUMNS = ("runtime", "interpreter", "benchmark", "value_ns",
                    *interop.METADATA_COLUMNS)


def analysis_values(report: Report) -> pd.DataFrame:
    """The run's values as ``interop`` reads them (``runtime`` = the report key), restricted
    to cells with numbers."""
    entries = report.run.manifest.runtimes
    paths = [p for e in entries.values()
             if (p := report.run.path / Path(e.file).name).is_file()]
    frame = interop.values_frame(paths).reindex(columns=list(ANALYSIS_COLUMNS))
    key_of = {(e.runtime, e.interpreter): k for k, e in entries.items()}
    frame["runtime"] = [key_of.get(p) for p in zip(frame["runtime"], frame["interpreter"],
                                                   strict=True)]
    timed = pd.MultiIndex.from_frame(report.timed()[["key", "benchmark"]])
    return frame[pd.MultiIndex.from_arrays([frame["runtime"], frame["benchmark"]]).isin(timed)]


def matrix(report: Report, key: str, name: str) -> np.ndarray:
    """The values (seconds) of one cell, process x value, for the bootstrap."""
    return stats.process_matrix(report.run.benchmarks[(key, name)])


def rank(item: str, known: tuple[str, ...]) -> tuple[int, str]:
    """Sort key: the ``known`` items in their order, anything else after them by name."""
    return (known.index(item) if item in known else len(known), item)


def ns_interval(low: float, high: float) -> str:
    return "no interval (fewer than 2 processes)" if math.isnan(low) or math.isnan(high) \
        else f"[{fmt.ns(low)}, {fmt.ns(high)}]"


def mark_missing(ax: Axes, x: float, text: str, color: str) -> None:
    """Write a status word where a point would be, instead of drawing one."""
    ax.annotate(text, (x, 0.03), xycoords=("data", "axes fraction"), rotation=90, fontsize=8,
                ha="center", va="bottom", color=color)


# --- callbacks -------------------------------------------------------------------------------

def callback_label(name: str) -> str:
    """``host_call/log/16`` -> ``log (ptr, len), 16 B``."""
    parts = name.split("/")[1:]
    if parts[0] == "log" and len(parts) == 2:
        return f"log (ptr, len), {fmt.nbytes(int(parts[1]))}"
    return {"noop": "no-op ()", "add": "add (i32, i32) -> i32"}.get(parts[0], "/".join(parts))


def status_table(report: Report, scenario: str) -> Table:
    """Per runtime, why ``scenario`` has no benchmarks at all (e.g. not supported)."""
    return Table(pd.DataFrame({
        "runtime": [report.label(k) for k in report.keys],
        scenario: [report.value_text(k, "", scenario) for k in report.keys]}),
        f"{scenario}: no benchmark has a number")


def callback_costs(report: Report) -> pd.DataFrame:
    """One row per runtime key and import: per-callback ns, its interval, or why none."""
    values = analysis_values(report)
    costs = interop.per_callback_ns(values).set_index(["runtime", "benchmark"])[
        "per_callback_ns"] if values["n_calls"].notna().any() else pd.Series(dtype=float)
    meta = values.dropna(subset=["n_calls"]).groupby("benchmark")[
        ["n_calls", "baseline_benchmark"]].first()
    bases = {NO_IMPORT, *meta["baseline_benchmark"]}
    rows = []
    for name in [b for b in report.benchmarks("host_call") if b not in bases]:
        base = meta["baseline_benchmark"].get(name, NO_IMPORT)
        for key in report.keys:
            row = {"key": key, "benchmark": name, "ns": math.nan, "low": math.nan,
                   "high": math.nan, "status": ""}
            cost = costs.get((key, name), math.nan)
            if is_missing(cost):  # the import's own status, else that of the loop without it
                mine = report.cell(key, name)
                row["status"] = (report.value_text(key, name, "host_call")
                                 if mine is None or is_missing(mine["median_ns"])
                                 else f"{report.value_text(key, base, 'host_call')}: {base}")
            else:
                scale = 1e9 / meta.loc[name, "n_calls"]  # seconds per guest call -> ns each
                low, high = stats.difference_ci(matrix(report, key, name),
                                                matrix(report, key, base))
                row.update(ns=cost, low=low * scale, high=high * scale)
            rows.append(row)
    return pd.DataFrame(rows)


@section("Callbacks into Python", order=50, scenarios=("host_call",))
def callbacks(report: Report) -> list[Block]:
    costs = callback_costs(report)
    if costs.empty:
        return [status_table(report, "host_call")]
    names = sorted(dict.fromkeys(costs["benchmark"]), key=lambda n: rank(n.split("/")[1],
                                                                            IMPORT_ORDER))
    fig = plots.figure(2.2 * len(names) + 2, 4.5)
    ax = fig.add_subplot()
    width = 0.8 / len(report.keys)
    for i, key in enumerate(report.keys):
        mine = costs[costs["key"] == key].set_index("benchmark").loc[names]
        xs = np.arange(len(names)) - 0.4 + width * (i + 0.5)
        y, ok = mine["ns"].to_numpy(), mine["ns"].notna().to_numpy()
        err = np.nan_to_num(np.vstack([y - mine["low"], mine["high"] - y]))
        ax.errorbar(xs[ok], y[ok], yerr=err[:, ok], fmt="o", capsize=4,
                    color=report.color(key), label=report.label(key))
        for x, status in zip(xs[~ok], mine["status"][~ok], strict=True):
            mark_missing(ax, x, status, report.color(key))
    timed = costs["ns"].dropna()
    log = bool((timed > 0).all()) and plots.wants_log(timed)
    plots.time_axis(ax, log=log, label="cost of one callback")
    lowest = np.nanmin([0.0, *costs["low"], *costs["ns"]])
    if lowest < 0 and not log:  # noise can push a cheap callback below zero: show it
        ax.set_ylim(bottom=lowest * 1.2)
        ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xticks(range(len(names)), [callback_label(n) for n in names])
    ax.set_xlabel("host import the guest calls")
    ax.set_title("Per-callback cost: (loop with the import - same loop without it) / calls"
                 "\n(whiskers: 95 % bootstrap interval over processes)")
    ax.legend(title="runtime", fontsize=8)
    ax.grid(axis="y", which="major", alpha=0.3)

    def text(row: pd.Series) -> str:
        if is_missing(row["ns"]):
            return row["status"]
        return f"{fmt.ns(row['ns'])} {ns_interval(row['low'], row['high'])}"

    table = costs.assign(cell=costs.apply(text, axis=1)).pivot(
        index="key", columns="benchmark", values="cell").reindex(index=report.keys,
                                                                 columns=names)
    table.columns = [callback_label(n) for n in names]
    table.insert(0, f"loop without the import (per guest call: {NO_IMPORT})",
                 [report.value_text(k, NO_IMPORT, "host_call") for k in report.keys])
    table.insert(0, "runtime", [report.label(k) for k in report.keys])
    return [
        Text("What one call from the guest into a Python host function costs: the guest runs "
             "a loop calling the import once per iteration; the same loop without the call "
             "is subtracted and the difference divided by the number of calls, so the entry "
             "call into the guest cancels out. The interval is a 95 % percentile bootstrap "
             "over worker processes of both benchmarks. \"log\" hands the host a pointer and "
             "length and the host copies those bytes out of guest memory."),
        Figure(fig, "per-callback", "Per-callback cost per runtime and host import",
               alt="Per-callback cost in time per callback, one marker per runtime and host "
                   "import, with 95 % intervals"),
        Table(table.reset_index(drop=True),
              "Per-callback cost (95 % interval over processes), or why there is no number"),
    ]


# --- argument marshalling ----------------------------------------------------------------------

def arg_shape(name: str) -> tuple[str, int]:
    """``arg_shapes/i64x4`` -> ("i64", 4); ``arg_shapes/none`` -> ("none", 0)."""
    last = name.split("/")[-1]
    kind, _, count = last.partition("x")
    return (kind, int(count)) if count else (kind, 0)


@section("Argument marshalling", order=51, scenarios=("arg_shapes",))
def argument_marshalling(report: Report) -> list[Block]:
    shapes = {name: arg_shape(name) for name in report.benchmarks("arg_shapes")}
    if not shapes:
        return [status_table(report, "arg_shapes")]
    kinds = sorted({k for k, _ in shapes.values() if k != "none"},
                   key=lambda k: rank(k, ARG_TYPES))
    values = analysis_values(report)
    fits = interop.fit_per_argument(values) if values["arg_count"].notna().any() else \
        pd.DataFrame(columns=["runtime", "arg_type"])
    fits = fits.set_index(["runtime", "arg_type"])
    timed = report.timed("arg_shapes").set_index(["key", "benchmark"])["median_ns"]

    fig = plots.figure(3.4 * max(len(kinds), 1), 4.2)
    axes = fig.subplots(1, max(len(kinds), 1), sharey=True, squeeze=False)[0]
    log = plots.wants_log(timed)
    for ax, kind in zip(axes, kinds, strict=False):
        mine = [n for n, (k, _) in shapes.items() if k in (kind, "none")]
        for key in report.keys:
            color = report.color(key)
            pts = [(shapes[n][1], timed[(key, n)]) for n in mine if (key, n) in timed.index]
            if pts:
                x, y = zip(*pts, strict=True)
                ax.plot(x, y, "o", color=color, label=report.label(key))
            else:  # nothing to draw: the legend says why
                word = report.value_text(key, mine[-1], "arg_shapes")
                ax.plot([], [], "o", color=color, label=f"{report.label(key)}: {word}")
            if (key, kind) in fits.index:
                fit = fits.loc[(key, kind)]
                grid = np.linspace(0, max(c for _, c in shapes.values()), 50)
                line = fit["fixed_ns"] + fit["per_arg_ns"] * grid
                ax.plot(grid[line > 0], line[line > 0], "--", color=color, linewidth=1)
        plots.time_axis(ax, log=log)
        if ax is not axes[0]:
            ax.set_ylabel("")
        ax.set_xlabel(f"number of {kind} arguments")
        ax.set_title(f"{kind}: time per call")
        ax.grid(which="major", alpha=0.3)
    axes[0].legend(title="runtime (dashed: fit)", fontsize=8)
    fig.suptitle("Time per call against the number of arguments (medians; dashed: "
                 "least-squares line)")

    rows = []
    for key in report.keys:
        for kind in kinds:
            mine = [n for n, (k, _) in shapes.items() if k in (kind, "none")]
            words = {n: report.value_text(key, n, "arg_shapes") for n in mine
                     if (key, n) not in timed.index}
            left_out = "; ".join(f"{n.split('/')[-1]}: {w}" for n, w in words.items()) or "—"
            row = {"runtime": report.label(key), "type": kind}
            if (key, kind) in fits.index:
                fit = fits.loc[(key, kind)]
                row.update({
                    "per extra argument": f"{fmt.ns(fit['per_arg_ns'])} ± "
                                          f"{fmt.ns(fit['per_arg_stderr_ns'])}",
                    "intercept (0 arguments)": fmt.ns(fit["fixed_ns"]),
                    "r²": f"{fit['r2']:.3f}", "values fitted": int(fit["points"]),
                    "left out (no number)": left_out})
            else:
                word = next(iter(words.values()), "too few points")
                row.update({"per extra argument": word, "intercept (0 arguments)": word,
                            "r²": "—", "values fitted": 0, "left out (no number)": left_out})
            rows.append(row)
    return [
        Text("Time per call of a guest function taking 0 to 16 parameters of one type and "
             "returning an i32 checksum of them. Per runtime and type, a least-squares line "
             "through every timed value (the call without arguments belongs to every type's "
             "line): its slope is the marshalling cost of one more argument (± one standard "
             "error), its intercept the cost of the call itself."),
        Figure(fig, "arguments", "Time per call against the number of arguments, per type",
               alt="Per argument type, time per call against argument count, one colour per "
                   "runtime, with the fitted line dashed"),
        Table(pd.DataFrame(rows), "Per-argument fit t = intercept + slope · count per runtime "
                                  "and type"),
    ]


# --- memory paths ------------------------------------------------------------------------------

def access_shape(name: str) -> tuple[str, str, int]:
    """``memory_access/ctypes/read/1024`` -> ("ctypes", "read", 1024)."""
    _, path, direction, size = name.split("/")
    return path, direction, int(size)


def fastest_path_table(report: Report) -> pd.DataFrame:
    shapes = {n: access_shape(n) for n in report.benchmarks("memory_access")}
    paths = list(dict.fromkeys(p for p, _, _ in shapes.values()))
    cases = sorted({(d, s) for _, d, s in shapes.values()}, key=lambda c: (c[0], c[1]))
    values = analysis_values(report)
    best = interop.fastest_memory_path(values) if values["memory_path"].notna().any() else \
        pd.DataFrame(columns=["runtime", "memory_direction", "payload_bytes"])
    best = best.set_index(["runtime", "memory_direction", "payload_bytes"])
    name_of = {v: n for n, v in shapes.items()}
    rows = []
    for key in report.keys:
        for direction, size in cases:
            row = {"runtime": report.label(key), "direction": direction,
                   "size": fmt.nbytes(size)}
            if (key, direction, size) in best.index:
                top = best.loc[(key, direction, size)]
                row.update({"fastest path": top["memory_path"],
                            "its median": fmt.ns(top["median_ns"])})
            else:  # no safe path has a number: say why (the api path's status)
                word = report.value_text(key, name_of.get(("api", direction, size), ""),
                                         "memory_access")
                row.update({"fastest path": word, "its median": word})
                top = None
            for path in paths:
                name = name_of.get((path, direction, size))
                cell = report.cell(key, name) if name else None
                if name is None:
                    row[path] = "—"
                elif top is not None and path == top["memory_path"]:
                    row[path] = "fastest"
                elif top is not None and cell is not None and not is_missing(cell["median_ns"]):
                    row[path] = f"{fmt.ratio(cell['median_ns'] / top['median_ns'])} " \
                                f"({fmt.ns(cell['median_ns'])})"
                else:
                    row[path] = report.value_text(key, name, "memory_access")
            rows.append(row)
    return pd.DataFrame(rows)


def grow_table(report: Report) -> pd.DataFrame:
    host, guest = "memory_grow/host", "memory_grow/guest"
    rows = []
    for key in report.keys:
        row = {"runtime": report.label(key),
               "host: Memory.grow(1)": report.value_text(key, host, "memory_grow"),
               "guest: memory.grow 1": report.value_text(key, guest, "memory_grow")}
        if all(not is_missing((report.cell(key, n) or {}).get("median_ns"))
               for n in (host, guest)):
            r = stats.ratio_ci(matrix(report, key, host), matrix(report, key, guest))
            row["host / guest"] = f"{fmt.ratio(r.value)} {fmt.interval(r.low, r.high)}"
        else:
            row["host / guest"] = "—"
        rows.append(row)
    return pd.DataFrame(rows)


@section("Memory paths", order=52, scenarios=("memory_access", "memory_grow"))
def memory_paths(report: Report) -> list[Block]:
    blocks: list[Block] = []
    if report.has_scenario("memory_access") and not report.benchmarks("memory_access"):
        blocks.append(status_table(report, "memory_access"))
    elif report.has_scenario("memory_access"):
        blocks += [
            Text("For each runtime, direction and size: the fastest access path that passed "
                 "validation, by median, and how many times slower each other path is (its "
                 "median in brackets), or why it has no number. memoryview_cached is not "
                 "eligible as the fastest: one view taken up front goes stale when memory "
                 "grows, so it is only usable where the program re-takes the view after "
                 "anything that may grow memory; its ratio is still shown (below ×1 where it "
                 "wins)."),
            Table(fastest_path_table(report), "Fastest correct memory access path per "
                                              "runtime, direction and size")]
    if report.has_scenario("memory_grow"):
        blocks += [
            Text("Growing linear memory by one page from the host (the binding's "
                 "Memory.grow) against the guest's own memory.grow instruction; the ratio's "
                 "interval is a 95 % bootstrap over processes."),
            Table(grow_table(report), "memory_grow: median per grow, host against guest")]
    return blocks
