"""The component family's scorecard column: the canonical ABI against the same work by hand
for a 1 KiB string, as "Canonical ABI or hand-written marshalling?" computes it."""

from __future__ import annotations

from scenarios.families.component import report as section
from scenarios.families.component.figures import BY_HAND, CANONICAL, Pairing
from scenarios.reporting import fmt
from scenarios.reporting.model import Report
from scenarios.reporting.sections.scorecard import Column, Score, column, why

KIND, SIZE = "string", 1024
STRING_1K = f"{CANONICAL}/{KIND}/{SIZE}"


def string_ratio(report: Report, key: str) -> Score:
    """canonical_abi/string/1024 / hand_marshalled/string/1024 of the same runtime, with its
    interval; the ratio against its lowest-overhead path's hand-written one as a note."""
    c = section.comparison(report)
    pair = c.pair(Pairing(key, key), KIND, SIZE)
    if pair is None or not pair.canonical.timed:
        return why(report, key, STRING_1K, CANONICAL)
    if not pair.by_hand.timed:
        return why(report, key, pair.by_hand.benchmark, BY_HAND)
    others = [p for p in c.payloads if p.pairing.canonical == key and p.pairing.by_hand != key
              and p.operation == KIND and p.size == SIZE and p.by_hand.timed]
    note = "; ".join(f"vs by hand on {report.label(p.pairing.by_hand)}: "
                     f"{fmt.ratio(p.ratio.value)}" for p in others)
    r = pair.ratio
    return Score(r.value, fmt.ratio(r.value), fmt.interval(r.low, r.high), note)


column(Column("canonical_abi", "canonical ABI / by hand (1 KiB string)",
              f"{STRING_1K} / {BY_HAND}/{KIND}/{SIZE} of the same runtime (above ×1 the "
              "canonical ABI is slower)", "canonical-abi", CANONICAL, string_ratio,
              ranked=False, order=25))
