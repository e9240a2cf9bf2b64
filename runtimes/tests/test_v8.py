"""v8 (mini-racer) beyond the conformance suite: values the eval'd call writes and reads back
exactly (BigInt, special floats, several results), errors by V8's class, host imports through
JSPI, a memory view that survives growth, and dropped modules and instances freed in V8."""

from __future__ import annotations

import gc
import math

import pytest

import guest
from runtimes.base import Capability, CompileError, HostFunction, LinkError, NotSupported, Trap
from runtimes.conformance import available_runtime, wat
from runtimes.v8_miniracer import V8

VALUES_WAT = """(module
  (func (export "id64") (param i64) (result i64) local.get 0)
  (func (export "idf64") (param f64) (result f64) local.get 0)
  (func (export "idf32") (param f32) (result f32) local.get 0)
  (func (export "mixed") (param i32 i64 f64) (result f64 i64 i32)
    local.get 2 local.get 1 local.get 0))"""

HOST64_WAT = """(module
  (import "env" "next" (func $next (param i64) (result i64)))
  (func (export "twice") (param i64) (result i64) local.get 0 call $next call $next))"""


@pytest.fixture
def runtime() -> V8:
    return available_runtime("v8")()


def test_i64_crosses_as_bigint_exactly_beyond_a_double(runtime: V8) -> None:
    inst = runtime.load(wat(VALUES_WAT))
    for value in (2**53 + 1, -(2**63), 2**63 - 1, 0):
        assert inst.export("id64")(value) == value
    assert inst.export("id64")(2**64 - 1) == -1  # an unsigned pattern wraps like i64 does


def test_special_floats_and_several_results(runtime: V8) -> None:
    inst = runtime.load(wat(VALUES_WAT))
    f64 = inst.export("idf64")
    assert math.isnan(f64(math.nan)) and f64(-math.inf) == -math.inf
    assert math.copysign(1.0, f64(-0.0)) == -1.0
    assert f64(2.0) == 2.0 and isinstance(f64(2.0), float)  # V8 hands back an int for 2
    assert inst.export("idf32")(0.1) == pytest.approx(0.1) and inst.export("idf32")(0.1) != 0.1
    assert inst.export("mixed")(-1, 2**60, 0.5) == [0.5, 2**60, -1]


def test_errors_are_told_by_v8s_error_class(runtime: V8) -> None:
    with pytest.raises(CompileError, match=r"WebAssembly\.Module"):
        runtime.compile(b"\0asm\x01\0\0\0\x05")
    start_traps = wat('(module (func $s unreachable) (start $s))')
    with pytest.raises(Trap, match="unreachable"):
        runtime.load(start_traps)
    mistyped = wat('(module (import "env" "g" (global i32)))')
    with pytest.raises(LinkError, match="global"):
        runtime.load(mistyped)


def test_host_imports_run_through_jspi_with_i64_and_errors(runtime: V8) -> None:
    seen: list[int] = []

    def nxt(v: int) -> int:
        seen.append(v)
        if v == 7:
            raise KeyError("no seven")
        return v + 1

    inst = runtime.load(wat(HOST64_WAT), {"env": {"next": HostFunction(nxt, ("i64",),
                                                                         ("i64",))}})
    assert inst.export("twice")(2**60) == 2**60 + 2 and seen == [2**60, 2**60 + 1]
    with pytest.raises(Exception) as info:
        inst.export("twice")(6)
    err = runtime.explain(info.value)
    assert isinstance(err, Trap) and "host function raised KeyError: 'no seven'" in str(err)
    assert inst.export("twice")(0) == 2  # the instance survives


def test_the_memory_view_survives_growth_in_place(runtime: V8) -> None:
    inst = runtime.load(guest.get("article").wasm)
    mem = inst.memory()
    kept = mem.view()
    base, size = mem._base, mem._size
    ptr = inst.export("allocate")(64 * 2**20)  # the guest grows its memory by 1024 pages
    mem.write(ptr + 64 * 2**20 - 3, b"end")
    assert mem._size > size and mem._base == base  # refreshed, not moved
    kept[16:19] = b"old"  # the view taken before growing still addresses live memory
    assert mem.read(16, 3) == b"old"


def test_dropped_modules_and_instances_are_freed_in_v8(runtime: V8) -> None:
    count = "[Object.keys(__wib.mods).length, Object.keys(__wib.insts).length].join()"
    assert runtime.racer.eval(count) == "0,0"
    for _ in range(3):
        runtime.load(guest.get("article").wasm).export("add_numbers")(1, 2)
    assert runtime.racer.eval(count) == "1,1"  # each load freed what the one before dropped
    gc.collect()
    kept = runtime.compile(guest.get("article").wasm)  # frees what was dropped, then compiles
    assert runtime.racer.eval(count) == "1,0" and kept.id > 3


def test_instances_made_and_dropped_one_after_another_are_all_freed(runtime: V8) -> None:
    module = runtime.compile(guest.get("article").wasm)
    for _ in range(10):  # first_call's pattern: the next instance exists before the last goes
        instance = runtime.instantiate(module)
        add = instance.export("add_numbers")
        assert add(1, 2) == 3
    del instance, add
    runtime.instantiate(module)  # frees the ten, then makes one
    assert runtime.racer.eval("Object.keys(__wib.insts).length") == 1


def test_host_function_wrappers_are_closed_once_the_instance_is_dropped(runtime: V8) -> None:
    callbacks = runtime.racer._ctx._active_cancelable_mr_task_callbacks
    before = len(callbacks)
    inst = runtime.load(wat(HOST64_WAT), {"env": {"next": HostFunction(lambda v: v + 1,
                                                                         ("i64",), ("i64",))}})
    assert inst.export("twice")(1) == 3 and len(callbacks) == before + 1
    del inst
    gc.collect()
    runtime.racer.eval("0")  # the loop has run the wrapper's aclose() by the time this answers
    assert len(callbacks) == before


def test_the_epoch_sibling_stops_a_call_whose_deadline_passed_before_it(runtime: V8) -> None:
    with pytest.raises(NotSupported):
        runtime.load(guest.get("compute").wasm).set_epoch_deadline(1)  # not the sibling
    sibling = runtime.with_interruption(Capability.EPOCH_INTERRUPTION)
    inst = sibling.load(guest.get("compute").wasm)
    inst.set_epoch_deadline(1)
    sibling.increment_epoch()
    with pytest.raises(Exception) as info:
        inst.export("fib")(10)
    err = sibling.explain(info.value)
    assert isinstance(err, Trap) and err.interrupted_by is Capability.EPOCH_INTERRUPTION
    inst.set_epoch_deadline(1)
    assert inst.export("fib")(10) == 55  # re-armed, below the deadline again
    with pytest.raises(NotSupported, match="without imports"):
        sibling.load(wat(HOST64_WAT), {"env": {"next": HostFunction(int, ("i64",), ("i64",))}})
