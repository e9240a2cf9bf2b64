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
    FFI floor          level_floor - level_python            derived
    engine entry/exit  level_lowest(R) - level_floor         derived
    binding overhead   level_R - level_lowest(R)             derived
    data copy          data_copy/1024_R - H_R  (string only) derived
    guest work         guest_work/1024_R       (string only) measured directly (in-guest loop)

where floor is the native floor of the operation: of the runtimes that play ``Role.FLOOR`` (the
guest's Rust source called through ctypes, or through a C extension), the one with the lowest
level on that interpreter, named in the layer's formula; lowest(R) is the runtime whose
metadata says it is R's lowest-overhead path (``lowest_path_of``); the chain stops at R (a
floor's layers end at its own FFI floor). The layers sum exactly to R's measured total. A layer
whose reference runtime did not run, or lacks one of the benchmarks of its level, is reported
as not measured, and the next layer up says it includes it. "engine entry/exit" also holds
what the lowest path's own FFI call costs beyond the floor's (its binding, its extra
arguments), which no Python-side measurement of the lowest path separates from the engine;
for wasmtime-raw that is most of it (its ctypes call with five arguments costs hundreds of ns,
wasmtime's own entry and exit tens; more against a C-extension floor), and the layer's
formula says so.

Layers are differences of means (means add up; medians do not). Intervals: 95%
Welch-Satterthwaite t-intervals on each linear combination of benchmark means, with a
benchmark's processes as its independent samples (pyperf's unit of independence, as in
``stats``: values from one process share its memory layout); None with fewer than two
processes per term (``--debug-single-value``).

Engine floors, beside the layers: per runtime, one wasm-to-wasm call
(``engine_floor/calls - engine_floor/no_calls``, per step) and, when the run has them, one
host-import call (``HOST_CALL`` below, from the host_call scenario).

The price of the sandbox (``sandbox_prices``): per interpreter and per benchmark that both kinds
of path can run (``SANDBOX``), the lowest sandboxed path (the WebAssembly runtime, i.e. one
playing no role, with the lowest median) against the lowest native path (the floor with the
lowest median): the ratio and the difference of the two medians, with the 95 % process
bootstrap intervals of ``scenarios.reporting.stats`` (medians, as the headline's ratios: this is
a comparison of two measured totals, not a sum of layers).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyperf
from scipy import stats

import runtimes
from runtimes.base import Role
from scenarios.record.key import RunKey
from scenarios.reporting import ReportError, load
from scenarios.reporting import stats as bootstrap

LOOP = "loop_overhead"
# The runtimes the layers are measured against: plain Python, and the guest's native code
# (every runtime playing the floor: through ctypes, through a C extension; the lowest counts).
BASELINE = next(iter(runtimes.with_role(Role.BASELINE)), "")
FLOORS = runtimes.with_role(Role.FLOOR)
# Runtimes that play a role are references; every other one is a sandboxed (WebAssembly) path.
REFERENCES = runtimes.references()
FFI = "FFI floor"
OPERATIONS = {"no_op": ("no_op", None, None),
              "reverse_string/1024": ("reverse_string/1024", "data_copy/1024", "guest_work/1024")}
ENGINE_FLOOR = ("engine_floor/calls", "engine_floor/no_calls")
# The host_call scenario's loop with and without the import call, values per iteration.
HOST_CALL = ("host_call/noop", "host_call/no_call")
CONFIDENCE = 0.95
ENTRY = "engine entry/exit"
# Measured ad hoc on wasmtime-raw: its ctypes call passes five arguments where native's no-op
# passes none, and those cost far more than wasmtime's own entry and exit (tens of ns).
ENTRY_NOTE = "includes the lowest path's own FFI call beyond the floor's"
# What a sandboxed path and a native one both run: no-op, two i32 arguments, the 1 KiB string
# round trip, and a callback (host_call's loop with the import call) where a floor has imports.
SANDBOX = ("no_op", "add_numbers", "reverse_string/1024", "host_call/noop")


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
    floor: str | None = None  # the native floor its FFI layer is read against


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


def _lacking(run: Samples, interpreter: str, level: Terms) -> list[str]:
    return [b for rt, b in level if not run.values.get((rt, interpreter), {}).get(b)]


def floor_levels(run: Samples, interpreter: str, operation: str) -> dict[str, float]:
    """The level of ``operation`` (seconds) of every native floor that measured it here."""
    found = {f: estimate(run, interpreter, _level(f, operation)) for f in FLOORS}
    return {f: e.mean for f, e in found.items() if e is not None}


def lowest_floor(run: Samples, interpreter: str, operation: str) -> str | None:
    """The native floor with the lowest level of ``operation`` here (None: no floor has it)."""
    levels = floor_levels(run, interpreter, operation)
    return min(levels, key=levels.__getitem__) if levels else None


def _chain(run: Samples, runtime: str, interpreter: str, floor: str | None
           ) -> list[tuple[str, str | None]]:
    """(layer name, reference runtime or None when the run names none), bottom up, ending at
    ``runtime``."""
    lowest_of = {target: rt for (rt, interp), target in run.lowest_path_of.items()
                 if interp == interpreter}
    own_target = run.lowest_path_of.get((runtime, interpreter))
    if runtime == BASELINE:
        return [("python call", BASELINE)]
    if runtime in FLOORS:
        return [("python call", BASELINE), (FFI, runtime)]
    if own_target:  # runtime is itself a lowest path: its binding has nothing to shed
        return [("python call", BASELINE), (FFI, floor), (ENTRY, runtime)]
    return [("python call", BASELINE), (FFI, floor), (ENTRY, lowest_of.get(runtime)),
            ("binding overhead", runtime)]


def _no_floor(run: Samples, interpreter: str, operation: str) -> tuple[str, Terms]:
    """Why no native floor gives the FFI layer here, and the benchmarks it would need."""
    why, terms = [], {}
    for f in FLOORS:
        level = _level(f, operation)
        why.append(f"{f} has no {', '.join(_lacking(run, interpreter, level))} on {interpreter}")
        terms.update(level)
    return "; ".join(why) or "no runtime plays the native floor", terms


def _which_floor(run: Samples, interpreter: str, operation: str, floor: str) -> str:
    others = [f for f in floor_levels(run, interpreter, operation) if f != floor]
    if not others:
        return f"  (the only native floor here: {floor})"
    return f"  (the lowest native floor here: {floor}, below {', '.join(others)})"


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
    floor = (runtime if runtime in FLOORS else None if runtime == BASELINE
             else lowest_floor(run, interpreter, operation))
    for name, ref in _chain(run, runtime, interpreter, floor):
        level = _level(ref, operation) if ref else {}
        lacking = _lacking(run, interpreter, level)
        if ref is None or lacking:
            if ref is None and name == FFI:
                why, level = _no_floor(run, interpreter, operation)
            else:
                why = (f"{ref} has no {', '.join(lacking)} on {interpreter}" if ref
                       else f"no lowest-overhead path of {runtime} in this run")
            layers.append(Layer(name, "not measured", why, None, level))
            skipped.append(name)
            continue
        formula = f"level({ref})" + (f" - level({below[0]})" if below else "")
        if skipped:
            formula += f"  (includes {', '.join(skipped)})"
        if name == FFI and ref != runtime:
            formula += _which_floor(run, interpreter, operation, ref)
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
    return Breakdown(runtime, interpreter, operation, total, tuple(layers), floor)


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


@dataclass(frozen=True)
class SandboxPrice:
    """One benchmark on one interpreter: its lowest sandboxed path against its lowest native
    path (None for a side that nobody timed here; then no ratio and no difference)."""

    benchmark: str
    interpreter: str
    sandboxed: str | None
    native: str | None
    sandboxed_median: float = math.nan  # seconds, pyperf's median
    native_median: float = math.nan
    ratio: bootstrap.Ratio | None = None  # median(sandboxed) / median(native)
    difference: Estimate | None = None  # median(sandboxed) - median(native), seconds


def sandbox_prices(run: load.Run, benchmarks: Iterable[str] = SANDBOX) -> list[SandboxPrice]:
    """Per interpreter (in the run's order) and benchmark of ``benchmarks`` that some runtime
    timed there: the price of the sandbox, with 95 % process bootstrap intervals."""
    wanted = list(benchmarks)
    timed: dict[str, dict[str, dict[str, pyperf.Benchmark]]] = {}  # interp -> bench -> runtime
    for (key, name), bench in run.benchmarks.items():
        entry = run.entry(key)
        if name in wanted and entry is not None:
            timed.setdefault(entry.interpreter, {}).setdefault(name, {})[entry.runtime] = bench
    out = []
    for interpreter, by_name in timed.items():
        for name in (n for n in wanted if n in by_name):
            found = by_name[name]
            sandboxed = _fastest({rt: b for rt, b in found.items() if rt not in REFERENCES})
            native = _fastest({rt: b for rt, b in found.items() if rt in FLOORS})
            if sandboxed is None or native is None:
                out.append(SandboxPrice(name, interpreter, sandboxed, native))
                continue
            mine, base = (bootstrap.process_matrix(found[rt]) for rt in (sandboxed, native))
            ratio = bootstrap.ratio_ci(mine, base)
            low, high = bootstrap.difference_ci(mine, base)
            a, b = found[sandboxed].median(), found[native].median()
            diff = Estimate(a - b, *((low, high) if ratio.has_interval else (None, None)))
            out.append(SandboxPrice(name, interpreter, sandboxed, native, a, b, ratio, diff))
    return out


def _fastest(benches: dict[str, pyperf.Benchmark]) -> str | None:
    return min(benches, key=lambda rt: benches[rt].median()) if benches else None


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


def render_prices(prices: Iterable[SandboxPrice]) -> str:
    """The price of the sandbox as plain text: ratio and difference of medians, 95 % intervals."""
    lines = []
    for p in prices:
        head = f"sandbox price of {p.benchmark} on {p.interpreter}: "
        if p.ratio is None or p.difference is None:
            lines.append(head + f"none (lowest sandboxed: {p.sandboxed or 'none'}, lowest "
                                f"native: {p.native or 'none'})")
            continue
        r = p.ratio
        shown = f"[{r.low:.3g}, {r.high:.3g}]" if r.has_interval else "no interval"
        lines.append(head + f"{p.sandboxed} / {p.native} = {r.value:.3g} {shown}, "
                            f"difference {_ns(p.difference)} ns")
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
    print("\n".join(filter(None, (render(samples(run)), render_prices(sandbox_prices(run))))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
