"""The committed guest bytes: what they export, and that the source still builds to them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import guest
from guest import build
from runtimes.wasm_binary import summarize

ARTICLE_EXPORTS = {"memory": "memory", "no_op": "func", "add_numbers": "func", "allocate": "func",
                   "deallocate": "func", "reverse_string_in_place": "func", "sum_array": "func"}


def test_article_exports_what_the_article_calls_and_imports_nothing() -> None:
    summary = summarize(guest.get("article").wasm)
    assert ARTICLE_EXPORTS.items() <= summary.exports.items()
    assert summary.imports == []
    assert summary.memory_pages and summary.memory_pages >= 17


def test_sha256_is_of_the_committed_bytes() -> None:
    g = guest.get("article")
    assert g.sha256 == hashlib.sha256(g.path.read_bytes()).hexdigest()


def test_unknown_guest_is_a_clear_error() -> None:
    with pytest.raises(guest.GuestError, match="unknown guest 'artcle'"):
        guest.get("artcle")


@pytest.mark.parametrize("name", list(guest.GUESTS))
def test_source_rebuilds_to_the_committed_bytes(name: str, tmp_path: Path) -> None:
    rustc, version = build.toolchain()
    if rustc is None:
        pytest.skip(version)
    if version != build.PINNED_RUSTC:
        pytest.skip(f"{version} is not {build.PINNED_RUSTC}, which built the committed bytes")
    g = guest.get(name)
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
