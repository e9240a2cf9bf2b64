"""The committed guest bytes: what they export, and that the source still builds to them."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest

import guest
import runtimes
from guest import build
from runtimes.base import Capability
from runtimes.wasm_binary import MalformedModule, signature, summarize
from scenarios.catalog import reference

ARTICLE_EXPORTS = {"memory": "memory", "no_op": "func", "add_numbers": "func", "allocate": "func",
                   "deallocate": "func", "reverse_string_in_place": "func", "sum_array": "func"}


def test_article_exports_what_the_article_calls_and_imports_nothing() -> None:
    summary = summarize(guest.get("article").wasm)
    assert ARTICLE_EXPORTS.items() <= summary.exports.items()
    assert summary.imports == []
    assert summary.memory_pages and summary.memory_pages >= 17


def test_compute_exports_the_interruption_workloads_and_imports_nothing() -> None:
    summary = summarize(guest.get("compute").wasm)
    assert {name: signature(*summary.signatures[name]) for name in ("spin", "churn", "fib")} \
        == {"spin": "() -> ()", "churn": "(i32) -> i32", "fib": "(i32) -> i32"}
    assert summary.imports == []


@pytest.fixture(scope="module")
def compute_with_fuel() -> Any:
    """The compute guest on wasmtime with fuel, to run spin for a measured amount of work."""
    cls = runtimes.get("wasmtime")
    if not cls.availability().available:
        pytest.skip(f"wasmtime unavailable: {cls.availability().reason}")
    return cls().with_interruption(Capability.FUEL).load(guest.get("compute").wasm)


def test_spin_is_a_real_loop_that_counts_its_turns(compute_with_fuel: Any) -> None:
    """The optimiser kept spin's loop and its side effect: more fuel, proportionally more turns."""
    inst = compute_with_fuel
    mem = inst.memory()
    size = mem.size()
    before = mem.read(0, size)
    counts = []
    for budget in (20_000, 200_000):
        inst.set_fuel(budget)
        with pytest.raises(Exception, match="fuel"):
            inst.export("spin")()
        after = mem.read(0, size)
        changed = next(i for i in range(size) if before[i] != after[i])
        counts.append(int.from_bytes(after[changed & ~7:(changed & ~7) + 8], "little"))
    assert counts[0] > 0 and counts[1] - counts[0] > 5 * counts[0]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 1000, 300_000])
def test_churn_matches_the_reference(compute_with_fuel: Any, n: int) -> None:
    compute_with_fuel.set_fuel(1 << 40)
    assert compute_with_fuel.export("churn")(n) == reference.churn(n)


def test_fib_matches_the_reference(compute_with_fuel: Any) -> None:
    compute_with_fuel.set_fuel(1 << 40)
    fib = compute_with_fuel.export("fib")
    assert [fib(n) for n in range(26)] == [reference.fib(n) for n in range(26)]


def test_sha256_is_of_the_committed_bytes() -> None:
    g = guest.get("article")
    assert g.sha256 == hashlib.sha256(g.path.read_bytes()).hexdigest()


def test_unknown_guest_is_a_clear_error() -> None:
    with pytest.raises(guest.GuestError, match="unknown guest 'artcle'"):
        guest.get("artcle")


def _wasm_tools() -> Path:
    """The pinned wasm-tools, or skip (as the rebuild tests skip without the pinned rustc)."""
    tools, version = build.wasm_tools()
    if tools is None:
        pytest.skip(version)
    if version != build.PINNED_WASM_TOOLS:
        pytest.skip(f"wasm-tools {version} is not {build.PINNED_WASM_TOOLS}, which made the "
                    "committed components")
    return tools


@pytest.mark.parametrize("name", list(guest.GUESTS))
def test_source_rebuilds_to_the_committed_bytes(name: str, tmp_path: Path) -> None:
    rustc, version = build.toolchain()
    if rustc is None:
        pytest.skip(version)
    if version != build.PINNED_RUSTC:
        pytest.skip(f"{version} is not {build.PINNED_RUSTC}, which built the committed bytes")
    g = guest.get(name)
    if g.component:
        _wasm_tools()
    fresh = build.build(g, rustc, tmp_path / f"{name}.wasm")
    assert fresh == g.path.read_bytes(), f"guest/{name}.wasm is stale: run python -m guest.build"


@pytest.mark.parametrize(("source", "kind"), build.EXAMPLE_SOURCES, ids=lambda v: str(v)[-14:])
def test_example_modules_rebuild_to_the_committed_bytes(source: Path, kind: str,
                                                        tmp_path: Path) -> None:
    if kind != "wat":
        rustc, version = build.toolchain(kind)
        if rustc is None:
            pytest.skip(version)
        if version != build.PINNED_RUSTC:
            pytest.skip(f"{version} is not {build.PINNED_RUSTC}, which built the committed bytes")
    fresh = build.build_example(source, kind, tmp_path / f"{source.stem}.wasm")
    assert fresh == source.with_suffix(".wasm").read_bytes(), \
        f"{source.with_suffix('.wasm')} is stale: run python -m guest.build"


def test_callbacks_guest_imports_the_three_host_functions() -> None:
    summary = summarize(guest.get("callbacks").wasm)
    assert sorted(summary.imports) == [("env", "host_add", "func"), ("env", "host_log", "func"),
                                       ("env", "host_noop", "func")]
    assert {"loop_no_import", "loop_noop_import", "loop_add_import", "loop_log_import",
            "allocate", "deallocate", "memory"} <= set(summary.exports)


def test_exchange_guest_imports_nothing_so_every_runtime_can_load_it() -> None:
    summary = summarize(guest.get("exchange").wasm)
    assert summary.imports == []
    shapes = {n for n in summary.exports if n.startswith("args_")}
    assert len(shapes) == 14 and "args_none" in shapes and "args_f64x16" in shapes
    assert {"upper_copy", "grow_memory", "allocate", "deallocate"} <= set(summary.exports)


def test_the_component_guest_is_a_component_of_its_world() -> None:
    """Its bytes are a component (layer 1), not a core module, and carry the WIT world's
    exports and import with their types, as wasm-tools reads them back."""
    g = guest.get("component")
    assert g.component and g.wasm[:4] == b"\0asm" and g.wasm[6:8] == b"\x01\x00"
    with pytest.raises(MalformedModule):
        summarize(g.wasm)
    tools = _wasm_tools()
    wit = subprocess.run([str(tools), "component", "wit", str(g.path)], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    for line in ("import host-add: func(a: s32, b: s32) -> s32;",
                 "export no-op: func();",
                 "export add-numbers: func(a: s32, b: s32) -> s32;",
                 "export reverse: func(text: string) -> string;",
                 "export sum: func(values: list<s32>) -> s32;",
                 "export reverse-bytes: func(data: list<u8>) -> list<u8>;",
                 "export translate: func(p: point, dx: s32, dy: s32) -> point;",
                 "export loop-host-add: func(n: s32) -> s32;"):
        assert line in wit, f"{line!r} not in the component's WIT:\n{wit}"
