"""wasmer through wasmer-python 1.1.0 (PyO3; Wasmer 2.x), one adapter per compiler.

Calls use the export objects themselves (looked up once: attribute lookup costs ~1 us) and
memory goes through ``Memory.buffer``, the binding's documented byte-level access, taken
afresh on every access so a ``memory.grow`` never leaves a stale view. wasmer-python has no
interruption or metering API and holds the GIL while the guest runs.

Wheels exist only for CPython <= 3.10; on newer interpreters pip installs a stub whose import
raises ImportError, which is reported as the reason. The LLVM compiler's wheel aborts the
interpreter at import ("Inconsistency detected by ld.so"), so its availability is probed in
a child process.

WASI: wasmer-python offers ``wasi.StateBuilder`` (argv, environment, directories) but no way to
capture the guest's stdout, which goes to this process's file descriptor 1. ``run_wasi``
therefore points fd 1 at a temporary file around ``_start`` (two ``dup2`` calls, included in
the time of a run) and reads it back.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata
from typing import Any, ClassVar

from runtimes.base import (
    AccessPath,
    ArtifactRejected,
    Availability,
    CachedViewMemory,
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
    WasiResult,
    WasmError,
)


class WasmerMemory(Memory):
    def __init__(self, memory: Any) -> None:
        self._memory = memory

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or offset + length > self._memory.data_size:
            raise IndexError("out of bounds memory read")
        return memoryview(self._memory.buffer)[offset:offset + length].tobytes()

    def write(self, offset: int, data: bytes) -> None:
        if offset < 0 or offset + len(data) > self._memory.data_size:
            raise IndexError("out of bounds memory write")
        memoryview(self._memory.buffer)[offset:offset + len(data)] = data

    def size(self) -> int:
        return self._memory.data_size

    def grow(self, pages: int) -> int:
        if pages < 0:
            raise ValueError("cannot grow memory by a negative number of pages")
        try:
            return self._memory.grow(pages)
        except RuntimeError:  # "The memory could not grow": at its maximum, memory.grow's -1
            return -1

    def view(self) -> memoryview:
        return memoryview(self._memory.buffer)

    def access_paths(self) -> dict[str, AccessPath]:
        paths = super().access_paths()
        paths["typed_view"] = self._typed_view_path()
        return paths

    def _typed_view_path(self) -> AccessPath:
        """``Memory.uint8_view()``: slices are Python lists of ints. The view object follows
        a grow (its length is re-read), so one is kept for every access."""
        memory = self._memory
        view = memory.uint8_view(0)

        def read(offset: int, length: int) -> bytes:
            if offset < 0 or length < 0 or offset + length > memory.data_size:
                raise IndexError("out of bounds memory read")
            return bytes(view[offset:offset + length])

        def write(offset: int, data: bytes) -> None:
            if offset < 0 or offset + len(data) > memory.data_size:
                raise IndexError("out of bounds memory write")
            view[offset:offset + len(data)] = data

        return AccessPath(read, write, "Memory.uint8_view(): typed view, slices as lists")


class WasmerCachedViewMemory(CachedViewMemory):
    """``Memory.buffer`` through one memoryview kept between accesses.

    Sound because wasmer 2.x gives a wasm32 memory a static 4 GiB reservation on 64-bit hosts,
    so it never moves when it grows.
    """

    def __init__(self, memory: Any) -> None:
        self._memory = memory
        self._refresh()

    def _refresh(self) -> None:
        view = memoryview(self._memory.buffer)
        base = ctypes.addressof(ctypes.c_char.from_buffer(view)) if len(view) else 0
        self._adopt(view, base, "wasmer moved a linear memory when it grew: a cached view of "
                                "it would be stale (this adapter assumes static memories)")


class WasmerInstance(Instance):
    memory_class: type[Memory] = WasmerMemory

    def __init__(self, wasmer: Any, instance: Any) -> None:
        self._wasmer = wasmer
        self._exports = instance.exports

    def _get(self, name: str, kind: type) -> Any:
        try:
            item = getattr(self._exports, name)
        except LookupError:
            raise ExportNotFound(f"export not found: {name}") from None
        if not isinstance(item, kind):
            raise ExportNotFound(f"export {name} is a {type(item).__name__}, not a {kind.__name__}")
        return item

    def export(self, name: str) -> Any:
        return self._get(name, self._wasmer.Function)

    def memory(self, name: str = "memory") -> Memory:
        return self.memory_class(self._get(name, self._wasmer.Memory))


class CachedViewInstance(WasmerInstance):
    memory_class = WasmerCachedViewMemory


class _Wasmer(Runtime):
    """Shared by the per-compiler adapters below; ``compiler`` names the compiler package."""

    compiler: ClassVar[str]
    # Module.serialize/deserialize exist; wasmer-python has no file or on-disk cache API.
    capabilities = frozenset({Capability.ANY_MODULE, Capability.MEMORY, Capability.ISOLATED_MEMORY,
                              Capability.HOST_IMPORTS, Capability.WASI, Capability.SERIALIZE})
    # Set where importing the compiler can kill the interpreter: probe it in a child first.
    probe_in_child: ClassVar[bool] = False
    instance_class: ClassVar[type[WasmerInstance]] = WasmerInstance
    binding: ClassVar[str] = "public API: export objects, Memory.buffer via memoryview"
    lowest_path_of: ClassVar[str] = ""  # see RuntimeInfo.lowest_path_of
    python_versions = "<3.11"  # wasmer-python's wheels stop at CPython 3.10

    @classmethod
    def _module_name(cls) -> str:
        return f"wasmer_compiler_{cls.compiler}"

    @classmethod
    def _check_availability(cls) -> Availability:
        try:
            import wasmer  # noqa: F401
        except ImportError as exc:
            if sys.version_info >= (3, 11):
                return Availability(False, (
                    f"wasmer-python has no build for CPython {sys.version_info.major}."
                    f"{sys.version_info.minor} (wheels stop at 3.10; {exc})"))
            return Availability(False, f"wasmer is not installed here ({exc})")
        if cls.probe_in_child:
            proc = subprocess.run([sys.executable, "-c", f"import {cls._module_name()}"],
                                  capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
                return Availability(False, f"importing {cls._module_name()} kills the "
                                           f"interpreter: {last}")
        try:
            importlib.import_module(cls._module_name())
        except ImportError as exc:
            return Availability(False, f"{cls._module_name()} is not installed here ({exc})")
        return Availability(True)

    def __init__(self) -> None:
        super().__init__()
        import wasmer

        self._wasmer = wasmer
        compiler = importlib.import_module(self._module_name()).Compiler
        self.store = wasmer.Store(wasmer.engine.Universal(compiler))
        self._wasi_out: Any = None

    @property
    def info(self) -> RuntimeInfo:
        return RuntimeInfo(self.name, "wasmer", metadata.version("wasmer"), self.compiler,
                           self.binding, lowest_path_of=self.lowest_path_of)

    def compile(self, wasm: bytes) -> Any:
        try:
            return self._wasmer.Module(self.store, bytes(wasm))
        except RuntimeError as exc:
            raise CompileError(str(exc).strip().splitlines()[0]) from None

    def serialize(self, module: Any) -> bytes:
        return bytes(module.serialize())

    def deserialize(self, data: bytes) -> Any:
        try:
            return self._wasmer.Module.deserialize(self.store, bytes(data))
        except RuntimeError as exc:
            raise ArtifactRejected(str(exc).strip().splitlines()[0]) from None

    def instantiate(self, module: Any, imports: Imports | None = None) -> Instance:
        wasmer = self._wasmer
        import_object = {
            mod_name: {
                field_name: wasmer.Function(self.store, host.fn, wasmer.FunctionType(
                    [_valtype(wasmer, t) for t in host.params],
                    [_valtype(wasmer, t) for t in host.results]))
                for field_name, host in funcs.items()
            }
            for mod_name, funcs in (imports or {}).items()
        }
        try:
            instance = (wasmer.Instance(module, import_object) if import_object
                        else wasmer.Instance(module))
        except RuntimeError as exc:
            message = str(exc).strip().splitlines()[0]
            if message.startswith("Error while importing"):
                raise LinkError(message) from None
            raise Trap(f"start function: {message}") from None
        return self.instance_class(wasmer, instance)

    def run_wasi(self, module: Any, argv: Sequence[str]) -> WasiResult:
        wasmer, wasi = self._wasmer, self._wasmer.wasi
        argv = list(argv) or [""]
        try:
            env = wasi.StateBuilder(argv[0]).arguments(argv[1:]).finalize()
            version = wasi.get_version(module, strict=False) or wasi.Version.SNAPSHOT1
            imports = env.generate_import_object(self.store, version)
            start = wasmer.Instance(module, imports).exports._start
        except (RuntimeError, ValueError, LookupError) as exc:
            raise LinkError(str(exc).strip().splitlines()[0]) from None
        if self._wasi_out is None:
            self._wasi_out = tempfile.TemporaryFile()  # noqa: SIM115 - reused by every run
        out = self._wasi_out.fileno()
        os.ftruncate(out, 0)
        os.lseek(out, 0, os.SEEK_SET)
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(out, 1)
        try:
            start()
            code = 0
        except RuntimeError as exc:
            exited = _WASI_EXIT.search(str(exc))
            if exited is None:
                raise
            code = int(exited.group(1))
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        return WasiResult(code, os.pread(out, os.fstat(out).st_size, 0))

    def explain(self, exc: BaseException) -> WasmError:
        if isinstance(exc, RuntimeError):
            text = str(exc).strip().splitlines()[0].removeprefix("RuntimeError: ")
            return Trap(f"trap: {text}")
        return super().explain(exc)


_WASI_EXIT = re.compile(r"WASI exited with code: (\d+)")


def _valtype(wasmer: Any, name: str) -> Any:
    return getattr(wasmer.Type, name.upper())


class WasmerCranelift(_Wasmer):
    name = "wasmer-cranelift"
    summary = "wasmer-python 1.1.0, Cranelift compiler (optimising)"
    compiler = "cranelift"


class WasmerSinglepass(_Wasmer):
    name = "wasmer-singlepass"
    summary = "wasmer-python 1.1.0, Singlepass compiler (fast compile, slower code)"
    compiler = "singlepass"


class WasmerLLVM(_Wasmer):
    name = "wasmer-llvm"
    summary = "wasmer-python 1.1.0, LLVM compiler (slow compile, fastest code)"
    compiler = "llvm"
    probe_in_child = True


class WasmerCraneliftCachedView(WasmerCranelift):
    """The best path wasmer-python allows. Calls are already the export objects themselves in
    every wasmer adapter, so what this one changes is memory: one cached memoryview instead of
    ``data_size`` + ``buffer`` + a new memoryview on every access."""

    name = "wasmer-cranelift-cached-view"
    summary = ("wasmer-python 1.1.0, Cranelift; same calls as wasmer-cranelift, memory through "
               "one cached memoryview refreshed only when the memory grew")
    instance_class = CachedViewInstance
    binding = "export objects; one Memory.buffer memoryview cached across accesses"
    lowest_path_of = "wasmer-cranelift"
