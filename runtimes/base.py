"""The one interface every runtime adapter implements.

The split follows wazero's Runtime/Module and sightglass's compile/instantiate/execute phases:
a ``Runtime`` compiles bytes to an opaque module and instantiates it (with host imports) into
an ``Instance``; an ``Instance`` hands out exports as plain Python callables (the binding's own
objects where possible, so timing measures the binding, not a wrapper of ours) and its linear
``Memory``. What an adapter cannot do is declared in ``capabilities``; scenarios check them
first so an unsupported cell reads "not supported" instead of crashing.
"""

from __future__ import annotations

import enum
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

ValType = Literal["i32", "i64", "f32", "f64"]


class Capability(str, enum.Enum):
    """Things a scenario may need that not every runtime offers."""

    ANY_MODULE = "any_module"  # runs any valid module (the python baseline knows only our guests)
    MEMORY = "memory"  # read/write an exported linear memory from the host
    # The memory is the instance's own, bounded and growable: an access past its end raises
    # IndexError, instances never share it, size() follows memory.grow. Every wasm engine has
    # this; a native library called directly does not (its "memory" is the process's).
    ISOLATED_MEMORY = "isolated_memory"
    HOST_IMPORTS = "host_imports"  # instantiate with Python functions as imports
    WASI = "wasi"  # run a WASI preview1 command module (``Runtime.run_wasi``)
    SERIALIZE = "serialize"  # serialize a compiled module to bytes and deserialize it back
    DESERIALIZE_FILE = "deserialize_file"  # deserialize from a file the runtime reads itself
    DISK_CACHE = "disk_cache"  # an on-disk compilation cache that a fresh engine consults
    # Stopping a running guest in-runtime (see ``Runtime.with_interruption``). A runtime that
    # declares neither can only be stopped by ending its process.
    EPOCH_INTERRUPTION = "epoch_interruption"  # a deadline: another thread advances an epoch
    FUEL = "fuel"  # a budget: the guest traps once it has executed that much work
    # Compile and instantiate a Component Model component (``compile`` takes its bytes too):
    # exports typed in WIT, called with Python values (str, bytes, list, an object with a
    # record's fields) that the engine lowers and lifts through the canonical ABI.
    COMPONENT = "component"


class Role(str, enum.Enum):
    """What a runtime is to the others, beyond a row of its own: a reference they are read
    against (the report's layer breakdown and scorecard, the planner's interpreters)."""

    # The guest's work in plain Python: what a call into any engine is compared with, run on
    # every interpreter the run uses.
    BASELINE = "baseline"
    # The guest's source built as native code, without a sandbox: what a call from Python into
    # the same compiled code costs. Several runtimes may play it (one per way of calling it:
    # ctypes, a C extension); readers take the lowest of those in a run.
    FLOOR = "floor"


@dataclass(frozen=True)
class HostFunction:
    """A Python callable offered to the guest as an import, with its wasm signature."""

    fn: Callable[..., Any]
    params: tuple[ValType, ...] = ()
    results: tuple[ValType, ...] = ()


Imports = Mapping[str, Mapping[str, HostFunction]]


@dataclass(frozen=True)
class Availability:
    """Whether a runtime can be used in this interpreter, and if not, why (one line)."""

    available: bool
    reason: str = ""


class WasmError(Exception):
    """Base of the framework's errors about a guest; ``kind`` names the category."""

    kind: ClassVar[str] = "error"

    def describe(self) -> str:
        """One line that starts with the category: ``trap: ...``, ``export not found: x``."""
        text = " ".join(str(self).split())
        return text if text.lower().startswith(self.kind) else f"{self.kind}: {text}"


class CompileError(WasmError):
    """The bytes are not a valid module for this runtime."""

    kind = "compile"


class LinkError(WasmError):
    """Instantiation failed: a missing or mistyped import, or a start function that trapped."""

    kind = "link"


class ExportNotFound(WasmError):
    """The instance has no export of that name (or it is not a function/memory)."""

    kind = "export"


class Trap(WasmError):
    """The guest trapped (unreachable, out of bounds, ...) or was interrupted.

    ``code`` is the runtime's own name for the trap where it has one (``INTERRUPT``);
    ``interrupted_by`` names the interruption mechanism when the trap is one.
    """

    kind = "trap"

    def __init__(self, message: str, *, code: str = "",
                 interrupted_by: Capability | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.interrupted_by = interrupted_by


class ArtifactRejected(WasmError):
    """A serialized module was refused: another engine configuration or version made it."""

    kind = "rejected"


class RuntimeUnavailable(WasmError):
    """The runtime cannot be loaded in this interpreter; the message is the reason."""

    kind = "unavailable"


@dataclass(frozen=True)
class WasiResult:
    """How a WASI command ended: its exit code (0 when ``_start`` returned) and its stdout."""

    exit_code: int
    stdout: bytes


class NotSupported(WasmError):
    """This runtime cannot do what was asked (a memory access path, growing memory, ...).

    Raised by an adapter for an optional feature it lacks, and by a scenario's ``prepare``
    for a benchmark the runtime cannot run: that benchmark then reads "not supported".
    """

    kind = "unsupported"


@dataclass(frozen=True)
class AccessPath:
    """One named way to copy bytes between the host and linear memory.

    ``read(offset, length)`` returns a new bytes-like copy; ``write(offset, data)`` copies
    ``data`` in. Both raise ``IndexError`` out of bounds. A ``cached`` path holds a view taken
    when it was made: it is valid only until the memory grows (the stale-view hazard).
    """

    read: Callable[[int, int], bytes | bytearray]
    write: Callable[[int, bytes], None]
    summary: str
    cached: bool = False


class Memory(ABC):
    """A guest's linear memory as the binding exposes it (offsets are guest addresses)."""

    @abstractmethod
    def read(self, offset: int, length: int) -> bytes:
        """Copy ``length`` bytes at ``offset`` out of guest memory (IndexError if out of bounds)."""

    @abstractmethod
    def write(self, offset: int, data: bytes) -> None:
        """Copy ``data`` into guest memory at ``offset`` (IndexError if out of bounds)."""

    @abstractmethod
    def size(self) -> int:
        """Current size in bytes."""

    def grow(self, pages: int) -> int:
        """Grow by ``pages`` pages from the host: the previous size in pages, or -1 when the
        memory cannot grow (at its maximum), exactly as the guest's ``memory.grow``."""
        raise NotSupported("this runtime cannot grow a memory from the host")

    def view(self) -> memoryview:
        """A zero-copy, writable byte view of the whole memory *as it is now*.

        It does not follow a later grow: take a new one after anything that may grow memory
        (a guest call that allocates, say). Adapters without one leave this as is.
        """
        raise NotSupported("this runtime offers no zero-copy view of linear memory")

    def access_paths(self) -> dict[str, AccessPath]:
        """Every way this runtime offers to move bytes in and out, by name.

        ``api`` is ``read``/``write``; with ``view()``, ``memoryview`` takes a fresh view on
        every access and ``memoryview_cached`` one view now. Adapters add their binding's own
        paths (names are shared across runtimes: see ``scenarios/families/interop/memory.py``).
        """
        paths = {"api": AccessPath(self.read, self.write, "the adapter's Memory.read/write")}
        try:
            cached = self.view()
        except NotSupported:
            return paths
        paths["memoryview"] = view_path(self.view, "a fresh zero-copy memoryview per access")

        def taken_once(owner: Memory = self) -> memoryview:  # owner: keeps the store alive
            return cached

        paths["memoryview_cached"] = view_path(
            taken_once, "one memoryview taken up front (stale once memory grows)", cached=True)
        return paths


class CachedViewMemory(Memory):
    """Linear memory through one zero-copy view kept between accesses, refreshed only when an
    access runs past its end (the guest may have grown the memory since it was taken).

    Sound only where the runtime never moves a memory when it grows; ``_adopt`` checks that
    the base address is unchanged and raises rather than let a stale view touch freed memory.
    Subclasses say how to take the view (``_refresh``) and call ``_adopt`` with it.
    """

    _base: int | None = None

    @abstractmethod
    def _refresh(self) -> None:
        """Take a fresh view of the whole memory and ``_adopt`` it."""

    def _adopt(self, view: memoryview, base: int, moved: str) -> None:
        if self._base is not None and base != self._base:
            raise RuntimeError(moved)
        self._view, self._size, self._base = view, len(view), base

    def _check(self, offset: int, end: int) -> None:
        """The slow path: refresh a view the memory outgrew, then bounds-check for real."""
        if end > self._size:
            self._refresh()
        if not 0 <= offset <= end <= self._size:
            raise IndexError("out of bounds memory access")

    def read(self, offset: int, length: int) -> bytes:
        end = offset + length
        if not 0 <= offset <= end <= self._size:
            self._check(offset, end)
        return self._view[offset:end].tobytes()

    def write(self, offset: int, data: bytes) -> None:
        end = offset + len(data)
        if not 0 <= offset <= end <= self._size:
            self._check(offset, end)
        self._view[offset:end] = data

    def size(self) -> int:
        self._refresh()
        return self._size


def view_path(view: Callable[[], memoryview], summary: str, cached: bool = False
              ) -> AccessPath:
    """An ``AccessPath`` that slices the memoryview ``view()`` returns, bounds-checked
    (a memoryview slice past the end is silently cut short)."""

    def read(offset: int, length: int) -> bytes:
        v = view()
        if offset < 0 or length < 0 or offset + length > len(v):
            raise IndexError("out of bounds memory read")
        return v[offset:offset + length].tobytes()

    def write(offset: int, data: bytes) -> None:
        v = view()
        if offset < 0 or offset + len(data) > len(v):
            raise IndexError("out of bounds memory write")
        v[offset:offset + len(data)] = data

    return AccessPath(read, write, summary, cached)


class Instance(ABC):
    """An instantiated module (or component: see ``Capability.COMPONENT``).

    A component's exports are its WIT functions, by their WIT names, taking and returning
    Python values; it exports no memory (``memory`` raises ``ExportNotFound``). Its imports
    are given as ``{"": {"host-add": HostFunction(fn)}}`` ("" is the world's root, another
    key an imported instance); their types come from the component, so a ``HostFunction``'s
    ``params`` and ``results`` are not needed there.
    """

    @abstractmethod
    def export(self, name: str) -> Callable[..., Any]:
        """The exported function ``name`` as a callable taking wasm values.

        Raises ``ExportNotFound``. The callable is the cheapest one the adapter's binding path
        offers; calling it may raise the binding's own exceptions (see ``Runtime.explain``).
        """

    @abstractmethod
    def memory(self, name: str = "memory") -> Memory:
        """The exported memory ``name``; raises ``ExportNotFound``."""

    # In-runtime interruption, on instances of a runtime from ``Runtime.with_interruption``.
    def set_epoch_deadline(self, ticks: int) -> None:
        """Trap the running (or next) call once the epoch has advanced ``ticks`` times."""
        raise NotSupported("this instance has no epoch interruption")

    def set_fuel(self, units: int) -> None:
        """Let calls execute ``units`` of work from now on, then trap."""
        raise NotSupported("this instance has no fuel")


@dataclass(frozen=True)
class RuntimeInfo:
    """Provenance recorded with every result of a runtime."""

    name: str
    package: str
    version: str
    compiler: str
    binding: str  # how calls and memory are reached (shipped API, raw C API, ...)
    interpreter: str = field(default_factory=lambda: interpreter_label())
    # Set on a runtime that is another one's lowest-overhead path (same engine, leaner
    # binding): the name of that runtime, so a report can subtract one from the other.
    lowest_path_of: str = ""

    def as_metadata(self) -> dict[str, str]:
        meta = {
            "runtime": self.name,
            "runtime_package": self.package,
            "runtime_version": self.version,
            "compiler": self.compiler,
            "binding": self.binding,
            "interpreter": self.interpreter,
        }
        if self.lowest_path_of:
            meta["lowest_path_of"] = self.lowest_path_of
        return meta


def interpreter_label() -> str:
    """``cpython-3.10.13``: which interpreter ran something, as recorded everywhere."""
    impl = sys.implementation.name
    v = sys.version_info
    return f"{impl}-{v.major}.{v.minor}.{v.micro}"


class Runtime(ABC):
    """A Wasm runtime reached from Python, behind the framework's interface.

    Subclasses set the class attributes, implement ``_load`` (import the binding: called only
    when ``availability()`` said yes) and the abstract methods. Constructing one for an
    unavailable runtime raises ``RuntimeUnavailable`` with the reason.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    # A practical limit, declared rather than discovered by a run that never ends: benchmarks
    # whose payload exceeds it are reported "not supported" with ``payload_limit_reason``.
    max_payload_bytes: ClassVar[int | None] = None
    payload_limit_reason: ClassVar[str] = ""
    role: ClassVar[Role | None] = None
    # A differential fuzz run (``scenarios.fuzz``) gives this runtime every Nth module only:
    # for a runtime whose per-module compile costs far more than the others' (wasm2c runs gcc),
    # so that a run's length is not that one compiler's. The sample is declared in the summary.
    fuzz_every: ClassVar[int] = 1
    # Whether dropping the last reference to an instance returns its memory before the process
    # ends. A runtime that keeps every instance (a binding type without a finalizer) declares
    # False with the reason, so memory scenarios create fewer of them instead of growing a
    # process until the kernel kills it, and reports say why its "after drop" figure is high.
    frees_instances: ClassVar[bool] = True
    keeps_instances_reason: ClassVar[str] = ""
    # The CPython versions the binding installs on, as a version specifier (``<3.11``;
    # empty: any), as its pyproject marker says: a run provisions an interpreter for a runtime
    # found nowhere only where it could load.
    python_versions: ClassVar[str] = ""

    _availability: ClassVar[Availability | None] = None

    @classmethod
    def availability(cls) -> Availability:
        """Cached; never raises and never lets a crashing import take the process down."""
        if cls.__dict__.get("_availability") is None:
            try:
                cls._availability = cls._check_availability()
            except Exception as exc:
                cls._availability = Availability(False, f"{type(exc).__name__}: {exc}")
        return cls._availability  # type: ignore[return-value]

    @classmethod
    @abstractmethod
    def _check_availability(cls) -> Availability:
        """Try to load the binding; return why not when it cannot be used here."""

    def __init__(self) -> None:
        avail = self.availability()
        if not avail.available:
            raise RuntimeUnavailable(f"{self.name}: {avail.reason}")

    @property
    @abstractmethod
    def info(self) -> RuntimeInfo:
        """Name, package version, compiler and binding path of this runtime."""

    def supports(self, needed: frozenset[Capability]) -> bool:
        return needed <= self.capabilities

    @classmethod
    def refuses_payload(cls, payload_bytes: int) -> str | None:
        """Why a benchmark moving ``payload_bytes`` is not run here, or None when it is."""
        if cls.max_payload_bytes is None or payload_bytes <= cls.max_payload_bytes:
            return None
        return (f"payload of {payload_bytes} B is above {cls.name}'s declared limit of "
                f"{cls.max_payload_bytes} B ({cls.payload_limit_reason})")

    @abstractmethod
    def compile(self, wasm: bytes) -> Any:
        """Compile bytes into a module handle; raises ``CompileError``."""

    @abstractmethod
    def instantiate(self, module: Any, imports: Imports | None = None) -> Instance:
        """Instantiate a compiled module; raises ``LinkError`` (``Trap`` from a start function)."""

    def with_interruption(self, mechanism: Capability) -> Runtime:
        """A sibling of this runtime whose instances can be stopped by ``mechanism``.

        Only for a mechanism in ``capabilities`` (``EPOCH_INTERRUPTION`` or ``FUEL``). It is a
        separate runtime because enabling a mechanism changes the compiled code: this one keeps
        its configuration, so its ordinary numbers never include the cost of being stoppable.
        Its instances start with a far deadline / ample fuel, so calls run until re-armed.
        """
        raise NotSupported(f"{self.name} has no in-runtime {mechanism.value}")

    def increment_epoch(self) -> None:
        """Advance the epoch (from any thread, while a guest runs) on an epoch sibling."""
        raise NotSupported(f"{self.name} has no epoch interruption")

    def load(self, wasm: bytes, imports: Imports | None = None) -> Instance:
        """Compile and instantiate in one step."""
        return self.instantiate(self.compile(wasm), imports)

    def run_wasi(self, module: Any, argv: Sequence[str]) -> WasiResult:
        """Instantiate a WASI preview1 command with ``argv``, run ``_start``, capture stdout.

        Only called on runtimes declaring ``Capability.WASI``. A ``proc_exit`` is an exit code,
        not an error; a trap raises like any guest call (see ``explain``).
        """
        raise NotImplementedError(f"{self.name} does not declare {Capability.WASI.value}")

    # -- compilation caches: each declared by a Capability; the defaults say "not supported" --

    def serialize(self, module: Any) -> bytes:
        """The compiled module as bytes that ``deserialize`` (same engine config) loads back."""
        raise self._unsupported(Capability.SERIALIZE)

    def deserialize(self, data: bytes) -> Any:
        """A module from ``serialize``'s bytes, without compiling; ``ArtifactRejected`` if the
        bytes came from another engine configuration or version (or are not an artifact)."""
        raise self._unsupported(Capability.SERIALIZE)

    def deserialize_file(self, path: Path) -> Any:
        """Like ``deserialize``, from a file the runtime reads (or maps) itself."""
        raise self._unsupported(Capability.DESERIALIZE_FILE)

    def with_disk_cache(self, directory: Path) -> Runtime:
        """A new runtime of this kind with a fresh engine whose ``compile`` goes through an
        on-disk cache kept in ``directory`` (created if needed): a miss compiles and stores,
        a hit loads what an earlier engine stored."""
        raise self._unsupported(Capability.DISK_CACHE)

    def _unsupported(self, cap: Capability) -> NotSupported:
        return NotSupported(f"{self.name} does not declare {cap.value}")

    def explain(self, exc: BaseException) -> WasmError:
        """Map an exception raised by a guest call to the framework's error types.

        Adapters override this to recognise their binding's trap exceptions; unknown
        exceptions become a ``Trap`` carrying the original type and message.
        """
        if isinstance(exc, WasmError):
            return exc
        return Trap(f"{type(exc).__name__}: {exc}")
