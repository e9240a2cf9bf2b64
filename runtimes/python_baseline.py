"""The host-language baseline: the guest's exports written in plain Python.

It runs no wasm. "Compiling" parses the module (so bad bytes fail as they do elsewhere) and
"instantiating" gives a bytearray as linear memory plus a Python implementation of each
export the module declares, so every scenario drives it through exactly the same code as the
real runtimes. Its numbers answer "what would this cost if I just wrote it in Python?", the
article's host-language baseline, and run on every interpreter used so interpreter speed can
be told apart from runtime overhead.
"""

from __future__ import annotations

import hashlib
import platform
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import guest
from runtimes.base import (
    Availability,
    Capability,
    CompileError,
    ExportNotFound,
    Imports,
    Instance,
    LinkError,
    Memory,
    Role,
    Runtime,
    RuntimeInfo,
)
from runtimes.wasm_binary import PAGE, MalformedModule, ModuleSummary, summarize

_ALIGN = 8
MAX_PAGES = 65536  # 4 GiB, wasm32's limit


def _wrap_i32(x: int) -> int:
    return ((x + 0x8000_0000) & 0xFFFF_FFFF) - 0x8000_0000


class BytearrayMemory(Memory):
    def __init__(self, pages: int) -> None:
        self.data = bytearray(pages * PAGE)

    def _check(self, offset: int, length: int) -> None:
        if offset < 0 or length < 0 or offset + length > len(self.data):
            raise IndexError("out of bounds memory access")

    def read(self, offset: int, length: int) -> bytes:
        self._check(offset, length)
        return bytes(self.data[offset:offset + length])

    def write(self, offset: int, data: bytes) -> None:
        self._check(offset, len(data))
        self.data[offset:offset + len(data)] = data

    def size(self) -> int:
        return len(self.data)

    def grow(self, pages: int) -> int:
        if pages < 0:
            raise ValueError("cannot grow memory by a negative number of pages")
        old = len(self.data) // PAGE
        if old + pages > MAX_PAGES:
            return -1
        try:
            self.data.extend(bytes(pages * PAGE))
        except BufferError:  # a memoryview of the bytearray is alive: it cannot be resized
            return -1
        return old

    def view(self) -> memoryview:
        return memoryview(self.data)


class ArticleGuest:
    """The article's exports (see guest/article/lib.rs), same semantics, in Python."""

    def __init__(self, memory: BytearrayMemory) -> None:
        self.mem = memory
        self._next = PAGE  # the bump pointer; page 0 stays unused like a guest's stack/data
        self._free: dict[int, list[int]] = {}

    def no_op(self) -> None:
        pass

    def add_numbers(self, a: int, b: int) -> int:
        return _wrap_i32(a + b)

    def allocate(self, size: int) -> int:
        cap = -(-max(size, 1) // _ALIGN) * _ALIGN
        free = self._free.get(cap)
        if free:
            return free.pop()
        ptr = self._next
        self._next += cap
        if self._next > len(self.mem.data):  # grow by whole pages, like memory.grow
            self.mem.data.extend(bytes(-(-(self._next - len(self.mem.data)) // PAGE) * PAGE))
        return ptr

    def deallocate(self, ptr: int, capacity: int) -> None:
        cap = -(-max(capacity, 1) // _ALIGN) * _ALIGN
        self._free.setdefault(cap, []).append(ptr)

    def reverse_string_in_place(self, ptr: int, length: int) -> None:
        data = self.mem.data
        data[ptr:ptr + length] = data[ptr:ptr + length][::-1]

    def sum_array(self, ptr: int, length: int) -> int:
        with memoryview(self.mem.data) as view, view[ptr:ptr + 4 * length] as part:
            if sys.byteorder == "little":
                with part.cast("i") as ints:
                    return _wrap_i32(sum(ints))
            return _wrap_i32(sum(int.from_bytes(part[i:i + 4], "little", signed=True)
                                 for i in range(0, len(part), 4)))


class CallbacksGuest(ArticleGuest):
    """guest/callbacks/lib.rs in Python: loops calling the host's imports (the allocator is
    the article guest's; only the exports the module declares are reachable)."""

    def __init__(self, memory: BytearrayMemory, imports: Imports) -> None:
        super().__init__(memory)
        env = imports["env"]
        self._noop, self._add, self._log = (env[name].fn for name in
                                            ("host_noop", "host_add", "host_log"))

    def loop_no_import(self, n: int) -> int:
        acc = 0
        for i in range(n):
            acc += i
        return _wrap_i32(acc)

    def loop_noop_import(self, n: int) -> int:
        noop, acc = self._noop, 0
        for i in range(n):
            noop()
            acc += i
        return _wrap_i32(acc)

    def loop_add_import(self, n: int) -> int:
        add, acc = self._add, 0
        for i in range(n):
            acc = add(acc, i)
        return _wrap_i32(acc)

    def loop_log_import(self, ptr: int, length: int, n: int) -> int:
        log, acc = self._log, 0
        for i in range(n):
            log(ptr, length)
            acc += i
        return _wrap_i32(acc)


_M64 = 2**64 - 1
_ARG_BITS: dict[str, Callable[[Any], int]] = {
    "i32": lambda v: v & _M64,
    "i64": lambda v: v & _M64,
    "f32": lambda v: struct.unpack("<I", struct.pack("<f", v))[0],
    "f64": lambda v: struct.unpack("<Q", struct.pack("<d", v))[0],
}


class ExchangeGuest(ArticleGuest):
    """guest/exchange/lib.rs in Python: argument-shape checksums, upper_copy, grow_memory."""

    def upper_copy(self, ptr: int, length: int) -> int:
        out = bytes(self.mem.data[ptr:ptr + length]).upper()
        dst = self.allocate(len(out))
        self.mem.data[dst:dst + len(out)] = out
        packed = dst << 32 | len(out)
        return packed - 2**64 if packed >= 2**63 else packed

    def grow_memory(self, pages: int) -> int:
        return self.mem.grow(pages)

    def args_none(self) -> int:
        return 0

    def __getattr__(self, name: str) -> Callable[..., int]:
        """``args_<type>x<count>``: the weighted checksum of the arguments' bit patterns."""
        kind, _, count = name.removeprefix("args_").partition("x")
        if not name.startswith("args_") or kind not in _ARG_BITS or not count.isdigit():
            raise AttributeError(name)
        bits, arity = _ARG_BITS[kind], int(count)

        def checksum(*args: Any) -> int:
            if len(args) != arity:
                raise TypeError(f"{name} takes {arity} arguments, got {len(args)}")
            acc = sum(k * bits(a) for k, a in enumerate(args, 1)) & _M64
            return _wrap_i32(acc ^ (acc >> 32))

        return checksum


class ComputeGuest:
    """The interruption scenarios' exports (see guest/compute/lib.rs), same semantics, in Python."""

    def __init__(self, memory: BytearrayMemory) -> None:
        self.turns = 0

    def spin(self) -> None:
        while True:  # a runaway guest: a plain Python loop can only be stopped from outside
            self.turns += 1

    def churn(self, rounds: int) -> int:
        x = 0x9E37_79B9_7F4A_7C15
        for _ in range(rounds & 0xFFFF_FFFF):
            x = (x * 6_364_136_223_846_793_005 + 1_442_695_040_888_963_407) & _M64
            x ^= x >> 29
        return _wrap_i32(x)

    def fib(self, n: int) -> int:
        return _wrap_i32(self._fib(n & 0xFFFF_FFFF))

    def _fib(self, n: int) -> int:
        return n if n < 2 else self._fib(n - 1) + self._fib(n - 2)


class FloorGuest(ArticleGuest):
    """The floor guest's exports (see guest/floor/lib.rs): its loops, in Python.

    ``call_loop`` makes a Python call per iteration where the guest makes a wasm call, so the
    two loops differ here by the cost of a Python function call.
    """

    @staticmethod
    def _step(acc: int, i: int) -> int:
        return (((acc << 5) | (acc >> 27)) & 0xFFFF_FFFF) ^ i

    def call_loop(self, n: int) -> int:
        step, acc = self._step, 0
        for i in range(n):
            acc = step(acc, i)
        return _wrap_i32(acc)

    def inline_loop(self, n: int) -> int:
        acc = 0
        for i in range(n):
            acc = (((acc << 5) | (acc >> 27)) & 0xFFFF_FFFF) ^ i
        return _wrap_i32(acc)

    def reverse_repeat(self, ptr: int, length: int, reps: int) -> int:
        reverse, data, acc = self.reverse_string_in_place, self.mem.data, 0
        for _ in range(reps):
            reverse(ptr, length)
            acc = (acc * 31 + (data[ptr] if length else 0)) & 0xFFFF_FFFF
        return _wrap_i32(acc)


@dataclass
class PythonModule:
    """A 'compiled' module: its parsed summary and the Python class implementing it, if any."""

    summary: ModuleSummary
    implementation: type | None


class PythonInstance(Instance):
    def __init__(self, module: PythonModule, imports: Imports | None) -> None:
        self._summary = module.summary
        self._memory = BytearrayMemory(module.summary.memory_pages or 1)
        impl = module.implementation
        # A guest that imports functions gets them: its exports call the host like wasm would.
        self._guest = (None if impl is None else impl(self._memory, imports or {})
                       if module.summary.imports else impl(self._memory))

    def export(self, name: str) -> Callable[..., Any]:
        if self._summary.exports.get(name) != "func":
            raise ExportNotFound(f"export not found: {name}")
        fn = getattr(self._guest, name, None) if not name.startswith("_") else None
        if fn is None:
            raise ExportNotFound(f"export {name} has no Python implementation in the baseline "
                                 "(it only knows this project's guests)")
        return fn

    def memory(self, name: str = "memory") -> Memory:
        if self._summary.exports.get(name) != "memory":
            raise ExportNotFound(f"export not found: {name}")
        return self._memory


class PythonBaseline(Runtime):
    name = "python"
    role = Role.BASELINE
    summary = "the guest's exports in plain Python over a bytearray (host-language baseline)"
    capabilities = frozenset({Capability.MEMORY, Capability.ISOLATED_MEMORY,
                              Capability.HOST_IMPORTS})
    # Guest name (see guest.GUESTS) -> the class implementing its exports in Python. A module
    # is recognised by its exact bytes, so only this project's guests run here.
    implementations: ClassVar[dict[str, type]] = {
        "article": ArticleGuest, "callbacks": CallbacksGuest, "exchange": ExchangeGuest,
        "compute": ComputeGuest, "floor": FloorGuest}

    @classmethod
    def _check_availability(cls) -> Availability:
        return Availability(True)

    @property
    def info(self) -> RuntimeInfo:
        return RuntimeInfo(self.name, "python", platform.python_version(), "none (interpreted)",
                           "plain Python functions over a bytearray")

    def compile(self, wasm: bytes) -> PythonModule:
        try:
            summary = summarize(wasm)
        except MalformedModule as exc:
            raise CompileError(str(exc)) from None
        digest = hashlib.sha256(wasm).hexdigest()
        name = next((g.name for g in guest.GUESTS.values() if g.sha256 == digest), None)
        return PythonModule(summary, self.implementations.get(name) if name else None)

    def instantiate(self, module: PythonModule, imports: Imports | None = None) -> Instance:
        for mod, name, kind in module.summary.imports:
            if kind == "func" and name not in (imports or {}).get(mod, {}):
                raise LinkError(f"unknown import: {mod}.{name}")
        return PythonInstance(module, imports)
