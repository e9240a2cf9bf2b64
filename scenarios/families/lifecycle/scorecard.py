"""The lifecycle family's scorecard columns: compile time per MB, the best cache's speed-up
(lifecycle.json's fit and verdicts, as the sections show them) and instantiation."""

from __future__ import annotations

import math

import numpy as np

from scenarios.families.lifecycle import figures as lifecycle_analysis
from scenarios.families.lifecycle import report as lifecycle_section
from scenarios.record.status import Status
from scenarios.reporting import fmt, stats
from scenarios.reporting.model import Report, is_missing
from scenarios.reporting.sections.scorecard import (
    Column,
    Score,
    column,
    median_of,
    status_score,
    why,
)


def compile_per_mb(report: Report, key: str) -> Score:
    """lifecycle.json's compile fit (ms per MB), with a process bootstrap of the slope."""
    sizes = report.benchmarks("compile")
    if not report.has_scenario("compile"):
        return Score(None, "not run", detail="compile is not in this run")
    mine = (lifecycle_section.summary(report)["runtimes"].get(key) or {}).get("compile", {})
    fit, points = mine.get("fit"), mine.get("points", [])
    if not fit:
        bad = [why(report, key, name, "compile") for name in sizes or ["compile"]
               if (c := report.cell(key, name)) is None or is_missing(c["median_ns"])]
        if bad:
            return bad[0]
        return Score(None, "too few sizes",
                     detail=f"{len(points)} module size timed; a fit needs 2")
    matrices = [stats.process_matrix(report.run.benchmarks[(key, f"compile/{p['size']}")])
                * 1e3 for p in points]  # ms
    low, high = stats.slope_ci(np.array([p["bytes"] / lifecycle_section.MB for p in points]),
                               matrices)
    return Score(fit["ms_per_mb"], f"{fmt.number(fit['ms_per_mb'])} ms/MB",
                 "no interval" if math.isnan(low) else f"[{fmt.number(low)}, {fmt.number(high)}]",
                 f"over {fit['points']} sizes")


def cache_speedup(report: Report, key: str) -> Score:
    """The best cache mechanism's speed-up over cache/compile_each at the run's largest module,
    with the bootstrap interval of that ratio; flags "cache ineffective" at any size."""
    if not report.has_scenario("cache"):
        return Score(None, "not run", detail="cache is not in this run")
    sizes = [int(b.rsplit("/", 1)[1]) for b in report.benchmarks("cache")]
    verdicts = (lifecycle_section.summary(report)["runtimes"].get(key) or {}).get("cache", [])
    bad = [v for v in verdicts if v["ineffective"]]
    flag = "; ".join(f"cache ineffective: {v['mechanism']} at {fmt.nbytes(v['size'])}"
                     for v in bad)
    if not sizes or not verdicts:
        word = why(report, key, "", "cache")
        return Score(None, word.text, detail=word.detail)
    largest = max(sizes)
    at = [v for v in verdicts if v["size"] == largest]
    timed = [v for v in at if v["speedup"] is not None]
    if not timed:  # say why: unsupported everywhere, else the first that went wrong
        wrong = [v for v in at if v["status"] != Status.UNSUPPORTED]
        if not at:
            return why(report, key, f"cache/{lifecycle_analysis.COLD_PATH}/{largest}", "cache")
        if not wrong:
            return status_score(Status.UNSUPPORTED, at[0]["reason"])
        v = wrong[0]
        word = v["status"]
        return Score(None, f"{word}: {v['mechanism']}" if word != "no baseline" else word,
                     note=flag, detail=v["reason"])
    best = max(timed, key=lambda v: v["speedup"])
    base = f"cache/{lifecycle_analysis.COLD_PATH}/{largest}"
    hit = f"cache/{best['mechanism']}/{largest}"
    r = stats.ratio_ci(stats.process_matrix(report.run.benchmarks[(key, base)]),
                       stats.process_matrix(report.run.benchmarks[(key, hit)]))
    note = f"{best['mechanism']} at {fmt.nbytes(largest)}" + (f"; {flag}" if flag else "")
    return Score(best["speedup"], fmt.ratio(best["speedup"]),
                 fmt.interval(r.low, r.high) if r.has_interval else "no interval", note)


column(Column("compile", "compile time per MB", "lifecycle.json fit of compile/<size> "
              "medians against module bytes", "compile-time", "compile", compile_per_mb,
              order=30))
column(Column("cache", "cache-hit speed-up", "best cache/<mechanism>/<largest size> over "
              "cache/compile_each (lifecycle.json)", "caches", "cache", cache_speedup,
              higher_is_better=True, order=31))
column(Column("instantiate", "instantiate", "instantiate/article", "start-up", "instantiate",
              median_of("instantiate/article", "instantiate"), order=32))
