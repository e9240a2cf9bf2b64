"""Generic, for a ``--measure instructions`` run: how its counts were taken, what they hide,
and how far apart the processes were (their spread is the count's repeatability)."""

from __future__ import annotations

import pandas as pd

from scenarios.reporting import fmt
from scenarios.reporting.load import NS
from scenarios.reporting.model import Report
from scenarios.reporting.sections import Block, Table, Text, section

HIDES = (
    "An instruction count does not move with the machine's load, so it can be compared "
    "between runs and machines, but it is not time: it hides cache misses and branch "
    "mispredictions (an instruction that waits 100 cycles for memory counts as one), page "
    "faults and system calls (the kernel's work is not counted), and the work of other "
    "threads that is not on the counted path as it would run natively (valgrind serialises "
    "threads; an engine's background thread, such as wasmtime's epoch ticker, or a JIT "
    "compiling in the background, is counted only if it ran inside the counted region). "
    "Compare counts with counts, and time with time.")


def spread(report: Report) -> pd.DataFrame:
    """Per runtime and benchmark: the median count and the processes' lowest and highest, and
    the spread (highest - lowest) / median."""
    rows = []
    for (key, name), bench in report.run.benchmarks.items():
        per_process = [run.values[0] * NS for run in bench.get_runs() if run.values]
        if not per_process:
            continue
        median = bench.median() * NS
        rows.append({"runtime": report.label(key), "benchmark": name,
                     "instructions per operation": fmt.count(median),
                     "processes": len(per_process),
                     "lowest": fmt.count(min(per_process)),
                     "highest": fmt.count(max(per_process)),
                     "spread": f"{(max(per_process) - min(per_process)) / median:.3%}"})
    return pd.DataFrame(rows)


NAME = "instruction-counts"  # scorecard columns of a count run link here


@section("Instruction counts", order=1, name=NAME)
def instruction_counts(report: Report) -> list[Block]:
    if report.run.manifest.options.measure != "instructions":
        return []
    return [
        Text("Every figure of this report is a count of instructions per operation, taken "
             "under valgrind's callgrind (scenarios.run --measure instructions): in each of "
             "several worker processes the validated statement is run N and then 2N times, "
             "each counted alone with the garbage collector off after a warm-up, and the "
             "difference divided by N operations is that process's value. The hash seed is "
             "fixed and N is the same in every process. Headings and plot axes below that "
             "say time show these counts."),
        Text(HIDES),
        Table(spread(report), "Instructions per operation: median over processes, the "
                              "lowest and highest process, and their spread"),
    ]
