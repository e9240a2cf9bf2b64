"""Scenarios that isolate one layer of a call's cost, for the per-layer breakdown.

- ``engine_floor``: a loop inside the guest of N steps, once with a wasm-to-wasm call per step
  (``engine_floor/calls``) and once with the step inlined (``engine_floor/no_calls``); values
  are per step, so their difference is one call inside the engine, with no host crossing.
- ``guest_work/N``: the article's reverse of N bytes, repeated inside the guest many times per
  host call; values are per reverse, so the crossing is amortised away.
- ``data_copy/N``: the string round trip's write and read of N bytes, without the call.

Together with ``no_op`` and ``reverse_string`` these let ``scenarios.families.layers.figures``
split a call into layers (see there). The guest-side loops return values checked against the Python
reference, so a runtime cannot pass by skipping iterations.
"""

from __future__ import annotations

from runtimes.base import Capability
from scenarios.catalog import Benchmark, Scenario, Session, Workload, reference, register
from scenarios.families.article.workloads import ALLOC, STRING_SIZES
from scenarios.families.article.workloads import GUEST as ARTICLE

FLOOR = "floor"
# Guest loop steps per host call in engine_floor: enough to spread a host call over, few
# enough for a pure-Python interpreter (pywasm: ~0.1 ms a step) to finish in about a second.
LOOP_STEPS = 10_000
# Bytes reversed per host call in guest_work (about): the host call is spread over >= 1000
# reverses of 1 KiB. A runtime's payload limit applies to these bytes (see scenarios.harness.bench).
REVERSED_BYTES = 2**20
NEEDS_MEMORY = frozenset({Capability.MEMORY})


def reverse_reps(size: int) -> int:
    """Reverses per host call for ``guest_work/size``: even, so the bytes end as they began."""
    return max(2, REVERSED_BYTES // size // 2 * 2)


def _loop(export: str):
    def prepare(session: Session) -> Workload:
        f = session.instance(FLOOR).export(export)
        return Workload("r = f(n)", {"f": f, "n": LOOP_STEPS}, result="r",
                        expect=reference.mix_loop(LOOP_STEPS))
    return prepare


def _guest_work(size: int):
    reps = reverse_reps(size)

    def prepare(session: Session) -> Workload:
        inst = session.instance(FLOOR)
        mem = inst.memory()
        data = reference.text(size)
        ptr = inst.export("allocate")(size)
        mem.write(ptr, data)
        return Workload("r = f(p, n, k)",
                        {"f": inst.export("reverse_repeat"), "rd": mem.read,
                         "p": ptr, "n": size, "k": reps},
                        result="(r, rd(p, n))", expect=reference.reverse_repeat(data, reps))
    return prepare


def _data_copy(size: int):
    def prepare(session: Session) -> Workload:
        inst = session.instance(ARTICLE)
        mem = inst.memory()
        data = reference.text(size)
        ptr = inst.export("allocate")(size)
        return Workload("w(p, d); r = rd(p, n)",
                        {"w": mem.write, "rd": mem.read, "p": ptr, "n": size, "d": data},
                        result="r", expect=data)
    return prepare


register(Scenario(
    "engine_floor",
    f"a guest loop of {LOOP_STEPS:,} steps with and without a wasm-to-wasm call per step "
    "(per step): one call inside the engine",
    frozenset(),
    lambda: [Benchmark(f"engine_floor/{kind}", "engine_floor", _loop(export), guest=FLOOR,
                       inner_loops=1, ops_per_statement=LOOP_STEPS)
             for kind, export in (("no_calls", "inline_loop"), ("calls", "call_loop"))],
    (FLOOR,), {"inline_loop": "(i32) -> i32", "call_loop": "(i32) -> i32"}))
register(Scenario(
    "guest_work", "the article's in-place reverse of N bytes repeated inside the guest "
    "(per reverse): the guest's own work, no crossing",
    NEEDS_MEMORY,
    lambda: [Benchmark(f"guest_work/{n}", "guest_work", _guest_work(n), n, FLOOR,
                       inner_loops=1, ops_per_statement=reverse_reps(n))
             for n in STRING_SIZES],
    # not in the quick profile (the layer breakdown is the full profile's: its two extra
    # scenarios on every runtime cost a minute of the default run's ten)
    (FLOOR,), {**ALLOC, "reverse_repeat": "(i32, i32, i32) -> i32"}))
register(Scenario(
    "data_copy", "write N bytes into linear memory and read them back, no call: the string "
    "round trip's copies alone",
    NEEDS_MEMORY,
    lambda: [Benchmark(f"data_copy/{n}", "data_copy", _data_copy(n), n, ARTICLE)
             for n in STRING_SIZES],
    (ARTICLE,), ALLOC))  # not in the quick profile (see guest_work)
