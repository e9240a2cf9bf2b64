"""wasm2c: a module translated to C by wabt's ``wasm2c`` and compiled into a CPython extension.

The sandbox compiled ahead of time: linear memory is bounds-checked, a trap raises an
exception and the instance goes on, instances share nothing; but a call is a C function
(``METH_FASTCALL``) that converts its arguments and calls the translated code, with no engine
in between. How the extension is written and built is in ``runtimes.wasm2c_build``.

Compiling is translating (wasm2c) plus compiling the C (gcc -O2), every time, into a folder
private to the process: that is this runtime's cold compile. Two exceptions, both a cache of
built extensions keyed by the module's sha256 and the toolchain: this project's own guests
are built once into ``.cache/wasm2c/`` (like ``native``'s libraries; no benchmark times
compiling a guest), and a runtime from ``with_disk_cache(folder)`` compiles any module through
``folder``, where a hit is loading the built extension (within one process, a second hit
finds the library already mapped: the dynamic loader maps a file once).

What it cannot do: stop a running guest (no epoch or fuel; the GIL is held while the guest
runs, so only ending the process stops it), run WASI, serialize a module to bytes. Modules
above ``max_module_bytes`` are refused: gcc needs minutes for their C.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import guest
from runtimes import build_cache, wasm2c_build
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
    WasmError,
)
from runtimes.wasm_binary import MalformedModule, ModuleSummary, signature, summarize


class Wasm2cTrap(Exception):
    """What a trapping guest raises through the extension: wabt's message and trap name."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code)
        self.message, self.code = message, code

    def __str__(self) -> str:
        return f"{self.message} ({self.code})"


Types = tuple[str, ...]


@dataclass
class Wasm2cModule:
    summary: ModuleSummary
    extension: ModuleType | None  # None when ``link_problem`` says why it cannot be instantiated
    path: Path | None = None
    exports: dict[str, tuple[int, Types, Types]] = field(default_factory=dict)  # index, types
    imports: list[tuple[str, str, Types, Types]] = field(default_factory=list)
    link_problem: str = ""


class Wasm2cMemory(Memory):
    """The instance's linear memory through the extension: read/write copy in C after a bounds
    check against the current size; ``view()`` is a zero-copy view of the memory as it is
    now (its base never moves, so an older view is only shorter, never dangling)."""

    def __init__(self, native: Any) -> None:
        self._native = native  # keeps the instance, and so its memory, alive
        self._read, self._write, self._size = native._read, native._write, native._size

    def read(self, offset: int, length: int) -> bytes:
        return self._read(offset, length)

    def write(self, offset: int, data: bytes) -> None:
        self._write(offset, data)

    def size(self) -> int:
        return self._size()

    def grow(self, pages: int) -> int:
        if pages < 0:
            raise ValueError("cannot grow a memory by a negative number of pages")
        return self._native._grow(pages)

    def view(self) -> memoryview:
        return memoryview(self._native)


class Wasm2cInstance(Instance):
    def __init__(self, module: Wasm2cModule, native: Any) -> None:
        self._module, self._native = module, native

    def export(self, name: str) -> Callable[..., Any]:
        if self._module.summary.exports.get(name) != "func":
            raise ExportNotFound(f"export not found: {name}")
        entry = self._module.exports.get(name)
        if entry is None:
            params, results = self._module.summary.signatures.get(name, ((), ()))
            raise NotSupported(f"export {name} {signature(params, results)} has no glue "
                               "(a function returning several values, or a name holding a "
                               "line feed, which breaks wasm2c's header comment)")
        return self._native._export(entry[0])

    def memory(self, name: str = "memory") -> Memory:
        if self._module.summary.exports.get(name) != "memory":
            raise ExportNotFound(f"export not found: {name}")
        return Wasm2cMemory(self._native)


_GUEST_DIGESTS = frozenset(g.sha256 for g in guest.GUESTS.values())
_private: Path | None = None  # cold compiles of this process (kept: see _cold_folder)
_builds = itertools.count()


def _cold_folder() -> Path:
    """One folder per process for cold compiles, removed at exit. Files are never deleted
    before: the dynamic loader takes a new file with a deleted one's inode for the library it
    already mapped."""
    global _private
    if _private is None:
        _private = Path(tempfile.mkdtemp(prefix="wasm-interop-wasm2c-"))
        atexit.register(shutil.rmtree, _private, True)
    return _private


class Wasm2c(Runtime):
    name = "wasm2c"
    summary = ("the module translated to C by wabt's wasm2c and compiled by gcc -O2 into a "
               "CPython extension on first use: METH_FASTCALL exports, bounds-checked memory, "
               "traps as exceptions")
    capabilities = frozenset({Capability.ANY_MODULE, Capability.MEMORY,
                              Capability.ISOLATED_MEMORY, Capability.HOST_IMPORTS,
                              Capability.DISK_CACHE})
    # Translating and compiling each fuzzed module (wasm2c, then gcc -O2) took 0.58 s a module
    # against 13-24 ms for the other runtimes (100 small smith modules, 2 busy cores): a fuzz run
    # gives wasm2c every 20th module (``--every-module`` gives it all).
    fuzz_every: ClassVar[int] = 20
    # Above this, wasm2c's C (about 12 bytes per module byte) takes gcc -O2 minutes.
    max_module_bytes: ClassVar[int] = 256 << 10

    @classmethod
    def _check_availability(cls) -> Availability:
        found = wasm2c_build.find_toolchain()
        if isinstance(found, str):
            return Availability(False, found)
        return Availability(True)

    def __init__(self, cache: Path | None = None) -> None:
        super().__init__()
        found = wasm2c_build.find_toolchain()
        assert not isinstance(found, str)  # availability() said yes
        self.toolchain = found
        self._cache = cache

    @property
    def info(self) -> RuntimeInfo:
        tc = self.toolchain
        return RuntimeInfo(self.name, "wabt", tc.version, f"{tc.label}, -O2",
                           "a CPython extension per module: METH_FASTCALL exports, a sigsetjmp "
                           "trap guard (no signal mask), memory through C read/write and the "
                           "buffer protocol")

    def with_disk_cache(self, directory: Path) -> Runtime:
        return type(self)(cache=Path(directory))

    def compile(self, wasm: bytes) -> Wasm2cModule:
        try:
            summary = summarize(wasm)
        except MalformedModule as exc:
            raise CompileError(str(exc)) from None
        if len(wasm) > self.max_module_bytes:
            raise NotSupported(f"a module of {len(wasm)} B is above {self.name}'s declared "
                               f"limit of {self.max_module_bytes} B (gcc -O2 needs minutes "
                               "for its C)")
        others = [f"{mod}.{name} ({kind})" for mod, name, kind in summary.imports
                  if kind != "func"]
        if others:
            return Wasm2cModule(summary, None, link_problem=(
                f"{self.name} provides only function imports, not {', '.join(others)}"))
        try:
            if self._cache is not None:
                path, name = wasm2c_build.cached(wasm, self.toolchain, self._cache)
            elif hashlib.sha256(wasm).hexdigest() in _GUEST_DIGESTS:
                path, name = wasm2c_build.cached(wasm, self.toolchain, wasm2c_build.cache_dir())
            else:
                name = wasm2c_build.extension_name(wasm2c_build.cache_key(wasm, self.toolchain))
                path = _cold_folder() / f"{next(_builds)}-{name}.so"
                wasm2c_build.build(wasm, self.toolchain, path, name)
            extension = build_cache.load_extension(path, name)
        except wasm2c_build.Wasm2cBuildError as exc:
            raise CompileError(str(exc)) from None
        except ImportError as exc:
            raise CompileError(f"the built extension does not load: {exc}") from None
        iface = json.loads(extension.interface)
        exports = {n: (i, tuple(p), tuple(r)) for i, (n, p, r) in enumerate(iface["exports"])}
        imports = [(m, n, tuple(p), tuple(r)) for m, n, p, r in iface["imports"]]
        return Wasm2cModule(summary, extension, path, exports, imports)

    def instantiate(self, module: Wasm2cModule, imports: Imports | None = None) -> Instance:
        if module.extension is None:
            raise LinkError(module.link_problem)
        given = imports or {}
        fns, missing, wrong = [], [], []
        for mod, name, params, results in module.imports:
            host = given.get(mod, {}).get(name)
            if host is None:
                missing.append(f"{mod}.{name}")
                continue
            if (tuple(host.params), tuple(host.results)) != (params, results):
                wrong.append(f"{mod}.{name} is {signature(params, results)}, the host "
                             f"function given is {signature(host.params, host.results)}")
            fns.append(host.fn)
        if missing:
            raise LinkError(f"missing import {', '.join(missing)}")
        if wrong:
            raise LinkError(f"mistyped import {'; '.join(wrong)}")
        try:
            native = module.extension.instantiate(tuple(fns), Wasm2cTrap)
        except Wasm2cTrap as exc:
            raise self.explain(exc) from None
        except MemoryError:
            raise LinkError("could not reserve the instance's linear memory") from None
        return Wasm2cInstance(module, native)

    def explain(self, exc: BaseException) -> WasmError:
        if isinstance(exc, Wasm2cTrap):
            return Trap(exc.message, code=exc.code)
        return super().explain(exc)
