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
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import guest
from runtimes import wasm_binary
from runtimes.base import Capability, Imports, Instance, NotSupported, Runtime
from scenarios.record.manifest import Manifest

__all__ = ["NotSupported"]  # raised by a benchmark's prepare(): that cell reads "not supported"

# What ``Scenario.defaults`` may set: pyperf Runner options, and the orchestrator's timeout.
PYPERF_DEFAULTS = frozenset({"processes", "values", "warmups", "loops", "min_time"})
RUN_DEFAULTS = PYPERF_DEFAULTS | {"call_timeout"}
Settings = Mapping[str, int | float]


class ValidationError(Exception):
    """A runtime's answer differs from the Python reference; it must not be timed."""


class UnknownScenario(LookupError):
    """A scenario name nobody registered; the message suggests the closest one."""


@dataclass
class Workload:
    """One operation to time: ``stmt`` run with ``names`` bound as locals.

    After one run ``result`` (an expression over those locals) must equal ``expect``, or,
    where the right answer is not a single value (a pointer, say), ``check(value)`` must
    return None rather than a description of what is wrong. ``result`` is evaluated after
    the clock stops, so it may do untimed work (instantiate a compiled module and call it).
    """

    stmt: str
    names: dict[str, Any]
    result: str = "None"
    expect: Any = None
    check: Callable[[Any], str | None] | None = None
    # Run before the statement when validating only (e.g. reset a counter ``result`` reads).
    setup: str = "pass"
    # For a statement that uses something up (memory pages, say): ``refresh()`` returns fresh
    # values for some of ``names``, and is called, outside the timer, every ``refresh_every``
    # loops (each loop runs the statement ``inner_loops`` times).
    refresh: Callable[[], dict[str, Any]] | None = None
    refresh_every: int = 0
    # Run untimed before every timed statement (fresh state per operation: a new instance
    # before a first call, an empty cache folder before a miss); only ``stmt`` is timed.
    before_each: str | None = None
    # After each timed value, validate the answer of the last timed statement instead of
    # running the workload once more (for operations that take seconds, like a compile).
    validate_last: bool = False
    # For an operation whose cost is not the wall time of a statement (the latency after a
    # deadline, say): ``measure(n)`` performs n operations, validates each one (raising
    # ValidationError), and returns the sum of their measured seconds. ``stmt`` is then unused.
    measure: Callable[[int], float] | None = None
    # What validation observed that a reader needs (which exception surfaced, say); recorded
    # with the benchmark's status in the manifest.
    facts: dict[str, Any] = field(default_factory=dict)

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
    """One runtime in one process: compiles each module once, hands out fresh instances.

    ``shared`` is a folder the processes of one cell (its main process and its workers, the
    same runtime and engine configuration) share, for untimed preparation that is the same in
    every process and costs seconds: a multi-megabyte module's compiled artifact, say. The
    first process to ask makes it; the others read it instead of compiling again.
    """

    def __init__(self, runtime: Runtime, shared: Path | None = None) -> None:
        self.runtime = runtime
        self.shared = shared
        self._private: tempfile.TemporaryDirectory[str] | None = None
        self._modules: dict[bytes, Any] = {}
        self._siblings: dict[Capability, Session] = {}

    def module(self, guest_name: str) -> Any:
        return self.compiled(guest.get(guest_name).wasm)

    def compiled(self, wasm: bytes) -> Any:
        """``wasm`` compiled by this session's runtime, once (a guest's or a user's module)."""
        key = hashlib.sha256(wasm).digest()
        if key not in self._modules:
            self._modules[key] = self.runtime.compile(wasm)
        return self._modules[key]

    def artifact(self, wasm: bytes) -> bytes:
        """``wasm`` compiled and serialized (``Capability.SERIALIZE``), once per cell when the
        session has a ``shared`` folder, else once per process."""
        return self.made(f"{hashlib.sha256(wasm).hexdigest()}.artifact", lambda path: (
            path.write_bytes(self.runtime.serialize(self.compiled(wasm))))).read_bytes()

    def made(self, name: str, make: Callable[[Path], object]) -> Path:
        """The file or folder ``name`` in the cell's shared folder, made by ``make(path)`` in
        the first process that asks (written aside, then renamed into place: a reader never
        sees half of it). Without a shared folder, made once in a private temporary one."""
        if self.shared is None:
            self._private = tempfile.TemporaryDirectory(prefix="wasm-interop-session-")
            self.shared = Path(self._private.name)
        path = self.shared / self.runtime.name / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            aside = path.with_name(f".{name}.{os.getpid()}")
            make(aside)
            os.replace(aside, path)
        return path

    def instance(self, guest_name: str, imports: Imports | None = None) -> Instance:
        return self.runtime.instantiate(self.module(guest_name), imports)

    def with_interruption(self, mechanism: Capability) -> Session:
        """A session on the sibling runtime whose instances ``mechanism`` can stop (cached)."""
        if mechanism not in self._siblings:
            self._siblings[mechanism] = Session(self.runtime.with_interruption(mechanism))
        return self._siblings[mechanism]


@dataclass(frozen=True)
class Benchmark:
    """One timed series. ``name`` is stable across runtimes and runs (``scenario/size``)."""

    name: str
    scenario: str
    prepare: Callable[[Session], Workload]
    payload_bytes: int = 0
    guest: str | None = None
    inner_loops: int = 10  # statements per loop iteration (unrolled): keeps loop cost small
    # Recorded with every value (pyperf metadata) and in the manifest, so derived figures
    # (per-callback cost, per-argument fit, ...) can be computed from the results alone.
    metadata: dict[str, str | int | float] = field(default_factory=dict)
    # Metadata that takes work to compute (a generated module's bytes and sha256), asked for
    # only by the processes that time this benchmark.
    lazy_metadata: Callable[[], Mapping[str, str | int | float]] | None = None
    # What this benchmark needs beyond its scenario's ``requires``: a runtime without it
    # records this benchmark as not supported and runs the others.
    requires: frozenset[Capability] = frozenset()
    # Operations one statement performs (a guest-side loop of N steps, say): values are then
    # reported per operation, and the benchmark's metadata says how many there were.
    ops_per_statement: int = 1
    # ``payload_bytes`` is the size of a generated module, not a payload: --max-bytes (which
    # limits payloads) does not leave it out.
    sized_module: bool = False
    # For a sized module: whether each value compiles it (a cold path) or starts from something
    # compiled once per cell or process (a cache hit); only the plan's time estimate reads it.
    compiles_each_value: bool = True
    # Seconds of untimed work the cell's first process does to validate it, for the plan's
    # estimate only, where it is far from the generic guess (readings of fresh processes
    # taken once per cell, say); 0: the plan's generic guess.
    validation_s: float = 0.0
    # pyperf options for this benchmark alone (``processes``, ``values``, ...), over its
    # scenario's and its profile's, unless the user passes the option: a cold compile of
    # megabytes needs a few values, not as many as a call of a microsecond.
    defaults: Settings = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.defaults) - PYPERF_DEFAULTS
        if unknown:
            raise ValueError(f"benchmark {self.name}: unknown defaults {sorted(unknown)}")


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
    # Defaults for this scenario's runs, used unless the user passes the option (identical
    # for every runtime): pyperf's processes/values/warmups/loops/min_time, scaled by
    # --fast/--rigorous as pyperf scales its own, and call_timeout (seconds). For
    # benchmarks whose one operation takes seconds (compiling 8 MB) pyperf's 20 x 3 would
    # take hours.
    defaults: Settings = field(default_factory=dict)
    # The same, for one profile only (``{"quick": {"values": 2}}``), over ``defaults``.
    profile_defaults: Mapping[str, Settings] = field(default_factory=dict)
    # The benchmarks the quick profile runs (its headline figures); None: the scenario is not
    # part of the quick profile unless asked for by name (then every benchmark runs).
    headline: Callable[[Benchmark], bool] | None = None
    # Its cost is mostly Python code (the binding's argument conversion and calls), which each
    # interpreter runs at its own speed: a run also measures it on each runtime's newest
    # interpreter, beside the equal-terms one (``hosts.plan``).
    per_interpreter: bool = False

    def __post_init__(self) -> None:
        for settings in (self.defaults, *self.profile_defaults.values()):
            unknown = set(settings) - RUN_DEFAULTS
            if unknown:
                raise ValueError(f"scenario {self.name}: unknown defaults {sorted(unknown)} "
                                 f"(known: {sorted(RUN_DEFAULTS)})")

    def benchmarks(self, max_bytes: int | None = None, headline_only: bool = False
                   ) -> list[Benchmark]:
        """The benchmarks in their fixed order, payloads above ``max_bytes`` left out (and,
        with ``headline_only``, those the quick profile does not run)."""
        keep = self.headline if headline_only and self.headline is not None else None
        return [b for b in self.make_benchmarks()
                if (max_bytes is None or b.sized_module or b.payload_bytes <= max_bytes)
                and (keep is None or keep(b))]

    def settings(self, profile: str) -> dict[str, int | float]:
        """Its declared defaults under ``profile`` (the profile's own come from the caller)."""
        return {**self.defaults, **self.profile_defaults.get(profile, {})}

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
# Derived results written beside a run's manifest when it ends: name -> fn(run_dir, manifest),
# returning the JSON-ready data for ``<run_dir>/<name>.json``, or None when nothing applies.
# ``notes(data)`` (optional) gives the lines to print under the run's status table.
RunSummary = Callable[[Path, Manifest], Any]
SummaryNotes = Callable[[Any], list[str]]
SUMMARIES: dict[str, RunSummary] = {}
SUMMARY_NOTES: dict[str, SummaryNotes] = {}


# The module that registered each scenario: built-in ones are listed in their module's name
# order (whatever imported them first), then any others in the order they came.
_ORIGIN: dict[str, str] = {}


def register(scenario: Scenario) -> Scenario:
    if SCENARIOS.get(scenario.name, scenario) is not scenario:
        raise ValueError(f"scenario {scenario.name!r} is registered twice")
    SCENARIOS[scenario.name] = scenario
    _ORIGIN[scenario.name] = sys._getframe(1).f_globals.get("__name__", "")
    return scenario


def register_summary(name: str, summarize: RunSummary, notes: SummaryNotes | None = None
                     ) -> RunSummary:
    SUMMARIES.setdefault(name, summarize)
    if notes is not None:
        SUMMARY_NOTES.setdefault(name, notes)
    return summarize


def all_summaries() -> dict[str, RunSummary]:
    _load_builtin()
    return SUMMARIES


def _load_builtin() -> list[str]:
    """Import every family's workload modules (each registers its scenarios); their names,
    in the order ``--scenario all`` follows."""
    from scenarios import families

    names = families.workload_modules()
    for name in names:
        importlib.import_module(name)
    return names


def all_scenarios() -> dict[str, Scenario]:
    """Every registered scenario, in a stable order (however the modules were imported)."""
    rank = {name: i for i, name in enumerate(_load_builtin())}
    order = sorted(SCENARIOS, key=lambda n: rank.get(_ORIGIN.get(n, ""), len(rank)))
    if order != list(SCENARIOS):
        reordered = {n: SCENARIOS[n] for n in order}
        SCENARIOS.clear()
        SCENARIOS.update(reordered)
    return SCENARIOS


def named(*names: str) -> Callable[[Benchmark], bool]:
    """A ``Scenario.headline`` that keeps the benchmarks with these names."""
    wanted = frozenset(names)
    return lambda bench: bench.name in wanted


def get(name: str) -> Scenario:
    scenarios = all_scenarios()
    if name not in scenarios:
        close = difflib.get_close_matches(name, scenarios, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownScenario(f"unknown scenario {name!r}{hint} (known: {', '.join(scenarios)})")
    return scenarios[name]
