"""The component family validates against the reference where it can run, reads "not
supported" elsewhere, catches wrong answers, and pairs each component benchmark with its
hand-written counterpart."""

from __future__ import annotations

import pytest

from runtimes.conformance import available_runtime
from scenarios import catalog
from scenarios.catalog import Session, ValidationError, Workload
from scenarios.families.component import workloads
from scenarios.families.interop import callbacks
from scenarios.harness.bench import check

SCENARIOS = (workloads.CANONICAL, workloads.BY_HAND)


@pytest.mark.parametrize("name", ["wasmtime", "wasmtime-raw", "python"])
def test_every_benchmark_validates_where_the_runtime_can_run_it(name: str) -> None:
    runtime = available_runtime(name)()
    session = Session(runtime)
    ran = []
    for scenario in map(catalog.get, SCENARIOS):
        if not runtime.supports(scenario.requires):
            continue
        for bench in scenario.benchmarks():
            _, timed, recheck = check(runtime, bench, session)
            assert timed(1) > 0, bench.name
            recheck()
            ran.append(bench.name)
    by_hand = [b.name for b in catalog.get(workloads.BY_HAND).benchmarks()]
    canonical = [b.name for b in catalog.get(workloads.CANONICAL).benchmarks()]
    assert ran == (canonical + by_hand if name == "wasmtime" else by_hand)


def test_only_a_runtime_declaring_components_runs_the_canonical_abi() -> None:
    needs = catalog.get(workloads.CANONICAL).requires
    assert available_runtime("wasmtime")().supports(needs)
    for name in ("wasmtime-raw", "python"):
        assert not available_runtime(name)().supports(needs)


def test_every_canonical_benchmark_names_a_real_counterpart() -> None:
    every = {b.name for sc in catalog.all_scenarios().values() for b in sc.benchmarks()}
    for bench in catalog.get(workloads.CANONICAL).benchmarks():
        assert bench.metadata["core_benchmark"] in every, bench.name
        assert bench.guest == workloads.COMPONENT
    assert workloads.N_CALLS == callbacks.N_CALLS  # the callback pairs with host_call/add


def test_the_headlines_are_the_issues_closing_figures_and_their_counterparts() -> None:
    quick = {sc: [b.name for b in catalog.get(sc).benchmarks(headline_only=True)]
             for sc in SCENARIOS}
    assert quick[workloads.CANONICAL] == [
        "canonical_abi/no_op", "canonical_abi/string/1024", "canonical_abi/list_s32/1024",
        "canonical_abi/list_u8/1024", "canonical_abi/callback"]
    # by hand, the quick profile has the scorecard's counterpart only (the lists in full)
    assert quick[workloads.BY_HAND] == ["hand_marshalled/string/1024"]


def test_the_core_guest_exports_what_the_hand_written_path_declares() -> None:
    assert catalog.get(workloads.BY_HAND).export_problem() is None


@pytest.mark.parametrize("bench_name", ["canonical_abi/string/16", "canonical_abi/callback",
                                        "hand_marshalled/list_u8/16"])
def test_a_wrong_answer_is_caught(bench_name: str) -> None:
    """The same workloads with their expected answer spoiled fail validation, by name."""
    runtime = available_runtime("wasmtime")()
    scenario = catalog.get(bench_name.split("/")[0])
    bench = next(b for b in scenario.benchmarks() if b.name == bench_name)

    def spoiled(session: Session) -> Workload:
        work = bench.prepare(session)
        work.expect = ("not", work.expect)
        return work

    with pytest.raises(ValidationError, match="wrong answer"):
        check(runtime, catalog.Benchmark(bench.name, bench.scenario, spoiled), Session(runtime))
