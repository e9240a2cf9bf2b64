"""The layer scenarios: per-operation values, and a guest that skips work cannot pass."""

from __future__ import annotations

from typing import ClassVar

import pytest

from runtimes.python_baseline import FloorGuest, PythonBaseline
from scenarios import catalog
from scenarios.catalog import Session, ValidationError, reference
from scenarios.families.layers import workloads as layers
from scenarios.harness.bench import check


class _LazyFloor(FloorGuest):
    def call_loop(self, n: int) -> int:
        return super().call_loop(n - 1)  # one call short

    def reverse_repeat(self, ptr: int, length: int, reps: int) -> int:
        return super().reverse_repeat(ptr, length, reps - 2)  # same bytes, fewer passes


class LazyBaseline(PythonBaseline):
    name = "lazy"
    summary = "skips guest-side iterations"
    implementations: ClassVar[dict[str, type]] = {"floor": _LazyFloor}


def test_guest_loops_report_per_operation() -> None:
    floor = catalog.get("engine_floor").benchmarks()
    assert [b.name for b in floor] == ["engine_floor/no_calls", "engine_floor/calls"]
    assert all(b.ops_per_statement == layers.LOOP_STEPS and b.inner_loops == 1 for b in floor)
    for bench in catalog.get("guest_work").benchmarks():
        reps = bench.ops_per_statement
        assert reps == layers.reverse_reps(bench.payload_bytes)
        assert reps >= 2 and reps % 2 == 0  # the bytes end as they began, statement after statement
    assert [b.name for b in catalog.get("data_copy").benchmarks(1024)] == [
        "data_copy/16", "data_copy/64", "data_copy/256", "data_copy/1024"]


def test_reference_of_the_guest_loops() -> None:
    assert reference.mix_loop(0) == 0
    assert reference.mix_loop(3) == ((1 << 5) ^ 2)  # 0 -> 0^0=0 -> 0^1=1 -> rotl(1,5)^2
    assert reference.reverse_repeat(b"ab", 2) == ((ord("b") * 31 + ord("a")), b"ab")
    assert reference.reverse_repeat(b"", 4) == (0, b"")


@pytest.mark.parametrize("scenario", ["engine_floor", "guest_work"])
def test_a_guest_that_skips_iterations_fails_validation(scenario: str) -> None:
    runtime = LazyBaseline()
    bench = catalog.get(scenario).benchmarks(max_bytes=64)[-1]
    with pytest.raises(ValidationError, match="wrong answer"):
        check(runtime, bench, Session(runtime))
