"""What each runtime cannot do: the declared gaps and every cell that has no number, per runtime.

Users choose a runtime as much by what it cannot do as by its speed, so this comes first: the
capabilities a runtime does not declare (each scenario that needs one reads "not supported"),
its declared payload limit, and a count of its benchmarks without a number, by status, with
the reasons. Runtimes that could not load at all are listed with theirs.
"""

from __future__ import annotations

import pandas as pd

from runtimes.base import Capability
from scenarios.record.status import Status
from scenarios.reporting import fmt
from scenarios.reporting.model import Report
from scenarios.reporting.sections import Block, Table, Text, section

# What lacking each capability means to a user, in a few words.
MEANING = {
    Capability.ANY_MODULE: "runs only this project's guests",
    Capability.MEMORY: "no host access to linear memory",
    Capability.ISOLATED_MEMORY: "memory is not sandboxed",
    Capability.HOST_IMPORTS: "cannot call back into Python",
    Capability.WASI: "no WASI",
    Capability.SERIALIZE: "cannot serialize a compiled module",
    Capability.DESERIALIZE_FILE: "cannot load a compiled module from a file",
    Capability.DISK_CACHE: "no on-disk compilation cache",
    Capability.EPOCH_INTERRUPTION: "no deadline (epoch) interruption",
    Capability.FUEL: "no fuel metering",
    Capability.COMPONENT: "cannot run a Component Model component",
}
REASONS_SHOWN = 3


def _no_number(cells: pd.DataFrame) -> str:
    """'unsupported 12 (needs memory; ...), invalid 1 (...)' for one runtime's benchmarks."""
    missing = cells[cells["benchmark"].notna() & (cells["status"] != Status.OK)]
    parts = []
    for status, group in missing.groupby("status", sort=True):
        reasons = list(dict.fromkeys(d for d in group["detail"].fillna("") if d))
        more = len(reasons) - REASONS_SHOWN
        shown = "; ".join(reasons[:REASONS_SHOWN]) + (f"; and {more} more" if more > 0 else "")
        parts.append(f"{status} {len(group)}" + (f" ({shown})" if shown else ""))
    return ", ".join(parts) or "none"


@section("What each runtime cannot do", order=5, name="limits")
def limits(report: Report) -> list[Block]:
    manifest = report.run.manifest
    rows = []
    for key in report.keys:
        entry = manifest.entry(key)
        info = entry.info if entry is not None else {}
        declared = set(info.get("capabilities", []))
        lacks = [f"{cap.value}: {MEANING[cap]}" for cap in Capability
                 if cap.value not in declared]
        limit = info.get("max_payload_bytes")
        mine = report.cells[report.cells["key"] == key]
        rows.append({
            "runtime": report.label(key),
            "does not declare": "; ".join(lacks) or "everything the framework measures",
            "payload limit": (f"{fmt.nbytes(limit)} ({info.get('payload_limit_reason', '')})"
                              if limit else "none"),
            "benchmarks with a number": f"{int((mine['status'] == Status.OK).sum())} of "
                                        f"{int(mine['benchmark'].notna().sum())}",
            "without a number, and why": _no_number(mine),
        })
    for name, reason in manifest.unavailable.items():
        rows.append({"runtime": name, "does not declare": "-", "payload limit": "-",
                     "benchmarks with a number": "0: could not run here",
                     "without a number, and why": f"{Status.UNAVAILABLE} ({reason})"})
    if not rows:
        return []
    return [Text("Each runtime declares what it can do; a scenario or benchmark that needs "
                 "something it lacks reads \"unsupported\" with the reason, never a number. "
                 "\"invalid\" means a wrong answer or a guest error at validation (never "
                 "timed); \"failed\", \"timeout\" and \"crashed\" are the harness's words for "
                 "what went wrong while timing."),
            Table(pd.DataFrame(rows), "What each runtime lacks, and its benchmarks without a "
                                      "number")]
