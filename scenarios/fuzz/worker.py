"""One runtime's fuzz worker: ``python -m scenarios.fuzz.worker RUNTIME``.

Runs in that runtime's own interpreter (as a benchmark worker does) and answers many modules
per process: each request line on stdin names a module file and the calls to make; each answer
line on the protocol stream says how compiling, instantiating and every call ended, with the
values normalised so runtimes compare exactly (integers as unsigned bit patterns, floats as
their bits, any NaN as "nan": the binding's float conversion may not keep a NaN's payload).
The process's own stdout is pointed at stderr first, so nothing a binding prints can corrupt
the protocol. A crash or hang is the orchestrator's to notice (``pool``): this process only
reports what it saw, and exits after an error it cannot vouch for surviving (MemoryError).
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
from typing import Any

import runtimes
from runtimes.base import NotSupported, Runtime, WasmError

_MASK = {"i32": (1 << 32) - 1, "i64": (1 << 64) - 1}


def decode_arg(ty: str, bits: int) -> int | float:
    """A call argument from its JSON form (see ``generate.Call``)."""
    if ty == "f32":
        return float(struct.unpack("<f", struct.pack("<I", bits & _MASK["i32"]))[0])
    if ty == "f64":
        return float(struct.unpack("<d", struct.pack("<Q", bits & _MASK["i64"]))[0])
    return bits


def encode_value(ty: str, value: Any) -> int | str:
    """A returned value as compared across runtimes: an unsigned pattern, or "nan"."""
    if ty in _MASK:
        return int(value) & _MASK[ty]
    value = float(value)
    if math.isnan(value):
        return "nan"
    fmt, ifmt = ("<f", "<I") if ty == "f32" else ("<d", "<Q")
    return int(struct.unpack(ifmt, struct.pack(fmt, value))[0])


def _values(results: list[str], returned: Any) -> list[int | str]:
    if not results:
        return []
    got = list(returned) if isinstance(returned, (list, tuple)) else [returned]
    if len(got) != len(results):
        raise TypeError(f"{len(got)} values returned for {len(results)} results")
    return [encode_value(t, v) for t, v in zip(results, got, strict=True)]


def _failure(runtime: Runtime, exc: BaseException) -> tuple[str, str]:
    err = runtime.explain(exc) if not isinstance(exc, WasmError) else exc
    kind = "unsupported" if isinstance(err, NotSupported) else err.kind
    return kind, err.describe()[:300]


def run_module(runtime: Runtime, wasm: bytes, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Compile, instantiate and call; every outcome is data, never an exception."""
    try:
        module = runtime.compile(wasm)
    except Exception as exc:
        kind, message = _failure(runtime, exc)
        return {"status": "unsupported" if kind == "unsupported" else "compile",
                "message": message}
    try:
        instance = runtime.instantiate(module, {})
    except Exception as exc:
        kind, message = _failure(runtime, exc)
        return {"status": "unsupported" if kind == "unsupported" else "instantiate",
                "message": message}
    outcomes: list[dict[str, Any]] = []
    for call in calls:
        try:
            fn = instance.export(call["export"])
            args = [decode_arg(t, a) for t, a in zip(call["params"], call["args"], strict=True)]
            returned = fn(*args)
            outcomes.append({"outcome": "values", "values": _values(call["results"], returned)})
        except MemoryError:
            raise
        except Exception as exc:
            kind, message = _failure(runtime, exc)
            outcomes.append({"outcome": kind, "message": message})
    return {"status": "ok", "calls": outcomes}


def serve(name: str) -> int:
    """Answer requests until stdin closes; the first line says whether the runtime loaded."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever the binding or guest prints goes to the log, not the protocol
    sys.stdout = sys.stderr
    try:
        runtime = runtimes.get(name)()
        proto.write(json.dumps({"ready": True, "info": runtime.info.as_metadata()}) + "\n")
    except Exception as exc:
        proto.write(json.dumps({"ready": False, "reason": f"{type(exc).__name__}: {exc}"}) + "\n")
        return 1
    for line in sys.stdin:
        request = json.loads(line)
        with open(request["path"], "rb") as fh:
            wasm = fh.read()
        try:
            answer = run_module(runtime, wasm, request["calls"])
        except MemoryError:
            answer = {"status": "crashed", "message": "MemoryError in the worker"}
            proto.write(json.dumps(answer) + "\n")
            return 1
        proto.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))
