"""Lifecycle scenarios: each benchmark validates on every runtime that can do it, declares what
it needs and records which module it measured."""

from __future__ import annotations

from pathlib import Path

import pytest

import runtimes
from guest import generated
from runtimes.base import Capability
from scenarios import catalog
from scenarios.catalog import Session
from scenarios.families.lifecycle import startup
from scenarios.harness.bench import check

LIFECYCLE = ("cold_start", "compile", "instantiate", "first_call", "cache")


@pytest.fixture
def small_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(generated.SIZES_ENV, "10240")


def available() -> list[str]:
    return [n for n in runtimes.names() if runtimes.get(n).availability().available]


@pytest.mark.usefixtures("small_modules")
@pytest.mark.parametrize("name", available())
def test_every_lifecycle_benchmark_validates_or_is_declared_unsupported(name: str) -> None:
    runtime = runtimes.get(name)()
    session = Session(runtime)
    ran = 0
    for scenario in LIFECYCLE:
        sc = catalog.get(scenario)
        for bench in sc.benchmarks():
            if runtime.supports(sc.requires | bench.requires):
                _, timed, recheck = check(runtime, bench, session)
                assert timed(1) > 0, bench.name
                recheck()
                ran += 1
    assert ran >= 6  # cold_start and first_call need nothing a runtime may lack


@pytest.mark.usefixtures("small_modules")
def test_benchmarks_declare_what_they_need_and_record_their_module() -> None:
    cache = {b.name: b for b in catalog.get("cache").benchmarks()}
    assert list(cache) == [f"cache/{m}/10240" for m in (
        "compile_each", "reuse", "deserialize", "deserialize_file", "disk_miss", "disk_hit")]
    assert cache["cache/deserialize/10240"].requires == {Capability.ANY_MODULE,
                                                          Capability.SERIALIZE}
    assert cache["cache/disk_hit/10240"].requires == {Capability.ANY_MODULE,
                                                       Capability.DISK_CACHE}
    assert cache["cache/reuse/10240"].requires == {Capability.ANY_MODULE}
    (comp,) = catalog.get("compile").benchmarks()
    assert comp.payload_bytes == 10240 and comp.inner_loops == 1
    assert comp.requires == {Capability.ANY_MODULE}
    meta = comp.lazy_metadata()
    assert meta["module_bytes"] <= 10240 and meta["module_functions"] > 10
    assert len(meta["module_sha256"]) == 64
    assert cache["cache/disk_hit/10240"].metadata == {"cache_mechanism": "disk_hit"}


def test_default_module_sizes_reach_8_mib_and_an_option_reaches_50() -> None:
    assert generated.DEFAULT_SIZES[0] <= 10 * 1024 and generated.DEFAULT_SIZES[-1] >= 8 << 20
    assert generated.parse_sizes("10K,50M,1M") == (10240, 1 << 20, 50 << 20)


def test_long_scenarios_declare_few_processes_and_one_loop() -> None:
    for name in ("compile", "cache"):
        d = catalog.get(name).defaults
        assert d["loops"] == 1 and d["processes"] <= 3 and d["call_timeout"] >= 600


def test_the_startup_child_speaks_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert startup.main(["interpreter"]) == 0
    assert capsys.readouterr().out == "ready\n"
    assert startup.main(["nonsense"]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.usefixtures("small_modules")
@pytest.mark.parametrize("name", [n for n in available()
                                  if runtimes.get(n)().supports({Capability.SERIALIZE})])
def test_a_cells_processes_compile_a_cache_benchmarks_module_once(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cell's main process leaves the compiled artifact (and the warm disk cache) in the
    shared folder; a worker's session prepares every cache benchmark from them, compiling only
    what it times, and still validates."""
    runtime = runtimes.get(name)()
    compiles: list[int] = []
    real = runtime.compile
    monkeypatch.setattr(runtime, "compile", lambda wasm: compiles.append(1) or real(wasm))
    benches = {b.name.split("/")[1]: b for b in catalog.get("cache").benchmarks()
               if runtime.supports(b.requires)}
    for bench in benches.values():  # the main process: validates each one
        check(runtime, bench, Session(runtime, tmp_path))
    first = len(compiles)
    assert list(tmp_path.glob(f"{name}/*.artifact"))
    assert bool(list(tmp_path.glob(f"{name}/*.disk-cache/*"))) == ("disk_hit" in benches)
    for mechanism, bench in benches.items():  # a worker: a new session on the same folder
        before = len(compiles)
        _, timed, recheck = check(runtime, bench, Session(runtime, tmp_path))
        timed(1)
        recheck()
        # compile_each compiles to validate and once per value; a disk miss compiles inside
        # with_disk_cache's engine (runtime.compile is that engine's own), others not at all
        assert len(compiles) - before == (2 if mechanism == "compile_each" else 0), mechanism
    assert first >= 2
