"""Where a call's time goes: each runtime's cost split into layers, from one run's results.

    python -m scenarios.families.layers.figures results/<run-id>     # the table, as text

Pure computation over a run loaded by ``scenarios.reporting.load`` (the pyperf files and the
manifest): no plotting, so a report section can import it. For an operation (``no_op``, or
the 1 KiB string round trip ``reverse_string/1024``) and a runtime R, on one interpreter, with

    H_X     = loop_overhead on runtime X (the timing loop's own cost per statement)
    level_X = what calling into X costs without harness, copies or guest work:
              no_op:  no_op_X - H_X
              string: reverse_string/1024_X - data_copy/1024_X - guest_work/1024_X

the layers of R's total are

    harness            H_R                                   measured directly
    python call        level_python                          derived by subtraction
    FFI floor          level_native - level_python           derived
    engine entry/exit  level_lowest(R) - level_native        derived
    binding overhead   level_R - level_lowest(R)             derived
    data copy          data_copy/1024_R - H_R  (string only) derived
    guest work         guest_work/1024_R       (string only) measured directly (in-guest loop)

where lowest(R) is the runtime whose metadata says it is R's lowest-overhead path
(``lowest_path_of``); the chain stops at R (native's layers end at the FFI floor). The layers
sum exactly to R's measured total. A layer whose reference runtime did not run, or lacks one of
the benchmarks of its level, is reported as not measured, and the next layer up says it
includes it. "engine entry/exit" also holds what the lowest path's own FFI call costs beyond
native's (its extra arguments), which no Python-side measurement of the lowest path separates
from the engine; for wasmtime-raw the arguments are most of it (its five ctypes arguments
cost hundreds of ns, wasmtime's own entry and exit tens), and the layer's formula says so.

Layers are differences of means (means add up; medians do not). Intervals: 95%
Welch-Satterthwaite t-intervals on each linear combination of benchmark means, with a
benchmark's processes as its independent samples (pyperf's unit of independence, as in
``stats``: values from one process share its memory layout); None with fewer than two
processes per term (``--debug-single-value``).

Engine floors, beside the layers: per runtime, one wasm-to-wasm call
(``engine_floor/calls - engine_floor/no_calls``, per step) and, when the run has them, one
host-import call (``HOST_CALL`` below, from the host_call scenario).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from scipy import stats

import runtimes
from runtimes.base import Role
from scenarios.record.key import RunKey
from scenarios.reporting import ReportError, load

LOOP = "loop_overhead"
# The runtimes the layers are measured against: plain Python, and native code behind ctypes.
BASELINE = runtimes.with_role(Role.BASELINE)
FFI_FLOOR = runtimes.with_role(Role.FLOOR)
OPERATIONS = {"no_op": ("no_op", None, None),
              "reverse_string/1024": ("reverse_string/1024", "data_copy/1024", "guest_work/1024")}
ENGINE_FLOOR = ("engine_floor/calls", "engine_floor/no_calls")
# The host_call scenario's loop with and without the import call, values per iteration.
HOST_CALL = ("host_call/noop", "host_call/no_call")
CONFIDENCE = 0.95
ENTRY = "engine entry/exit"
# Measured ad hoc on wasmtime-raw: its ctypes call passes five arguments where native's no-op
# passes none, and those cost far more than wasmtime's own entry and exit (tens of ns).
ENTRY_NOTE = "includes the lowest path's FFI arguments beyond native's"


@dataclass(frozen=True)
class Estimate:
    """A mean in seconds and its confidence interval (None when it cannot be computed)."""

    mean: float
    low: float | None = None
    high: float | None = None


Terms = dict[tuple[str, str], float]  # (runtime, benchmark) -> coefficient


@dataclass(frozen=True)
class Layer:
    name: str
    how: str  # "measured directly" | "derived by subtraction" | "not measured"
    formula: str
    estimate: Estimate | None
    # The benchmark means it combines (for "not measured": the ones it would need; empty when
    # no runtime could provide them), so a reader can say which one has no number.
    terms: Terms = field(default_factory=dict)


@dataclass(frozen=True)
class Breakdown:
    runtime: str
    interpreter: str
    operation: str
    total: Estimate
    layers: tuple[Layer, ...]


@dataclass
class Samples:
    """Per (runtime, interpreter) and benchmark: the mean of each process's values, seconds."""

    values: dict[tuple[str, str], dict[str, list[float]]] = field(default_factory=dict)
    lowest_path_of: dict[tuple[str, str], str] = field(default_factory=dict)


def samples(run: load.Run) -> Samples:
    """The process means of every timed benchmark of a loaded run, and who is whose lowest
    path (``lowest_path_of`` in the manifest's runtime info)."""
    out = Samples()
    for (key, name), bench in run.benchmarks.items():
        entry = run.entry(key)
        assert entry is not None  # a timed benchmark belongs to a pair that ran
        pair = (entry.runtime, entry.interpreter)
        means = [math.fsum(r.values) / len(r.values) for r in bench.get_runs() if r.values]
        out.values.setdefault(pair, {})[name] = means
        target = entry.info.get("lowest_path_of")
        if target:
            out.lowest_path_of[pair] = target
    return out


def _add(*parts: tuple[float, Terms]) -> Terms:
    out: Terms = {}
    for coef, terms in parts:
        for k, c in terms.items():
            out[k] = out.get(k, 0.0) + coef * c
    return {k: c for k, c in out.items() if c != 0.0}


def estimate(run: Samples, interpreter: str, terms: Terms) -> Estimate | None:
    """Σ coef·mean over the terms, with a Welch-Satterthwaite interval; None if any is missing.

    Each term's samples are its process means (equal values per process: their mean is the
    benchmark's mean)."""
    mean = var = 0.0
    df_den = 0.0
    intervals = True
    for (runtime, bench), coef in terms.items():
        values = run.values.get((runtime, interpreter), {}).get(bench)
        if not values:
            return None
        n = len(values)
        m = math.fsum(values) / n
        mean += coef * m
        if n < 2:
            intervals = False
            continue
        s2 = math.fsum((v - m) ** 2 for v in values) / (n - 1)
        part = coef * coef * s2 / n
        var += part
        df_den += part * part / (n - 1)
    if not intervals:
        return Estimate(mean)
    if var == 0.0:
        return Estimate(mean, mean, mean)
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, var * var / df_den) * math.sqrt(var)
    return Estimate(mean, mean - half, mean + half)


def _level(runtime: str, operation: str) -> Terms:
    total, copy, work = OPERATIONS[operation]
    if copy is None:
        return _add((1, {(runtime, total): 1}), (-1, {(runtime, LOOP): 1}))
    return {(runtime, total): 1, (runtime, copy): -1, (runtime, work): -1}


def _chain(run: Samples, runtime: str, interpreter: str) -> list[tuple[str, str | None]]:
    """(layer name, reference runtime or None when the run names none), bottom up, ending at
    ``runtime``."""
    lowest_of = {target: rt for (rt, interp), target in run.lowest_path_of.items()
                 if interp == interpreter}
    own_target = run.lowest_path_of.get((runtime, interpreter))
    if runtime == BASELINE:
        return [("python call", BASELINE)]
    if runtime == FFI_FLOOR:
        return [("python call", BASELINE), ("FFI floor", FFI_FLOOR)]
    if own_target:  # runtime is itself a lowest path: its binding has nothing to shed
        return [("python call", BASELINE), ("FFI floor", FFI_FLOOR), (ENTRY, runtime)]
    return [("python call", BASELINE), ("FFI floor", FFI_FLOOR), (ENTRY, lowest_of.get(runtime)),
            ("binding overhead", runtime)]


def breakdown(run: Samples, runtime: str, interpreter: str, operation: str) -> Breakdown | None:
    """The layers of ``operation`` on ``runtime``; None unless the runtime measured the
    operation and the parts it is split by (its data copy and guest work)."""
    total_name, copy, work = OPERATIONS[operation]
    own = run.values.get((runtime, interpreter), {})
    if any(name not in own for name in (total_name, LOOP, copy, work) if name):
        return None
    total = estimate(run, interpreter, {(runtime, total_name): 1})
    assert total is not None

    def layer(name: str, how: str, formula: str, terms: Terms) -> Layer:
        return Layer(name, how, formula, estimate(run, interpreter, terms), terms)

    layers = [layer("harness", "measured directly", f"{LOOP} ({runtime})",
                    {(runtime, LOOP): 1})]
    below: tuple[str, Terms] | None = None  # the last measured reference and its level
    skipped: list[str] = []
    for name, ref in _chain(run, runtime, interpreter):
        level = _level(ref, operation) if ref else {}
        lacking = [b for rt, b in level if not run.values.get((rt, interpreter), {}).get(b)]
        if ref is None or lacking:
            why = (f"{ref} has no {', '.join(lacking)} on {interpreter}" if ref
                   else f"no lowest-overhead path of {runtime} in this run")
            layers.append(Layer(name, "not measured", why, None, level))
            skipped.append(name)
            continue
        formula = f"level({ref})" + (f" - level({below[0]})" if below else "")
        if skipped:
            formula += f"  (includes {', '.join(skipped)})"
        if name == ENTRY:
            formula += f"  ({ENTRY_NOTE})"
        layers.append(layer(name, "derived by subtraction", formula,
                            level if below is None else _add((1, level), (-1, below[1]))))
        below, skipped = (ref, level), []
    if copy is not None and work is not None:
        layers.append(layer("data copy", "derived by subtraction", f"{copy} - {LOOP} ({runtime})",
                            {(runtime, copy): 1, (runtime, LOOP): -1}))
        layers.append(layer("guest work", "measured directly",
                            f"{work} ({runtime}, in-guest loop)", {(runtime, work): 1}))
    return Breakdown(runtime, interpreter, operation, total, tuple(layers))


def breakdowns(run: Samples, operations: Iterable[str] = OPERATIONS) -> list[Breakdown]:
    """Every runtime of the run, for every operation it measured."""
    out = []
    for operation in operations:
        for runtime, interpreter in run.values:
            found = breakdown(run, runtime, interpreter, operation)
            if found is not None:
                out.append(found)
    return out


@dataclass(frozen=True)
class Floor:
    runtime: str
    interpreter: str
    name: str  # "in-guest call" (wasm-to-wasm on an engine) | "host import call"
    formula: str
    estimate: Estimate


def floors(run: Samples) -> list[Floor]:
    """Per-crossing costs inside each engine (values are per loop step already)."""
    out = []
    for runtime, interpreter in run.values:
        for name, (with_call, without) in (("in-guest call", ENGINE_FLOOR),
                                           ("host import call", HOST_CALL)):
            est = estimate(run, interpreter, {(runtime, with_call): 1, (runtime, without): -1})
            if est is not None:
                out.append(Floor(runtime, interpreter, name, f"{with_call} - {without}", est))
    return out


def _ns(est: Estimate | None) -> str:
    if est is None:
        return "-"
    if est.low is None or est.high is None:
        return f"{est.mean * 1e9:.1f}"
    return f"{est.mean * 1e9:.1f} [{est.low * 1e9:.1f}, {est.high * 1e9:.1f}]"


def render(run: Samples) -> str:
    """The breakdowns and floors as plain text, in nanoseconds with 95% intervals."""
    lines = []
    for b in breakdowns(run):
        lines.append(f"{b.operation} on {RunKey(b.runtime, b.interpreter)}: "
                     f"total {_ns(b.total)} ns")
        for layer in b.layers:
            lines.append(f"    {layer.name:18} {_ns(layer.estimate):>28}  {layer.how}: "
                         f"{layer.formula}")
    for f in floors(run):
        lines.append(f"floor {f.name} on {RunKey(f.runtime, f.interpreter)}: {_ns(f.estimate)} ns "
                     f"({f.formula})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenarios.families.layers.figures",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path, help="a folder under results/")
    args = parser.parse_args(argv)
    try:
        run = load.load_run(args.run_dir)
    except ReportError as exc:
        print(f"breakdown: error: {exc}", file=sys.stderr)
        return 2
    print(render(samples(run)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
