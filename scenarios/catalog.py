"""What a scenario is, and the registry of them.

A ``Scenario`` is a named family of ``Benchmark``s (one per payload size, say). A benchmark
``prepare``s a ``Workload`` on a live runtime (untimed set-up: instantiate, allocate, build the
payload); the workload is one Python statement plus the reference answer it must produce.
Nothing here knows about particular runtimes: scenarios ask for ``Capability``s instead.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import guest
from runtimes import wasm_binary
from runtimes.base import Capability, Imports, Instance, Runtime


class ValidationError(Exception):
    """A runtime's answer differs from the Python reference; it must not be timed."""


class UnknownScenario(LookupError):
    """A scenario name nobody registered; the message suggests the closest one."""


@dataclass
class Workload:
    """One operation to time: ``stmt`` run with ``names`` bound as locals.

    After one run ``result`` (an expression over those locals) must equal ``expect``, or,
    where the right answer is not a single value (a pointer, say), ``check(value)`` must
    return None rather than a description of what is wrong.
    """

    stmt: str
    names: dict[str, Any]
    result: str = "None"
    expect: Any = None
    check: Callable[[Any], str | None] | None = None

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not the reference answer, or None when it is."""
        if self.check is not None:
            return self.check(value)
        if value == self.expect:
            return None
        return describe_mismatch(value, self.expect)


def describe_mismatch(got: Any, expected: Any) -> str:
    """A one-line account of how an answer differs from the reference."""
    if isinstance(got, (bytes, bytearray)) and isinstance(expected, (bytes, bytearray)):
        if len(got) != len(expected):
            return f"got {len(got)} bytes, expected {len(expected)}"
        first = next(i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b)
        return (f"bytes differ from offset {first}: got {bytes(got[first:first + 8])!r}, "
                f"expected {bytes(expected[first:first + 8])!r}")
    return f"got {got!r:.80}, expected {expected!r:.80}"


class Session:
    """One runtime in one process: compiles each module once, hands out fresh instances."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._modules: dict[bytes, Any] = {}

    def module(self, guest_name: str) -> Any:
        return self.compiled(guest.get(guest_name).wasm)

    def compiled(self, wasm: bytes) -> Any:
        """``wasm`` compiled by this session's runtime, once (a guest's or a user's module)."""
        key = hashlib.sha256(wasm).digest()
        if key not in self._modules:
            self._modules[key] = self.runtime.compile(wasm)
        return self._modules[key]

    def instance(self, guest_name: str, imports: Imports | None = None) -> Instance:
        return self.runtime.instantiate(self.module(guest_name), imports)


@dataclass(frozen=True)
class Benchmark:
    """One timed series. ``name`` is stable across runtimes and runs (``scenario/size``)."""

    name: str
    scenario: str
    prepare: Callable[[Session], Workload]
    payload_bytes: int = 0
    guest: str | None = None
    inner_loops: int = 10  # statements per loop iteration (unrolled): keeps loop cost small
    # Operations one statement performs (a guest-side loop of N steps, say): values are then
    # reported per operation, and the benchmark's metadata says how many there were.
    ops_per_statement: int = 1


@dataclass(frozen=True)
class Scenario:
    """A family of benchmarks. ``exports`` names what its guests must export: a function
    signature as ``runtimes.wasm_binary.signature`` writes it, or ``"memory"``."""

    name: str
    summary: str
    requires: frozenset[Capability]
    make_benchmarks: Callable[[], Iterable[Benchmark]]
    guests: tuple[str, ...] = field(default=())
    exports: Mapping[str, str] = field(default_factory=dict)
    # Extra provenance recorded on its benchmarks (a declared scenario's module and sha256).
    metadata: dict[str, str] = field(default_factory=dict, compare=False)

    def benchmarks(self, max_bytes: int | None = None) -> list[Benchmark]:
        """The benchmarks in their fixed order, payloads above ``max_bytes`` left out."""
        return [b for b in self.make_benchmarks()
                if max_bytes is None or b.payload_bytes <= max_bytes]

    def export_problem(self) -> str | None:
        """Why this scenario's guests cannot serve it (a missing or mistyped export), if so.

        Checked on the bytes before any runtime sees them, so every runtime reports the same
        specific reason; unreadable bytes are left for the runtimes to reject in their words.
        """
        found: dict[str, str] = {}
        for name in self.guests:
            try:
                summary = wasm_binary.summarize(guest.get(name).wasm)
            except wasm_binary.MalformedModule:
                return None
            found.update({e: wasm_binary.signature(*summary.signatures[e])
                          if e in summary.signatures else kind
                          for e, kind in summary.exports.items()})
        for export, wanted in self.exports.items():
            have = found.get(export)
            if have is None:
                return f"export not found: {export}"
            if have != wanted:
                return f"export {export} is {have}, the scenario needs {wanted}"
        return None


SCENARIOS: dict[str, Scenario] = {}


def register(scenario: Scenario) -> Scenario:
    if SCENARIOS.get(scenario.name, scenario) is not scenario:
        raise ValueError(f"scenario {scenario.name!r} is registered twice")
    SCENARIOS[scenario.name] = scenario
    return scenario


def _load_builtin() -> None:
    """Import every module of ``scenarios.workloads`` (each registers its scenarios)."""
    from scenarios import workloads

    for mod in sorted(pkgutil.iter_modules(workloads.__path__), key=lambda m: m.name):
        importlib.import_module(f"{workloads.__name__}.{mod.name}")


def all_scenarios() -> dict[str, Scenario]:
    _load_builtin()
    return SCENARIOS


def get(name: str) -> Scenario:
    scenarios = all_scenarios()
    if name not in scenarios:
        close = difflib.get_close_matches(name, scenarios, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownScenario(f"unknown scenario {name!r}{hint} (known: {', '.join(scenarios)})")
    return scenarios[name]
