"""Stopping a runaway guest: what each runtime can do, how soon it stops, what being able costs.

The numbers are the run's interruption summary (``interruption.json``, written by
``scenarios.families.interruption.figures`` when the run ended; derived again by the same
function for a run folder that lacks it), so the page and the file never disagree. The latency
plot draws pyperf's values themselves: one value is one stop. Wherever the summary has no row,
the cell shows the benchmark's status word and reason instead of a number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from scenarios.families.interruption import figures as summary
from scenarios.record.status import Status
from scenarios.reporting import fmt, plots
from scenarios.reporting.model import Report
from scenarios.reporting.sections import Block, Figure, Table, Text, section

LATENCY, OVERHEAD, RECOVERY = summary.SCENARIOS
FLOOR = "floor"
MECHANISM_TITLES = {"epoch": "epoch deadline", "fuel": "fuel budget", "kill": "kill the process"}
FLOOR_COLOR = "#9a9a9a"
WORDS = {Status.UNSUPPORTED: "not supported"}  # the support matrix's word, in every table here
SLOT = 0.8  # width of one mechanism's group of runtimes on the x axis


def load_summary(report: Report) -> dict[str, Any]:
    """interruption.json of the run, or the same summary derived again when it is absent."""
    data = report.summary("interruption", summary.summarize)
    if data is None:
        raise ValueError("the run has none of the interruption scenarios")
    return data


def by_key(report: Report, rows: list[dict[str, Any]], *fields: str
           ) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Summary rows indexed by (report key, *fields)."""
    keys = {(e.runtime, e.interpreter): k for k, e in report.run.manifest.runtimes.items()}
    return {(keys[(r["runtime"], r["interpreter"])], *(r[f] for f in fields)): r for r in rows}


def no_row(report: Report, key: str, names: list[str], scenario: str) -> tuple[str, str]:
    """(status, reason) for a summary row that does not exist: the first benchmark not ok."""
    for name in names:
        status, reason = report.why_no_number(key, name, scenario)
        if status != Status.OK:
            return WORDS.get(status, status), reason
    return Status.MISSING, "not in interruption.json"


def table(rows: list[dict[str, Any]], caption: str) -> Table:
    """A Table whose empty cells (None: nothing surfaced) read as a dash."""
    return Table(pd.DataFrame(rows).fillna("—"), caption)


def seconds(value: float) -> str:
    return fmt.ns(value * 1e9)


DISTRIBUTION = ("n", "median", "p95", "max")


def distribution_row(report: Report, key: str, r: dict[str, Any] | None, names: list[str],
                     scenario: str) -> dict[str, Any]:
    """n, median, p95, max and what surfaced, from a summary row; else the status word."""
    if r is None or not r["n"]:
        status, reason = no_row(report, key, names, scenario)
        return {**dict.fromkeys(DISTRIBUTION, status), "exception": None, "trap code": None,
                "detail": reason}
    return {"n": str(r["n"]), **{c: seconds(r[c]) for c in DISTRIBUTION[1:]},
            "exception": r["exception"], "trap code": r["trap_code"], "detail": r["detail"]}


def nothing_listed(report: Report, scenario: str) -> list[Block]:
    """What to say when no runtime listed a benchmark of ``scenario``: each one's status."""
    said = [f"{report.label(k)}: {': '.join(filter(None, report.why_no_number(k, '', scenario)))}"
            for k in report.keys]
    return [Text(f"No runtime got as far as listing {scenario}'s benchmarks. "
                 + "; ".join(said) + ".")]


def parts(report: Report, scenario: str) -> list[list[str]]:
    """The benchmark names of ``scenario`` split at "/" (without the scenario), in order."""
    return [name.split("/")[1:] for name in report.benchmarks(scenario)]


# --- the support matrix ------------------------------------------------------------------------

@section("Stopping a runaway guest: what each runtime can do", order=50,
         scenarios=summary.SCENARIOS, name="interruption-support")
def interruption_support(report: Report) -> list[Block]:
    support = by_key(report, load_summary(report)["support"])
    rows, statements = [], []
    for key in report.keys:
        label = report.label(key)
        row = support.get((key,))
        if row is None:  # never ran these scenarios: say why, in every column
            scenario = next(s for s in summary.SCENARIOS if report.has_scenario(s))
            status, reason = report.why_no_number(key, "", scenario)
            word = f"{status}: {reason}" if reason else status
            rows.append({"runtime": label, **{MECHANISM_TITLES[m]: word for m in
                                              summary.MECHANISMS}, "stopped by": status})
            statements.append(Text(f"{label}: not measured ({word})."))
            continue
        cells = {m: row[m]["status"] + (f" ({row[m]['detail']})" if row[m]["detail"] else "")
                 for m in summary.MECHANISMS}
        rows.append({"runtime": label, **{MECHANISM_TITLES[m]: cells[m] for m in cells},
                     "stopped by": row["stop"]})
        statements.append(Text(f"{label}: {statement(row, cells)}"))
    return [
        Text("Can a runaway guest (an infinite loop) be stopped at all, and how? epoch: "
             "a deadline the runtime checks while the guest runs; fuel: a budget of work the "
             "guest burns; kill: the harness's last resort, the guest in a child process "
             "ended with SIGKILL (a restart, with everything the instance held lost)."),
        *statements,
        table(rows, "Support matrix: each mechanism's status in this run, with "
              "the reason where it is not supported or failed"),
    ]


def statement(row: dict[str, Any], cells: dict[str, str]) -> str:
    """One plain sentence: what the runtime can and cannot do to stop a guest."""
    lacks = [f"{m}: {cells[m]}" for m in summary.IN_RUNTIME if row[m]["status"] != "supported"]
    if row["stop"].startswith("in-runtime"):
        return f"stops a runaway guest {row['stop']}" + (
            f"; lacks {'; '.join(lacks)}." if lacks else ".")
    if row["stop"] == "only by killing the process":
        return ("cannot stop a runaway guest inside the runtime "
                f"({'; '.join(lacks)}): only by killing the process.")
    return f"stopping a runaway guest was not shown in this run ({'; '.join(cells.values())})."


# --- interrupt latency -------------------------------------------------------------------------

@section("Interrupt latency", order=51, scenarios=(LATENCY,), name="interrupt-latency")
def interrupt_latency(report: Report) -> list[Block]:
    latency = by_key(report, load_summary(report)["latency"], "mechanism", "deadline_ms")
    names = parts(report, LATENCY)
    if not names:
        return nothing_listed(report, LATENCY)
    mechanisms = sorted(dict.fromkeys(m for m, _ in names), key=lambda m: m != FLOOR)
    deadlines = list(dict.fromkeys(int(d.removesuffix("ms")) for _, d in names))
    rows = []
    for key in report.keys:
        for mechanism in mechanisms:
            for ms in deadlines:
                rows.append({"runtime": report.label(key), "mechanism": mechanism,
                             "deadline": f"{ms} ms", **distribution_row(
                                 report, key, latency.get((key, mechanism, ms)),
                                 [f"{LATENCY}/{mechanism}/{ms}ms"], LATENCY)})
    return [
        Text("The time from the deadline to control back in Python, when an infinite loop is "
             f"stopped {', '.join(map(str, deadlines))} ms after it started. Each dot is one "
             "stop (pyperf's values, one operation each). floor is the alarm alone, with "
             "nothing to stop: the part no runtime avoids (waking a thread on this machine); "
             "the dotted lines carry each runtime's floor median across the other mechanisms. "
             "Fuel is a budget of work, not a deadline, so it has no latency here (see "
             "Recovery). A slot with a word (in the runtime's colour) instead of dots had no "
             "number."),
        latency_figure(report, mechanisms, deadlines),
        table(rows, "Interrupt latency per runtime, mechanism and deadline "
              "(from interruption.json), with the exception and trap code that surfaced"),
    ]


def latency_figure(report: Report, mechanisms: list[str], deadlines: list[int]) -> Figure:
    values = report.values(LATENCY)
    keys = report.keys
    width = SLOT / len(keys)
    fig = plots.figure(1.5 + 0.45 * len(mechanisms) * len(keys) * len(deadlines), 4.4)
    axes = fig.subplots(1, len(deadlines), sharey=True, squeeze=False)[0]
    for ax, ms in zip(axes, deadlines, strict=True):
        marks = blended_transform_factory(ax.transData, ax.transAxes)
        for i, mechanism in enumerate(mechanisms):
            name = f"{LATENCY}/{mechanism}/{ms}ms"
            for j, key in enumerate(keys):
                x = i - SLOT / 2 + width * (j + 0.5)
                v = values.loc[(values["benchmark"] == name) & (values["key"] == key), "ns"]
                if v.empty:
                    ax.text(x, 0.03, no_row(report, key, [name], LATENCY)[0], transform=marks,
                            rotation=90, ha="center", va="bottom", fontsize=7,
                            color=report.color(key))
                    continue
                color = report.color(key)
                face = FLOOR_COLOR if mechanism == FLOOR else color
                ax.boxplot([v.to_numpy()], positions=[x], widths=width * 0.8, showfliers=False,
                           patch_artist=True, manage_ticks=False,
                           boxprops={"facecolor": face, "alpha": 0.3, "edgecolor": color},
                           whiskerprops={"color": color}, capprops={"color": color},
                           medianprops={"color": "black", "linewidth": 2})
                ax.scatter(x + plots.jitter(len(v), width * 0.5, seed=i * 31 + j), v, s=9,
                           color=color, alpha=0.7, linewidths=0, zorder=3)
                if mechanism == FLOOR:
                    ax.axhline(float(np.median(v)), color=color, linestyle=":", linewidth=1.2)
        ax.set_xticks(range(len(mechanisms)), mechanisms)
        ax.set_xlim(-0.6, len(mechanisms) - 0.4)
        ax.set_xlabel("mechanism")
        ax.set_title(f"deadline {ms} ms", fontsize=10)
        ax.grid(axis="y", which="major", alpha=0.3)
    plots.time_axis(axes[0], log=plots.wants_log(values["ns"]),
                    label="deadline to control back in Python")
    for ax in axes[1:]:
        ax.set_ylabel("")
    handles = [Line2D([], [], marker="o", linestyle="", color=report.color(k),
                      label=report.label(k)) for k in keys]
    handles += [Line2D([], [], color="black", linewidth=2, label="median"),
                Line2D([], [], color="#555555", linestyle=":",
                       label="floor median (the alarm alone:\nunavoidable)")]
    axes[-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8,
                    frameon=False)
    fig.suptitle("interrupt_latency: time from the deadline to control back in Python, "
                 "every stop", fontsize=11)
    return Figure(fig, "latency", "Interrupt latency: every stop, per deadline, mechanism and "
                  "runtime; dotted: the runtime's floor",
                  alt="Box and strip plots of interrupt latency at each deadline for each "
                      "runtime and mechanism, on a time axis")


# --- the cost of being able to stop a guest ----------------------------------------------------

@section("Interruption overhead", order=52, scenarios=(OVERHEAD,), name="interrupt-overhead")
def interrupt_overhead(report: Report) -> list[Block]:
    data = load_summary(report)
    overhead = by_key(report, data["overhead"], "workload", "mechanism")
    workloads = list(dict.fromkeys(w for w, _ in parts(report, OVERHEAD)))
    if not workloads:
        return nothing_listed(report, OVERHEAD)
    slots = [(w, m) for w in workloads for m in summary.IN_RUNTIME]
    rows = []
    for key in report.keys:
        for w, m in slots:
            base = {"runtime": report.label(key), "workload": w, "mechanism": m}
            r = overhead.get((key, w, m))
            if r is None:
                status, reason = overhead_gap(report, key, w, m)
                rows.append({**base, "ratio": status, "95 % interval": status,
                             "enabled (mean)": status, "disabled (mean)": status,
                             "values (enabled/disabled)": status, "detail": reason})
            else:
                rows.append({**base, "ratio": fmt.ratio(r["ratio"]),
                             "95 % interval": fmt.interval(r["ci_low"], r["ci_high"]),
                             "enabled (mean)": seconds(r["mean_on"]),
                             "disabled (mean)": seconds(r["mean_off"]),
                             "values (enabled/disabled)": f"{r['n_on']}/{r['n_off']}",
                             "detail": ""})
    level = round(100 * data["confidence"])
    return [
        Text("What being able to stop a guest costs while it runs normally: the same compute "
             "(fib, and a loop of simple rounds: churn) with the mechanism enabled (a far "
             f"deadline, ample fuel) against disabled. Ratio = mean(enabled) / mean(disabled) "
             f"over pyperf's values; the {level} % interval is a percentile bootstrap that "
             "resamples worker processes, pyperf's independent unit (interruption.json); "
             "fewer than two processes a side gives none. An "
             "interval that contains 1 means this run did not resolve a cost."),
        overhead_figure(report, overhead, slots, level),
        table(rows, "Interruption overhead: enabled / disabled, with its "
              f"{level} % interval (from interruption.json)"),
    ]


def overhead_gap(report: Report, key: str, workload: str, mechanism: str) -> tuple[str, str]:
    """Why a ratio has no row: the enabled side's status, else the disabled side's."""
    names = [f"{OVERHEAD}/{workload}/{mechanism}", f"{OVERHEAD}/{workload}/off"]
    return no_row(report, key, names, OVERHEAD)


def overhead_figure(report: Report, overhead: dict[tuple[Any, ...], dict[str, Any]],
                    slots: list[tuple[str, str]], level: int) -> Figure:
    keys = report.keys
    width = SLOT / len(keys)
    fig = plots.figure(2.5 + 0.5 * len(slots) * len(keys), 4.2)
    ax = fig.add_subplot()
    marks = blended_transform_factory(ax.transData, ax.transAxes)
    ax.axhline(1.0, color="#555555", linewidth=1, linestyle="--")
    for i, (w, m) in enumerate(slots):
        for j, key in enumerate(keys):
            x = i - SLOT / 2 + width * (j + 0.5)
            r = overhead.get((key, w, m))
            if r is None:
                ax.text(x, 0.03, overhead_gap(report, key, w, m)[0], transform=marks,
                        rotation=90, ha="center", va="bottom", fontsize=7,
                        color=report.color(key))
                continue
            err = None
            if r["ci_low"] is not None and r["ci_high"] is not None:
                err = [[r["ratio"] - r["ci_low"]], [r["ci_high"] - r["ratio"]]]
            ax.errorbar(x, r["ratio"], yerr=err, fmt="o", color=report.color(key), capsize=4)
    ax.set_xticks(range(len(slots)), [f"{w}\n{m}" for w, m in slots])
    ax.set_xlim(-0.6, len(slots) - 0.4)
    ax.set_xlabel("workload and mechanism")
    ax.set_ylabel("time enabled / time disabled (×, linear scale)")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"×{v:g}")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(f"interrupt_overhead: cost of an enabled mechanism ({level} % interval)",
                 fontsize=11)
    handles = [Line2D([], [], marker="o", linestyle="", color=report.color(k),
                      label=report.label(k)) for k in keys]
    handles.append(Line2D([], [], color="#555555", linestyle="--", label="×1: no cost"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8,
              frameon=False)
    return Figure(fig, "overhead", f"Interruption overhead with its {level} % interval",
                  alt="Ratio of time with the mechanism enabled to disabled, per workload, "
                      "mechanism and runtime, with error bars")


# --- recovery ----------------------------------------------------------------------------------

@section("Recovery after a stop", order=53, scenarios=(RECOVERY,), name="interrupt-recovery")
def interrupt_recovery(report: Report) -> list[Block]:
    recovery = by_key(report, load_summary(report)["recovery"], "mechanism")
    mechanisms = [p[0] for p in parts(report, RECOVERY)]
    if not mechanisms:
        return nothing_listed(report, RECOVERY)
    rows = []
    for key in report.keys:
        for m in mechanisms:
            r = recovery.get((key, m))
            cells = distribution_row(report, key, r, [f"{RECOVERY}/{m}"], RECOVERY)
            path = r["outcome"] if r is not None and r["n"] else cells["n"]
            rows.append({"runtime": report.label(key), "mechanism": m, "path": path, **cells})
    return [
        Text("After an infinite loop was stopped, the time until the guest answers correctly "
             "again, by the cheapest path that worked: reuse (the same instance, re-armed), "
             "rebuild (a new instance) or restart (a new process, after kill)."),
        table(rows, "Recovery per runtime and mechanism (from interruption.json)"),
    ]
