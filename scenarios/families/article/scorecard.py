"""The article family's scorecard columns: a no-op call, two i32 arguments, the 1 KiB string
round trip and the cost of each further KiB (the slope of "Payload sweeps")."""

from __future__ import annotations

from scenarios.record.status import Status
from scenarios.reporting import fmt, stats
from scenarios.reporting.model import Report
from scenarios.reporting.sections import payload_sweeps
from scenarios.reporting.sections.scorecard import (
    Column,
    Score,
    column,
    median_of,
    ns_interval,
    status_score,
    why,
)

KIB = 1024
STRING = "reverse_string"
STRING_1K = f"{STRING}/{KIB}"


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


# each also shown, as a count, for a --measure instructions run
column(Column("no_op", "no-op call", "no_op", "distributions", "no_op",
              median_of("no_op", "no_op"), order=10, counted=True))
column(Column("add_numbers", "two i32 arguments", "add_numbers", "distributions",
              "add_numbers", median_of("add_numbers", "add_numbers"), order=11, counted=True))
column(Column("string_1k", "1 KiB string round trip", STRING_1K, "payload-sweeps",
              STRING, median_of(STRING_1K, STRING), order=12, counted=True))
column(Column("per_kib", "cost per extra KiB", f"slope of {STRING}/* against payload (fit "
              "a + b·bytes, ± 1.96 SE)", "payload-sweeps", STRING, per_kib, order=13))
