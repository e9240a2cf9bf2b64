"""The layers family's scorecard column: the price of the sandbox on a no-op call.

The price of the sandbox is one figure per run (the lowest sandboxed path over the lowest
native one, "The price of the sandbox"), but the scorecard has a row per runtime. So the column
gives each WebAssembly runtime its own price: its no_op median over the lowest native floor's
(the floor with the lowest no_op median on the same interpreter), which is what its sandbox and
its binding together cost beyond calling the same code natively. Ranking marks the lowest of
these, which is the run's price of the sandbox itself (the same ratio and interval as the
section's). Reference rows (plain Python, the native floors) have no sandbox: a word.
"""

from __future__ import annotations

from scenarios.families.layers import figures as bd
from scenarios.families.layers import report as section
from scenarios.record.key import RunKey
from scenarios.reporting import fmt, stats
from scenarios.reporting.model import Report
from scenarios.reporting.sections import scorecard
from scenarios.reporting.sections.scorecard import Column, Score, column, once, why

NO_OP = "no_op"


def _floors(report: Report) -> dict[str, bd.SandboxPrice]:
    """Per interpreter, the no_op price (whose ``native`` is the lowest floor there)."""
    return {p.interpreter: p for p in once(report, "sandbox-no_op",
                                           lambda r: bd.sandbox_prices(r.run, (NO_OP,)))}


def sandbox_price(report: Report, key: str) -> Score:
    """This runtime's no_op median over the lowest native floor's on its interpreter."""
    runtime, interpreter = RunKey.parse(key)
    if runtime in bd.REFERENCES:
        floor = _floors(report).get(interpreter)
        lowest = (f"; the lowest native floor here is {floor.native} "
                  f"({fmt.ns(floor.native_median * 1e9)})" if floor and floor.native else "")
        return Score(None, "no sandbox", detail=f"a reference row{lowest}", answer=True)
    mine = report.run.benchmarks.get((key, NO_OP))
    if mine is None:
        return why(report, key, NO_OP, NO_OP)
    price = _floors(report).get(interpreter)
    if price is None or price.native is None:
        return Score(None, "no native floor",
                     detail=f"no native floor timed {NO_OP} on {interpreter or 'any interpreter'}")
    base = report.run.benchmarks[(str(RunKey(price.native, interpreter)), NO_OP)]
    r = stats.ratio_ci(stats.process_matrix(mine), stats.process_matrix(base))
    interval = (fmt.interval(r.low, r.high) if r.has_interval
                else "no interval (fewer than 2 processes)")
    return Score(r.value, fmt.ratio(r.value), interval, note=f"over {price.native}")


column(Column("sandbox_price", "price of the sandbox (no-op)",
              "no_op over the lowest native floor's no_op (median ratio)", "sandbox-price",
              NO_OP, sandbox_price, order=14))
scorecard.SAYS_SOMETHING["sandbox-price"] = section.has_floor
