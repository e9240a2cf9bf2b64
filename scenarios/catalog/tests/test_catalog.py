"""Scenario definitions: stable names, validation against the reference, honest mismatches."""

from __future__ import annotations

import subprocess
import sys

import pytest

import runtimes
from scenarios import catalog
from scenarios.catalog import NotSupported, Session, ValidationError, describe_mismatch, reference
from scenarios.harness.bench import check
from scenarios.harness.timing import compile_workload
from scenarios.orchestrate import hosts
from tests import fakes


def test_builtin_scenarios_and_stable_benchmark_names() -> None:
    scenarios = catalog.all_scenarios()
    assert list(scenarios)[:6] == ["loop_overhead", "no_op", "add_numbers", "reverse_string",
                                   "sum_array", "alloc_dealloc"]
    names = [b.name for b in scenarios["reverse_string"].benchmarks()]
    assert names[0] == "reverse_string/16" and names[-1] == "reverse_string/1048576"
    assert "sum_array/10000" in [b.name for b in scenarios["sum_array"].benchmarks()]
    assert names == [b.name for b in scenarios["reverse_string"].benchmarks()]  # deterministic


def test_scenario_order_does_not_depend_on_what_was_imported_first() -> None:
    """A caller that imports a later workload module first (the report, a test) still gets
    ``--scenario all``'s order, so manifests of every run list scenarios alike."""
    code = ("import scenarios.families.interop.memory, scenarios.families.interop.callbacks\n"
            "from scenarios import catalog\nprint(','.join(catalog.all_scenarios()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=hosts.PROJECT_ROOT).stdout.strip()
    assert out.split(",") == list(catalog.all_scenarios())
    assert out.startswith("loop_overhead,no_op,") and out.endswith(",cache,memory,forgetful_host")


def test_max_bytes_leaves_out_large_payloads() -> None:
    benches = catalog.get("sum_array").benchmarks(max_bytes=1024)
    assert [b.name for b in benches] == ["sum_array/4", "sum_array/16", "sum_array/64",
                                         "sum_array/256"]


def test_unknown_scenario_suggests_the_closest() -> None:
    with pytest.raises(catalog.UnknownScenario, match="did you mean 'no_op'"):
        catalog.get("no-op")


@pytest.mark.parametrize("scenario", list(catalog.all_scenarios()))
def test_every_benchmark_validates_on_the_python_baseline(scenario: str) -> None:
    runtime = runtimes.get("python")()
    session = Session(runtime)
    sc = catalog.get(scenario)
    runnable = [b for b in sc.benchmarks(max_bytes=64 * 1024)
                if runtime.supports(sc.requires | b.requires)]  # others: "not supported"
    if not runnable:
        pytest.skip(f"the python baseline can do none of {scenario} (it compiles nothing)")
    validated = 0
    for bench in runnable:
        try:
            _, timed, recheck = check(runtime, bench, session)
        except NotSupported:  # which ones may be is checked in test_interop_scenarios
            continue
        assert timed(1) > 0
        recheck()
        validated += 1
    assert validated or scenario == "interrupt_overhead"  # needs an interruption mechanism


def test_reference_answers() -> None:
    assert reference.add_i32(2**31 - 1, 1) == -(2**31)
    assert reference.sum_i32([2**31 - 1, 1]) == -(2**31)
    assert reference.reverse_bytes(b"abc") == b"cba"
    assert len(reference.text(1000)) == 1000 and reference.text(1000).isascii()
    assert reference.i32_array(50) == reference.i32_array(50)
    assert min(reference.i32_array(10_000)) < -(2**30) < 2**30 < max(reference.i32_array(10_000))


def test_wrong_answers_fail_validation_with_the_difference() -> None:
    runtime = fakes.WrongAnswer()
    session = Session(runtime)
    with pytest.raises(ValidationError, match="got 31, expected 30"):
        check(runtime, catalog.get("add_numbers").benchmarks()[0], session)
    big = next(b for b in catalog.get("reverse_string").benchmarks() if b.payload_bytes == 64)
    with pytest.raises(ValidationError, match="bytes differ from offset 0"):
        check(runtime, big, session)


def test_a_failing_guest_is_reported_in_the_runtimes_terms() -> None:
    runtime = runtimes.get("python")()

    def prepare(_session: Session) -> catalog.Workload:
        return catalog.Workload("r = f()", {"f": lambda: 1 // 0}, result="r")

    bench = catalog.Benchmark("boom", "boom", prepare)
    with pytest.raises(ValidationError, match="trap: ZeroDivisionError"):
        check(runtime, bench, Session(runtime))


def test_describe_mismatch() -> None:
    assert describe_mismatch(b"abcd", b"abXd") == \
        "bytes differ from offset 2: got b'cd', expected b'Xd'"
    assert describe_mismatch(b"ab", b"abc") == "got 2 bytes, expected 3"
    assert describe_mismatch(1, 2) == "got 1, expected 2"


def test_timed_statement_is_the_validated_one() -> None:
    runtime = runtimes.get("python")()
    work = catalog.get("add_numbers").benchmarks()[0].prepare(Session(runtime))
    once, _ = compile_workload(work.stmt, work.names, work.result, 10)
    assert once() == 30 and work.problem(once()) is None


def test_recheck_can_validate_the_answer_of_the_last_timed_statement() -> None:
    runtime = runtimes.get("python")()
    answers = iter([30, 30, 31])

    def prepare(_session: Session) -> catalog.Workload:
        return catalog.Workload("r = f()", {"f": lambda: next(answers)}, result="r", expect=30,
                                validate_last=True)

    _, timed, recheck = check(runtime, catalog.Benchmark("drifts", "drifts", prepare,
                                                         inner_loops=1), Session(runtime))
    timed(1)
    recheck()  # the second answer, timed, was right
    timed(1)
    with pytest.raises(ValidationError, match="wrong answer after timing: got 31"):
        recheck()


def test_scenario_defaults_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown defaults"):
        catalog.Scenario("x", "x", frozenset(), list, defaults={"procesess": 3})
