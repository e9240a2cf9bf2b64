"""The two-way scenarios validate on every seed runtime, catch wrong answers, and say
"not supported" exactly where a runtime lacks a memory access path."""

from __future__ import annotations

import pytest

from runtimes.conformance import available_runtime
from scenarios import catalog
from scenarios.catalog import NotSupported, Session, ValidationError
from scenarios.families.interop import callbacks, memory
from scenarios.harness.bench import check
from tests import fakes

INTEROP = ("host_call", "return_buffer", "arg_shapes", "memory_access", "memory_grow")
SEED = ("python", "wasmtime", "wasmer-cranelift", "wasmer-singlepass")
MAX_BYTES = 64 * 1024


@pytest.mark.parametrize("name", SEED)
def test_every_benchmark_validates_or_is_not_supported(name: str) -> None:
    runtime = available_runtime(name)()
    session = Session(runtime)
    unsupported = []
    for scenario in INTEROP:
        for bench in catalog.get(scenario).benchmarks(MAX_BYTES):
            try:
                _, timed, recheck = check(runtime, bench, session)
            except NotSupported:
                unsupported.append(bench.name)
                continue
            assert timed(1) > 0, bench.name
            recheck()
    offered = session.instance(memory.GUEST).memory().access_paths()
    assert unsupported == [b.name for b in catalog.get("memory_access").benchmarks(MAX_BYTES)
                           if b.metadata["memory_path"] not in offered]
    assert set(offered) >= {"api", "memoryview", "memoryview_cached"}


@pytest.mark.parametrize("scenario", INTEROP)
def test_the_committed_guests_export_what_each_scenario_declares(scenario: str) -> None:
    assert catalog.get(scenario).exports
    assert catalog.get(scenario).export_problem() is None


@pytest.mark.parametrize(("bench_name", "complaint"), [
    ("host_call/noop", "got (499500, 999), expected (499500, 1000)"),
    ("host_call/log/16", "got (499500, 1000, b'The quick brown'), expected (499500, 1000, "),
    ("return_buffer/64", "bytes differ from offset 1"),
    ("arg_shapes/f64x4", ", expected "),
    ("memory_grow/guest", "grow(1) returned 18 and left 18 pages"),
])
def test_wrong_answers_are_caught(bench_name: str, complaint: str) -> None:
    runtime = fakes.WrongAnswer()
    scenario = catalog.get(bench_name.split("/")[0])
    bench = next(b for b in scenario.benchmarks() if b.name == bench_name)
    with pytest.raises(ValidationError, match="wrong answer") as info:
        check(runtime, bench, Session(runtime))
    assert complaint in str(info.value)


def test_the_right_fakes_pass_where_only_larger_inputs_are_wrong() -> None:
    runtime = fakes.WrongAnswer()
    for name in ("return_buffer/16", "arg_shapes/f32x4", "host_call/add", "memory_grow/host"):
        bench = next(b for b in catalog.get(name.split("/")[0]).benchmarks() if b.name == name)
        check(runtime, bench, Session(runtime))


def test_metadata_lets_the_derived_figures_be_computed_from_results_alone() -> None:
    benches = catalog.get("host_call").benchmarks()
    calls = {b.name: b.metadata for b in benches}
    assert all(m["n_calls"] == callbacks.N_CALLS and m["baseline_benchmark"] in calls
               for m in calls.values())
    # a log benchmark's payload is every byte the host reads during one timed guest call
    assert {b.name: b.payload_bytes for b in benches if b.payload_bytes} == {
        f"host_call/log/{n}": n * callbacks.N_CALLS for n in callbacks.LOG_SIZES}
    assert calls["host_call/log/1024"]["bytes_per_callback"] == 1024
    assert calls[callbacks.NO_IMPORT]["host_import"] == "none"
    shapes = [b.metadata for b in catalog.get("arg_shapes").benchmarks()]
    assert {(m["arg_type"], m["arg_count"]) for m in shapes} >= {
        ("none", 0), ("i32", 1), ("i32", 4), ("i32", 8), ("i32", 16), ("i64", 16), ("f32", 4),
        ("f64", 1)}
    for b in catalog.get("memory_access").benchmarks():
        path, direction, size = b.name.split("/")[1:]
        assert b.metadata == {"memory_path": path, "memory_direction": direction,
                              "memory_cached": int(path == "memoryview_cached")}
        assert b.payload_bytes == int(size)
