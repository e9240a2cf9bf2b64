"""Compare two runs benchmark by benchmark (``python -m scenarios.compare BASE_RUN NEW_RUN``).

Benchmarks are matched by runtime, interpreter and benchmark name. For each pair it prints
the ratio NEW/BASE of the medians with a 95 % bootstrap interval that resamples pyperf's
worker processes, and says "not significant" where the interval contains 1. It exits 1 when
a slowdown is significant (interval above 1) and its ratio exceeds --threshold, else 0, so
CI can gate on it. Benchmarks that lost their number (invalid, crashed, ...) or appear in one
run only are listed too.

Two runs of ``--measure instructions`` are compared on their counts instead: a count barely
moves between processes or machines, so the verdict is the ratio against
--instructions-threshold (default ×1.01) alone, a gate that holds on a noisy machine. A time
run and a count run are not compared.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from scenarios.record.status import Status

PROG = "python -m scenarios.compare"
EXIT_SLOWER = 1
INSTRUCTIONS_THRESHOLD = 1.01


class MeasureMismatch(ValueError):
    """One run timed, the other counted instructions: their figures do not compare."""


@dataclass(frozen=True)
class Row:
    key: str
    benchmark: str
    base: str
    new: str
    ratio: str
    interval: str
    verdict: str
    kind: str = "none"  # same | faster | slower | regression (slower beyond the threshold)

    @property
    def regression(self) -> bool:
        return self.kind == "regression"


def compare(base: Any, new: Any, threshold: float,
            instructions_threshold: float = INSTRUCTIONS_THRESHOLD) -> list[Row]:
    """Rows for every runtime x benchmark of either run (``base``/``new`` are loaded Runs)."""
    from scenarios.reporting import fmt, stats

    measure = base.manifest.options.measure
    if new.manifest.options.measure != measure:
        raise MeasureMismatch(f"BASE measured {measure}, NEW {new.manifest.options.measure}: "
                         "compare time with time and instructions with instructions")
    counts = measure == "instructions"

    def cells(run: Any) -> dict[tuple[str, str], dict[str, Any]]:
        df = run.cells[run.cells["benchmark"].notna()]
        return {(r["key"], r["benchmark"]): r for r in df.to_dict("records")}

    old_cells, new_cells = cells(base), cells(new)
    order = list(dict.fromkeys([*old_cells, *new_cells]))
    rows = []
    for key, name in order:
        a, b = old_cells.get((key, name)), new_cells.get((key, name))
        a_bench, b_bench = base.benchmarks.get((key, name)), new.benchmarks.get((key, name))
        if a is None or b is None:
            where = "BASE" if b is None else "NEW"
            only = a or b
            rows.append(Row(key, name, "", "", "", "", f"only in {where} ({only['status']})"))
            continue
        if a["status"] != Status.OK or b["status"] != Status.OK or None in (a_bench, b_bench):
            why = f" ({b['detail']})" if b["status"] != Status.OK and b["detail"] else ""
            rows.append(Row(key, name, _shown(a, a_bench), _shown(b, b_bench), "", "",
                            f"no comparison: {a['status']} -> {b['status']}{why}"))
            continue
        r = stats.ratio_ci(stats.process_matrix(b_bench), stats.process_matrix(a_bench))
        if counts:
            verdict, kind = count_verdict(r.value, instructions_threshold)
        elif not r.has_interval:
            verdict, kind = "no interval (fewer than 2 processes)", "none"
        elif not r.significant:
            verdict, kind = "not significant", "same"
        elif r.value < 1:
            verdict, kind = "faster", "faster"
        elif r.value > threshold:
            verdict, kind = f"SLOWER (beyond ×{threshold:g})", "regression"
        else:
            verdict, kind = "slower", "slower"
        with fmt.measuring(measure):
            rows.append(Row(key, name, fmt.ns(a_bench.median() * 1e9),
                            fmt.ns(b_bench.median() * 1e9), fmt.ratio(r.value),
                            fmt.interval(r.low, r.high), verdict, kind))
    return rows


def count_verdict(ratio: float, threshold: float) -> tuple[str, str]:
    """(verdict, kind) of a ratio of instruction counts: within ``threshold`` either way is
    the same; beyond it, fewer or more instructions (more is a regression)."""
    if ratio > threshold:
        return f"MORE INSTRUCTIONS (beyond ×{threshold:g})", "regression"
    if ratio < 1 / threshold:
        return f"fewer instructions (beyond ×1/{threshold:g})", "faster"
    return f"same (within ×{threshold:g})", "same"


def _shown(cell: dict[str, Any], bench: Any) -> str:
    from scenarios.reporting import fmt

    if bench is None or cell["status"] != Status.OK:
        return str(cell["status"])
    with fmt.measuring("instructions" if bench.get_unit() == "integer" else "time"):
        return fmt.ns(bench.median() * 1e9)


def notes(base: Any, new: Any) -> list[str]:
    """What differs between the runs besides the results (it may explain a difference)."""
    out = []
    m1, m2 = base.manifest, new.manifest
    sha1 = {g: v.sha256 for g, v in m1.guests.items()}
    sha2 = {g: v.sha256 for g, v in m2.guests.items()}
    for g in sorted(set(sha1) & set(sha2)):
        if sha1[g] != sha2[g]:
            out.append(f"guest {g!r} differs between the runs (sha256 {sha1[g][:12]}... vs "
                       f"{sha2[g][:12]}...)")
    if m1.pyperf_args != m2.pyperf_args:
        out.append(f"pyperf options differ: {' '.join(m1.pyperf_args) or 'defaults'}"
                   f" vs {' '.join(m2.pyperf_args) or 'defaults'}")
    cpu1, cpu2 = m1.machine.get("cpu"), m2.machine.get("cpu")
    if cpu1 != cpu2:
        out.append(f"different CPUs: {cpu1} vs {cpu2}")
    for run, label in ((base, "BASE"), (new, "NEW")):
        if not run.complete:
            out.append(f"{label} run {run.run_id} is incomplete")
    return out


def die(message: str, code: int) -> NoReturn:
    print(f"{PROG.split()[-1]}: error: {message}", file=sys.stderr)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    p.add_argument("base", type=Path, metavar="BASE_RUN", help="the reference run folder")
    p.add_argument("new", type=Path, metavar="NEW_RUN", help="the run folder to check")
    p.add_argument("--threshold", type=float, default=1.10,
                   help="exit 1 when a significant slowdown NEW/BASE exceeds this ratio "
                        "(default: 1.10)")
    p.add_argument("--instructions-threshold", type=float, default=INSTRUCTIONS_THRESHOLD,
                   help="for two --measure instructions runs: exit 1 when a count NEW/BASE "
                        f"exceeds this ratio (default: {INSTRUCTIONS_THRESHOLD:g})")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    args = p.parse_args(argv)
    for name in ("threshold", "instructions_threshold"):
        if not getattr(args, name) >= 1.0:
            die(f"--{name.replace('_', '-')} must be a ratio of at least 1 "
                f"(got {getattr(args, name):g})", 2)
    from scenarios.reporting import ReportError, load

    try:
        base, new = load.load_run(args.base), load.load_run(args.new)
        rows = compare(base, new, args.threshold, args.instructions_threshold)
    except (ReportError, MeasureMismatch) as exc:
        if args.debug:
            raise
        die(str(exc), 2)
    except Exception as exc:
        if args.debug:
            raise
        die(f"{type(exc).__name__}: {exc} (rerun with --debug for the traceback)", 1)
    counts = base.manifest.options.measure == "instructions"
    print(render(base, new, rows, args.instructions_threshold if counts else args.threshold))
    return EXIT_SLOWER if any(r.regression for r in rows) else 0


def render(base: Any, new: Any, rows: list[Row], threshold: float) -> str:
    import pandas as pd

    lines = [f"BASE {base.run_id} ({base.path})", f"NEW  {new.run_id} ({new.path})"]
    lines += [f"note: {n}" for n in notes(base, new)]
    if not rows:
        return "\n".join([*lines, "no benchmark in either run"])
    table = pd.DataFrame([{"runtime": r.key, "benchmark": r.benchmark, "BASE": r.base,
                           "NEW": r.new, "NEW/BASE": r.ratio, "95% CI": r.interval,
                           "verdict": r.verdict} for r in rows])
    lines += ["", table.to_string(index=False), ""]
    n = {k: sum(r.kind == k for r in rows) for k in ("same", "faster", "slower", "regression")}
    if base.manifest.options.measure == "instructions":
        lines.append(f"{len(rows)} benchmarks (instructions): {n['same']} within ×{threshold:g}, "
                     f"{n['faster']} fewer, {n['regression']} more; "
                     f"{len(rows) - sum(n.values())} without a comparison")
        return "\n".join(lines)
    lines.append(f"{len(rows)} benchmarks: {n['same']} not significant, {n['faster']} faster, "
                 f"{n['slower'] + n['regression']} slower, of which {n['regression']} beyond "
                 f"×{threshold:g}; {len(rows) - sum(n.values())} without a comparison")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
