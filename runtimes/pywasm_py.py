"""pywasm 2.2: a WebAssembly interpreter written in pure Python, the slow end of the scale.

Calls go through ``Runtime.invocate`` (its public API: it looks the export up by name and
converts every value on every call) behind a small wrapper that unpacks its result list;
memory is the ``MemInst.data`` bytearray itself (grown in place, so a kept reference stays
valid). Each instance gets its own pywasm ``Runtime`` (store and machine).

What the interpreter does, verified on 2.2.3 and worth knowing when reading its numbers:
- it costs tens of microseconds per interpreted guest loop iteration (~40 ms to reverse
  1 KiB here), so it declares a payload limit: larger payloads would take seconds to minutes
  per operation and hours per benchmark;
- traps are plain Python exceptions (mostly a bare ``AssertionError``; ``python -O`` would
  remove them, so it is unavailable there) that leave the machine's stack dirty: the wrapper
  names the trap from the instruction that raised it and resets the stack;
- it needs CPython >= 3.11 (``typing.Self``); i32 arguments must be in the signed range
  (OverflowError otherwise); no interruption, no module cache, and its WASI writes to this
  process's own file descriptors (no capture), so WASI is not declared.
"""

from __future__ import annotations

import copy
import io
import sys
from collections.abc import Callable
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
)
from runtimes.wasm_binary import MalformedModule, ModuleSummary, summarize

_MAX_FRAMES = 1024  # pywasm's call depth limit


class PywasmMemory(Memory):
    def __init__(self, mem: Any) -> None:
        self._data: bytearray = mem.data

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > len(self._data):
            raise IndexError("out of bounds memory read")
        return bytes(self._data[offset:offset + length])

    def write(self, offset: int, data: bytes) -> None:
        if offset < 0 or offset + len(data) > len(self._data):
            raise IndexError("out of bounds memory write")
        self._data[offset:offset + len(data)] = data

    def size(self) -> int:
        return len(self._data)


def _trap_reason(exc: Exception, opname: str, frames: int) -> str:
    """The wasm spec's name for the trap pywasm signalled with ``exc`` while at ``opname``."""
    if opname == "unreachable":
        return "unreachable"
    if isinstance(exc, ZeroDivisionError):
        return "integer divide by zero"
    if ".load" in opname or ".store" in opname or opname.startswith("memory."):
        return "out of bounds memory access"
    if opname.startswith(("call", "return_call")) and frames >= _MAX_FRAMES - 1:
        return "call stack exhausted"
    if opname.startswith(("i32.div", "i64.div", "i32.trunc", "i64.trunc")):
        return "integer overflow"
    if opname == "call_indirect":
        return "indirect call failed"
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


class PywasmInstance(Instance):
    def __init__(self, pywasm: Any, runtime: Any, inst: Any, summary: ModuleSummary,
                 host_errors: list[BaseException]) -> None:
        self._pywasm = pywasm
        self._runtime = runtime
        self._inst = inst
        self._summary = summary
        self._host_errors = host_errors  # exceptions raised by our host functions: passed on

    def _kind(self, name: str, kind: str) -> None:
        found = self._summary.exports.get(name)
        if found is None:
            raise ExportNotFound(f"export not found: {name}")
        if found != kind:
            raise ExportNotFound(f"export {name} is a {found}, not a {kind}")

    def _trap(self, exc: Exception) -> BaseException:
        """Reset the machine after a failed call; the exception the caller should see."""
        machine = self._runtime.machine
        stack = machine.stack
        opname = "?"
        if stack.label:
            label = stack.label[-1]
            if 0 < label.index <= len(label.instr):
                opcode = label.instr[label.index - 1].opcode
                opname = self._pywasm.opcode.name.get(opcode, str(opcode))
        frames = len(stack.frame)
        machine.stack = self._pywasm.core.Stack()
        if any(exc is e for e in self._host_errors):
            self._host_errors.clear()
            return exc
        return Trap(f"trap: {_trap_reason(exc, opname, frames)} "
                    f"(pywasm raised {type(exc).__name__} at {opname})")

    def export(self, name: str) -> Callable[..., Any]:
        self._kind(name, "func")
        invocate, inst, trap = self._runtime.invocate, self._inst, self._trap
        results = len(self._summary.signatures.get(name, ((), ()))[1])

        if results == 1:
            def call(*args: Any) -> Any:
                try:
                    return invocate(inst, name, list(args))[0]
                except Exception as exc:
                    raise trap(exc) from None
        else:
            def call(*args: Any) -> Any:
                try:
                    rets = invocate(inst, name, list(args))
                except Exception as exc:
                    raise trap(exc) from None
                return tuple(rets) if rets else None
        return call

    def memory(self, name: str = "memory") -> Memory:
        self._kind(name, "memory")
        return PywasmMemory(self._runtime.exported_memory(self._inst, name))


class Pywasm(Runtime):
    name = "pywasm"
    summary = "pywasm, a WebAssembly interpreter in pure Python (Runtime.invocate, bytearray)"
    capabilities = frozenset({Capability.ANY_MODULE, Capability.MEMORY, Capability.ISOLATED_MEMORY,
                              Capability.HOST_IMPORTS})
    python_versions = ">=3.11"  # it uses typing.Self
    max_payload_bytes = 1024
    payload_limit_reason = ("a pure-Python interpreter spends tens of microseconds per guest "
                            "loop iteration: larger payloads take seconds to minutes per operation")

    @classmethod
    def _check_availability(cls) -> Availability:
        if sys.version_info < (3, 11):
            return Availability(False, "pywasm 2.x needs CPython >= 3.11 (it uses typing.Self); "
                                       f"this is {sys.version.split()[0]}")
        if sys.flags.optimize:
            return Availability(False, "pywasm signals traps with assert statements, which "
                                       "python -O removes")
        try:
            import pywasm  # noqa: F401
        except ImportError as exc:
            return Availability(False, f"pywasm is not installed here ({exc})")
        return Availability(True)

    def __init__(self) -> None:
        super().__init__()
        import pywasm

        self._pywasm = pywasm

    @property
    def info(self) -> RuntimeInfo:
        return RuntimeInfo(self.name, "pywasm", metadata.version("pywasm"),
                           "none (pure-Python interpreter)",
                           "Runtime.invocate via a result-unpacking wrapper; MemInst.data")

    def compile(self, wasm: bytes) -> tuple[Any, ModuleSummary]:
        wasm = bytes(wasm)
        try:
            summary = summarize(wasm)
            desc = self._pywasm.core.ModuleDesc.from_reader(io.BytesIO(wasm))
        except MalformedModule as exc:
            raise CompileError(str(exc)) from None
        except Exception as exc:  # pywasm's parser asserts
            raise CompileError(f"pywasm cannot parse the module ({type(exc).__name__}: {exc})"
                               ) from None
        return desc, summary

    def instantiate(self, module: tuple[Any, ModuleSummary], imports: Imports | None = None
                    ) -> Instance:
        desc, summary = module
        core = self._pywasm.core
        runtime = core.Runtime()
        host_errors: list[BaseException] = []
        for mod, name, kind in summary.imports:
            host = (imports or {}).get(mod, {}).get(name)
            if kind != "func" or host is None:
                raise LinkError(f"unknown import: {mod}.{name} ({kind}) was not provided")
            ty = core.FuncType([getattr(core.ValType, t)() for t in host.params],
                               [getattr(core.ValType, t)() for t in host.results])
            runtime.imports.setdefault(mod, {})[name] = runtime.allocate_func_host(
                ty, _host_call(host, host_errors))
        try:
            inst = runtime.instance(_own_data_segments(desc))
        except AssertionError:
            raise LinkError("pywasm refused the imports (a type mismatch?) or the start "
                            "function trapped") from None
        return PywasmInstance(self._pywasm, runtime, inst, summary, host_errors)


def _own_data_segments(desc: Any) -> Any:
    """The module description with copies of its data segments' bytes.

    pywasm's data instances alias the description's bytes and ``data.drop`` (run after every
    active segment is copied into memory) clears them, so a second instance of one compiled
    module would start with no data at all.
    """
    mine = copy.copy(desc)
    mine.data = []
    for segment in desc.data:
        fresh = copy.copy(segment)
        fresh.init = bytearray(segment.init)
        mine.data.append(fresh)
    return mine


def _host_call(host: HostFunction, errors: list[BaseException]) -> Callable[[Any, list], list]:
    """pywasm's host-function convention (machine, args) -> results, remembering exceptions."""
    fn, returns = host.fn, bool(host.results)

    def call(_machine: Any, args: list) -> list:
        try:
            result = fn(*args)
        except Exception as exc:
            errors.append(exc)
            raise
        return [result] if returns else []

    return call
