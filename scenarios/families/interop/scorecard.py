"""The interop family's scorecard column: one callback into Python, as "Callbacks into Python"
computes it."""

from __future__ import annotations

from scenarios.families.interop import report as two_way
from scenarios.reporting import fmt
from scenarios.reporting.model import Report, is_missing
from scenarios.reporting.sections.scorecard import Column, Score, column, ns_interval, once, why

CALLBACK = "host_call/noop"


def callback(report: Report, key: str) -> Score:
    """(host_call/noop - host_call/none) / n_calls, as "Callbacks into Python" computes it."""
    if not report.has_scenario("host_call"):
        return why(report, key, CALLBACK, "host_call")
    costs = once(report, "callbacks", two_way.callback_costs)
    row = costs[(costs["key"] == key) & (costs["benchmark"] == CALLBACK)] \
        if not costs.empty else costs
    if row.empty or is_missing(row.iloc[0]["ns"]):
        cell = report.cell(key, CALLBACK)
        if cell is None or is_missing(cell["median_ns"]):
            return why(report, key, CALLBACK, "host_call")
        return why(report, key, two_way.NO_IMPORT, "host_call")  # the loop without the call
    r = row.iloc[0]
    return Score(float(r["ns"]), fmt.ns(r["ns"]), ns_interval(r["low"], r["high"]))


column(Column("callback", "one callback into Python", "(host_call/noop - host_call/none) / "
              "n_calls", "callbacks", "host_call", callback, order=20))
