"""wasm3 (a fast interpreter in C) through pywasm3 0.5.0's C extension.

Calls go straight to ``wasm3.Function`` objects: the cheapest call path of any binding here.
Memory is the ``memoryview`` that ``Runtime.get_memory(0)`` returns, taken afresh on every
access because it points into a buffer that ``memory.grow`` reallocates (a kept view would
read freed memory).

What the binding does, verified on 0.5.0 and worth knowing when reading its numbers:
- a parsed module is consumed by ``Runtime.load``, so there is no reusable compiled module:
  ``compile`` only validates, ``instantiate`` parses again into a fresh wasm3 runtime;
- host functions can be linked only after ``Runtime.load`` (before it: segfault), and an
  import left unlinked fails at its first call, so imports are checked here at instantiation;
- a wasm3 runtime is never freed (its type has no finalizer: ~1.2 MB per instance of the
  article guest) and every ``get_memory`` leaks 80 bytes;
- ``Function.__call__`` does not check the argument count (too few arguments are read from
  past the end of the tuple), so callers must pass exactly the export's parameters;
- the start function runs at the first call, not at instantiation;
- there is no interruption or metering API other than a "metering" import the guest must
  call itself, no serialized modules, and the binding does not expose wasm3's WASI.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from runtimes.base import (
    Availability,
    Capability,
    CompileError,
    ExportNotFound,
    Imports,
    Instance,
    LinkError,
    Memory,
    Runtime,
    RuntimeInfo,
    Trap,
    WasmError,
)
from runtimes.wasm_binary import MalformedModule, ModuleSummary, summarize

STACK_BYTES = 64 * 1024  # wasm3's value stack per runtime, as in pywasm3's own examples
_SIG = {"i32": "i", "i64": "I", "f32": "f", "f64": "F"}


class Wasm3Memory(Memory):
    def __init__(self, runtime: Any) -> None:
        self._get = runtime.get_memory

    def read(self, offset: int, length: int) -> bytes:
        view = self._get(0)
        if offset < 0 or length < 0 or offset + length > len(view):
            raise IndexError("out of bounds memory read")
        return view[offset:offset + length].tobytes()

    def write(self, offset: int, data: bytes) -> None:
        view = self._get(0)
        if offset < 0 or offset + len(data) > len(view):
            raise IndexError("out of bounds memory write")
        view[offset:offset + len(data)] = data

    def size(self) -> int:
        return len(self._get(0))


class Wasm3Instance(Instance):
    def __init__(self, runtime: Any, module: Any, summary: ModuleSummary) -> None:
        self._runtime = runtime
        self._module = module  # linked host functions live as long as the module object
        self._summary = summary

    def _kind(self, name: str, kind: str) -> None:
        found = self._summary.exports.get(name)
        if found is None:
            raise ExportNotFound(f"export not found: {name}")
        if found != kind:
            raise ExportNotFound(f"export {name} is a {found}, not a {kind}")

    def export(self, name: str) -> Any:
        self._kind(name, "func")
        return self._runtime.find_function(name)

    def memory(self, name: str = "memory") -> Memory:
        self._kind(name, "memory")
        return Wasm3Memory(self._runtime)


class Wasm3Module:
    """What ``compile`` returns: validated bytes (wasm3 has no reusable compiled module)."""

    def __init__(self, wasm: bytes, summary: ModuleSummary) -> None:
        self.wasm = wasm
        self.summary = summary


class Pywasm3(Runtime):
    name = "pywasm3"
    summary = "wasm3 interpreter via pywasm3's C extension (Function objects, get_memory views)"
    capabilities = frozenset({Capability.ANY_MODULE, Capability.MEMORY, Capability.ISOLATED_MEMORY,
                              Capability.HOST_IMPORTS})
    frees_instances = False
    keeps_instances_reason = ("pywasm3's Runtime type has no finalizer: a wasm3 runtime (one "
                              "per instance) lives until the process ends")

    @classmethod
    def _check_availability(cls) -> Availability:
        try:
            import wasm3  # noqa: F401
        except ImportError as exc:
            return Availability(False, f"pywasm3 is not installed here ({exc}); it builds from "
                                       "source: pip install pywasm3 (needs a C compiler)")
        return Availability(True)

    def __init__(self) -> None:
        super().__init__()
        import wasm3

        self._wasm3 = wasm3
        self._env = wasm3.Environment()

    @property
    def info(self) -> RuntimeInfo:
        return RuntimeInfo(self.name, "pywasm3", metadata.version("pywasm3"),
                           f"wasm3 {self._wasm3.M3_VERSION} (interpreter)",
                           "C extension: Function.__call__, get_memory() view per access")

    def compile(self, wasm: bytes) -> Wasm3Module:
        wasm = bytes(wasm)
        try:
            summary = summarize(wasm)
            self._env.parse_module(wasm)
        except (MalformedModule, RuntimeError) as exc:
            raise CompileError(str(exc)) from None
        return Wasm3Module(wasm, summary)

    def instantiate(self, module: Wasm3Module, imports: Imports | None = None) -> Instance:
        imports = imports or {}
        for mod, name, kind in module.summary.imports:
            if kind != "func":
                raise LinkError(f"import {mod}.{name} is a {kind}; pywasm3 can only link functions")
            if name not in imports.get(mod, {}):
                raise LinkError(f"unknown import: {mod}.{name} was not provided")
        runtime = self._env.new_runtime(STACK_BYTES)
        try:
            parsed = self._env.parse_module(module.wasm)
            runtime.load(parsed)
            for mod, funcs in imports.items():
                for name, host in funcs.items():
                    signature = (f"{''.join(_SIG[t] for t in host.results) or 'v'}"
                                 f"({''.join(_SIG[t] for t in host.params)})")
                    parsed.link_function(mod, name, signature, host.fn)
        except RuntimeError as exc:
            raise LinkError(str(exc)) from None
        return Wasm3Instance(runtime, parsed, module.summary)

    def explain(self, exc: BaseException) -> WasmError:
        if isinstance(exc, RuntimeError):  # "[trap] unreachable executed", ...
            return Trap(f"trap: {str(exc).removeprefix('[trap] ')}")
        return super().explain(exc)
