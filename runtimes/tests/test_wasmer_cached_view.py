"""wasmer-cranelift-cached-view beyond the conformance suite: what it changes, and why its one
cached memoryview cannot go stale."""

from __future__ import annotations

import pytest

import guest
import runtimes
from runtimes.wasmer_py import CachedViewMemory


@pytest.fixture
def runtime() -> runtimes.base.Runtime:
    cls = runtimes.get("wasmer-cranelift-cached-view")
    if not cls.availability().available:
        pytest.skip(cls.availability().reason)
    return cls()


def test_it_differs_from_wasmer_cranelift_only_in_memory(runtime: runtimes.base.Runtime) -> None:
    inst = runtime.load(guest.get("article").wasm)
    assert type(inst.export("no_op")).__name__ == "Function"  # the export object itself
    assert isinstance(inst.memory(), CachedViewMemory)
    assert runtime.info.lowest_path_of == "wasmer-cranelift"
    assert runtime.info.compiler == runtimes.get("wasmer-cranelift")().info.compiler


def test_memory_never_moves_so_the_view_cannot_go_stale(runtime: runtimes.base.Runtime) -> None:
    inst = runtime.load(guest.get("article").wasm)
    mem = inst.memory()
    base, size = mem._base, mem._size
    ptr = inst.export("allocate")(64 * 2**20)  # the guest grows its memory by 1024 pages
    assert mem._size == size  # the cached view is not refreshed until an access needs it
    mem.write(ptr + 64 * 2**20 - 3, b"end")
    assert mem._size > size and mem._base == base
    mem._base = base + 4096  # pretend it had moved: the refresh must refuse, not go on
    with pytest.raises(RuntimeError, match="moved a linear memory"):
        mem.size()
