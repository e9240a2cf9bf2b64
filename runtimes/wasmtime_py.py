"""wasmtime through wasmtime-py's public API, exactly as shipped (Cranelift, default config).

Calls go through ``Func.__call__`` (which re-reads the function type and converts every value
on every call) and memory through ``Memory.read``/``Memory.write``: what a user gets from the
package's documentation. Every instance gets its own ``Store``: a Store keeps every instance
alive until it is dropped (and holds at most 10,000), and calling a Func with another Store's
context aborts the process.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from runtimes.base import (
    Availability,
    Capability,
    CompileError,
    ExportNotFound,
    HostFunction,
    Imports,
    Instance,
    LinkError,
    Memory,
    Runtime,
    RuntimeInfo,
    Trap,
    WasiResult,
    WasmError,
)


class WasmtimeMemory(Memory):
    def __init__(self, store: Any, memory: Any) -> None:
        self._store = store
        self._memory = memory

    # Memory.read/write follow slice semantics: a read past the end is silently cut short and
    # a negative offset counts from the end. Both are caught here without an extra FFI call.
    def read(self, offset: int, length: int) -> bytes:
        data = self._memory.read(self._store, offset, offset + length)
        if offset < 0 or len(data) != length:
            raise IndexError("out of bounds memory read")
        return data

    def write(self, offset: int, data: bytes) -> None:
        if offset < 0:
            raise IndexError("out of bounds memory write")
        self._memory.write(self._store, data, offset)

    def size(self) -> int:
        return self._memory.data_len(self._store)


class WasmtimeInstance(Instance):
    def __init__(self, wasmtime: Any, store: Any, instance: Any) -> None:
        self._wt = wasmtime
        self._store = store
        self._exports = instance.exports(store)

    def _get(self, name: str, kind: type) -> Any:
        try:
            item = self._exports[name]
        except KeyError:
            raise ExportNotFound(f"export not found: {name}") from None
        if not isinstance(item, kind):
            raise ExportNotFound(f"export {name} is a {type(item).__name__}, not a {kind.__name__}")
        return item

    def export(self, name: str) -> Any:
        return functools.partial(self._get(name, self._wt.Func), self._store)

    def memory(self, name: str = "memory") -> Memory:
        return WasmtimeMemory(self._store, self._get(name, self._wt.Memory))


class Wasmtime(Runtime):
    name = "wasmtime"
    summary = "wasmtime-py, public API as shipped (Func.__call__, Memory.read/write), Cranelift"
    capabilities = frozenset({Capability.ANY_MODULE, Capability.MEMORY, Capability.ISOLATED_MEMORY,
                              Capability.HOST_IMPORTS, Capability.WASI})

    @classmethod
    def _check_availability(cls) -> Availability:
        import wasmtime  # noqa: F401 - the import is the check

        return Availability(True)

    def __init__(self) -> None:
        super().__init__()
        import wasmtime

        self._wt = wasmtime
        self.engine = wasmtime.Engine(self._config())

    def _config(self) -> Any:
        """The engine configuration; subclasses change it (strategy, interruption, caches)."""
        return self._wt.Config()

    @property
    def info(self) -> RuntimeInfo:
        return RuntimeInfo(self.name, "wasmtime", metadata.version("wasmtime"), "cranelift",
                           "public API: Func.__call__, Memory.read/write")

    def compile(self, wasm: bytes) -> Any:
        try:
            return self._wt.Module(self.engine, wasm)
        except self._wt.WasmtimeError as exc:
            raise CompileError(str(exc).strip().splitlines()[0]) from None

    def instantiate(self, module: Any, imports: Imports | None = None) -> Instance:
        wt = self._wt
        store = wt.Store(self.engine)
        linker = wt.Linker(self.engine)
        state = self._define_imports(linker, imports)
        try:
            instance = linker.instantiate(store, module)
        except wt.Trap as exc:
            raise self.explain(exc) from None
        except wt.WasmtimeError as exc:
            raise LinkError(str(exc).strip().splitlines()[0]) from None
        return self._wrap(store, instance, state)

    def _functype(self, host: HostFunction) -> Any:
        wt = self._wt
        return wt.FuncType([_valtype(wt, t) for t in host.params],
                           [_valtype(wt, t) for t in host.results])

    def _define_imports(self, linker: Any, imports: Imports | None) -> Any:
        """Define the host functions in ``linker``; returns what ``_wrap`` needs to keep."""
        for mod_name, funcs in (imports or {}).items():
            for field_name, host in funcs.items():
                linker.define_func(mod_name, field_name, self._functype(host), host.fn)
        return None

    def _wrap(self, store: Any, instance: Any, state: Any) -> Instance:
        return WasmtimeInstance(self._wt, store, instance)

    def run_wasi(self, module: Any, argv: Sequence[str]) -> WasiResult:
        """A fresh Store with a WasiConfig (argv; stdout to a Python callback), then _start."""
        wt = self._wt
        out = bytearray()
        config = wt.WasiConfig()
        config.argv = list(argv)
        config.stdout_custom = out.extend
        store = wt.Store(self.engine)
        store.set_wasi(config)
        linker = wt.Linker(self.engine)
        linker.define_wasi()
        try:
            instance = linker.instantiate(store, module)
        except wt.Trap as exc:
            raise self.explain(exc) from None
        except wt.WasmtimeError as exc:
            raise LinkError(str(exc).strip().splitlines()[0]) from None
        start = WasmtimeInstance(wt, store, instance).export("_start")
        try:
            start()
        except wt.ExitTrap as exc:
            return WasiResult(exc.code, bytes(out))
        return WasiResult(0, bytes(out))

    def explain(self, exc: BaseException) -> WasmError:
        if isinstance(exc, self._wt.Trap):
            # The message is "error while executing at wasm backtrace: ... Caused by: <cause>".
            code = exc.trap_code.name if exc.trap_code is not None else "unknown"
            cause = exc.message.strip().splitlines()[-1].strip()
            return Trap(f"trap {code}: {cause}")
        return super().explain(exc)


def _valtype(wt: Any, name: str) -> Any:
    return getattr(wt.ValType, name)()
