"""wasmtime through wasmtime-py's public API, exactly as shipped (Cranelift, default config).

Calls go through ``Func.__call__`` (which re-reads the function type and converts every value
on every call) and memory through ``Memory.read``/``Memory.write``: what a user gets from the
package's documentation. Every instance gets its own ``Store``: a Store keeps every instance
alive until it is dropped (and holds at most 10,000), and calling a Func with another Store's
context aborts the process.

Compilation caches: ``Module.serialize``/``deserialize`` (refused, as ``ArtifactRejected``,
when another engine configuration made the artifact), ``deserialize_file`` (the file is
mapped: rewriting it under a live module kills the process with SIGBUS), and the on-disk
cache (``Config.cache`` naming a TOML file that points at the folder; entries are keyed by
the engine configuration, so a fresh engine configured alike hits).

Components (``Capability.COMPONENT``): ``compile`` takes a component's bytes too and gives a
``wasmtime.component.Component``; its instances hand out ``component.Func``s bound to their
Store, called with Python values that wasmtime-py converts to the canonical ABI's values
(``Func.__call__`` re-reads the function type on every call, and converts ``list<T>``
element by element through ctypes, ``list<u8>`` included). A component is one more kind of
module for the same engine, so it is a capability of this runtime rather than a runtime of
its own, which would duplicate every core row (see docs/runtimes.md).

The default ``wasmtime`` runtime keeps wasmtime's default configuration. Interruption (epoch
deadlines, fuel) changes the compiled code, so it lives on a sibling runtime with its own
engine (``with_interruption``), used only by the scenarios that measure it.
"""

from __future__ import annotations

import ctypes
import functools
import json
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from runtimes.base import (
    AccessPath,
    ArtifactRejected,
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
from runtimes.wasm_binary import is_component


class WasmtimeMemory(Memory):
    def __init__(self, wasmtime: Any, store: Any, memory: Any) -> None:
        self._wt = wasmtime
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

    def grow(self, pages: int) -> int:
        if pages < 0:
            raise ValueError("cannot grow memory by a negative number of pages")
        try:
            return self._memory.grow(self._store, pages)
        except self._wt.WasmtimeError:  # at its maximum: memory.grow's -1
            return -1

    def view(self) -> memoryview:
        # get_buffer_ptr: a ctypes array over the whole memory, sized as it is now.
        return memoryview(self._memory.get_buffer_ptr(self._store)).cast("B")

    def access_paths(self) -> dict[str, AccessPath]:
        paths = super().access_paths()
        paths["ctypes"] = self._ctypes_path()
        return paths

    def _ctypes_path(self) -> AccessPath:
        """The raw address (``data_ptr``, fetched on every access, so a grow cannot leave it
        stale) with ``ctypes.string_at`` / ``ctypes.memmove``."""
        data_ptr, data_len, store = self._memory.data_ptr, self._memory.data_len, self._store
        address, string_at, memmove = ctypes.addressof, ctypes.string_at, ctypes.memmove

        def read(offset: int, length: int) -> bytes:
            if offset < 0 or length < 0 or offset + length > data_len(store):
                raise IndexError("out of bounds memory read")
            return string_at(address(data_ptr(store).contents) + offset, length)

        def write(offset: int, data: bytes) -> None:
            if offset < 0 or offset + len(data) > data_len(store):
                raise IndexError("out of bounds memory write")
            memmove(address(data_ptr(store).contents) + offset, data, len(data))

        return AccessPath(read, write, "data_ptr + ctypes.string_at/memmove, per access")


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
        return WasmtimeMemory(self._wt, self._store, self._get(name, self._wt.Memory))

    def set_epoch_deadline(self, ticks: int) -> None:
        self._store.set_epoch_deadline(ticks)

    def set_fuel(self, units: int) -> None:
        self._store.set_fuel(units)


class WasmtimeComponentInstance(Instance):
    """An instantiated component: its exports are WIT functions, it exports no memory."""

    def __init__(self, store: Any, instance: Any) -> None:
        self._store = store
        self._instance = instance

    def export(self, name: str) -> Any:
        func = self._instance.get_func(self._store, name)
        if func is None:
            raise ExportNotFound(f"export not found: {name} (not a function of the component)")
        return functools.partial(func, self._store)

    def memory(self, name: str = "memory") -> Memory:
        raise ExportNotFound(f"export not found: {name} (a component exports no memory; its "
                             "values cross through the canonical ABI)")

    def set_epoch_deadline(self, ticks: int) -> None:
        self._store.set_epoch_deadline(ticks)

    def set_fuel(self, units: int) -> None:
        self._store.set_fuel(units)


def _host_call(fn: Any) -> Any:
    """A component linker passes the Store first; the framework's host functions take only
    the values (this wrapper's frame is part of a component callback's cost)."""
    return lambda _store, *args: fn(*args)


# Far enough never to be reached, small enough that wasmtime's epoch + ticks cannot overflow.
FAR_EPOCH_TICKS = 1 << 62
AMPLE_FUEL = 1 << 62
_INTERRUPTIONS = (Capability.EPOCH_INTERRUPTION, Capability.FUEL)
# wasmtime's trap codes for an interruption, by mechanism.
_INTERRUPT_CODES = {"INTERRUPT": Capability.EPOCH_INTERRUPTION,
                    "OUT_OF_FUEL": Capability.FUEL}
# The same, as a component call's error words them (it has no trap code).
_INTERRUPT_CAUSES = {"wasm trap: interrupt": "INTERRUPT", "all fuel consumed": "OUT_OF_FUEL"}


class Wasmtime(Runtime):
    name = "wasmtime"
    summary = "wasmtime-py, public API as shipped (Func.__call__, Memory.read/write), Cranelift"
    capabilities = frozenset({Capability.ANY_MODULE, Capability.MEMORY, Capability.ISOLATED_MEMORY,
                              Capability.HOST_IMPORTS, Capability.WASI, Capability.SERIALIZE,
                              Capability.DESERIALIZE_FILE, Capability.DISK_CACHE,
                              Capability.COMPONENT, *_INTERRUPTIONS})

    @classmethod
    def _check_availability(cls) -> Availability:
        import wasmtime  # noqa: F401 - the import is the check

        return Availability(True)

    def __init__(self, disk_cache: Path | None = None,
                 interruption: Capability | None = None) -> None:
        super().__init__()
        import wasmtime

        self._wt = wasmtime
        self.disk_cache = disk_cache
        self.interruption = interruption
        config = self._config()
        # Applied here, not in _config, so that subclasses that replace it keep them.
        if disk_cache is not None:
            config.cache = str(_cache_config_file(disk_cache))
        if interruption is Capability.EPOCH_INTERRUPTION:
            config.epoch_interruption = True
        elif interruption is Capability.FUEL:
            config.consume_fuel = True
        self.engine = wasmtime.Engine(config)

    def _config(self) -> Any:
        """The engine configuration; subclasses change it (strategy)."""
        return self._wt.Config()

    def with_interruption(self, mechanism: Capability) -> Runtime:
        if mechanism not in self.capabilities.intersection(_INTERRUPTIONS):
            return super().with_interruption(mechanism)
        return type(self)(interruption=mechanism)

    def increment_epoch(self) -> None:
        if self.interruption is not Capability.EPOCH_INTERRUPTION:
            super().increment_epoch()  # raises: this engine has no epoch interruption
        self.engine.increment_epoch()

    @property
    def info(self) -> RuntimeInfo:
        binding = "public API: Func.__call__, Memory.read/write"
        if self.interruption is not None:
            binding += f"; {self.interruption.value} on"
        return RuntimeInfo(self.name, "wasmtime", metadata.version("wasmtime"), "cranelift",
                           binding)

    def compile(self, wasm: bytes) -> Any:
        if is_component(wasm):
            return self._compile_component(wasm)
        try:
            return self._wt.Module(self.engine, wasm)
        except self._wt.WasmtimeError as exc:
            raise CompileError(str(exc).strip().splitlines()[0]) from None

    def _compile_component(self, wasm: bytes) -> Any:
        if Capability.COMPONENT not in self.capabilities:
            raise CompileError(f"a Component Model component: {self.name} runs core modules "
                               "only")
        from wasmtime import component

        try:
            return component.Component(self.engine, wasm)
        except self._wt.WasmtimeError as exc:
            raise CompileError(str(exc).strip().splitlines()[0]) from None

    def serialize(self, module: Any) -> bytes:
        return bytes(module.serialize())

    def deserialize(self, data: bytes) -> Any:
        try:
            return self._wt.Module.deserialize(self.engine, data)
        except self._wt.WasmtimeError as exc:
            raise ArtifactRejected(_cause(exc)) from None

    def deserialize_file(self, path: Path) -> Any:
        """The file is mapped, not read: it must not change while the module lives (SIGBUS)."""
        try:
            return self._wt.Module.deserialize_file(self.engine, str(path))
        except self._wt.WasmtimeError as exc:
            raise ArtifactRejected(f"{path.name}: {_cause(exc)}") from None

    def with_disk_cache(self, directory: Path) -> Runtime:
        return type(self)(disk_cache=directory)

    def _store(self) -> Any:
        store = self._wt.Store(self.engine)
        # With a mechanism on, calls trap at once until armed: start with a far deadline.
        if self.interruption is Capability.EPOCH_INTERRUPTION:
            store.set_epoch_deadline(FAR_EPOCH_TICKS)
        elif self.interruption is Capability.FUEL:
            store.set_fuel(AMPLE_FUEL)
        return store

    def instantiate(self, module: Any, imports: Imports | None = None) -> Instance:
        wt = self._wt
        if not isinstance(module, wt.Module):
            return self._instantiate_component(module, imports)
        store = self._store()
        linker = wt.Linker(self.engine)
        state = self._define_imports(linker, imports)
        try:
            instance = linker.instantiate(store, module)
        except wt.Trap as exc:
            raise self.explain(exc) from None
        except wt.WasmtimeError as exc:
            raise LinkError(str(exc).strip().splitlines()[0]) from None
        return self._wrap(store, instance, state)

    def _instantiate_component(self, component: Any, imports: Imports | None) -> Instance:
        """A fresh Store, and a component Linker holding the imports: ``""`` is the root,
        another name an imported instance."""
        from wasmtime import component as cm

        store = self._store()
        linker = cm.Linker(self.engine)
        try:
            with linker.root() as root:
                for instance_name, funcs in (imports or {}).items():
                    if instance_name:
                        with root.add_instance(instance_name) as inner:
                            for name, host in funcs.items():
                                inner.add_func(name, _host_call(host.fn))
                    else:
                        for name, host in funcs.items():
                            root.add_func(name, _host_call(host.fn))
            instance = linker.instantiate(store, component)
        except self._wt.Trap as exc:
            raise self.explain(exc) from None
        except self._wt.WasmtimeError as exc:  # the first line names the import
            raise LinkError(str(exc).strip().splitlines()[0]) from None
        return WasmtimeComponentInstance(store, instance)

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
            return Trap(f"trap {code}: {cause}", code=code,
                        interrupted_by=_INTERRUPT_CODES.get(code))
        if isinstance(exc, self._wt.WasmtimeError):
            # A component call's trap (and a lifting error) arrives as a WasmtimeError whose
            # last line is the cause, with no trap code: interruptions are told by their words.
            cause = _cause(exc)
            code = next((c for words, c in _INTERRUPT_CAUSES.items() if words in cause), "")
            return Trap(f"trap {code or 'error'}: {cause}", code=code,
                        interrupted_by=_INTERRUPT_CODES.get(code))
        return super().explain(exc)


def _valtype(wt: Any, name: str) -> Any:
    return getattr(wt.ValType, name)()


def _cause(exc: BaseException) -> str:
    """The root cause: wasmtime's messages end with it ("... Caused by: <cause>")."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _cache_config_file(directory: Path) -> Path:
    """wasmtime's cache is configured by a TOML file: write one keeping entries in
    ``directory/entries`` (JSON string quoting is valid TOML for a basic string)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "wasmtime-cache.toml"
    path.write_text(f"[cache]\ndirectory = {json.dumps(str(directory / 'entries'))}\n",
                    encoding="utf-8")
    return path
