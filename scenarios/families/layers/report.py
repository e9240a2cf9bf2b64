"""Where the cost goes: each runtime's no-op call and 1 KiB string round trip, in layers; and
the price of the sandbox, the lowest sandboxed path against the lowest native one.

Every number comes from ``scenarios.families.layers.figures`` (its docstring gives each formula);
these sections draw and tabulate them, add the no-op ratios to each native floor (bootstrap
intervals from ``stats.ratio_ci``, as in the headline) and the engine floors, and say, for a
runtime without a breakdown or a layer without a value, which benchmark has no number and why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator

from scenarios.families.layers import figures as bd
from scenarios.record.key import RunKey
from scenarios.reporting import fmt, plots, stats
from scenarios.reporting.model import Report
from scenarios.reporting.sections import Block, Figure, Table, Text, section

NS = 1e9
# Bottom to top of a bar; the colours are the layers', not the runtimes' (runtimes are rows).
LAYERS = {"python call": "#4c72b0", "FFI floor": "#55a868", "engine entry/exit": "#c44e52",
          "binding overhead": "#8172b2", "guest work": "#ccb974", "data copy": "#64b5cd",
          "harness": "#8c8c8c"}
TITLES = {"no_op": "no-op call (no_op)",
          "reverse_string/1024": "1 KiB string round trip (reverse_string/1024)"}
GOAL = 5.0  # the project's goal: a lowest-overhead path within 5x of native's no-op
NO_INTERVAL = "none: a term has fewer than 2 processes (e.g. --debug-single-value)"


@section("Where the cost goes", order=50, name="breakdown",
         scenarios=(bd.LOOP, "guest_work", "data_copy", "engine_floor"))
def where_the_cost_goes(report: Report) -> list[Block]:
    samples = bd.samples(report.run)
    blocks: list[Block] = [Text(
        "Each runtime's time per call split into layers, from this run alone: the harness "
        "(the timing loop's own cost, loop_overhead), the Python call (the python baseline), "
        "the FFI floor (the lowest native floor minus python: the guest's own source built "
        "natively and called through ctypes or through a C extension, whichever costs less "
        "here; the formula names it), engine entry/exit (the runtime's lowest-overhead path "
        "minus that floor), binding overhead (the shipped API minus its lowest path), and for "
        "the string round trip the data copy (data_copy) and the guest's "
        "own work (guest_work, timed by a loop inside the guest). Layers are differences of "
        "means and add up to the runtime's measured mean; a layer derived by subtraction comes "
        "out negative (drawn hatched, left of zero) when the parts subtracted measured more "
        "than the whole: a layer smaller than the noise, or parts that cost more apart than "
        "together. Intervals are 95 % Welch t-intervals over worker processes.")]
    for operation in bd.OPERATIONS:
        blocks += _operation(report, samples, operation)
    blocks += _native_ratios(report, samples)
    blocks += _floors(report, samples)
    return blocks


# --- why a number is missing ---------------------------------------------------------------

def _key(runtime: str, interpreter: str) -> str:
    return str(RunKey(runtime, interpreter))


def _where(report: Report, key: str) -> tuple[str, str]:
    """(runtime, interpreter) of a report key ("" for a runtime that ran nowhere)."""
    return RunKey.parse(key)


def _status(report: Report, runtime: str, interpreter: str, bench: str) -> str:
    unavailable = report.run.manifest.unavailable
    if runtime in unavailable:  # no interpreter could host it: it ran nowhere
        return f"unavailable ({unavailable[runtime]})"
    status, detail = report.why_no_number(_key(runtime, interpreter), bench, bench.split("/")[0])
    return f"{status} ({detail})" if detail else status


def _explain(report: Report, samples: bd.Samples, interpreter: str,
             wanted: Iterable[tuple[str, str]]) -> str:
    """Which of ``wanted`` (runtime, benchmark) have no values here, and why, grouped."""
    why: dict[tuple[str, str], list[str]] = {}
    for runtime, bench in wanted:
        if not samples.values.get((runtime, interpreter), {}).get(bench):
            why.setdefault((runtime, _status(report, runtime, interpreter, bench)),
                           []).append(bench)
    return "; ".join(f"{runtime} {', '.join(benches)}: {status}"
                     for (runtime, status), benches in why.items())


def _interval(est: bd.Estimate) -> str:
    if est.low is None or est.high is None:
        return NO_INTERVAL
    return f"[{fmt.ns(est.low * NS)}, {fmt.ns(est.high * NS)}]"


# --- the layers of one operation -----------------------------------------------------------

def _operation(report: Report, samples: bd.Samples, operation: str) -> list[Block]:
    title = TITLES[operation]
    needed = [bd.LOOP, *(b.split("/")[0] for b in bd.OPERATIONS[operation] if b)]
    lacking = [s for s in needed if not report.has_scenario(s)]
    if lacking:
        return [Text(f"No breakdown of the {title}: it needs the scenarios "
                     f"{', '.join(needed)}, and this run did not attempt "
                     f"{', '.join(lacking)}.")]
    found: dict[str, bd.Breakdown | None] = {}
    rows: list[dict[str, str]] = []
    for key in report.keys:
        runtime, interpreter = _where(report, key)
        b = bd.breakdown(samples, runtime, interpreter, operation) if interpreter else None
        found[key] = b
        if b is None:
            own = [(runtime, n) for n in (*bd.OPERATIONS[operation], bd.LOOP) if n]
            rows.append({"runtime": report.label(key), "layer": "—", "how": "no breakdown",
                         "value": "—", "95 % interval": "—",
                         "formula, or why there is no number":
                             _explain(report, samples, interpreter, own)})
            continue
        rows.append({"runtime": report.label(key), "layer": "total", "how": "measured directly",
                     "value": fmt.ns(b.total.mean * NS), "95 % interval": _interval(b.total),
                     "formula, or why there is no number": f"{operation} ({runtime})"})
        for layer in sorted(b.layers, key=lambda x: list(LAYERS).index(x.name)):
            rows.append(_layer_row(report, samples, key, b, layer))
    fig = _figure(report, operation, found)
    return [Figure(fig, operation.replace("/", "-"), f"Where the time of the {title} goes, "
                   "per runtime", alt=f"Stacked horizontal bars, one per runtime: the layers "
                   f"of the {title}, in time and as a share of the runtime's total"),
            Table(pd.DataFrame(rows), f"Layers of the {title}: how each is obtained, its "
                                      "value and its 95 % interval")]


def _layer_row(report: Report, samples: bd.Samples, key: str, b: bd.Breakdown,
               layer: bd.Layer) -> dict[str, str]:
    row = {"runtime": report.label(key), "layer": layer.name, "how": layer.how}
    if layer.estimate is not None:
        return {**row, "value": fmt.ns(layer.estimate.mean * NS),
                "95 % interval": _interval(layer.estimate),
                "formula, or why there is no number": layer.formula}
    missing = _explain(report, samples, b.interpreter, layer.terms)  # and why they are
    return {**row, "value": "not measured", "95 % interval": "none: not measured",
            "formula, or why there is no number":
                f"{layer.formula}: {missing}" if missing else layer.formula}


def _stack(ax: Axes, y: int, parts: Iterable[tuple[str, float]]) -> None:
    """Positive parts stacked right of zero, negative ones (hatched) left of it."""
    right = left = 0.0
    for name, value in parts:
        if value >= 0:
            ax.barh(y, value, left=right, color=LAYERS[name], edgecolor="white", linewidth=0.5)
            right += value
        else:
            ax.barh(y, value, left=left, color=LAYERS[name], edgecolor="black", hatch="///",
                    linewidth=0.5)
            left += value


def _figure(report: Report, operation: str, found: dict[str, bd.Breakdown | None]
            ) -> MplFigure:
    keys = report.keys
    fig = plots.figure(12, 1.9 + 0.5 * len(keys))
    ax_time, ax_share = fig.subplots(1, 2, sharey=True, width_ratios=(3, 2))
    labels = []
    for i, key in enumerate(keys):
        b = found[key]
        if b is None:
            labels.append(report.label(key))
            for ax in (ax_time, ax_share):
                ax.text(0.02, i, "no breakdown (see the table)", va="center", fontsize=8,
                        color="#555555", style="italic", transform=ax.get_yaxis_transform())
            continue
        total = b.total.mean * NS
        labels.append(f"{report.label(key)}\ntotal {fmt.ns(total)}")
        parts = [(x.name, x.estimate.mean * NS) for x in b.layers if x.estimate is not None]
        parts.sort(key=lambda p: list(LAYERS).index(p[0]))
        _stack(ax_time, i, parts)
        _stack(ax_share, i, [(name, 100 * v / total) for name, v in parts])
        ax_time.plot(total, i, marker="|", color="black", markersize=16, markeredgewidth=2)
    ax_time.set_yticks(range(len(keys)), labels, fontsize=8)
    for tick, key in zip(ax_time.get_yticklabels(), keys, strict=True):
        tick.set_color(report.color(key))
    ax_time.set_ylim(len(keys) - 0.5, -0.5)  # first runtime on top
    ax_time.set_ylabel("runtime")
    plots.time_axis(ax_time, which="x", log=False, label="time per call")
    ax_share.set_xlabel("share of the runtime's measured total (%)")
    for ax in (ax_time, ax_share):
        ax.axvline(0, color="black", linewidth=0.8)
        ax.grid(axis="x", alpha=0.3)
    ax_time.set_title("time per call (linear scale)", fontsize=10)
    ax_share.set_title("share of each runtime's total", fontsize=10)
    fig.suptitle(f"{TITLES[operation]}: where each runtime's time goes")
    handles: list[Patch | Line2D] = [Patch(color=c, label=n) for n, c in LAYERS.items()]
    handles += [Patch(facecolor="white", edgecolor="black", hatch="///",
                      label="negative: the parts subtracted measured more"),
                Line2D([], [], marker="|", linestyle="", color="black", markersize=12,
                       markeredgewidth=2, label="measured total")]
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=8, frameon=False)
    return fig


# --- ratios to native and engine floors ----------------------------------------------------

def _native_ratios(report: Report, samples: bd.Samples) -> list[Block]:
    if not report.has_scenario("no_op"):
        return []
    where = [_where(report, key) for key in report.keys]
    floors = [f for f in bd.FLOORS if any(rt == f for rt, _ in where)] or list(bd.FLOORS)
    rows, goals = [], []
    for key, (runtime, interpreter) in zip(report.keys, where, strict=True):
        if runtime in bd.FLOORS:
            continue
        for floor in floors:
            row = {"runtime": report.label(key), "native floor": floor,
                   "no_op median": report.value_text(key, "no_op", "no_op")}
            mine, base = (report.run.benchmarks.get((k, "no_op"))
                          for k in (key, _key(floor, interpreter)))
            if mine is None or base is None:  # (a runtime that ran nowhere has no floor beside)
                wanted = [(runtime, "no_op"), *([(floor, "no_op")] if interpreter else [])]
                reason = _explain(report, samples, interpreter, wanted)
                rows.append({**row, "ratio to the floor": "—", "95 % interval": "—",
                             "note": f"no ratio: {reason}"})
                continue
            r = stats.ratio_ci(stats.process_matrix(mine), stats.process_matrix(base))
            target = samples.lowest_path_of.get((runtime, interpreter))
            rows.append({**row, "ratio to the floor": fmt.ratio(r.value),
                         "95 % interval": fmt.interval(r.low, r.high) if r.has_interval
                         else "none: fewer than 2 processes on a side",
                         "note": f"lowest-overhead path of {target}" if target else ""})
            if target:
                goals.append(f"{report.label(key)} (the lowest-overhead path of {target}) costs "
                             f"{fmt.ratio(r.value)} {floor}'s no-op: {_goal(r)}.")
    return [Table(pd.DataFrame(rows), "no_op: each runtime's median relative to each native "
                                      "floor's on the same interpreter (95 % bootstrap interval "
                                      "over processes)"),
            *([Text(" ".join(goals))] if goals else [])]


def _goal(r: stats.Ratio) -> str:
    if not r.has_interval:
        return (f"{'within' if r.value <= GOAL else 'beyond'} the {GOAL:g}x goal, without an "
                "interval to say how surely")
    if r.high < GOAL:
        return f"within the {GOAL:g}x goal (the whole interval is below {GOAL:g})"
    if r.low > GOAL:
        return f"beyond the {GOAL:g}x goal (the whole interval is above {GOAL:g})"
    return f"at the edge of the {GOAL:g}x goal (the interval contains {GOAL:g})"


def _floors(report: Report, samples: bd.Samples) -> list[Block]:
    if not report.has_scenario("engine_floor"):
        return []
    found: dict[str, list[bd.Floor]] = {}
    for f in bd.floors(samples):
        found.setdefault(_key(f.runtime, f.interpreter), []).append(f)
    rows = []
    for key in report.keys:
        for f in found.get(key, []):
            rows.append({"runtime": report.label(key), "crossing": f.name,
                         "cost per crossing": fmt.ns(f.estimate.mean * NS),
                         "95 % interval": _interval(f.estimate),
                         "formula, or why there is none": f"{f.formula}, per loop step"})
        if any(f.name == "in-guest call" for f in found.get(key, [])):
            continue
        runtime, interpreter = _where(report, key)
        rows.append({"runtime": report.label(key), "crossing": "in-guest call",
                     "cost per crossing": "—", "95 % interval": "—",
                     "formula, or why there is none": _explain(
                         report, samples, interpreter, [(runtime, b) for b in bd.ENGINE_FLOOR])})
    return [Text("Engine floors: what one crossing costs inside the engine, from a loop in the "
                 "guest that makes the call (engine_floor/calls) or not (engine_floor/no_calls), "
                 "per loop step; a host-import call where the run has host_call."),
            Table(pd.DataFrame(rows), "Engine floors per runtime (95 % Welch t-interval over "
                                      "processes)")]


# --- the price of the sandbox --------------------------------------------------------------

SANDBOX_SCENARIOS = tuple(dict.fromkeys(b.split("/")[0] for b in bd.SANDBOX))


def has_floor(report: Report) -> bool:
    """Whether the run asked for a native floor (ran, failed or unavailable)."""
    return any(_where(report, key)[0] in bd.FLOORS for key in report.keys)


def _side_missing(report: Report, samples: bd.Samples, interpreter: str, bench: str,
                  native: bool) -> str:
    """Why no runtime of one side (the native floors, or the sandboxed paths) timed ``bench``."""
    where = [_where(report, key) for key in report.keys]
    runtimes = (list(bd.FLOORS) if native else
                [rt for rt, i in where if rt not in bd.REFERENCES and i in (interpreter, "")])
    side = "native floor" if native else "sandboxed path"
    reason = _explain(report, samples, interpreter, [(rt, bench) for rt in runtimes])
    return f"no {side} timed {bench} here" + (f": {reason}" if reason else "")


@section("The price of the sandbox", order=51, name="sandbox-price",
         scenarios=SANDBOX_SCENARIOS)
def the_price_of_the_sandbox(report: Report) -> list[Block]:
    if not has_floor(report):
        return []
    samples = bd.samples(report.run)
    prices = {(p.interpreter, p.benchmark): p for p in bd.sandbox_prices(report.run)}
    interpreters = list(dict.fromkeys(i for _, i in (_where(report, k) for k in report.keys)
                                      if i))
    rows, shown = [], []
    for interpreter in interpreters:
        for bench in bd.SANDBOX:
            if not report.has_scenario(bench.split("/")[0]):
                continue
            p = prices.get((interpreter, bench), bd.SandboxPrice(bench, interpreter, None, None))
            row = {"benchmark": bench, "interpreter": interpreter,
                   "lowest sandboxed path": _path(report, p.sandboxed, interpreter,
                                                  p.sandboxed_median),
                   "lowest native path": _path(report, p.native, interpreter, p.native_median)}
            if p.ratio is None or p.difference is None:
                why = [_side_missing(report, samples, interpreter, bench, native)
                       for native, name in ((False, p.sandboxed), (True, p.native)) if not name]
                rows.append({**row, "sandboxed / native": "—", "95 % interval (ratio)": "—",
                             "sandboxed - native": "—", "95 % interval (difference)": "—",
                             "note": "; ".join(why)})
                continue
            shown.append(p)
            rows.append({**row, "sandboxed / native": fmt.ratio(p.ratio.value),
                         "95 % interval (ratio)": fmt.interval(p.ratio.low, p.ratio.high)
                         if p.ratio.has_interval else NO_INTERVAL,
                         "sandboxed - native": fmt.ns(p.difference.mean * NS),
                         "95 % interval (difference)": _interval(p.difference),
                         "note": ""})
    if not rows:
        return []
    blocks: list[Block] = [Text(
        "What the sandbox itself costs a Python caller: for each benchmark that both kinds of "
        "path run, the fastest WebAssembly runtime of this run (any runtime that is not a "
        "reference) against the fastest native floor (the guest's own Rust source built "
        "natively, called through ctypes or a C extension), on the same interpreter. The ratio "
        "and the difference are of the two medians, with 95 % bootstrap intervals over worker "
        "processes; a ratio near 1 means the sandbox, bounds-checked memory and traps "
        "included, costs a call next to nothing beyond the native call.")]
    if shown:
        blocks.append(Figure(_price_figure(report, shown), "ratios",
                             "The price of the sandbox: lowest sandboxed path over lowest "
                             "native path, per benchmark",
                             alt="Points with 95 % intervals, one per benchmark: the ratio of "
                                 "the fastest sandboxed path's median to the fastest native "
                                 "path's, on a log scale with a line at 1"))
    blocks.append(Table(pd.DataFrame(rows), "The price of the sandbox: the lowest sandboxed "
                                            "path against the lowest native path, per "
                                            "benchmark (medians; 95 % bootstrap intervals over "
                                            "processes)"))
    return blocks


def _path(report: Report, runtime: str | None, interpreter: str, median: float) -> str:
    if runtime is None:
        return "none"
    return f"{report.label(_key(runtime, interpreter))} ({fmt.ns(median * NS)})"


def _price_figure(report: Report, prices: list[bd.SandboxPrice]) -> MplFigure:
    fig = plots.figure(9, 1.4 + 0.45 * len(prices))
    ax = fig.subplots()
    for i, p in enumerate(prices):
        assert p.ratio is not None
        r = p.ratio
        err = ([[r.value - r.low], [r.high - r.value]] if r.has_interval else None)
        ax.errorbar(r.value, i, xerr=err, fmt="o", color="black", capsize=3)
    several = len({p.interpreter for p in prices}) > 1
    ax.set_yticks(range(len(prices)), [f"{p.benchmark}\n{p.sandboxed} / {p.native}"
                                       + (f" ({p.interpreter})" if several else "")
                                       for p in prices], fontsize=8)
    ax.set_ylim(len(prices) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=(1.5, 3.0, 7.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt.ratio(v)))
    ends = [v for p in prices if p.ratio for v in (p.ratio.low, p.ratio.value, p.ratio.high)
            if math.isfinite(v) and v > 0]
    within_a_decade = max(ends) / min(ends) < 10  # then label the minor ticks too
    ax.xaxis.set_minor_formatter(FuncFormatter(
        lambda v, _pos: fmt.ratio(v) if within_a_decade else ""))
    ax.axvline(1, color="#555555", linewidth=0.8, linestyle="--")
    ax.set_xlabel("lowest sandboxed median / lowest native median (log scale; ×1: no price)")
    ax.grid(axis="x", alpha=0.3)
    fig.suptitle("The price of the sandbox, per benchmark (95 % bootstrap intervals)")
    return fig
