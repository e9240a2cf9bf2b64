"""wasmtime-raw beyond the conformance suite: the version pin, every value type through the raw
buffers in both directions, and its cached memory view across growth."""

from __future__ import annotations

import pytest

import guest
from runtimes import wasmtime_raw
from runtimes.base import ExportNotFound, HostFunction
from runtimes.conformance import wat

TYPES_WAT = """(module
  (import "env" "mix" (func $mix (param i64 f32 f64 i32) (result f64 i64)))
  (func (export "swap") (param i64 f32 f64 i32) (result f64 i64)
    local.get 0 local.get 1 local.get 2 local.get 3 call $mix)
  (func (export "pair") (result i32 i32) i32.const -1 i32.const 7))"""


@pytest.fixture
def runtime() -> wasmtime_raw.WasmtimeRaw:
    if not wasmtime_raw.WasmtimeRaw.availability().available:
        pytest.skip(wasmtime_raw.WasmtimeRaw.availability().reason)
    return wasmtime_raw.WasmtimeRaw()


@pytest.mark.parametrize("version", ["49.0.0", "51.0.0", "60.1.2"])
def test_outside_the_tested_versions_it_is_unavailable_and_says_why(
        version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wasmtime_raw.metadata, "version", lambda _name: version)
    avail = wasmtime_raw.WasmtimeRaw._check_availability()
    assert not avail.available
    assert f"wasmtime {version} is outside" in avail.reason and "50.0" in avail.reason


def test_every_value_type_crosses_the_raw_buffers_both_ways(
        runtime: wasmtime_raw.WasmtimeRaw) -> None:
    seen = []

    def mix(a: int, b: float, c: float, d: int) -> tuple[float, int]:
        seen.append((a, b, c, d))
        return c * 2, a + 1

    inst = runtime.load(wat(TYPES_WAT), {"env": {"mix": HostFunction(
        mix, ("i64", "f32", "f64", "i32"), ("f64", "i64"))}})
    assert inst.export("swap")(2**40, 1.5, -0.25, -3) == [-0.5, 2**40 + 1]
    assert seen == [(2**40, 1.5, -0.25, -3)]
    assert inst.export("pair")() == [-1, 7]


def test_a_non_numeric_export_is_refused_by_name(runtime: wasmtime_raw.WasmtimeRaw) -> None:
    inst = runtime.load(wat('(module (func (export "ref") (param externref)))'))
    with pytest.raises(ExportNotFound, match=r"export ref uses \w+ref, which wasmtime-raw"):
        inst.export("ref")


def test_calls_check_their_arity(runtime: wasmtime_raw.WasmtimeRaw) -> None:
    add = runtime.load(guest.get("article").wasm).export("add_numbers")
    with pytest.raises(TypeError):
        add(1)
    with pytest.raises(TypeError):
        add(1, 2, 3)
    assert add(2**31, 0) == -(2**31)  # i32 arguments wrap, as in the shipped API


def test_the_cached_view_follows_growth_from_the_host_too(
        runtime: wasmtime_raw.WasmtimeRaw) -> None:
    inst = runtime.load(guest.get("article").wasm)
    mem = inst.memory()
    before = mem.size()
    mem.write(before - 4, b"last")  # caches the view at its current length
    shipped = inst._get("memory", inst._wt.Memory)  # the same memory through the public API
    shipped.grow(inst._store, 3)
    mem.write(before + 3 * 65536 - 4, b"tail")  # past the cached length: refreshed, not refused
    assert bytes(shipped.read(inst._store, before + 3 * 65536 - 4, before + 3 * 65536)) == b"tail"
    assert mem.read(before - 4, 4) == b"last" and mem.size() == before + 3 * 65536
    with pytest.raises(IndexError):
        mem.read(mem.size() - 1, 2)


def test_memory_never_moves_so_the_view_cannot_go_stale(
        runtime: wasmtime_raw.WasmtimeRaw) -> None:
    inst = runtime.load(guest.get("article").wasm)
    mem = inst.memory()
    base = mem._base
    inst.export("allocate")(64 * 2**20)  # the guest grows its memory by 1024 pages
    assert mem.size() > 64 * 2**20 and mem._base == base
    mem._base = base + 4096  # pretend it had moved: the refresh must refuse, not go on
    with pytest.raises(RuntimeError, match="moved a linear memory"):
        mem.size()


def test_any_export_name_can_be_called(runtime: wasmtime_raw.WasmtimeRaw) -> None:
    """Export names are any UTF-8, NUL included (the fuzzer's smith modules have them)."""
    inst = runtime.load(wat('(module (func (export "a\\00b") (result i32) i32.const 7))'))
    assert inst.export("a\0b")() == 7
