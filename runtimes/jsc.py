"""JavaScriptCore (WebKitGTK's, in-process) through PyPI ``wasmhost`` 0.1.2, its ``jsc`` backend.

wasmhost drives the engine's own ``WebAssembly`` object through JavaScriptCore's C API
(ctypes, no extension of its own): every operation is a JavaScript source string evaluated by
``JSEvaluateScript``, whose last value comes back as a string. So a call is a round trip of
text: ``Function.__call__`` (the package's exported-function object, used here as is) checks
and formats its arguments, evaluates ``__wh.callref(n,[10,20])`` and parses the result's text.
i64 values travel as BigInt literals and floats by ``repr``; exact both ways.

What the binding does, verified on 0.1.2 and worth knowing when reading its numbers:
- the backend is pinned to ``jsc`` (never wasmhost's automatic pick, which prefers wasmtime
  or node when present); each ``Runtime`` gets a JavaScriptCore context of its own;
- memory is copied, never shared: below 256 bytes as hex text, from 256 bytes as a typed array
  filled or read in place through the C API plus one evaluation; ``Memory.read`` asks the
  memory's size first (one more evaluation) to check bounds;
- host functions are JavaScript functions calling a ctypes callback, their arguments and
  results passing through ``JSON.stringify``/``JSON.parse`` and Python's ``json``;
- every module and instance stays in a registry inside the context until the context is
  released, so no instance is freed before its runtime is, and each one alive makes the next
  instantiation slower (the engine's collector walks them all);
- WASI is wasmhost's own preview1 host, written in Python over host functions;
- JavaScriptCore cannot stop a running wasm loop (a script's time limit does not reach it),
  there are no serialized modules, and no view of linear memory from Python.
"""

from __future__ import annotations

import ctypes
import re
import weakref
from collections.abc import Sequence
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
    NotSupported,
    Runtime,
    RuntimeInfo,
    Trap,
    WasiResult,
    WasmError,
)

PACKAGE = "wasmhost"
DEBIAN_PACKAGE = "libjavascriptcoregtk-4.1-0"
# JavaScriptCore appends the failing expression of wasmhost's shim to every error message.
_EVALUATING = re.compile(r"\s*\(evaluating '.*'\)\s*$", re.DOTALL)


def _message(exc: BaseException) -> str:
    return _EVALUATING.sub("", str(exc)).strip() or type(exc).__name__


class JscMemory(Memory):
    """wasmhost's ``Memory.read``/``write`` (copies; they raise ``IndexError`` out of bounds)."""

    def __init__(self, memory: Any) -> None:
        self._memory = memory

    def read(self, offset: int, length: int) -> bytes:
        return self._memory.read(offset, length)

    def write(self, offset: int, data: bytes) -> None:
        self._memory.write(offset, data)

    def size(self) -> int:
        return len(self._memory)

    def grow(self, pages: int) -> int:
        if pages < 0:
            raise ValueError("cannot grow memory by a negative number of pages")
        try:
            return self._memory.grow(pages)
        except IndexError:  # RangeError: past the declared maximum, memory.grow's -1
            return -1


class JscInstance(Instance):
    def __init__(self, instance: Any, kinds: dict[str, str]) -> None:
        self._instance = instance
        self._kinds = kinds

    def _get(self, name: str, kind: str) -> Any:
        found = self._kinds.get(name)
        if found is None:
            raise ExportNotFound(f"export not found: {name}")
        if found != kind:
            raise ExportNotFound(f"export {name} is a {found}, not a {kind}")
        return self._instance.exports[name]

    def export(self, name: str) -> Any:
        return self._get(name, "function")  # a wasmhost.Function: called as is

    def memory(self, name: str = "memory") -> Memory:
        return JscMemory(self._get(name, "memory"))


class JscModule:
    """What ``compile`` returns: wasmhost's ``Module`` and its exports' kinds by name."""

    def __init__(self, module: Any, wasmhost: Any) -> None:
        self.module = module
        self.kinds = {e.name: e.kind for e in wasmhost.Module.exports(module)}
        self.imports = wasmhost.Module.imports(module)


def _release(lib: Any, context: int | None) -> None:
    if context:
        lib.JSGlobalContextRelease(context)


class Jsc(Runtime):
    name = "jsc"
    summary = ("JavaScriptCore (WebKitGTK) in-process via wasmhost's jsc backend: JavaScript "
               "evaluated through the C API per call; memory copied")
    capabilities = frozenset({Capability.ANY_MODULE, Capability.MEMORY, Capability.ISOLATED_MEMORY,
                              Capability.HOST_IMPORTS, Capability.WASI})
    frees_instances = False
    keeps_instances_reason = ("wasmhost keeps every instance in a registry inside the "
                              "JavaScriptCore context until the context is released")

    @classmethod
    def _check_availability(cls) -> Availability:
        try:
            import wasmhost
        except ImportError as exc:
            return Availability(False, f"PyPI {PACKAGE} is not installed here ({exc}): "
                                       f"pip install {PACKAGE}==0.1.2")
        try:
            backend = wasmhost.JSCBackend()
        except OSError as exc:
            return Availability(False, f"JavaScriptCore's library is missing ({exc}): apt-get "
                                       f"install {DEBIAN_PACKAGE} (make bench installs it)")
        backend.close()
        return Availability(True)

    def __init__(self) -> None:
        super().__init__()
        import wasmhost

        self._wasmhost = wasmhost
        # A context of our own, pinned to JavaScriptCore; released once nothing uses it.
        self._backend = backend = wasmhost.JSCBackend()
        weakref.finalize(backend, _release, backend._lib, backend._context)

    @property
    def info(self) -> RuntimeInfo:
        return RuntimeInfo(self.name, PACKAGE, metadata.version(PACKAGE),
                           f"JavaScriptCore {_engine_version(self._backend._lib)} (WebKitGTK)",
                           "wasmhost Function.__call__: JS source per call through "
                           "JSEvaluateScript (ctypes); Memory.read/write copy")

    def compile(self, wasm: bytes) -> JscModule:
        try:
            module = self._wasmhost.Module(bytes(wasm), backend=self._backend)
        except self._wasmhost.CompileError as exc:
            raise CompileError(_message(exc)) from None
        return JscModule(module, self._wasmhost)

    def instantiate(self, module: JscModule, imports: Imports | None = None) -> Instance:
        imports = imports or {}
        given: dict[str, dict[str, Any]] = {}
        for d in module.imports:
            where = f"{d.module}.{d.name}"
            host = imports.get(d.module, {}).get(d.name)
            if host is None:
                raise LinkError(f"unknown import: {where} was not provided")
            if d.kind != "function":
                raise LinkError(f"import {where} is a {d.kind}; only functions can be given")
            wanted = (tuple(d.type.parameters), tuple(d.type.results))
            if (host.params, host.results) != wanted:
                raise LinkError(f"import {where} is {wanted}, the host function "
                                f"{(host.params, host.results)}")
            given.setdefault(d.module, {})[d.name] = host.fn
        wh = self._wasmhost
        try:
            instance = wh.Instance(module.module, given)
        except wh.LinkError as exc:
            raise LinkError(_message(exc)) from None
        except wh.Trap as exc:  # the start function trapped
            raise Trap(f"trap: {_message(exc)}") from None
        return JscInstance(instance, module.kinds)

    def run_wasi(self, module: JscModule, argv: Sequence[str]) -> WasiResult:
        """wasmhost's own WASI host (``wasmhost.wasi.Preview1``, in Python: every WASI call is a
        host function), bound to the instance's memory, then ``_start``."""
        from wasmhost.wasi import preview1

        out = bytearray()
        wasi = preview1.Preview1(args=list(argv), stdout=out.extend)
        wh = self._wasmhost
        try:
            try:
                instance = wh.Instance(module.module, wasi.imports())
            except wh.LinkError as exc:
                raise LinkError(_message(exc)) from None
            except wh.Trap as exc:
                raise Trap(f"trap: {_message(exc)}") from None
            if module.kinds.get("memory") == "memory":  # Preview1.bind needs one; a bare _start not
                wasi.memory = instance.exports.memory
            try:
                instance.exports["_start"]()
            except preview1.WasiExit as exit_:
                return WasiResult(exit_.code, bytes(out))
            return WasiResult(0, bytes(out))
        finally:
            wasi.close()

    def explain(self, exc: BaseException) -> WasmError:
        if isinstance(exc, self._wasmhost.Trap):  # "Unreachable code should not be executed"
            return Trap(f"trap: {_message(exc)}")
        if isinstance(exc, IndexError):  # JavaScript's RangeError, from a call: the stack
            return Trap(f"trap: call stack exhausted ({_message(exc)})", code="stack_overflow")
        if isinstance(exc, NotImplementedError):  # a value type wasmhost cannot pass (v128, refs)
            return NotSupported(str(exc))
        return super().explain(exc)


def _engine_version(lib: Any) -> str:
    """WebKitGTK's version of the library (``jsc_get_major_version`` & co.)."""
    try:
        parts = []
        for part in ("major", "minor", "micro"):
            fn = getattr(lib, f"jsc_get_{part}_version")
            fn.restype, fn.argtypes = ctypes.c_uint, []
            parts.append(str(fn()))
        return ".".join(parts)
    except AttributeError:  # another build of the library (macOS's framework has none)
        return "(version unknown)"
