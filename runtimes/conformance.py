"""The conformance suite every runtime adapter must pass, built-in or plugin.

A plugin package runs it against its own adapter with three lines of pytest:

    from runtimes.conformance import ConformanceSuite

    class TestMyRuntime(ConformanceSuite):
        runtime_name = "my-runtime"

An unavailable runtime is skipped with its reason, unless its name is listed in the
``WASM_INTEROP_REQUIRE`` environment variable (comma-separated), where it fails instead: CI
sets it so that a runtime that silently stopped loading cannot pass as "skipped".
"""

from __future__ import annotations

import faulthandler
import os
import threading
from pathlib import Path
from typing import Any

import pytest

import guest
import runtimes
from runtimes.base import (
    AccessPath,
    ArtifactRejected,
    Availability,
    Capability,
    CompileError,
    ExportNotFound,
    HostFunction,
    LinkError,
    NotSupported,
    Runtime,
    RuntimeInfo,
    Trap,
    WasiResult,
)
from runtimes.wasm_binary import PAGE

REQUIRE_VAR = "WASM_INTEROP_REQUIRE"

TRAP_WAT = """(module
  (func (export "boom") unreachable)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))"""

IMPORT_WAT = """(module
  (import "env" "mul" (func $mul (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (func (export "twice_mul") (param i32 i32) (result i32)
    local.get 0 i32.const 1 i32.add call $log
    local.get 0 local.get 1 call $mul i32.const 2 i32.mul))"""


# A WASI command: prints "hello\n", then exits with argc when given arguments, and traps when
# given more than two (so exit codes, argv and traps are all observable).
WASI_WAT = r"""(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $argsizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (func (export "_start") (local $argc i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $argsizes (i32.const 32) (i32.const 36)))
    (local.set $argc (i32.load (i32.const 32)))
    (if (i32.gt_u (local.get $argc) (i32.const 3)) (then unreachable))
    (if (i32.gt_u (local.get $argc) (i32.const 1)) (then (call $exit (local.get $argc))))))"""


DATA_WAT = """(module (memory 1) (data (i32.const 16) "abc")
  (func (export "first") (result i32) i32.const 16 i32.load8_u))"""


def wat(text: str) -> bytes:
    """Assemble WAT with wasmtime's assembler (wasmtime is a core dependency)."""
    wasmtime = pytest.importorskip("wasmtime")
    return bytes(wasmtime.wat2wasm(text))


def required() -> set[str]:
    return {n.strip() for n in os.environ.get(REQUIRE_VAR, "").split(",") if n.strip()}


def available_runtime(name: str) -> type[Runtime]:
    """The adapter class ``name``, or skip the test (fail it if ``name`` is required here)."""
    cls = runtimes.get(name)
    avail = cls.availability()
    if not avail.available:
        if name in required():
            pytest.fail(f"{name} is required here but unavailable: {avail.reason}")
        pytest.skip(f"{name} unavailable: {avail.reason}")
    return cls


class ConformanceSuite:
    """Subclass with ``runtime_name`` set (or a ``runtime_name`` fixture) to test an adapter."""

    runtime_name: str = ""

    @pytest.fixture
    def runtime_cls(self) -> type[Runtime]:
        return available_runtime(self.runtime_name)

    @pytest.fixture
    def runtime(self, runtime_cls: type[Runtime]) -> Runtime:
        return runtime_cls()

    @pytest.fixture
    def article(self, runtime: Runtime) -> Any:
        return runtime.load(guest.get("article").wasm)

    def _needs(self, runtime: Runtime, cap: Capability) -> None:
        if cap not in runtime.capabilities:
            pytest.skip(f"{runtime.name} does not declare {cap.value}")

    # -- identity -----------------------------------------------------------------------
    def test_registered_under_its_name(self, runtime_cls: type[Runtime]) -> None:
        assert runtime_cls.name == self.runtime_name
        assert runtime_cls.summary.strip()

    def test_availability_is_cached_and_typed(self, runtime_cls: type[Runtime]) -> None:
        first = runtime_cls.availability()
        assert isinstance(first, Availability) and first.available
        assert runtime_cls.availability() is first

    def test_info_names_package_version_and_interpreter(self, runtime: Runtime) -> None:
        info = runtime.info
        assert isinstance(info, RuntimeInfo)
        assert info.name == self.runtime_name
        for value in (info.package, info.version, info.compiler, info.binding):
            assert value.strip()
        assert info.interpreter.startswith(("cpython-", "pypy-"))
        assert all(isinstance(v, str) and v for v in info.as_metadata().values())

    def test_capabilities_are_known(self, runtime: Runtime) -> None:
        assert runtime.capabilities <= set(Capability)

    def test_a_payload_limit_is_explained(self, runtime: Runtime) -> None:
        limit = runtime.max_payload_bytes
        if limit is None:
            assert runtime.refuses_payload(2**40) is None
            return
        assert limit > 0 and runtime.payload_limit_reason.strip()
        assert runtime.refuses_payload(limit) is None
        refusal = runtime.refuses_payload(limit + 1)
        assert refusal and str(limit) in refusal and runtime.payload_limit_reason in refusal

    def test_engines_isolate_their_memory(self, runtime: Runtime) -> None:
        """The memory checks below are skipped only where isolation truly does not exist: a
        runtime that runs any module is a wasm engine, and a wasm memory is isolated."""
        caps = runtime.capabilities
        if Capability.ISOLATED_MEMORY in caps:
            assert Capability.MEMORY in caps
        if {Capability.ANY_MODULE, Capability.MEMORY} <= caps:
            assert Capability.ISOLATED_MEMORY in caps

    # -- the article's guest --------------------------------------------------------------
    def test_no_op_returns_nothing(self, article: Any) -> None:
        assert article.export("no_op")() is None

    def test_add_numbers_and_i32_wrapping(self, article: Any) -> None:
        add = article.export("add_numbers")
        assert add(10, 20) == 30
        assert add(-7, 3) == -4
        assert add(2**31 - 1, 1) == -(2**31)

    def test_exports_are_reusable_callables(self, article: Any) -> None:
        add = article.export("add_numbers")
        assert [add(i, i) for i in range(5)] == [0, 2, 4, 6, 8]

    def test_memory_round_trip_and_guest_work(self, runtime: Runtime, article: Any) -> None:
        self._needs(runtime, Capability.MEMORY)
        mem = article.memory()
        assert mem.size() >= 17 * 65536
        data = b"hello, wasm \x00\xff"
        ptr = article.export("allocate")(len(data))
        assert 0 < ptr < mem.size()
        mem.write(ptr, data)
        assert bytes(mem.read(ptr, len(data))) == data
        article.export("reverse_string_in_place")(ptr, len(data))
        assert bytes(mem.read(ptr, len(data))) == data[::-1]
        article.export("deallocate")(ptr, len(data))

    def test_sum_array_wraps(self, runtime: Runtime, article: Any) -> None:
        self._needs(runtime, Capability.MEMORY)
        values = [2**31 - 1, 1, -5, 7]
        raw = b"".join(v.to_bytes(4, "little", signed=True) for v in values)
        ptr = article.export("allocate")(len(raw))
        article.memory().write(ptr, raw)
        assert article.export("sum_array")(ptr, len(values)) == -(2**31) + 2

    def test_large_allocation_grows_memory(self, runtime: Runtime, article: Any) -> None:
        self._needs(runtime, Capability.ISOLATED_MEMORY)
        mem = article.memory()
        before = mem.size()
        ptr = article.export("allocate")(4 * before)
        assert mem.size() >= ptr + 4 * before > before
        mem.write(ptr + 4 * before - 3, b"end")
        assert bytes(mem.read(ptr + 4 * before - 3, 3)) == b"end"

    def test_memory_bounds_raise_index_error(self, runtime: Runtime, article: Any) -> None:
        self._needs(runtime, Capability.ISOLATED_MEMORY)
        mem = article.memory()
        with pytest.raises(IndexError):
            mem.read(mem.size() - 2, 4)
        with pytest.raises(IndexError):
            mem.write(mem.size() - 2, b"four")

    def test_memory_stays_coherent_across_growth(self, runtime: Runtime, article: Any) -> None:
        """A Memory taken (and used) before the guest grows its memory still sees what the guest
        sees afterwards, in old pages and new ones: a cached view must not go stale."""
        self._needs(runtime, Capability.ISOLATED_MEMORY)
        mem = article.memory()
        reverse = article.export("reverse_string_in_place")
        small = article.export("allocate")(16)
        mem.write(small, b"0123456789abcdef")
        assert bytes(mem.read(small, 16)) == b"0123456789abcdef"
        before = mem.size()
        big = article.export("allocate")(2 * before)  # the guest grows its memory
        assert mem.size() > before
        tail = big + 2 * before - 16
        raw = b"".join(v.to_bytes(4, "little", signed=True) for v in (7, -3, 2**31 - 1, 1))
        mem.write(tail, raw)
        assert article.export("sum_array")(tail, 4) == -(2**31) + 4  # host wrote, guest read
        reverse(small, 16)
        reverse(tail, 16)  # guest wrote in old and new pages, host reads both
        assert bytes(mem.read(small, 16)) == b"fedcba9876543210"
        assert bytes(mem.read(tail, 16)) == raw[::-1]

    def test_instances_do_not_share_memory(self, runtime: Runtime) -> None:
        self._needs(runtime, Capability.ISOLATED_MEMORY)
        module = runtime.compile(guest.get("article").wasm)
        a, b = runtime.instantiate(module), runtime.instantiate(module)
        a.memory().write(70_000, b"only-a")
        assert bytes(b.memory().read(70_000, 6)) == b"\0" * 6

    def test_every_instance_of_a_module_gets_its_data_segments(self, runtime: Runtime) -> None:
        self._needs(runtime, Capability.ANY_MODULE)
        module = runtime.compile(wat(DATA_WAT))
        assert [runtime.instantiate(module).export("first")() for _ in range(3)] == [0x61] * 3

    def test_missing_exports_are_named(self, article: Any) -> None:
        with pytest.raises(ExportNotFound, match="sum_arrays"):
            article.export("sum_arrays")
        with pytest.raises(ExportNotFound):
            article.memory("no_such_memory")

    # -- growing memory, access paths and the stale-view hazard ---------------------------
    @staticmethod
    def _can_grow(mem: Any) -> None:
        """Skip unless the adapter can grow memory from the host (an optional feature)."""
        try:
            mem.grow(0)
        except NotSupported as exc:
            pytest.skip(str(exc))

    def test_memory_grows_from_the_host(self, runtime: Runtime, article: Any) -> None:
        self._needs(runtime, Capability.MEMORY)
        mem = article.memory()
        self._can_grow(mem)
        before = mem.size()
        assert mem.grow(0) == before // PAGE
        assert mem.grow(1) == before // PAGE
        assert mem.size() == before + PAGE
        assert bytes(mem.read(before, PAGE)) == bytes(PAGE)  # the new page is zeroed
        mem.write(before + PAGE - 4, b"last")
        assert bytes(mem.read(before + PAGE - 4, 4)) == b"last"
        with pytest.raises(ValueError):
            mem.grow(-1)

    def test_memory_grow_past_the_maximum_returns_minus_one(self, runtime: Runtime) -> None:
        self._needs(runtime, Capability.ANY_MODULE)
        mem = runtime.load(wat('(module (memory (export "memory") 1 2))')).memory()
        self._can_grow(mem)
        assert mem.grow(1) == 1
        assert mem.grow(1) == -1
        assert mem.size() == 2 * PAGE

    def test_every_access_path_round_trips_and_checks_bounds(self, runtime: Runtime,
                                                             article: Any) -> None:
        self._needs(runtime, Capability.MEMORY)
        mem = article.memory()
        data = bytes(range(256)) * 3
        ptr = article.export("allocate")(len(data))  # may grow memory: take paths after it
        paths = mem.access_paths()
        assert "api" in paths
        end = mem.size()
        for name, path in paths.items():
            assert isinstance(path, AccessPath) and path.summary.strip(), name
            assert path.cached == name.endswith("_cached"), name
            mem.write(ptr, bytes(len(data)))
            path.write(ptr, data)
            assert bytes(mem.read(ptr, len(data))) == data, name
            assert bytes(path.read(ptr + 1, 300)) == data[1:301], name
            for bad in ((end - 2, 4), (-1, 1)):
                with pytest.raises(IndexError):
                    path.read(*bad)
                with pytest.raises(IndexError):
                    path.write(bad[0], b"four"[:bad[1]])

    def test_a_cached_view_is_stale_after_grow_and_fresh_paths_are_not(
            self, runtime: Runtime, article: Any) -> None:
        """The hazard: a zero-copy view taken before ``grow`` keeps the old length, so it
        cannot reach the new pages (and must be taken again); every path that is not
        ``cached`` fetches its view or address per access and sees them."""
        self._needs(runtime, Capability.MEMORY)
        mem = article.memory()
        paths = mem.access_paths()
        if "memoryview_cached" not in paths:
            pytest.skip(f"{runtime.name} offers no zero-copy view")
        size = mem.size()
        old = mem.grow(1)
        if old == -1:
            # A bytearray cannot be resized while a view of it is alive: growth is refused
            # instead, so the view can never go stale. Dropping the view lets it grow.
            assert mem.size() == size
            del paths
            assert mem.grow(1) == size // PAGE
            return
        assert old == size // PAGE and mem.size() == size + PAGE
        cached = paths["memoryview_cached"]
        with pytest.raises(IndexError):
            cached.read(size, 8)
        with pytest.raises(IndexError):
            cached.write(size, b"new page")
        assert bytes(cached.read(size - 4, 4)) == bytes(mem.read(size - 4, 4))
        for name, path in paths.items():
            if not path.cached:
                path.write(size + 8 * len(name), name.encode())
                assert bytes(path.read(size + 8 * len(name), len(name))) == name.encode()
                assert bytes(mem.read(size + 8 * len(name), len(name))) == name.encode()

    # -- both directions: host imports that read guest memory, i64 and float values -------
    def test_callbacks_guest_calls_the_host_which_reads_its_memory(self,
                                                                  runtime: Runtime) -> None:
        self._needs(runtime, Capability.HOST_IMPORTS)
        self._needs(runtime, Capability.MEMORY)
        seen: list[Any] = []
        inst = runtime.load(guest.get("callbacks").wasm, {"env": {
            "host_noop": HostFunction(lambda: seen.append("noop")),
            "host_add": HostFunction(lambda a, b: a + b, ("i32", "i32"), ("i32",)),
            "host_log": HostFunction(lambda p, n: seen.append(bytes(mem.read(p, n))),
                                     ("i32", "i32")),
        }})
        mem = inst.memory()
        assert inst.export("loop_no_import")(5) == 10 and seen == []
        assert inst.export("loop_noop_import")(3) == 3 and seen == ["noop"] * 3
        assert inst.export("loop_add_import")(5) == 10
        ptr = inst.export("allocate")(5)
        mem.write(ptr, b"hello")
        assert inst.export("loop_log_import")(ptr, 5, 2) == 1
        assert seen[3:] == [b"hello", b"hello"]

    def test_i64_and_float_values_cross_exactly(self, runtime: Runtime) -> None:
        inst = runtime.load(guest.get("exchange").wasm)
        # args_<t>x1(v) folds v's bit pattern b to the low 32 bits of b ^ (b >> 32)
        assert inst.export("args_i64x1")(2**40 + 5) == 5 ^ 256  # the high bits arrived
        assert inst.export("args_i64x1")(-1) == 0
        assert inst.export("args_f32x1")(1.0) == 0x3F80_0000
        assert inst.export("args_f64x1")(1.0) == 0x3FF0_0000
        assert inst.export("args_f64x1")(1.0 + 2**-52) == 0x3FF0_0001  # not rounded to f32
        assert inst.export("args_i32x4")(1, 2, 3, 4) == 1 + 4 + 9 + 16  # in order
        assert inst.export("args_i32x1")(-1) == 0  # sign-extended (zero-extended gives -1)

    # -- the Component Model (see Capability.COMPONENT) ---------------------------------------
    def test_a_component_runs_exactly_where_declared(self, runtime: Runtime) -> None:
        """A runtime declaring components calls WIT functions with Python values (and gives
        the component its host import); any other refuses the bytes as it refuses a bad
        module, so a component scenario can never run on it by accident."""
        component = guest.get("component").wasm
        if Capability.COMPONENT not in runtime.capabilities:
            with pytest.raises(CompileError):
                runtime.compile(component)
            return
        calls: list[tuple[int, int]] = []

        def host_add(a: int, b: int) -> int:
            calls.append((a, b))
            return a + b

        inst = runtime.load(component, {"": {"host-add": HostFunction(host_add)}})
        assert inst.export("no-op")() is None
        assert inst.export("add-numbers")(2**31 - 1, 1) == -(2**31)
        assert inst.export("reverse")("hello, wasm") == "msaw ,olleh"
        assert inst.export("sum")([2**31 - 1, 1, -5, 7]) == -(2**31) + 2
        assert inst.export("reverse-bytes")(b"\x00\x01\xff") == b"\xff\x01\x00"
        assert inst.export("loop-host-add")(4) == 6 and calls == [(0, 0), (0, 1), (1, 2), (3, 3)]
        with pytest.raises(ExportNotFound, match="reverse_string_in_place"):
            inst.export("reverse_string_in_place")  # the core module's exports stay inside

    # -- bad modules and failing guests ---------------------------------------------------
    @pytest.mark.parametrize("bad", [b"", b"not wasm at all", b"\0asm\x01\0\0\0\x01\xff\xff"])
    def test_bad_bytes_raise_compile_error(self, runtime: Runtime, bad: bytes) -> None:
        with pytest.raises(CompileError):
            runtime.compile(bad)

    def test_truncated_module_raises_compile_error(self, runtime: Runtime) -> None:
        wasm = guest.get("article").wasm
        with pytest.raises(CompileError):
            runtime.compile(wasm[: len(wasm) // 2])

    def test_trap_is_explained(self, runtime: Runtime) -> None:
        self._needs(runtime, Capability.ANY_MODULE)
        inst = runtime.load(wat(TRAP_WAT))
        with pytest.raises(Exception) as info:
            inst.export("boom")()
        err = runtime.explain(info.value)
        assert isinstance(err, Trap) and "unreachable" in str(err).lower()
        assert err.interrupted_by is None
        with pytest.raises(Exception) as info:
            inst.export("div")(1, 0)
        assert "divi" in str(runtime.explain(info.value)).lower()
        assert inst.export("div")(7, 2) == 3  # the instance survives a trap

    def test_host_imports_are_called(self, runtime: Runtime) -> None:
        self._needs(runtime, Capability.HOST_IMPORTS)
        self._needs(runtime, Capability.ANY_MODULE)
        seen: list[int] = []
        inst = runtime.load(wat(IMPORT_WAT), {"env": {
            "mul": HostFunction(lambda a, b: a * b, ("i32", "i32"), ("i32",)),
            "log": HostFunction(seen.append, ("i32",), ()),
        }})
        assert inst.export("twice_mul")(6, 7) == 84
        assert seen == [7]

    def test_host_exceptions_reach_the_caller_and_the_instance_survives(
            self, runtime: Runtime) -> None:
        self._needs(runtime, Capability.HOST_IMPORTS)
        self._needs(runtime, Capability.ANY_MODULE)

        def mul(a: int, b: int) -> int:
            if a == 13:
                raise ValueError("host refuses 13")
            return a * b

        inst = runtime.load(wat(IMPORT_WAT), {"env": {
            "mul": HostFunction(mul, ("i32", "i32"), ("i32",)),
            "log": HostFunction(lambda _: None, ("i32",), ()),
        }})
        with pytest.raises(Exception, match="host refuses 13") as info:
            inst.export("twice_mul")(13, 2)
        assert "host refuses 13" in str(runtime.explain(info.value))
        assert inst.export("twice_mul")(3, 2) == 12

    def test_wasi_command_exit_codes_argv_and_stdout(self, runtime: Runtime) -> None:
        self._needs(runtime, Capability.WASI)
        module = runtime.compile(wat(WASI_WAT))
        assert runtime.run_wasi(module, ["prog"]) == WasiResult(0, b"hello\n")
        assert runtime.run_wasi(module, ["prog", "x"]) == WasiResult(2, b"hello\n")
        with pytest.raises(Exception) as info:
            runtime.run_wasi(module, ["prog", "x", "y", "z"])
        err = runtime.explain(info.value)
        assert isinstance(err, Trap) and "unreachable" in str(err).lower()
        assert runtime.run_wasi(module, ["again"]) == WasiResult(0, b"hello\n")
        bare = runtime.compile(wat('(module (func (export "_start")))'))  # imports nothing
        assert runtime.run_wasi(bare, ["bare"]) == WasiResult(0, b"")

    def test_missing_import_is_a_link_error(self, runtime: Runtime) -> None:
        self._needs(runtime, Capability.ANY_MODULE)
        with pytest.raises(LinkError, match=r"mul|log|import"):
            runtime.load(wat(IMPORT_WAT))

    # -- compilation caches (each only where the runtime declares it) -----------------------
    def test_undeclared_cache_mechanisms_say_not_supported(self, runtime: Runtime,
                                                          tmp_path: Path) -> None:
        calls = {Capability.SERIALIZE: lambda: runtime.deserialize(b""),
                 Capability.DESERIALIZE_FILE: lambda: runtime.deserialize_file(tmp_path / "x"),
                 Capability.DISK_CACHE: lambda: runtime.with_disk_cache(tmp_path)}
        for cap, call in calls.items():
            if cap not in runtime.capabilities:
                with pytest.raises(NotSupported, match=cap.value):
                    call()

    def test_serialized_module_loads_back_and_runs(self, runtime: Runtime) -> None:
        self._needs(runtime, Capability.SERIALIZE)
        wasm = guest.get("article").wasm
        blob = runtime.serialize(runtime.compile(wasm))
        assert isinstance(blob, bytes) and blob and blob != wasm
        inst = runtime.instantiate(runtime.deserialize(blob))
        assert inst.export("add_numbers")(10, 20) == 30

    @pytest.mark.parametrize("bad", [b"", b"not an artifact", b"\0asm\x01\0\0\0"])
    def test_bytes_that_are_not_an_artifact_are_rejected(self, runtime: Runtime,
                                                          bad: bytes) -> None:
        self._needs(runtime, Capability.SERIALIZE)
        with pytest.raises(ArtifactRejected) as info:
            runtime.deserialize(bad)
        assert info.value.describe().startswith("rejected: ")

    def test_artifact_file_loads_back_and_a_bad_one_is_rejected(self, runtime: Runtime,
                                                                tmp_path: Path) -> None:
        self._needs(runtime, Capability.DESERIALIZE_FILE)
        path = tmp_path / "article.artifact"
        path.write_bytes(runtime.serialize(runtime.compile(guest.get("article").wasm)))
        inst = runtime.instantiate(runtime.deserialize_file(path))
        assert inst.export("add_numbers")(10, 20) == 30
        # A new file: wasmtime maps the artifact, so rewriting it under a live module is SIGBUS.
        bad = tmp_path / "bad.artifact"
        bad.write_bytes(b"not an artifact")
        with pytest.raises(ArtifactRejected):
            runtime.deserialize_file(bad)

    def test_disk_cache_stores_on_a_miss_and_serves_a_fresh_engine(self, runtime: Runtime,
                                                                   tmp_path: Path) -> None:
        self._needs(runtime, Capability.DISK_CACHE)

        def files() -> set[Path]:
            return {p for p in tmp_path.rglob("*") if p.is_file()}

        first = runtime.with_disk_cache(tmp_path)
        assert type(first) is type(runtime) and first is not runtime
        before = files()
        assert first.load(guest.get("article").wasm).export("add_numbers")(10, 20) == 30
        assert files() - before, "the first compile stored nothing in the cache directory"
        second = runtime.with_disk_cache(tmp_path)
        assert second.load(guest.get("article").wasm).export("add_numbers")(10, 20) == 30
    # -- stopping a runaway guest (the compute guest's spin never returns) -----------------------
    @pytest.mark.parametrize("mechanism", [Capability.EPOCH_INTERRUPTION, Capability.FUEL])
    def test_interruption_is_offered_exactly_where_declared(self, runtime: Runtime,
                                                            mechanism: Capability) -> None:
        if mechanism not in runtime.capabilities:
            with pytest.raises(NotSupported):
                runtime.with_interruption(mechanism)
            return
        sibling = runtime.with_interruption(mechanism)
        assert isinstance(sibling, Runtime) and sibling.name == runtime.name
        inst = sibling.load(guest.get("compute").wasm)
        assert inst.export("fib")(20) == 6765  # starts far from any deadline, with ample fuel

    def test_epoch_deadline_stops_a_runaway_guest_and_the_instance_survives(
            self, runtime: Runtime) -> None:
        self._needs(runtime, Capability.EPOCH_INTERRUPTION)
        sibling = runtime.with_interruption(Capability.EPOCH_INTERRUPTION)
        inst = sibling.load(guest.get("compute").wasm)
        inst.set_epoch_deadline(1)
        timer = threading.Timer(0.05, sibling.increment_epoch)
        # A binding that holds the GIL while the guest runs never lets the timer act: end the
        # test process with a traceback rather than hang.
        faulthandler.dump_traceback_later(60, exit=True)
        try:
            timer.start()
            with pytest.raises(Exception) as info:
                inst.export("spin")()
        finally:
            faulthandler.cancel_dump_traceback_later()
            timer.join()
        err = sibling.explain(info.value)
        assert isinstance(err, Trap) and err.interrupted_by is Capability.EPOCH_INTERRUPTION
        assert err.code and err.code in err.describe()
        inst.set_epoch_deadline(1 << 40)  # re-armed, the same instance works again
        assert inst.export("fib")(10) == 55

    def test_fuel_stops_a_runaway_guest_and_the_instance_survives(self, runtime: Runtime
                                                                  ) -> None:
        self._needs(runtime, Capability.FUEL)
        sibling = runtime.with_interruption(Capability.FUEL)
        inst = sibling.load(guest.get("compute").wasm)
        inst.set_fuel(100_000)
        with pytest.raises(Exception) as info:
            inst.export("spin")()
        err = sibling.explain(info.value)
        assert isinstance(err, Trap) and err.interrupted_by is Capability.FUEL
        inst.set_fuel(1 << 40)
        assert inst.export("fib")(10) == 55
