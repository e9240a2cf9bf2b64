"""native-fastcall: the native library reached through a C extension instead of ctypes."""

from __future__ import annotations

import types

import pytest

import guest
import runtimes
from runtimes.base import CompileError, Role
from runtimes.conformance import available_runtime
from runtimes.native_fastcall import NativeFastcall
from scenarios.catalog import reference


@pytest.fixture
def runtime() -> NativeFastcall:
    available_runtime("native-fastcall")
    return NativeFastcall()


def test_exports_are_builtin_functions_not_ctypes(runtime: NativeFastcall) -> None:
    inst = runtime.load(guest.get("article").wasm)
    add = inst.export("add_numbers")
    assert isinstance(add, types.BuiltinFunctionType)
    assert add(2**31 - 1, 1) == -(2**31)
    with pytest.raises(OverflowError):
        add(2**32, 0)
    with pytest.raises(TypeError, match="takes 2 arguments"):
        add(1)


def test_the_floor_guest_runs_through_the_extension(runtime: NativeFastcall) -> None:
    inst = runtime.load(guest.get("floor").wasm)
    assert inst.export("call_loop")(1000) == reference.mix_loop(1000)
    mem = inst.memory()
    ptr = inst.export("allocate")(5)
    mem.write(ptr, b"hello")
    assert inst.export("reverse_repeat")(ptr, 5, 2) == reference.reverse_repeat(b"hello", 2)[0]


def test_only_this_projects_guests_run(runtime: NativeFastcall) -> None:
    with pytest.raises(CompileError, match="only this project's guests"):
        runtime.compile(b"\0asm\x01\0\0\0")


def test_both_native_paths_play_the_floor_and_are_references() -> None:
    """Several runtimes may hold a role; every role holder is a reference, not a sandbox."""
    assert runtimes.with_role(Role.FLOOR) == ("native", "native-fastcall")
    assert runtimes.with_role(Role.BASELINE) == ("python",)
    assert runtimes.references() == {"python": Role.BASELINE, "native": Role.FLOOR,
                                     "native-fastcall": Role.FLOOR}
