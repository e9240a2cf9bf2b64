"""Canonical ABI or hand-written marshalling? The component against the core module, per WIT
type and payload size.

Every figure is ``scenarios.families.component.figures.compare`` of the run (computed once per
report and shared with the scorecard column), so the section and the scorecard never
disagree. A cell without a number shows its status word and reason.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from scenarios.families.component import figures
from scenarios.families.component.figures import (
    BY_HAND,
    CANONICAL,
    JUDGED_AT,
    PATHOLOGICAL,
    PATHS,
    Comparison,
    Pair,
    Pairing,
    Point,
    TypeSummary,
)
from scenarios.families.component.workloads import N_CALLS, TYPES, WIT_TYPE
from scenarios.reporting import fmt, plots, stats
from scenarios.reporting.model import Report
from scenarios.reporting.sections import Block, Figure, Table, Text, section

SCENARIO = {CANONICAL: CANONICAL, BY_HAND: BY_HAND}
SCALARS = {"no_op": "no-op: func()", "add_numbers": "two s32 in, one out",
           "record": "record point {x, y} in and out (by hand: its two fields, two calls)",
           "callback": f"a guest loop of {N_CALLS} calls of a host import (s32, s32) -> s32"}


def comparison(report: Report) -> Comparison:
    """``figures.compare`` of the report's run, once per report."""
    return report.summary("component-comparison", lambda _path, _manifest:
                          figures.compare(report.run))


def word(report: Report, p: Point, scenario: str) -> str:
    """``status: reason`` of a point without a number."""
    return ": ".join(filter(None, report.why_no_number(p.key, p.benchmark, scenario)))


def median_text(report: Report, p: Point, scenario: str) -> str:
    """``1.23 µs [1.20 µs, 1.31 µs]``, or the status word and reason."""
    if not p.timed:
        return word(report, p, scenario)
    if math.isnan(p.low_ns) or math.isnan(p.high_ns):
        return f"{fmt.ns(p.median_ns)} (no interval: fewer than 2 processes)"
    return f"{fmt.ns(p.median_ns)} [{fmt.ns(p.low_ns)}, {fmt.ns(p.high_ns)}]"


def ratio_text(r: stats.Ratio) -> str:
    return "—" if math.isnan(r.value) else f"{fmt.ratio(r.value)} {fmt.interval(r.low, r.high)}"


def ratio_cell(pair: Pair) -> str:
    """The ratio, or which side has no number."""
    if pair.canonical.timed and pair.by_hand.timed:
        return ratio_text(pair.ratio)
    return "no ratio: " + ("canonical ABI has no number" if not pair.canonical.timed
                           else "by hand has no number")


def path_label(report: Report, key: str, path: str) -> str:
    return f"{PATHS[path]} ({report.label(key)})"


def per_element_text(report: Report, t: TypeSummary, path: str, pairs: list[Pair]) -> str:
    fit = t.fits[path]
    points = [p.canonical if path == CANONICAL else p.by_hand for p in pairs]
    if fit is None and points and not any(p.timed for p in points):
        return word(report, points[0], SCENARIO[path])  # e.g. a runtime without components
    if fit is None:
        return "no fit (fewer than 2 sizes timed)"
    b, se = t.per_element_ns(path)
    text = f"{_ns(b)} ± {_ns(se)} per {_element(t.kind)}"
    return text if fit.per_byte_resolved else f"not resolved ({text})"


def _ns(value: float) -> str:
    """A duration in ns; below 1 ns as a plain number (a slope can be almost 0)."""
    return fmt.ns(value) if abs(value) >= 1 else f"{fmt.number(value)} ns"


def crossover_text(t: TypeSummary, pairs: list[Pair]) -> str:
    timed = [p for p in pairs if p.canonical.timed and p.by_hand.timed]
    if len(timed) < 2:
        return "— (fewer than 2 sizes with both numbers)"
    if not t.crossovers:
        faster = PATHS[CANONICAL] if timed[0].ratio.value < 1 else PATHS[BY_HAND]
        return (f"none in the measured range ({faster} faster at every size from "
                f"{fmt.nbytes(timed[0].size)} to {fmt.nbytes(timed[-1].size)})")
    said = []
    for c in t.crossovers:
        said.append(f"about {fmt.nbytes(round(c.at_bytes))} (between {fmt.nbytes(c.below)} and "
                    f"{fmt.nbytes(c.above)}; {PATHS[c.faster_below]} faster below)"
                    + ("" if c.resolved else ", not resolved: an interval includes ×1"))
    return "; ".join(said)


def flag_text(t: TypeSummary) -> str:
    if math.isnan(t.judged.value):
        return f"not judged (no {fmt.nbytes(JUDGED_AT)} payload with both numbers)"
    return f"{PATHS[t.pathological]} pathological" if t.pathological else "—"


def payload_pairs(c: Comparison, pairing: Pairing, kind: str) -> list[Pair]:
    return [p for p in c.payloads if p.pairing == pairing and p.operation == kind]


# --- the plot ----------------------------------------------------------------------------------

def _draw(ax: Axes, report: Report, points: list[tuple[int, Point]], path: str) -> bool:
    """One path of one key against payload size, with interval whiskers; False if nothing."""
    timed = [(n, p) for n, p in points if p.timed]
    if not timed:
        return False
    x = np.array([n for n, _ in timed], float)
    y = np.array([p.median_ns for _, p in timed])
    err = np.nan_to_num(np.vstack([y - [p.low_ns for _, p in timed],
                                   [p.high_ns for _, p in timed] - y]))
    key = timed[0][1].key
    ax.errorbar(x, y, yerr=np.clip(err, 0, None), capsize=3, marker="o" if path == CANONICAL
                else "s", linestyle="-" if path == CANONICAL else "--", color=report.color(key),
                label=path_label(report, key, path))
    return True


def plot(report: Report, c: Comparison) -> Figure:
    fig = plots.figure(15.0, 4.8)
    axes = fig.subplots(1, len(TYPES), squeeze=False)[0]
    missing: dict[tuple[str, str], list[str]] = {}  # (path, status) -> runtimes
    for ax, kind in zip(axes, TYPES, strict=True):
        drawn: set[tuple[str, str]] = set()
        for pairing in c.pairings:
            pairs = payload_pairs(c, pairing, kind)
            for path, key, side in ((CANONICAL, pairing.canonical, "canonical"),
                                    (BY_HAND, pairing.by_hand, "by_hand")):
                if (key, path) in drawn:
                    continue
                drawn.add((key, path))
                points = [(p.size, getattr(p, side)) for p in pairs]
                if not _draw(ax, report, points, path) and points:
                    status = report.why_no_number(key, points[0][1].benchmark,
                                                  SCENARIO[path])[0]
                    labels = missing.setdefault((path, status), [])
                    if report.label(key) not in labels:
                        labels.append(report.label(key))
        plots.bytes_axis(ax, c.sizes)
        plots.time_axis(ax, log=True)
        ax.grid(which="major", alpha=0.3)
        ax.set_title(WIT_TYPE[kind])
        if ax is not axes[0]:
            ax.set_ylabel("")
    handles, _ = axes[0].get_legend_handles_labels()
    handles += [Line2D([], [], linestyle="none", marker="x", color="grey",
                       label=f"{PATHS[path]}: {status} on {', '.join(labels)} (no number)")
                for (path, status), labels in missing.items()]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3),
               fontsize=8)
    fig.suptitle("Time per call against payload size: the canonical ABI (solid) and by hand "
                 "(dashed); whiskers: 95 % bootstrap interval of the median")
    return Figure(fig, "paths", "Canonical ABI against hand-written marshalling, per WIT type",
                  alt="Three log-log plots (string, list<s32>, list<u8>) of time per call "
                      "against payload size, the canonical ABI path and the hand-written "
                      "paths, one colour per runtime, with 95 % intervals")


# --- the tables --------------------------------------------------------------------------------

def type_table(report: Report, c: Comparison, kind: str) -> Table:
    rows = []
    for pairing in c.pairings:
        for p in payload_pairs(c, pairing, kind):
            rows.append({
                "canonical ABI on": report.label(pairing.canonical),
                "by hand on": report.label(pairing.by_hand),
                "payload": fmt.nbytes(p.size), "elements": f"{p.elements:,}",
                "canonical ABI": median_text(report, p.canonical, CANONICAL),
                "by hand": median_text(report, p.by_hand, BY_HAND),
                "canonical / by hand": ratio_cell(p)})
    return Table(pd.DataFrame(rows), f"{WIT_TYPE[kind]}: medians [95 % interval] per size, "
                                     "and the ratio canonical ABI / by hand")


def summary_table(report: Report, c: Comparison) -> Table:
    rows = []
    for t in c.types:
        pairs = payload_pairs(c, t.pairing, t.kind)
        rows.append({
            "type": WIT_TYPE[t.kind],
            "canonical ABI on": report.label(t.pairing.canonical),
            "by hand on": report.label(t.pairing.by_hand),
            "per element: canonical ABI": per_element_text(report, t, CANONICAL, pairs),
            "per element: by hand": per_element_text(report, t, BY_HAND, pairs),
            "crossover": crossover_text(t, pairs),
            f"at {fmt.nbytes(JUDGED_AT)}: canonical / by hand": ratio_text(t.judged),
            "flag": flag_text(t)})
    return Table(pd.DataFrame(rows), "Per type: the cost of each further element (slope of "
                                    "t = a + b·bytes, ± one standard error), the crossover and "
                                    f"the {PATHOLOGICAL:g}x flag")


def _element(kind: str) -> str:
    return "s32" if WIT_TYPE[kind] == "list<s32>" else "byte"


def scalar_table(report: Report, c: Comparison) -> Table:
    rows = []
    for p in c.scalars:
        rows.append({
            "operation": SCALARS.get(p.operation, p.operation),
            "canonical ABI on": report.label(p.pairing.canonical),
            "by hand on": report.label(p.pairing.by_hand),
            "canonical ABI": f"{median_text(report, p.canonical, CANONICAL)} "
                             f"({p.canonical.benchmark})",
            "by hand": f"{median_text(report, p.by_hand, _scenario_of(report, p.by_hand))} "
                       f"({p.by_hand.benchmark})",
            "canonical / by hand": ratio_cell(p)})
    return Table(pd.DataFrame(rows), "The operations without a payload: the component's call "
                                     "against the same call on the core module")


def _scenario_of(report: Report, p: Point) -> str:
    """The scenario of a hand-written counterpart (no_op, host_call, hand_marshalled, ...)."""
    cell = report.cell(p.key, p.benchmark)
    return str(cell["scenario"]) if cell else p.benchmark.split("/")[0]


def verdicts(report: Report, c: Comparison) -> str:
    """The flagged paths in plain words (or that none is)."""
    said = []
    for t in c.types:
        if not t.pathological:
            continue
        slow, fast = (t.pairing.canonical, t.pairing.by_hand) \
            if t.pathological == CANONICAL else (t.pairing.by_hand, t.pairing.canonical)
        r = t.judged if t.pathological == CANONICAL else \
            stats.Ratio(1 / t.judged.value, 1 / t.judged.high, 1 / t.judged.low)
        other = BY_HAND if t.pathological == CANONICAL else CANONICAL
        said.append(f"{WIT_TYPE[t.kind]}: {PATHS[t.pathological]} on {report.label(slow)} takes "
                    f"{ratio_text(r)} the time of {PATHS[other]} on "
                    f"{report.label(fast)} at {fmt.nbytes(JUDGED_AT)}: pathological.")
    if not said:
        judged = [t for t in c.types if not math.isnan(t.judged.value)]
        return (f"No path is more than {PATHOLOGICAL:g} times slower than the other at "
                f"{fmt.nbytes(JUDGED_AT)}." if judged else
                f"No pair has both numbers at {fmt.nbytes(JUDGED_AT)}: nothing is judged.")
    return " ".join(said)


@section("Canonical ABI or hand-written marshalling?", order=53,
         scenarios=(CANONICAL, BY_HAND), name="canonical-abi")
def canonical_abi(report: Report) -> list[Block]:
    c = comparison(report)
    if not c.pairings:
        return []
    return [
        Text("The same operations two ways on the same guest code: through the Component "
             "Model (WIT functions called with Python values; the engine lowers and lifts "
             "them by the canonical ABI and wasmtime-py converts each value, a list element "
             "by element) and by hand on the core module (allocate, write the bytes, call, "
             "read back, deallocate). Each runtime's component path is compared with its own "
             "hand-written path and with that of its lowest-overhead binding on the same "
             "interpreter when the run has it. Medians with 95 % bootstrap intervals over "
             "processes; the ratio is canonical / by hand (above ×1 the canonical ABI is "
             "slower). The cost per element is the slope of t = a + b·bytes through "
             "per-process medians times the bytes of an element (an s32 is 4 bytes; a string "
             "of ASCII or a list<u8> 1 byte each). The crossover is where the faster path "
             "changes between two measured sizes (log-log interpolation of the ratio); "
             f"a path is flagged pathological when at {fmt.nbytes(JUDGED_AT)} it takes more "
             f"than {PATHOLOGICAL:g} times the other's time, interval included."),
        Text(verdicts(report, c)),
        plot(report, c),
        summary_table(report, c),
        *(type_table(report, c, kind) for kind in TYPES),
        scalar_table(report, c),
    ]
