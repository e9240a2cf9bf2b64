"""Misbehaving runtimes for tests: each is the python baseline with one deliberate fault.

Registered for a test run through WASM_INTEROP_RUNTIMES (see ``REGISTRATION``), so the
orchestrator, pyperf's workers and the reporter all treat them like any other runtime.
"""

from __future__ import annotations

import os
import time
from typing import Any, ClassVar

from runtimes.base import Capability, Instance
from runtimes.python_baseline import ArticleGuest, CallbacksGuest, ExchangeGuest, PythonBaseline
from runtimes.wasmtime_py import Wasmtime, WasmtimeInstance

REGISTRATION = ",".join([
    "wrong-store=tests.fakes:WasmtimeWrongStore",
    "wrong-answer=tests.fakes:WrongAnswer",
    "crashes=tests.fakes:Crashes",
    "hangs=tests.fakes:Hangs",
    "sleepy=tests.fakes:Sleepy",
    "limited=tests.fakes:Limited",
    "defeated-cache=tests.fakes:DefeatedCache",
    "foreign-artifact=tests.fakes:ForeignArtifact",
])


class _WrongGuest(ArticleGuest):
    def add_numbers(self, a: int, b: int) -> int:
        return super().add_numbers(a, b) + 1

    def reverse_string_in_place(self, ptr: int, length: int) -> None:
        if length <= 16:  # right for the smallest payload only
            super().reverse_string_in_place(ptr, length)


class _WrongCallbacks(CallbacksGuest):
    def loop_noop_import(self, n: int) -> int:  # one callback short
        return super().loop_noop_import(n - 1) + (n - 1)

    def loop_log_import(self, ptr: int, length: int, n: int) -> int:  # hands over a byte less
        return super().loop_log_import(ptr, length - 1, n)


class _WrongExchange(ExchangeGuest):
    def upper_copy(self, ptr: int, length: int) -> int:  # from 64 bytes on, a plain copy
        if length < 64:
            return super().upper_copy(ptr, length)
        dst = self.allocate(length)
        self.mem.data[dst:dst + length] = self.mem.data[ptr:ptr + length]
        return dst << 32 | length

    def grow_memory(self, pages: int) -> int:  # the new size instead of the old one
        old = super().grow_memory(pages)
        return old + pages if old >= 0 else old

    def __getattr__(self, name: str) -> Any:
        checksum = super().__getattr__(name)
        if not name.startswith("args_f64"):
            return checksum
        # f64 arguments that lose precision on the way in (7 significant digits, f32-like)
        return lambda *args: checksum(*(float(f"{a:.7g}") for a in args))


class WrongAnswer(PythonBaseline):
    """Off by one in add_numbers, reverses nothing above 16 bytes, skips a callback, hands
    the host a short log line, returns buffers unchanged from 64 bytes, rounds f64 arguments
    to 7 digits, and reports the new memory size from grow_memory."""

    name = "wrong-answer"
    summary = "test fake: returns wrong answers"
    implementations: ClassVar[dict[str, type]] = {
        "article": _WrongGuest, "callbacks": _WrongCallbacks, "exchange": _WrongExchange}


class _CrashingGuest(ArticleGuest):
    calls = 0

    def no_op(self) -> None:
        type(self).calls += 1
        if type(self).calls > 2:  # passes validation, dies while being timed
            os.abort()


class Crashes(PythonBaseline):
    """Validates fine, then aborts the worker process (SIGABRT) in no_op's timing loop."""

    name = "crashes"
    summary = "test fake: aborts its process while timed"
    implementations: ClassVar[dict[str, type]] = {"article": _CrashingGuest}


class _HangingGuest(ArticleGuest):
    calls = 0

    def add_numbers(self, a: int, b: int) -> int:
        type(self).calls += 1
        while type(self).calls > 2:  # passes validation, never returns while timed
            pass
        return super().add_numbers(a, b)


class Hangs(PythonBaseline):
    """Validates fine, then loops forever in add_numbers' timing loop."""

    name = "hangs"
    summary = "test fake: never returns while timed"
    implementations: ClassVar[dict[str, type]] = {"article": _HangingGuest}


class _SleepyGuest(ArticleGuest):
    def no_op(self) -> None:
        seconds = float(os.environ.get("WASM_INTEROP_SLEEPY_SECONDS", "0.0002"))
        if seconds:  # sleep(0) is a syscall that gives up the CPU: ~60 us on a busy machine
            time.sleep(seconds)


class Sleepy(PythonBaseline):
    """Correct but slow: no_op sleeps (WASM_INTEROP_SLEEPY_SECONDS, default 0.2 ms)."""

    name = "sleepy"
    summary = "test fake: correct but slow no_op"
    implementations: ClassVar[dict[str, type]] = {"article": _SleepyGuest}


class WasmtimeWrongStore(Wasmtime):
    """Real wasmtime, misused: exports are called with another Store's context.

    wasmtime-py does not check this; libwasmtime panics and aborts the process (SIGABRT).
    """

    name = "wrong-store"
    summary = "test fake: wasmtime called with the wrong store (aborts)"

    def instantiate(self, module: Any, imports: Any = None) -> Instance:
        inst = super().instantiate(module, imports)
        assert isinstance(inst, WasmtimeInstance)
        inst._store = self._wt.Store(self.engine)  # exports now bind to a foreign store
        return inst


class Limited(PythonBaseline):
    """Correct, but declares that payloads above 64 bytes are beyond it."""

    name = "limited"
    summary = "test fake: declares a 64-byte payload limit"
    max_payload_bytes = 64
    payload_limit_reason = "a test fake that stops at 64 bytes"
class _RemembersSource(Wasmtime):
    """Real wasmtime that keeps each module's source bytes on it (for the cache fakes)."""

    def compile(self, wasm: bytes) -> Any:
        module = super().compile(wasm)
        module.fake_source = bytes(wasm)
        return module


class DefeatedCache(_RemembersSource):
    """The seed's pattern: a cache that silently recompiles on every load.

    ``serialize`` hands out the module's wasm bytes and ``deserialize`` compiles them again,
    answering correctly, just never faster than compiling. Winch (wasmtime's baseline
    compiler) keeps the 1 MB modules the "cache ineffective" rule needs quick to compile.
    """

    name = "defeated-cache"
    summary = "test fake: deserialize silently recompiles (a defeated cache)"
    capabilities = frozenset({Capability.ANY_MODULE, Capability.MEMORY,
                              Capability.HOST_IMPORTS, Capability.SERIALIZE})

    def _config(self) -> Any:
        from wasmtime import _ffi

        config = super()._config()
        _ffi.wasmtime_config_strategy_set(config.ptr(), 2)  # winch
        return config

    def serialize(self, module: Any) -> bytes:
        return module.fake_source

    def deserialize(self, data: bytes) -> Any:
        return self.compile(data)


class ForeignArtifact(_RemembersSource):
    """Artifacts come from another engine configuration (fuel metering on), as when a cache
    is shared by programs configured differently: ``deserialize`` must refuse them."""

    name = "foreign-artifact"
    summary = "test fake: serialized modules come from an engine with another configuration"

    def serialize(self, module: Any) -> bytes:
        config = self._wt.Config()
        config.consume_fuel = True
        return bytes(self._wt.Module(self._wt.Engine(config), module.fake_source).serialize())
