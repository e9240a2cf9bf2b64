"""The scorecard: one screen that answers the questions a reader brings, a row per runtime.

The headline table has a row per benchmark (over a hundred in a full run); a reader choosing a
runtime asks a dozen questions. Each column here answers one, from named benchmarks of the run
(``COLUMNS``: the caption lists them), with its 95 % interval from the same process bootstrap
the rest of the report uses, a plain word where there is no number, and a link to the section
that explains it. Derived figures are those of the sections that explain them (the payload fit
of "Payload sweeps", the per-callback cost of "Callbacks into Python", lifecycle.json's compile
fit and cache verdicts, interruption.json's overhead ratios), so the two never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from markupsafe import Markup

from runtimes.base import Capability
from scenarios.families.interop import report as two_way
from scenarios.families.interruption import figures as interruption_summary
from scenarios.families.interruption import report as interruption_section
from scenarios.families.layers.figures import BASELINE, FFI_FLOOR
from scenarios.families.lifecycle import figures as lifecycle_analysis
from scenarios.families.lifecycle import report as lifecycle_section
from scenarios.record.status import Status
from scenarios.reporting import fmt, render, stats
from scenarios.reporting.load import NS
from scenarios.reporting.model import Report, is_missing
from scenarios.reporting.sections import (
    SECTIONS,
    Block,
    Html,
    limits,
    payload_sweeps,
    section,
)

KIB = 1024
STRING = "reverse_string"
STRING_1K = f"{STRING}/{KIB}"
CALLBACK = "host_call/noop"
DEADLINE_MS = 10
OVERHEAD_WORKLOAD = "fib"
# Reference rows (the project's roles, as in the breakdown): shown, but not candidates for ★.
REFERENCES = {BASELINE: "reference: plain Python", FFI_FLOOR: "reference: native code via ctypes"}
FAILED = (Status.INVALID, Status.TIMEOUT, Status.CRASHED, Status.FAILED, Status.MISSING)
BEST = "★"
# A capability a runtime lacks, in the fewest words a cell can hold (limits.MEANING on hover).
LACKS = {Capability.ANY_MODULE: "own guests only", Capability.MEMORY: "no memory access",
         Capability.ISOLATED_MEMORY: "memory not isolated",
         Capability.HOST_IMPORTS: "no host imports", Capability.WASI: "no WASI",
         Capability.SERIALIZE: "no serialization", Capability.DESERIALIZE_FILE: "no file load",
         Capability.DISK_CACHE: "no disk cache", Capability.EPOCH_INTERRUPTION: "no epoch",
         Capability.FUEL: "no fuel", Capability.COMPONENT: "no components"}


@dataclass(frozen=True)
class Score:
    """One cell: ``value`` in the column's unit (None: no number), what it shows, and why."""

    value: float | None
    text: str
    interval: str = ""
    note: str = ""  # what the figure is of (a mechanism), or a flag
    detail: str = ""  # the reason behind a word (shown below it and on hover)
    hover: str = ""  # more of the reason, on hover only
    rankable: bool = True  # a figure that may be marked best (a resolved one)
    answer: bool = False  # a word that answers the question (how), not one that explains a gap

    @property
    def is_word(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Column:
    """A question: its header, the benchmarks it reads, the section explaining it, and which
    way is better."""

    id: str
    title: str
    source: str
    section: str  # the id of the section that explains it
    scenario: str  # else the headline table of this scenario's family
    compute: Callable[[Report, str], Score]
    higher_is_better: bool = False
    group: str = ""  # a common topic, shown above the header
    ranked: bool = True


# --- words -----------------------------------------------------------------------------------

def status_score(status: str, detail: str) -> Score:
    """A cell without a number: a plain word for the status, its reason as the detail."""
    if status in ("absent", Status.NOT_RUN):
        return Score(None, Status.NOT_RUN, detail=detail or "not in this run")
    if status in (Status.UNSUPPORTED, "not supported"):
        wants = detail.removeprefix("needs ").removeprefix("one of ")
        needs = [c.strip() for c in wants.split(",")] if detail.startswith("needs ") else []
        caps = [c for c in Capability if c.value in needs]
        if caps and len(caps) == len(needs):
            joint = " / " if "one of" in detail else ", "
            return Score(None, joint.join(LACKS[c] for c in caps),
                         detail="; ".join(limits.MEANING[c] for c in caps),
                         hover=f"not supported: {detail}")
        return Score(None, "not supported", detail=detail)
    if status in FAILED:
        return Score(None, f"failed: {status}", detail=detail)
    return Score(None, status, detail=detail)


def why(report: Report, key: str, benchmark: str, scenario: str) -> Score:
    return status_score(*report.why_no_number(key, benchmark, scenario))


def ns_interval(low: float, high: float) -> str:
    if any(is_missing(v) or not math.isfinite(v) for v in (low, high)):
        return "no interval (fewer than 2 processes)"
    return f"[{fmt.ns(low)}, {fmt.ns(high)}]"


# --- the columns -----------------------------------------------------------------------------

def median_of(benchmark: str, scenario: str) -> Callable[[Report, str], Score]:
    """pyperf's median of one benchmark, with the bootstrap interval over its processes."""
    def compute(report: Report, key: str) -> Score:
        cell = report.cell(key, benchmark)
        if cell is None or is_missing(cell["median_ns"]):
            return why(report, key, benchmark, scenario)
        low, high = stats.median_ci(stats.process_matrix(report.run.benchmarks[(key,
                                                                                  benchmark)]))
        return Score(float(cell["median_ns"]), fmt.ns(cell["median_ns"]),
                     ns_interval(low * NS, high * NS))
    return compute


def per_kib(report: Report, key: str) -> Score:
    """The slope of reverse_string against payload (the "Payload sweeps" fit), in ns per KiB,
    with ± 1.96 standard errors of the fit."""
    cells = report.cells[(report.cells["key"] == key) & (report.cells["scenario"] == STRING)]
    timed = cells[cells["median_ns"].notna() & (cells["payload_bytes"] > 0)]
    if timed["payload_bytes"].nunique() < 2:
        bad = cells[cells["status"] != Status.OK]
        if not bad.empty:
            return status_score(bad.iloc[0]["status"], bad.iloc[0]["detail"])
        if cells.empty:
            return why(report, key, "", STRING)
        return Score(None, "too few sizes",
                     detail=f"{timed['payload_bytes'].nunique()} payload size timed; a slope "
                            "needs 2")
    points = payload_sweeps.process_medians(report, STRING, key)
    fit = stats.fit_payload(points["payload_bytes"].to_numpy(), points["ns"].to_numpy())
    if fit is None:
        return Score(None, "no fit", detail="the payload fit did not converge")
    b, half = fit.per_byte_ns * KIB, 1.96 * fit.per_byte_se * KIB
    note = f"over {fit.sizes} sizes" + ("" if fit.per_byte_resolved else "; not resolved")
    return Score(b, f"{fmt.ns(b)}/KiB", ns_interval(b - half, b + half), note,
                 rankable=fit.per_byte_resolved)


def callback(report: Report, key: str) -> Score:
    """(host_call/noop - host_call/none) / n_calls, as "Callbacks into Python" computes it."""
    if not report.has_scenario("host_call"):
        return why(report, key, CALLBACK, "host_call")
    costs = _once(report, "callbacks", two_way.callback_costs)
    row = costs[(costs["key"] == key) & (costs["benchmark"] == CALLBACK)] \
        if not costs.empty else costs
    if row.empty or is_missing(row.iloc[0]["ns"]):
        cell = report.cell(key, CALLBACK)
        if cell is None or is_missing(cell["median_ns"]):
            return why(report, key, CALLBACK, "host_call")
        return why(report, key, two_way.NO_IMPORT, "host_call")  # the loop without the call
    r = row.iloc[0]
    return Score(float(r["ns"]), fmt.ns(r["ns"]), ns_interval(r["low"], r["high"]))


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


def _once(report: Report, name: str, make: Callable[[Report], Any]) -> Any:
    """``make(report)`` once per report, kept with the report's other derived summaries."""
    return report.summary(f"scorecard-{name}", lambda _path, _manifest: make(report))


# Sections that may apply and still say nothing (return no blocks): when they have something.
SAYS_SOMETHING: dict[str, Callable[[Report], bool]] = {
    "distributions": lambda report: not report.values().empty,
    "payload-sweeps": lambda report: bool(payload_sweeps.sweep_scenarios(report)),
}


def anchor(report: Report, column: Column) -> str:
    """The id of the section explaining ``column`` if it is on this run's page, else of the
    headline table of its scenario's family (else of the headline)."""
    sec = SECTIONS.get(column.section)
    if sec is not None and sec.applies(report) and SAYS_SOMETHING.get(
            column.section, lambda _r: True)(report):
        return column.section
    if report.has_scenario(column.scenario):
        return f"headline-{render.family_of(column.scenario)[0]}"
    return "headline"


COLUMNS: tuple[Column, ...] = (
    Column("no_op", "no-op call", "no_op", "distributions", "no_op",
           median_of("no_op", "no_op")),
    Column("add_numbers", "two i32 arguments", "add_numbers", "distributions",
           "add_numbers", median_of("add_numbers", "add_numbers")),
    Column("string_1k", "1 KiB string round trip", STRING_1K, "payload-sweeps",
           STRING, median_of(STRING_1K, STRING)),
    Column("per_kib", "cost per extra KiB", f"slope of {STRING}/* against payload (fit "
           "a + b·bytes, ± 1.96 SE)", "payload-sweeps", STRING, per_kib),
    Column("callback", "one callback into Python", "(host_call/noop - host_call/none) / "
           "n_calls", "callbacks", "host_call", callback),
    Column("compile", "compile time per MB", "lifecycle.json fit of compile/<size> "
           "medians against module bytes", "compile-time", "compile",
           compile_per_mb),
    Column("cache", "cache-hit speed-up", "best cache/<mechanism>/<largest size> over "
           "cache/compile_each (lifecycle.json)", "caches", "cache",
           cache_speedup, higher_is_better=True),
    Column("instantiate", "instantiate", "instantiate/article", "start-up",
           "instantiate", median_of("instantiate/article", "instantiate")),
    Column("stop_how", "how to stop it", "interruption.json support (epoch, fuel, kill)",
           "interruption-support", "interrupt_latency", stop_how,
           group="runaway guest", ranked=False),
    Column("stop_latency", f"latency at the {DEADLINE_MS} ms deadline",
           f"interrupt_latency/<mechanism>/{DEADLINE_MS}ms, best mechanism",
           "interrupt-latency", "interrupt_latency", stop_latency,
           group="runaway guest"),
    Column("stop_overhead", f"overhead on {OVERHEAD_WORKLOAD}",
           f"interrupt_overhead/{OVERHEAD_WORKLOAD}/<mechanism> / "
           f"interrupt_overhead/{OVERHEAD_WORKLOAD}/off (means, interruption.json), best "
           "mechanism", "interrupt-overhead", "interrupt_overhead", stop_overhead,
           group="runaway guest"),
)
SCENARIOS = ("no_op", "add_numbers", STRING, "host_call", "compile", "cache", "instantiate",
             *interruption_summary.SCENARIOS[:2])


def scores(report: Report) -> dict[str, dict[str, Score]]:
    """Per runtime key (report order), per column id, its score."""
    return {key: {c.id: c.compute(report, key) for c in COLUMNS} for key in report.keys}


def best(report: Report, table: dict[str, dict[str, Score]]) -> dict[str, set[str]]:
    """Per column id, the keys holding its best figure (reference rows are not candidates)."""
    out: dict[str, set[str]] = {}
    for c in COLUMNS:
        if not c.ranked:
            continue
        shown = {k: row[c.id] for k, row in table.items()
                 if report.run.runtime_of(k) not in REFERENCES
                 and row[c.id].value is not None and row[c.id].rankable}
        if not shown:
            continue
        pick = max if c.higher_is_better else min
        top = pick(s.value for s in shown.values() if s.value is not None)
        out[c.id] = {k for k, s in shown.items() if s.value == top}
    return out


# --- the section -------------------------------------------------------------------------------

@section("Scorecard", order=0, scenarios=SCENARIOS)
def scorecard(report: Report) -> list[Block]:
    table = scores(report)
    return [Html(markup(report, table, best(report, table)))]


def markup(report: Report, table: dict[str, dict[str, Score]], top: dict[str, set[str]]
           ) -> Markup:
    links = {c.id: anchor(report, c) for c in COLUMNS}
    # One header row (no row or column spans), so the table reads as a plain grid anywhere.
    head = [Markup("<th>runtime</th>")]
    for c in COLUMNS:
        group = Markup('<span class="group">{}</span>').format(c.group) if c.group else ""
        head.append(Markup('<th data-column="{}">{} <a href="#{}">{}</a></th>').format(
            c.id, group, links[c.id], c.title))
    rows = []
    for key, row in table.items():
        entry = report.run.entry(key)  # None: never started, or ran nowhere
        sub = " · ".join(filter(None, [entry.interpreter if entry else "",
                                       REFERENCES.get(report.run.runtime_of(key), "")]))
        cells = [Markup('<th scope="row"><span class="name">{}</span> <span class="sub">{}'
                        '</span></th>').format(report.label(key), sub)]
        cells += [_cell(key, c, row[c.id], key in top.get(c.id, set()), links[c.id])
                  for c in COLUMNS]
        rows.append(Markup('<tr data-runtime="{}">{}</tr>').format(key, Markup("").join(cells)))
    return Markup(
        '<p>The questions a reader brings, one row per runtime (and the interpreter it ran '
        'on): medians with their 95 % interval below (percentile bootstrap over worker '
        'processes); a word where there is no number. Headers link to the explanation; every '
        'benchmark is in the folded tables below.</p>'
        '<div class="scroll"><table class="scorecard"><caption>{}</caption><thead><tr>{}</tr>'
        '</thead><tbody>{}</tbody></table></div>').format(
        caption(report), Markup("").join(head), Markup("").join(rows))


def _cell(key: str, column: Column, score: Score, is_best: bool, link: str) -> Markup:
    value = "" if score.value is None else repr(float(score.value))
    attrs = Markup('data-runtime="{}" data-column="{}" data-value="{}"').format(
        key, column.id, value)
    title = "; ".join(filter(None, [score.note, score.detail, score.hover]))
    if score.answer:
        return Markup('<td class="answer" {} title="{}"><a href="#{}" class="w">{}</a></td>'
                      ).format(attrs, title, link, score.text)
    if score.is_word:
        return Markup('<td class="word" {} title="{}"><a href="#{}" class="w">{}</a>'
                      ' <span class="why">{}</span></td>').format(
            attrs, title, link, score.text, _short(score.detail or score.note))
    mark = Markup('<span class="star" aria-label="best">{} </span>').format(BEST) \
        if is_best else ""
    return Markup('<td class="num{}" {} title="{}">{}<a href="#{}" class="v">{}</a>'
                  ' <span class="ci">{}</span> <span class="note">{}</span></td>').format(
        " best" if is_best else "", attrs, title, mark, link, score.text, score.interval,
        score.note)


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def caption(report: Report) -> Markup:
    """Where every figure comes from, and the run that made them."""
    m = report.run.manifest
    sources = Markup("; ").join(Markup("<em>{}</em>: {}").format(c.title, c.source)
                                for c in COLUMNS)
    return Markup(
        '<span class="legend"><span class="star">{}</span> <strong>best</strong> in the '
        'column among the WebAssembly runtimes (lowest, or highest speed-up; intervals may '
        'overlap); {} rows are references and are not ranked.</span> Sources: {}. Run: '
        '<code>{}</code>; pyperf options <code>{}</code>.').format(
        BEST, " and ".join(sorted(REFERENCES)), sources, m.command or "unknown",
        " ".join(m.pyperf_args) or "pyperf defaults")

