"""The scenarios of the seed article: call overhead, primitives, strings, arrays, allocation.

Payload sweeps go from 16 B to 1 MiB in powers of 4; the array sweep also has the article's
10,000 i32s. Each workload writes its input, calls the guest and reads the answer back inside
the timed statement, as a host program would.
"""

from __future__ import annotations

import struct

from runtimes.base import Capability
from scenarios.catalog import Benchmark, Scenario, Session, Workload, named, reference, register

KIB = 1024
STRING_SIZES = tuple(16 * 4**i for i in range(9))  # 16 B .. 1 MiB
ARRAY_COUNTS = tuple(sorted({4 * 4**i for i in range(9)} | {10_000}))  # 4 .. 262,144 i32 (1 MiB)
ALLOC_SIZES = (16, KIB, 64 * KIB)
GUEST = "article"
NEEDS_MEMORY = frozenset({Capability.MEMORY})


def _loop_overhead(_session: Session) -> Workload:
    return Workload("pass", {}, result="None", expect=None)


def _no_op(session: Session) -> Workload:
    f = session.instance(GUEST).export("no_op")
    return Workload("r = f()", {"f": f}, result="r", expect=None)


def _add_numbers(session: Session) -> Workload:
    f = session.instance(GUEST).export("add_numbers")
    return Workload("r = f(a, b)", {"f": f, "a": 10, "b": 20}, result="r",
                    expect=reference.add_i32(10, 20))


def _reverse_string(size: int):
    def prepare(session: Session) -> Workload:
        inst = session.instance(GUEST)
        mem = inst.memory()
        data = reference.text(size)
        ptr = inst.export("allocate")(size)
        return Workload(
            "w(p, d); f(p, n); r = rd(p, n)",
            {"w": mem.write, "rd": mem.read, "f": inst.export("reverse_string_in_place"),
             "p": ptr, "n": size, "d": data},
            result="r", expect=reference.reverse_bytes(data))
    return prepare


def _sum_array(count: int):
    def prepare(session: Session) -> Workload:
        inst = session.instance(GUEST)
        mem = inst.memory()
        values = reference.i32_array(count)
        ptr = inst.export("allocate")(4 * count)
        return Workload(
            "w(p, pack(*v)); r = f(p, n)",
            {"w": mem.write, "pack": struct.Struct(f"<{count}i").pack, "v": values,
             "f": inst.export("sum_array"),
             "p": ptr, "n": count},
            result="r", expect=reference.sum_i32(values))
    return prepare


def _alloc_dealloc(size: int):
    def prepare(session: Session) -> Workload:
        inst = session.instance(GUEST)
        mem = inst.memory()

        def in_bounds(ptr: object) -> str | None:
            if isinstance(ptr, int) and ptr > 0 and ptr + size <= mem.size():
                return None
            return f"allocate({size}) returned {ptr!r}, outside memory of {mem.size()} bytes"

        return Workload("p = a(s); d(p, s)",
                        {"a": inst.export("allocate"), "d": inst.export("deallocate"), "s": size},
                        result="p", check=in_bounds)
    return prepare


ALLOC = {"memory": "memory", "allocate": "(i32) -> i32"}

register(Scenario(
    "loop_overhead", "the timing loop alone (per statement): the floor under every value",
    # not in the quick profile: only the layer breakdown (the full profile's) reads it
    frozenset(), lambda: [Benchmark("loop_overhead", "loop_overhead", _loop_overhead)]))
register(Scenario(
    "no_op", "call an exported function that does nothing: the boundary crossing itself",
    frozenset(), lambda: [Benchmark("no_op", "no_op", _no_op, guest=GUEST)], (GUEST,),
    {"no_op": "() -> ()"}, headline=named("no_op"), per_interpreter=True))
register(Scenario(
    "add_numbers", "add_numbers(10, 20) == 30: two i32 in, one out",
    frozenset(), lambda: [Benchmark("add_numbers", "add_numbers", _add_numbers, guest=GUEST)],
    (GUEST,), {"add_numbers": "(i32, i32) -> i32"}, headline=named("add_numbers"),
    per_interpreter=True))
register(Scenario(
    "reverse_string", "write a string into linear memory, reverse it in place, read it back",
    NEEDS_MEMORY,
    lambda: [Benchmark(f"reverse_string/{n}", "reverse_string", _reverse_string(n), n, GUEST)
             for n in STRING_SIZES], (GUEST,),
    {**ALLOC, "reverse_string_in_place": "(i32, i32) -> ()"},
    # 1 KiB and 16 KiB: the round trip, and its cost per extra KiB
    headline=named("reverse_string/1024", "reverse_string/16384"), per_interpreter=True))
register(Scenario(
    "sum_array", "pack a list of i32 (struct) into linear memory and sum it in the guest",
    NEEDS_MEMORY,
    lambda: [Benchmark(f"sum_array/{n}", "sum_array", _sum_array(n), 4 * n, GUEST)
             for n in ARRAY_COUNTS], (GUEST,),
    {**ALLOC, "sum_array": "(i32, i32) -> i32"}))
register(Scenario(
    "alloc_dealloc", "allocate and free a block through the guest's exported allocator",
    NEEDS_MEMORY,
    lambda: [Benchmark(f"alloc_dealloc/{n}", "alloc_dealloc", _alloc_dealloc(n), 0, GUEST)
             for n in ALLOC_SIZES], (GUEST,),
    {**ALLOC, "deallocate": "(i32, i32) -> ()"}))
