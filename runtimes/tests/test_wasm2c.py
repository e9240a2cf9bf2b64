"""wasm2c: what the conformance suite does not cover (the header the glue reads, the build
cache, nested calls through host functions, stack exhaustion, refusals)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import guest
from runtimes import wasm2c_build
from runtimes.base import CompileError, HostFunction, LinkError, NotSupported, Trap
from runtimes.conformance import available_runtime, wat
from runtimes.wasm2c import Wasm2c, Wasm2cTrap

HEADER = """
struct Z_env_instance_t;
void Z_guest_instantiate(Z_guest_instance_t*, struct Z_env_instance_t*, struct Z_a_instance_t*);
/* import: 'env' 'log' */
void Z_envZ_log(struct Z_env_instance_t*, u32);
/* import: 'a' 'f' */
f64 Z_aZ_f(struct Z_a_instance_t*, u64, f32, f64);
/* import: 'a' 'g' */
extern u32* Z_aZ_g;
/* export: 'memory' */
wasm_rt_memory_t* Z_guestZ_memory(Z_guest_instance_t* instance);
/* export: 'no_op' */
void Z_guestZ_no_op(Z_guest_instance_t*);
/* export: 'Zed.x' */
u64 Z_guestZ_Z5AedZ2Ex(Z_guest_instance_t*, u64);
/* export: '__data_end' */
u32* Z_guestZ___data_end(Z_guest_instance_t* instance);
"""

NESTED_WAT = """(module
  (import "env" "cb" (func $cb (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "outer") (param i32) (result i32) local.get 0 call $cb i32.const 1 i32.add)
  (func (export "boom") (result i32) unreachable)
  (func $r (export "recurse") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $r)
  (func (export "peek") (param i32) (result i32) local.get 0 i32.load)
  (func (export "wide") (param i64) (result i64) local.get 0))"""


@pytest.fixture
def runtime() -> Wasm2c:
    available_runtime("wasm2c")
    return Wasm2c()


def test_the_header_gives_exports_imports_and_memory() -> None:
    iface = wasm2c_build.parse_header(HEADER)
    assert [(f.name, f.symbol, f.params, f.results) for f in iface.exports] == [
        ("no_op", "Z_guestZ_no_op", (), ()),
        ("Zed.x", "Z_guestZ_Z5AedZ2Ex", ("i64",), ("i64",))]  # globals are not functions
    assert [(f.module, f.field, f.struct, f.params, f.results) for f in iface.imports] == [
        ("env", "log", "Z_env_instance_t", ("i32",), ()),
        ("a", "f", "Z_a_instance_t", ("i64", "f32", "f64"), ("f64",))]
    assert iface.memory == "Z_guestZ_memory"
    assert iface.import_structs == ("Z_env_instance_t", "Z_a_instance_t")
    assert iface.unsupported_imports == ("a.g",)
    source = wasm2c_build.glue_source(iface, "wasm2c_x")
    assert "PyInit_wasm2c_x" in source and "@" not in source  # every placeholder filled


def test_names_become_safe_c_strings() -> None:
    assert wasm2c_build.c_string('a"b\\c?\n') == '"a\\042b\\134c\\077\\012"'
    assert wasm2c_build.c_string("é") == '"\\303\\251"'


def test_missing_tools_make_it_unavailable_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    monkeypatch.setenv(wasm2c_build.WASM2C_VAR, "/nonexistent/wasm2c")
    reason = wasm2c_build.find_toolchain()
    assert isinstance(reason, str) and "/nonexistent/wasm2c" in reason and "wabt" in reason
    avail = Wasm2c._check_availability()
    assert not avail.available and "\n" not in avail.reason
    monkeypatch.delenv(wasm2c_build.WASM2C_VAR)
    if isinstance(wasm2c_build.find_toolchain(), str):
        pytest.skip("no wasm2c here to test the other reasons")
    monkeypatch.setattr(wasm2c_build.sysconfig, "get_paths", lambda: {"include": str(tmp_path)})
    reason = wasm2c_build.find_toolchain()
    assert isinstance(reason, str) and "Python.h" in reason


def test_the_cache_builds_once_per_module_and_toolchain(runtime: Wasm2c, tmp_path: Path) -> None:
    wasm = guest.get("compute").wasm
    first, name = wasm2c_build.cached(wasm, runtime.toolchain, tmp_path)
    stamp = first.stat().st_mtime_ns
    assert wasm2c_build.cached(wasm, runtime.toolchain, tmp_path) == (first, name)
    assert first.stat().st_mtime_ns == stamp  # not rebuilt
    other = wasm2c_build.Toolchain(**{**vars(runtime.toolchain), "cc_version": "cc 0.0"})
    assert wasm2c_build.cache_key(wasm, other) != wasm2c_build.cache_key(wasm, runtime.toolchain)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]
    cached = runtime.with_disk_cache(tmp_path)
    assert cached.load(wasm).export("fib")(10) == 55
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        first.name]


def test_guests_are_built_once_into_the_default_cache(runtime: Wasm2c, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(wasm2c_build.CACHE_VAR, str(tmp_path))
    module = runtime.compile(guest.get("compute").wasm)
    assert module.path is not None and module.path.parent == tmp_path
    assert runtime.compile(guest.get("compute").wasm).path == module.path


def test_exports_named_with_control_characters_are_callable(runtime: Wasm2c) -> None:
    """A carriage return in an export's name (a smith module had one) is read from wasm2c's
    header as written, not translated into a line break."""
    inst = runtime.load(wat('(module (func (export "\\0d") (result i32) i32.const 7)'
                            ' (func (export "") (result i32) i32.const 8))'))
    assert (inst.export("\r")(), inst.export("")()) == (7, 8)


def test_a_compile_error_is_one_clear_line(runtime: Wasm2c) -> None:
    # A valid header and sections, but a function body that does not validate.
    bad = wat('(module (func (export "f") (result i32) i32.const 1))')
    bad = bad.replace(b"\x41\x01\x0b", b"\x42\x01\x0b")  # i32.const 1 -> i64.const 1
    with pytest.raises(CompileError, match="wasm2c failed") as info:
        runtime.compile(bad)
    assert "\n" not in str(info.value)


@pytest.fixture
def nested(runtime: Wasm2c) -> tuple[Any, list[str]]:
    seen: list[str] = []
    holder: dict[str, Any] = {}

    def cb(x: int) -> int:
        if x == 13:
            raise ValueError("host refuses 13")
        try:
            holder["inst"].export("boom")()  # a trap in a guest called from a host function
        except Wasm2cTrap as exc:
            seen.append(exc.code)
        return x * 10 + holder["inst"].export("peek")(0)  # and a call that returns

    inst = runtime.load(wat(NESTED_WAT), {"env": {"cb": HostFunction(cb, ("i32",), ("i32",))}})
    holder["inst"] = inst
    return inst, seen


def test_a_trap_inside_a_nested_call_returns_to_that_call(nested: tuple[Any, list[str]]) -> None:
    inst, seen = nested
    outer = inst.export("outer")
    assert outer(4) == 41 and seen == ["UNREACHABLE"]
    with pytest.raises(ValueError, match="host refuses 13"):
        outer(13)
    assert outer(5) == 51 and seen == ["UNREACHABLE"] * 2


def test_stack_exhaustion_traps_and_the_depth_is_restored(runtime: Wasm2c,
                                                          nested: tuple[Any, list[str]]) -> None:
    inst, _ = nested
    for _ in range(3):  # a leaked call depth would make a later call trap at once
        with pytest.raises(Wasm2cTrap) as info:
            inst.export("recurse")(0)
        err = runtime.explain(info.value)
        assert isinstance(err, Trap) and err.code == "EXHAUSTION"
    assert inst.export("outer")(1) == 11


def test_out_of_bounds_is_a_named_trap_and_the_instance_survives(
        runtime: Wasm2c, nested: tuple[Any, list[str]]) -> None:
    inst, _ = nested
    peek = inst.export("peek")
    with pytest.raises(Wasm2cTrap) as info:
        peek(65534)
    assert runtime.explain(info.value).describe().startswith("trap: Out-of-bounds")
    assert peek(0) == 0


def test_values_are_checked_at_the_boundary(nested: tuple[Any, list[str]]) -> None:
    inst, _ = nested
    peek, wide = inst.export("peek"), inst.export("wide")
    with pytest.raises(OverflowError):
        peek(2**32)
    with pytest.raises(TypeError, match="takes 1 arguments"):
        peek()
    with pytest.raises(TypeError):
        peek(1.5)
    assert wide(2**64 - 1) == -1 and wide(-(2**63)) == -(2**63)


def test_an_old_view_stays_valid_after_growth(nested: tuple[Any, list[str]]) -> None:
    inst, _ = nested
    mem = inst.memory()
    old = mem.view()
    old[8:12] = b"kept"
    assert mem.grow(3) == 1 and mem.size() == 4 * 65536
    assert len(old) == 65536 and bytes(old[8:12]) == b"kept" == mem.read(8, 4)
    mem.view()[4 * 65536 - 4:] = b"tail"
    assert mem.read(4 * 65536 - 4, 4) == b"tail"


def test_imports_it_cannot_provide_or_mistyped_ones_are_link_errors(runtime: Wasm2c) -> None:
    with pytest.raises(LinkError, match=r"env\.g \(global\)"):
        runtime.load(wat('(module (import "env" "g" (global i32)) (func (export "f")))'))
    with pytest.raises(LinkError, match=r"env\.cb is \(i32\) -> i32"):
        runtime.load(wat(NESTED_WAT), {"env": {"cb": HostFunction(lambda: 0)}})


def test_modules_above_the_declared_size_are_refused_before_building(
        runtime: Wasm2c, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Wasm2c, "max_module_bytes", 100)
    with pytest.raises(NotSupported, match="declared limit of 100 B"):
        runtime.compile(guest.get("article").wasm)
    assert runtime.compile(wat('(module (func (export "f")))')).extension is not None


@pytest.mark.skipif(sys.platform != "linux", reason="the reservation is Linux's mmap")
def test_many_instances_do_not_exhaust_the_address_space(runtime: Wasm2c) -> None:
    """Each instance reserves 4 GiB for its memory: dropped instances must give it back."""
    module = runtime.compile(guest.get("article").wasm)
    for _ in range(40_000):  # 160 TiB if leaked: more than a 47-bit address space
        runtime.instantiate(module)
