"""The interruption family's scorecard columns: how a runaway guest can be stopped, how soon
at a 10 ms deadline, and what being able to costs ordinary work (interruption.json)."""

from __future__ import annotations

from typing import Any

from scenarios.families.interruption import figures as interruption_summary
from scenarios.families.interruption import report as interruption_section
from scenarios.record.status import Status
from scenarios.reporting import fmt
from scenarios.reporting.model import Report, is_missing
from scenarios.reporting.sections.scorecard import (
    Column,
    Score,
    column,
    median_of,
    status_score,
    why,
)

DEADLINE_MS = 10
OVERHEAD_WORKLOAD = "fib"
GROUP = "runaway guest"


def _interruption(report: Report) -> dict[str, Any] | None:
    if not report.has_scenario(*interruption_summary.SCENARIOS):
        return None
    return interruption_section.load_summary(report)


def stop_how(report: Report, key: str) -> Score:
    """How a runaway guest can be stopped (interruption.json's support row)."""
    data = _interruption(report)
    rows = interruption_section.by_key(report, data["support"]) if data else {}
    row = rows.get((key,))
    if row is None:
        return why(report, key, "", next((s for s in interruption_summary.SCENARIOS
                                          if report.has_scenario(s)), "interrupt_latency"))
    details = "; ".join(f"{m}: {row[m]['status']}" + (f" ({row[m]['detail']})"
                                                      if row[m]["detail"] else "")
                        for m in interruption_summary.MECHANISMS)
    stop = row["stop"]
    if stop.startswith("in-runtime: "):
        text = stop.removeprefix("in-runtime: ")
        kill = row["kill"]["status"] == "supported"
        return Score(None, text + (", kill" if kill else ""), detail=details, answer=True)
    if stop == "only by killing the process":
        return Score(None, "no interruption: kill only", detail=details, answer=True)
    return Score(None, "not shown", detail=details)


def stop_latency(report: Report, key: str) -> Score:
    """The lowest median latency at the 10 ms deadline over the mechanisms (not the floor)."""
    names = [b for b in report.benchmarks("interrupt_latency")
             if b.endswith(f"/{DEADLINE_MS}ms") and b.split("/")[1] != interruption_section.FLOOR]
    if not names:
        return why(report, key, "", "interrupt_latency")
    timed = [(c["median_ns"], name) for name in names
             if (c := report.cell(key, name)) is not None and not is_missing(c["median_ns"])]
    if not timed:
        return why(report, key, names[0], "interrupt_latency")
    _, name = min(timed)
    score = median_of(name, "interrupt_latency")(report, key)
    return Score(score.value, score.text, score.interval, name.split("/")[1])


def stop_overhead(report: Report, key: str) -> Score:
    """The lowest enabled/disabled ratio on fib over the in-runtime mechanisms
    (interruption.json), with its bootstrap interval."""
    data = _interruption(report)
    if data is None or not report.has_scenario("interrupt_overhead"):
        return Score(None, "not run", detail="interrupt_overhead is not in this run")
    rows = [r for (k, w, _), r in interruption_section.by_key(
        report, data["overhead"], "workload", "mechanism").items()
        if k == key and w == OVERHEAD_WORKLOAD]
    if not rows:
        how = stop_how(report, key)
        if how.text.startswith("no interruption"):
            return Score(None, "kill only", detail="no epoch or fuel to enable",
                         hover=how.detail)
        for mechanism in (*interruption_summary.IN_RUNTIME, "off"):
            name = f"interrupt_overhead/{OVERHEAD_WORKLOAD}/{mechanism}"
            status, reason = report.why_no_number(key, name, "interrupt_overhead")
            if status != Status.OK:
                return status_score(status, reason)
        return Score(None, Status.MISSING, detail="not in interruption.json")
    best = min(rows, key=lambda r: r["ratio"])
    interval = (fmt.interval(best["ci_low"], best["ci_high"]) if best["ci_low"] is not None
                else "no interval")
    return Score(best["ratio"], fmt.ratio(best["ratio"]), interval, best["mechanism"])


column(Column("stop_how", "how to stop it", "interruption.json support (epoch, fuel, kill)",
              "interruption-support", "interrupt_latency", stop_how, group=GROUP,
              ranked=False, order=40))
column(Column("stop_latency", f"latency at the {DEADLINE_MS} ms deadline",
              f"interrupt_latency/<mechanism>/{DEADLINE_MS}ms, best mechanism",
              "interrupt-latency", "interrupt_latency", stop_latency, group=GROUP, order=41))
column(Column("stop_overhead", f"overhead on {OVERHEAD_WORKLOAD}",
              f"interrupt_overhead/{OVERHEAD_WORKLOAD}/<mechanism> / "
              f"interrupt_overhead/{OVERHEAD_WORKLOAD}/off (means, interruption.json), best "
              "mechanism", "interrupt-overhead", "interrupt_overhead", stop_overhead,
              group=GROUP, order=42))
