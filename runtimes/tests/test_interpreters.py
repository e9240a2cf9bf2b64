"""What the conformance suite does not cover about the two interpreters (pywasm3, pywasm)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import guest
import runtimes
from runtimes.base import ExportNotFound, HostFunction, LinkError, Runtime, Trap
from runtimes.conformance import wat
from scenarios.orchestrate import hosts

OOB_WAT = """(module (memory (export "memory") 1)
  (func (export "peek") (param i32) (result i32) local.get 0 i32.load))"""
GLOBAL_IMPORT_WAT = """(module (import "env" "g" (global i32)) (func (export "f")))"""


def _runtime(name: str) -> Runtime:
    cls = runtimes.get(name)
    if not cls.availability().available:
        pytest.skip(f"{name} unavailable: {cls.availability().reason}")
    return cls()


@pytest.mark.parametrize("name", ["pywasm3", "pywasm"])
def test_out_of_bounds_access_is_a_named_trap_and_the_instance_survives(name: str) -> None:
    runtime = _runtime(name)
    inst = runtime.load(wat(OOB_WAT))
    peek = inst.export("peek")
    with pytest.raises(Exception) as info:
        peek(65534)
    err = runtime.explain(info.value)
    assert isinstance(err, Trap) and "out of bounds" in str(err)
    assert peek(0) == 0


@pytest.mark.parametrize("name", ["pywasm3", "pywasm"])
def test_non_function_imports_and_exports_are_refused_by_name(name: str) -> None:
    runtime = _runtime(name)
    with pytest.raises(LinkError, match=r"env\.g"):
        runtime.load(wat(GLOBAL_IMPORT_WAT), {"env": {"g": HostFunction(lambda: 1)}})
    inst = runtime.load(guest.get("article").wasm)
    with pytest.raises(ExportNotFound, match="memory is a memory, not a func"):
        inst.export("memory")


def test_pywasm3_memory_is_read_afresh_after_the_guest_grows_it() -> None:
    runtime = _runtime("pywasm3")
    inst = runtime.load(guest.get("article").wasm)
    mem = inst.memory()
    before = mem.size()
    ptr = inst.export("allocate")(2 * before)  # memory.grow reallocates wasm3's buffer
    assert mem.size() > before
    mem.write(ptr + 2 * before - 4, b"tail")
    assert mem.read(ptr + 2 * before - 4, 4) == b"tail"


def test_pywasm_declares_its_payload_limit_and_python_version() -> None:
    cls = runtimes.get("pywasm")
    assert cls.max_payload_bytes == 1024
    assert "seconds" in (cls.refuses_payload(1025) or "")
    if sys.version_info < (3, 11):
        assert "needs CPython >= 3.11" in cls.availability().reason


@pytest.mark.skipif(sys.version_info < (3, 11), reason="pywasm needs CPython >= 3.11")
def test_pywasm_is_unavailable_under_python_O() -> None:
    """pywasm signals traps with assert: under -O a trapping guest would run on silently."""
    proc = subprocess.run([sys.executable, "-O", "-c",
                           "import runtimes; print(runtimes.get('pywasm').availability().reason)"],
                          capture_output=True, text=True, env=hosts.child_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "python -O removes" in proc.stdout
