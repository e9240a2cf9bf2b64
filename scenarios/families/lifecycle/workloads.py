"""A module's life: cold start, compile against size, instantiate, first call, and caches.

The seed (002) is a compilation cache silently defeated: a 50 MB module recompiled in ~2 s on
every load instead of ~10 ms from cache. So every phase is timed on its own, and every cache
mechanism is timed as what a program does to get a working instance (load, instantiate, call
``run`` and check its answer) beside the cold path it replaces, so the orchestrator can say
how much each cache really saves (see ``scenarios.families.lifecycle.figures``).

Compile and cache benchmarks use generated modules (``guest.generated``) of the sizes in
``guest.generated.sizes()`` (``--module-sizes``); their ``payload_bytes`` is the size asked
for and their metadata the module's bytes, function count and sha256. One operation can take
seconds there, so these scenarios declare their own pyperf defaults (``Scenario.defaults``):
few processes, ``loops=1``, no warm-up value (each worker validates by running the very same
operation first, which warms it), and check the answer of the last timed operation after
each value rather than running one more (``Workload.validate_last``).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import guest
from guest import generated
from runtimes.base import ArtifactRejected, Capability, HostFunction, Runtime
from scenarios.catalog import (
    Benchmark,
    Scenario,
    Session,
    ValidationError,
    Workload,
    named,
    reference,
    register,
    register_summary,
)
from scenarios.families.lifecycle import figures as lifecycle_analysis
from scenarios.families.lifecycle import startup
from scenarios.orchestrate import hosts

GUEST = "article"
ARTICLE = {"add_numbers": "(i32, i32) -> i32"}
X = 7  # the input of run(x) on generated modules (its reference answer is stored with them)
SMALL_MODULE = 10 << 10  # the generated module instantiate uses, with and without imports
HOST_IMPORTS = 8
WARM_CALLS = 100  # calls before the one timed as "steady"
FRESH_INSTANCES = 256  # per value of first_call: each timed call is on a new instance
ANY = frozenset({Capability.ANY_MODULE})
LONG = {"processes": 3, "values": 2, "warmups": 0, "loops": 1, "call_timeout": 600}
BIG_MODULE = 1 << 20  # from this size one value per process: each is a cold compile of seconds


def _module_defaults(size: int) -> dict[str, int]:
    return {"values": 1} if size >= BIG_MODULE else {}


def _run_entry(runtime: Runtime, x: int = X) -> Callable[[Any], int]:
    """Instantiate a compiled module and return ``run(x)``: the proof that it works."""
    return lambda module: runtime.instantiate(module).export("run")(x)


def _module_metadata(size: int, imports: int = 0) -> Callable[[], dict]:
    return lambda: generated.module(size, imports).describe()


# --- cold_start ------------------------------------------------------------------------------

def _child(cmd: list[str]) -> str:
    return hosts.run_fresh(cmd, timeout=600).strip()


def _cold_start(phase: str) -> Callable[[Session], Workload]:
    def prepare(session: Session) -> Workload:
        rt = session.runtime
        cmd = [sys.executable, "-m", "scenarios.families.lifecycle.startup", phase]
        expect = "ready"
        if phase != "interpreter":
            cmd.append(rt.name)
            expect = f"{rt.info.package} {rt.info.version}"
        if phase == "first_call":
            cmd.append(str(guest.get(GUEST).path))
            expect = str(reference.add_i32(10, 20))
        return Workload("said = start_process()",
                        {"start_process": functools.partial(_child, cmd)}, result="said",
                        expect=expect, validate_last=True)
    return prepare


register(Scenario(
    "cold_start", "a fresh process: start Python; + import the runtime; + load the guest and "
    "call it once (process wall time)",
    frozenset(),
    lambda: [Benchmark(f"cold_start/{phase}", "cold_start", _cold_start(phase), inner_loops=1,
                       guest=GUEST if phase == "first_call" else None)
             for phase in startup.PHASES],
    (GUEST,), ARTICLE,
    defaults={"processes": 4, "values": 5, "warmups": 1, "loops": 1},
    profile_defaults={"full": {"processes": 3, "values": 3}}))


# --- compile ---------------------------------------------------------------------------------

def _compile(size: int) -> Callable[[Session], Workload]:
    def prepare(session: Session) -> Workload:
        m = generated.module(size)
        rt = session.runtime
        return Workload("module = compile(wasm)",
                        {"compile": rt.compile, "wasm": m.wasm, "run": _run_entry(rt)},
                        result="run(module)", expect=m.expected(X), validate_last=True)
    return prepare


register(Scenario(
    "compile", "bytes to a compiled module, cold (no cache), against module size "
    "(generated modules)",
    frozenset(),  # ANY_MODULE per benchmark, so a runtime without it lists each as such
    lambda: [Benchmark(f"compile/{n}", "compile", _compile(n), n, inner_loops=1, requires=ANY,
                       lazy_metadata=_module_metadata(n), sized_module=True,
                       defaults=_module_defaults(n)) for n in generated.sizes()],
    defaults=LONG, headline=lambda bench: True))


# --- instantiate -----------------------------------------------------------------------------

def _instantiate_article(session: Session) -> Workload:
    return Workload("instance = instantiate(module)",
                    {"instantiate": session.runtime.instantiate, "module": session.module(GUEST)},
                    result='instance.export("add_numbers")(10, 20)',
                    expect=reference.add_i32(10, 20))


def host_imports(count: int) -> dict[str, dict[str, HostFunction]]:
    return {"env": {f"h{k}": HostFunction(generated.host_function(k), ("i32",), ("i32",))
                    for k in range(count)}}


def _instantiate_generated(imports: int) -> Callable[[Session], Workload]:
    def prepare(session: Session) -> Workload:
        m = generated.module(SMALL_MODULE, imports)
        rt = session.runtime
        return Workload("instance = instantiate(module, imports)",
                        {"instantiate": rt.instantiate, "module": rt.compile(m.wasm),
                         "imports": host_imports(imports) if imports else None},
                        result=f'instance.export("run")({X})', expect=m.expected(X))
    return prepare


register(Scenario(
    "instantiate", "an instance from an already compiled module (a fresh store each), "
    "with and without host imports",
    frozenset(),
    lambda: [
        Benchmark("instantiate/article", "instantiate", _instantiate_article, guest=GUEST,
                  inner_loops=1),
        Benchmark("instantiate/no_imports", "instantiate", _instantiate_generated(0),
                  inner_loops=1, requires=ANY, lazy_metadata=_module_metadata(SMALL_MODULE)),
        Benchmark("instantiate/host_imports", "instantiate",
                  _instantiate_generated(HOST_IMPORTS), inner_loops=1,
                  requires=ANY | {Capability.HOST_IMPORTS},
                  lazy_metadata=_module_metadata(SMALL_MODULE, HOST_IMPORTS)),
    ],
    (GUEST,), ARTICLE, defaults={"processes": 10},
    profile_defaults={"quick": {"processes": 3}, "full": {"processes": 3}},
    headline=named("instantiate/article")))


# --- first_call ------------------------------------------------------------------------------

def _first_call(warm_calls: int) -> Callable[[Session], Workload]:
    """Time one add_numbers call on a fresh instance, after ``warm_calls`` untimed calls."""
    def prepare(session: Session) -> Workload:
        new = functools.partial(session.runtime.instantiate, session.module(GUEST))

        def warm(f: Callable[[int, int], int]) -> None:
            for _ in range(warm_calls):
                f(10, 20)

        return Workload("total = add_numbers(a, b)",
                        {"new_instance": new, "warm": warm, "a": 10, "b": 20},
                        result="total", expect=reference.add_i32(10, 20),
                        before_each='instance = new_instance(); '
                                    'add_numbers = instance.export("add_numbers"); '
                                    'warm(add_numbers)')
    return prepare


register(Scenario(
    "first_call", f"the first call on a fresh instance against a steady one (after "
    f"{WARM_CALLS} calls), each timed alone",
    frozenset(),
    lambda: [Benchmark("first_call/first", "first_call", _first_call(0), guest=GUEST,
                       inner_loops=1),
             Benchmark("first_call/steady", "first_call", _first_call(WARM_CALLS), guest=GUEST,
                       inner_loops=1)],
    (GUEST,), ARTICLE,
    # The timed part is one call (0.05-50 us) but every one needs a fresh instance, so the
    # number of instances per value is fixed rather than calibrated: calibrating a 130 ns call
    # to even 2 ms asks for 16,384 instances per value, and pywasm3, which frees none until the
    # process ends, grew a worker to 14.5 GB until the kernel killed it (full run, 2026-12-01).
    defaults={"processes": 10, "loops": FRESH_INSTANCES},
    profile_defaults={"full": {"processes": 3}}))


# --- cache -----------------------------------------------------------------------------------

class _Folders:
    """Temporary folders for one workload, removed with it (or at exit)."""

    def __init__(self) -> None:
        self._root = tempfile.TemporaryDirectory(prefix="wasm-interop-cache-")
        self._count = itertools.count()
        self._last: Path | None = None

    @property
    def root(self) -> Path:
        return Path(self._root.name)

    def fresh(self) -> Path:
        """A new empty folder; the previous one is removed (untimed, in a workload's setup)."""
        if self._last is not None:
            shutil.rmtree(self._last, ignore_errors=True)
        self._last = self.root / str(next(self._count))
        return self._last


def _files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def _cache_compile_each(m: generated.GeneratedModule, session: Session) -> Workload:
    rt = session.runtime
    return Workload("answer = run(compile(wasm))",
                    {"compile": rt.compile, "wasm": m.wasm, "run": _run_entry(rt)},
                    result="answer", expect=m.expected(X), validate_last=True)


def _precompiled(m: generated.GeneratedModule, session: Session) -> Any:
    """The module compiled: from the cell's shared artifact where the runtime can serialize
    (one cold compile per cell instead of one per process), else compiled here. A runtime
    that rejects its own artifacts (a defeated cache) compiles here: reusing a compiled module
    must not depend on serialization."""
    rt = session.runtime
    if rt.supports({Capability.SERIALIZE}):
        with contextlib.suppress(ArtifactRejected):
            return rt.deserialize(session.artifact(m.wasm))
    return rt.compile(m.wasm)


def _cache_reuse(m: generated.GeneratedModule, session: Session) -> Workload:
    rt = session.runtime
    return Workload("answer = run(module)",
                    {"module": _precompiled(m, session), "run": _run_entry(rt)},
                    result="answer", expect=m.expected(X), validate_last=True)


def _cache_deserialize(m: generated.GeneratedModule, session: Session) -> Workload:
    rt = session.runtime
    return Workload("answer = run(deserialize(artifact))",
                    {"deserialize": rt.deserialize, "artifact": session.artifact(m.wasm),
                     "run": _run_entry(rt)},
                    result="answer", expect=m.expected(X), validate_last=True)


def _cache_deserialize_file(m: generated.GeneratedModule, session: Session) -> Workload:
    rt = session.runtime
    folders = _Folders()
    path = folders.root / "module.artifact"
    # Written once and never rewritten: wasmtime maps the file into live modules.
    path.write_bytes(session.artifact(m.wasm))
    return Workload("answer = run(deserialize_file(path))",
                    {"deserialize_file": rt.deserialize_file, "path": path,
                     "run": _run_entry(rt), "keep": folders},
                    result="answer", expect=m.expected(X), validate_last=True)


def _load(runtime: Runtime, wasm: bytes) -> int:
    return runtime.instantiate(runtime.compile(wasm)).export("run")(X)


def _cache_disk_miss(m: generated.GeneratedModule, session: Session) -> Workload:
    rt = session.runtime
    folders = _Folders()
    return Workload("answer = load(engine, wasm)",
                    {"load": _load, "wasm": m.wasm, "keep": folders,
                     "fresh_engine": lambda: rt.with_disk_cache(folders.fresh())},
                    result="answer", expect=m.expected(X), before_each="engine = fresh_engine()",
                    validate_last=True)


def _cache_disk_hit(m: generated.GeneratedModule, session: Session) -> Workload:
    rt = session.runtime

    def fill(folder: Path) -> None:  # the miss that fills the cache, once per cell
        folder.mkdir()
        _load(rt.with_disk_cache(folder), m.wasm)
        if not _files(folder):
            raise ValidationError(f"the on-disk cache stored nothing in {folder} on a miss: "
                                  "every load will compile")

    folders = _Folders()
    cache = folders.root / "cache"
    shutil.copytree(session.made(f"{m.sha256}.disk-cache", fill), cache)
    return Workload("answer = load(engine, wasm)",
                    {"load": _load, "wasm": m.wasm, "keep": folders,
                     "fresh_engine": lambda: rt.with_disk_cache(cache)},
                    result="answer", expect=m.expected(X), before_each="engine = fresh_engine()",
                    validate_last=True)


# mechanism -> (prepare, capability needed, what it is). ``compile_each`` is the cold path the
# others are measured against (``lifecycle_analysis.COLD_PATH``); ``disk_miss`` is a miss, not
# judged.
CACHE_MECHANISMS: dict[str, tuple[Callable[[generated.GeneratedModule, Session], Workload],
                                  Capability | None, str]] = {
    "compile_each": (_cache_compile_each, None,
                     "compile + instantiate every time (the seed's mistake)"),
    "reuse": (_cache_reuse, None, "compile once, instantiate many"),
    "deserialize": (_cache_deserialize, Capability.SERIALIZE,
                    "deserialize a serialized module from bytes + instantiate"),
    "deserialize_file": (_cache_deserialize_file, Capability.DESERIALIZE_FILE,
                         "deserialize a serialized module from a file + instantiate"),
    "disk_miss": (_cache_disk_miss, Capability.DISK_CACHE,
                  "fresh engine, empty on-disk cache: compile and store + instantiate"),
    "disk_hit": (_cache_disk_hit, Capability.DISK_CACHE,
                 "fresh engine, warm on-disk cache: load + instantiate"),
}


def _cache(mechanism: str, size: int) -> Callable[[Session], Workload]:
    def prepare(session: Session) -> Workload:
        return CACHE_MECHANISMS[mechanism][0](generated.module(size), session)
    return prepare


def _cache_benchmarks() -> list[Benchmark]:
    return [Benchmark(f"cache/{mechanism}/{n}", "cache", _cache(mechanism, n), n,
                      inner_loops=1, requires=ANY | ({cap} if cap else set()),
                      metadata={"cache_mechanism": mechanism},
                      lazy_metadata=_module_metadata(n), sized_module=True,
                      compiles_each_value=mechanism in COLD_MECHANISMS,
                      defaults=_module_defaults(n))
            for n in generated.sizes()
            for mechanism, (_, cap, _) in CACHE_MECHANISMS.items()]


def _cache_headline(bench: Benchmark) -> bool:
    """The largest module, compiled each time against the hits a program would use."""
    return (bench.payload_bytes == max(generated.sizes())
            and bench.metadata["cache_mechanism"] in QUICK_MECHANISMS)


QUICK_MECHANISMS = ("compile_each", "deserialize")
COLD_MECHANISMS = ("compile_each", "disk_miss")  # every value compiles


register(Scenario(
    "cache", "load a working instance through each cache mechanism, against compiling every "
    "time; speed-ups and 'cache ineffective' flags in lifecycle.json",
    frozenset(), _cache_benchmarks, defaults=LONG, headline=_cache_headline))
register_summary("lifecycle", lifecycle_analysis.run_summary, lifecycle_analysis.notes)
