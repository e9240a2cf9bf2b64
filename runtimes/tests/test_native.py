"""The native floor: signatures from the Rust source, the build cache, and its memory."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path

import pytest

import guest
from runtimes import native_build
from runtimes.base import CompileError
from runtimes.native import (
    ADDRESS_SPACE_END,
    LOWEST_ADDRESS,
    Native,
    NativeMemory,
    Signature,
    bind,
    exported_signatures,
)
from scenarios.catalog import reference
from scenarios.orchestrate import hosts


@pytest.fixture
def toolchain() -> native_build.Toolchain:
    found = native_build.find_toolchain()
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(native_build.CACHE_VAR, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_signatures_come_from_the_guest_source() -> None:
    sigs = exported_signatures(guest.get("article").source.read_text())
    assert sigs == {
        "no_op": Signature((), None),
        "add_numbers": Signature(("i32", "i32"), "i32"),
        "allocate": Signature(("usize",), "ptr"),
        "deallocate": Signature(("ptr", "usize"), None),
        "reverse_string_in_place": Signature(("ptr", "usize"), None),
        "sum_array": Signature(("ptr", "usize"), "i32"),
    }
    floor = exported_signatures(guest.get("floor").source.read_text())
    assert floor["reverse_repeat"] == Signature(("ptr", "usize", "u32"), "u32")
    assert "step" not in floor and "mix" not in floor  # not exported: not callable


def test_an_unsupported_type_is_named() -> None:
    with pytest.raises(ValueError, match="'String'"):
        exported_signatures('#[no_mangle]\npub extern "C" fn f(s: String) {}')


def test_argtypes_only_where_a_python_int_would_not_pass_correctly() -> None:
    lib = ctypes.CDLL(None)
    add = bind(lib["abs"], Signature(("i32", "i32"), "u32"))
    assert add.argtypes is None and add.restype is ctypes.c_int32  # as wasm: i32 comes back signed
    ptr = bind(lib["labs"], Signature(("ptr", "usize"), None))
    assert ptr.argtypes == [ctypes.c_size_t, ctypes.c_size_t] and ptr.restype is None


def test_no_toolchain_makes_the_runtime_unavailable_with_the_reason(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native_build.RUSTC_VAR, "/nonexistent/rustc")
    reason = native_build.find_toolchain()
    assert isinstance(reason, str) and "/nonexistent/rustc" in reason and "install" in reason
    avail = Native._check_availability()
    assert not avail.available and "no Rust toolchain" in avail.reason


def test_the_cache_builds_once_per_source_and_compiler(toolchain: native_build.Toolchain,
                                                      cache: Path, tmp_path: Path) -> None:
    source = guest.get("article").source
    first = native_build.library("article", source, toolchain)
    assert first.parent == cache and first.exists()
    stamp = first.stat().st_mtime_ns
    assert native_build.library("article", source, toolchain) == first
    assert first.stat().st_mtime_ns == stamp  # not rebuilt
    other = native_build.Toolchain(toolchain.rustc, "0.0.0", toolchain.verbose_version + "x")
    text = source.read_bytes()
    assert native_build.cache_key(text, other) != native_build.cache_key(text, toolchain)
    changed = tmp_path / "lib.rs"
    changed.write_bytes(text + b"\n// changed\n")
    assert native_build.library("article", changed, toolchain) != first
    assert not [p for p in cache.iterdir() if p.name.startswith(".build-")]  # no leftovers


def test_processes_building_at_once_share_one_build(toolchain: native_build.Toolchain,
                                                    cache: Path) -> None:
    code = ("import sys; from pathlib import Path; from runtimes import native_build as b; "
            "print(b.library('floor', Path(sys.argv[1]), b.find_toolchain()))")
    env = {**hosts.child_env(), native_build.CACHE_VAR: str(cache)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(guest.get("floor").source)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(3)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    paths = {out.strip() for out, _ in outs}
    assert len(paths) == 1
    assert [p.name for p in cache.iterdir() if not p.name.startswith(".")] == [
        Path(paths.pop()).name]


def test_a_build_failure_is_one_clear_line(toolchain: native_build.Toolchain, cache: Path,
                                           tmp_path: Path) -> None:
    bad = tmp_path / "lib.rs"
    bad.write_text("pub extern \"C\" fn broken( {}\n")
    with pytest.raises(native_build.NativeBuildError, match=r"could not build .*lib\.rs natively"):
        native_build.library("broken", bad, toolchain)


def test_an_unwritable_cache_says_what_to_do(toolchain: native_build.Toolchain, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(native_build.CACHE_VAR, str(blocker / "cache"))
    with pytest.raises(native_build.NativeBuildError, match=native_build.CACHE_VAR):
        native_build.library("article", guest.get("article").source, toolchain)


def test_only_this_projects_guests_run(toolchain: native_build.Toolchain, cache: Path) -> None:
    runtime = Native()
    with pytest.raises(CompileError, match="only this project's guests"):
        runtime.compile(b"\0asm\x01\0\0\0")


def test_the_floor_guest_runs_natively(toolchain: native_build.Toolchain, cache: Path) -> None:
    inst = Native().load(guest.get("floor").wasm)
    assert inst.export("call_loop")(1000) == reference.mix_loop(1000)
    assert inst.export("inline_loop")(1000) == reference.mix_loop(1000)
    mem = inst.memory()
    ptr = inst.export("allocate")(5)
    mem.write(ptr, b"hello")
    assert inst.export("reverse_repeat")(ptr, 5, 2) == reference.reverse_repeat(b"hello", 2)[0]
    assert mem.read(ptr, 5) == b"hello"


def test_memory_refuses_what_cannot_be_an_address() -> None:
    memory = NativeMemory()
    for offset, length in ((0, 4), (LOWEST_ADDRESS - 2, 4), (ADDRESS_SPACE_END - 2, 4), (-1, 1)):
        with pytest.raises(IndexError, match="no sandbox"):
            memory.read(offset, length)
        with pytest.raises(IndexError):
            memory.write(offset, b"x" * length)
    assert memory.read(1, 0) == b"" and memory.write(1, b"") is None  # allocate(0)'s pointer
    buf = ctypes.create_string_buffer(b"native bytes")
    memory.write(ctypes.addressof(buf), b"NATIVE")
    assert buf.value == b"NATIVE bytes" and memory.read(ctypes.addressof(buf), 6) == b"NATIVE"
