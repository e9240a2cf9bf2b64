"""The native floor: the guest's own Rust source built for this machine and called with ctypes.

No wasm runs here. Given one of this project's guest modules (recognised by its exact
bytes), the adapter builds ``guest/<name>/lib.rs`` as a native shared library (see
``runtimes.native_build``) and hands out its ``extern "C"`` functions as ctypes foreign
functions. Calling them costs what any Python-to-native call costs, for identical source:
the floor under every wasm runtime's call.

Calls are set up for the cheapest correct ctypes path. ``restype`` is always declared; the
values come back as a wasm binding returns them (i32/u32 as a signed i32). ``argtypes`` are
declared only where a parameter is not a 32-bit integer: ctypes passes a Python int as a C
``int`` by itself, and declaring it would add a conversion per argument, while a pointer or
``usize`` must be declared to reach the callee in full.

Memory: the guest's pointers are real addresses in this process, and its allocations come
from the process heap. ``memory()`` is therefore the process's address space seen through one
zero-copy memoryview: reads and writes copy bytes at an address the guest handed out, with no
sandbox. ``size()`` is the end of the user address space; addresses below ``vm.mmap_min_addr``
(the null page region) or past that end raise IndexError, and any other address the guest did
not give you crashes the process, as it would in C. So the runtime declares ``MEMORY`` but not
``ISOLATED_MEMORY``: instances share the process heap, and nothing bounds an access.
"""

from __future__ import annotations

import ctypes
import hashlib
import platform
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import guest
from runtimes import native_build
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
    Role,
    Runtime,
    RuntimeInfo,
)
from runtimes.wasm_binary import MalformedModule, ModuleSummary, summarize

# Lowest address a process can map on Linux by default (vm.mmap_min_addr): below is never valid.
LOWEST_ADDRESS = 65536
# End of the user half of the address space (4-level paging on x86-64; 48-bit on aarch64).
ADDRESS_SPACE_END = {"x86_64": 2**47, "aarch64": 2**48}.get(platform.machine(), 2**47)

# Rust parameter/result type -> (ctypes type, needs an argtypes declaration to pass correctly).
_INT32 = {"i32", "u32"}
_CTYPES: dict[str, Any] = {
    "i32": ctypes.c_int32, "u32": ctypes.c_int32,  # wasm's i32: returned signed, as wasm does
    "i64": ctypes.c_int64, "u64": ctypes.c_int64,
    "isize": ctypes.c_ssize_t, "usize": ctypes.c_size_t,
    "f32": ctypes.c_float, "f64": ctypes.c_double,
}
_EXPORT = re.compile(
    r'#\[no_mangle\]\s*pub\s+(?:unsafe\s+)?extern\s+"C"\s+fn\s+(\w+)\s*\(([^)]*)\)'
    r'\s*(?:->\s*([^{]+?))?\s*\{')


@dataclass(frozen=True)
class Signature:
    params: tuple[str, ...]  # Rust types, pointers normalised to "ptr"
    result: str | None


def _rust_type(text: str) -> str:
    text = text.strip()
    if text.startswith("*"):
        return "ptr"
    if text not in _CTYPES:
        raise ValueError(f"unsupported type {text!r} in an exported signature")
    return text


def exported_signatures(source: str, summary: ModuleSummary | None = None
                        ) -> dict[str, Signature]:
    """The ``#[no_mangle] pub extern "C" fn`` signatures of a guest's Rust source.

    Functions a macro generates are not in the text: their types come from the wasm module
    (``summary``), where an i32 is taken as a 32-bit integer. That is right for every value
    but a pointer, which the native build needs at full width: pointers must be in
    hand-written signatures, which the source gives.
    """
    found = {}
    if summary is not None:
        for name, (params, results) in summary.signatures.items():
            if len(results) <= 1:
                found[name] = Signature(tuple(params), results[0] if results else None)
    for name, params, result in _EXPORT.findall(source):
        types = tuple(_rust_type(p.split(":", 1)[1]) for p in params.split(",") if ":" in p)
        found[name] = Signature(types, _rust_type(result) if result else None)
    return found


def _ctype(rust: str) -> Any:
    return ctypes.c_size_t if rust == "ptr" else _CTYPES[rust]


def bind(func: Any, sig: Signature) -> Callable[..., Any]:
    """Declare ``func``'s types the cheapest correct way (see the module docstring)."""
    func.restype = None if sig.result is None else _ctype(sig.result)
    if not all(p in _INT32 for p in sig.params):
        func.argtypes = [_ctype(p) for p in sig.params]
    return func


def own_guest(runtime: str, wasm: bytes) -> tuple[ModuleSummary, guest.Guest]:
    """``wasm``'s summary and which of this project's guests it is: a native build compiles
    the guest's Rust source, not its bytes, so other bytes are a ``CompileError``."""
    try:
        summary = summarize(wasm)
    except MalformedModule as exc:
        raise CompileError(str(exc)) from None
    digest = hashlib.sha256(wasm).hexdigest()
    known = next((g for g in guest.GUESTS.values() if g.sha256 == digest), None)
    if known is None:
        raise CompileError(f"{runtime} runs only this project's guests (it builds their Rust "
                           "source); these bytes are none of them")
    return summary, known


def refuse_imports(runtime: str, summary: ModuleSummary) -> None:
    """A native build calls no host: a module that imports functions cannot be linked."""
    wanted = [f"{mod}.{name}" for mod, name, kind in summary.imports if kind == "func"]
    if wanted:
        raise LinkError(f"{runtime} cannot provide imports ({', '.join(wanted)})")


class NativeMemory(Memory):
    """The process's address space as one writable zero-copy view (no sandbox: see above)."""

    _view: ClassVar[memoryview | None] = None

    def __init__(self) -> None:
        if NativeMemory._view is None:
            space = (ctypes.c_char * ADDRESS_SPACE_END).from_address(0)  # maps nothing
            NativeMemory._view = memoryview(space).cast("B")
        self._v = NativeMemory._view

    def _check(self, offset: int, length: int) -> None:
        # Zero bytes touch nothing: allocate(0) hands out a dangling non-null pointer (1).
        low = LOWEST_ADDRESS if length else 0
        if offset < low or length < 0 or offset + length > ADDRESS_SPACE_END:
            raise IndexError(f"address {offset:#x} (+{length}) is outside the user address "
                             "space; the native runtime has no sandbox to check more")

    def read(self, offset: int, length: int) -> bytes:
        self._check(offset, length)
        return self._v[offset:offset + length].tobytes()

    def write(self, offset: int, data: bytes) -> None:
        self._check(offset, len(data))
        self._v[offset:offset + len(data)] = data

    def size(self) -> int:
        return ADDRESS_SPACE_END


@dataclass
class NativeModule:
    summary: ModuleSummary
    library: ctypes.CDLL
    path: Path
    signatures: dict[str, Signature]


class OwnGuestInstance(Instance):
    """What both native builds' instances share: exports checked against the guest's source,
    and the process's address space as memory. Subclasses find the function itself."""

    def __init__(self, summary: ModuleSummary, signatures: dict[str, Signature]) -> None:
        self._summary = summary
        self._signatures = signatures

    def _signature(self, name: str) -> Signature:
        """``name``'s native signature; ExportNotFound unless it is a function export that the
        guest's source declares ``extern "C"``."""
        if self._summary.exports.get(name) != "func":
            raise ExportNotFound(f"export not found: {name}")
        sig = self._signatures.get(name)
        if sig is None:
            raise ExportNotFound(f"export {name} has no `#[no_mangle] pub extern \"C\" fn` in "
                                 "the guest's source, so the native build cannot call it")
        return sig

    def memory(self, name: str = "memory") -> Memory:
        if self._summary.exports.get(name) != "memory":
            raise ExportNotFound(f"export not found: {name}")
        return NativeMemory()


class NativeInstance(OwnGuestInstance):
    def __init__(self, module: NativeModule) -> None:
        super().__init__(module.summary, module.signatures)
        self._library = module.library

    def export(self, name: str) -> Callable[..., Any]:
        sig = self._signature(name)
        try:  # CDLL[name] is a fresh foreign function: declarations never leak between uses
            func = self._library[name]
        except AttributeError:
            raise NotSupported(f"export {name} exists only in the guest's wasm build (it needs "
                               "wasm32: an instruction or 32-bit offsets)") from None
        return bind(func, sig)


class Native(Runtime):
    name = "native"
    role = Role.FLOOR
    summary = ("the guest's Rust source built as a native shared library, called through "
               "ctypes: the Python-to-native floor for identical code")
    capabilities = frozenset({Capability.MEMORY})

    @classmethod
    def _check_availability(cls) -> Availability:
        found = native_build.find_toolchain()
        if isinstance(found, str):
            return Availability(False, found)
        return Availability(True)

    def __init__(self) -> None:
        super().__init__()
        found = native_build.find_toolchain()
        assert not isinstance(found, str)  # availability() said yes
        self.toolchain = found

    @property
    def info(self) -> RuntimeInfo:
        return RuntimeInfo(self.name, "rustc", self.toolchain.release,
                           f"{self.toolchain.label}, native {platform.machine()}, opt-level=3",
                           "ctypes.CDLL functions (restype set, argtypes only for non-i32), "
                           "memory via one zero-copy memoryview of the address space")

    def compile(self, wasm: bytes) -> NativeModule:
        summary, known = own_guest(self.name, wasm)
        try:
            path = native_build.library(known.name, known.source, self.toolchain)
            signatures = exported_signatures(known.source.read_text(encoding="utf-8"), summary)
            library = ctypes.CDLL(str(path))
        except (native_build.NativeBuildError, ValueError, OSError) as exc:
            raise CompileError(f"native build of guest {known.name}: {exc}") from None
        return NativeModule(summary, library, path, signatures)

    def instantiate(self, module: NativeModule, imports: Imports | None = None) -> Instance:
        refuse_imports(self.name, module.summary)
        return NativeInstance(module)
