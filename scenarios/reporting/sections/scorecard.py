"""The scorecard: one screen that answers the questions a reader brings, a row per runtime.

The headline table has a row per benchmark (over a hundred in a full run); a reader choosing a
runtime asks a dozen questions. Each column answers one, from named benchmarks of the run (the
caption lists them), with its 95 % interval from the same process bootstrap the rest of the
report uses, a plain word where there is no number, and a link to the section that explains
it. This module is the machinery; the columns belong to the families that own their questions
(each family's ``scorecard`` module registers them with ``column``), and compute their figures
with the same functions as the sections that explain them, so the two never disagree. A column
is shown when the run attempted its scenario.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

import runtimes
from runtimes.base import Capability, Role
from scenarios.record.status import Status
from scenarios.reporting import fmt, render, stats
from scenarios.reporting.load import NS
from scenarios.reporting.model import Report, is_missing
from scenarios.reporting.sections import (
    SECTIONS,
    Block,
    Html,
    instructions,
    limits,
    payload_sweeps,
    section,
)

# Reference rows (the runtimes that play a role, as in the breakdown): shown, but not
# candidates for ★; every other row is a WebAssembly runtime.
ROLE_WORDS = {Role.BASELINE: "reference: plain Python",
              Role.FLOOR: "reference: native code, no sandbox"}
REFERENCES = {name: ROLE_WORDS[role] for name, role in runtimes.references().items()}
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
    order: int = 50  # left to right
    # also shown for a --measure instructions run: the same figure as a count, its title
    # saying so and its link to the section that says how counts are taken
    counted: bool = False


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


def once(report: Report, name: str, make: Callable[[Report], Any]) -> Any:
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


COLUMNS: dict[str, Column] = {}


def column(col: Column) -> Column:
    """Register a scorecard column (a family's ``scorecard`` module calls this)."""
    known = COLUMNS.get(col.id)
    if known is not None and known != col:
        raise ValueError(f"scorecard column {col.id!r} is registered twice")
    COLUMNS[col.id] = col
    return col


def columns(report: Report) -> list[Column]:
    """The registered columns whose scenario the run attempted, in ``order``; for a count run
    (``--measure instructions``) only the ``counted`` ones, as counts."""
    shown = [c for c in COLUMNS.values() if report.has_scenario(c.scenario)]
    if report.run.manifest.options.measure == "instructions":
        shown = [dataclasses.replace(c, title=f"{c.title}, instructions",
                                     section=instructions.NAME) for c in shown if c.counted]
    return sorted(shown, key=lambda c: (c.order, c.id))


def scores(report: Report) -> dict[str, dict[str, Score]]:
    """Per runtime key (report order), per column id, its score."""
    shown = columns(report)
    return {key: {c.id: c.compute(report, key) for c in shown} for key in report.keys}


def best(report: Report, table: dict[str, dict[str, Score]]) -> dict[str, set[str]]:
    """Per column id, the keys holding its best figure (reference rows are not candidates)."""
    out: dict[str, set[str]] = {}
    for c in columns(report):
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

@section("Scorecard", order=0)
def scorecard(report: Report) -> list[Block]:
    if not columns(report):
        return []
    table = scores(report)
    return [Html(markup(report, table, best(report, table)))]


def markup(report: Report, table: dict[str, dict[str, Score]], top: dict[str, set[str]]
           ) -> Markup:
    shown = columns(report)
    links = {c.id: anchor(report, c) for c in shown}
    # One header row (no row or column spans), so the table reads as a plain grid anywhere.
    head = [Markup("<th>runtime</th>")]
    for c in shown:
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
                  for c in shown]
        rows.append(Markup('<tr data-runtime="{}">{}</tr>').format(key, Markup("").join(cells)))
    further = any(p.only is not None for p in report.run.manifest.plan)
    return Markup(
        '<p>The questions a reader brings, one row per runtime (and the interpreter it ran '
        'on): medians with their 95 % interval below (percentile bootstrap over worker '
        'processes); a word where there is no number. {}Headers link to the explanation; '
        'every benchmark is in the folded tables below.</p>'
        '<div class="scroll"><table class="scorecard"><caption>{}</caption><thead><tr>{}</tr>'
        '</thead><tbody>{}</tbody></table></div>').format(
        Markup('A runtime\'s second row is its newest interpreter, with the per-call '
               'questions only (<a href="#interpreters">across interpreters</a>). ')
        if further else "", caption(report), Markup("").join(head), Markup("").join(rows))


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
                                for c in columns(report))
    return Markup(
        '<span class="legend"><span class="star">{}</span> <strong>best</strong> in the '
        'column among the WebAssembly runtimes (lowest, or highest speed-up; intervals may '
        'overlap); {} rows are references and are not ranked.</span> Sources: {}. Run: '
        '<code>{}</code>; pyperf options <code>{}</code>.').format(
        BEST, ", ".join(sorted(REFERENCES)), sources, m.command or "unknown",
        " ".join(m.pyperf_args) or "pyperf defaults")

