"""Runtime adapters, one module each, behind the interface in ``runtimes.base``.

Built-ins are listed here; other installed packages add theirs through the entry-point group
``wasm_interop.runtimes`` (name = runtime name, value = ``module:Class``), and experiments
through the ``WASM_INTEROP_RUNTIMES`` environment variable. Adapter modules are
imported lazily and never import their binding at module import time, so listing runtimes
cannot crash on a broken binding.
"""

from __future__ import annotations

import difflib
import importlib
import os
from importlib import metadata

from runtimes.base import Role, Runtime

ENTRY_POINT_GROUP = "wasm_interop.runtimes"
# Without packaging: WASM_INTEROP_RUNTIMES="name=module:Class,..." (the module must be importable).
ENV_VAR = "WASM_INTEROP_RUNTIMES"

BUILTIN: dict[str, str] = {
    "wasmtime": "runtimes.wasmtime_py:Wasmtime",
    "wasmtime-raw": "runtimes.wasmtime_raw:WasmtimeRaw",
    "wasmer-cranelift": "runtimes.wasmer_py:WasmerCranelift",
    "wasmer-singlepass": "runtimes.wasmer_py:WasmerSinglepass",
    "wasmer-llvm": "runtimes.wasmer_py:WasmerLLVM",
    "wasmer-cranelift-cached-view": "runtimes.wasmer_py:WasmerCraneliftCachedView",
    "pywasm3": "runtimes.pywasm3_py:Pywasm3",
    "pywasm": "runtimes.pywasm_py:Pywasm",
    "python": "runtimes.python_baseline:PythonBaseline",
    "native": "runtimes.native:Native",
    "native-fastcall": "runtimes.native_fastcall:NativeFastcall",
    "wasm2c": "runtimes.wasm2c:Wasm2c",
    "jsc": "runtimes.jsc:Jsc",
    "v8": "runtimes.v8_miniracer:V8",
}


class UnknownRuntime(LookupError):
    """A runtime name nobody registered; the message suggests the closest one."""


def _registered() -> dict[str, str]:
    found = dict(BUILTIN)
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    for item in filter(None, os.environ.get(ENV_VAR, "").split(",")):
        name, _, target = item.partition("=")
        found.setdefault(name.strip(), target.strip())
    return found


def names() -> list[str]:
    """Every registered runtime name, built-ins first, in a stable order."""
    return list(_registered())


def get(name: str) -> type[Runtime]:
    """The adapter class registered as ``name``."""
    registered = _registered()
    if name not in registered:
        close = difflib.get_close_matches(name, registered, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownRuntime(f"unknown runtime {name!r}{hint} (known: {', '.join(registered)})")
    module, _, attr = registered[name].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    if not (isinstance(cls, type) and issubclass(cls, Runtime)) or cls.name != name:
        raise UnknownRuntime(f"runtime {name!r} is registered as {registered[name]!r}, "
                             "which is not a Runtime subclass with that name")
    return cls


def with_role(role: Role) -> tuple[str, ...]:
    """The built-in runtimes that play ``role``, in registry order (plugins play none). More
    than one may: ``Role.FLOOR`` is played by every way of calling the guest's native code, and
    a reader of the floor picks among them (the layer breakdown takes the lowest)."""
    return tuple(name for name in BUILTIN if get(name).role is role)


def references() -> dict[str, Role]:
    """Every built-in runtime that plays a role, and its role: the rest are WebAssembly
    runtimes (the sandboxed paths the report ranks)."""
    return {name: role for role in Role for name in with_role(role)}
