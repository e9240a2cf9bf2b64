"""The run command's exit status: 1 only when a benchmark could not be measured because the
guest or a runtime misbehaved; declining (unsupported, unavailable) is an honest answer."""

from __future__ import annotations

import pytest

from scenarios.record import exits
from scenarios.record.manifest import BenchmarkRecord, CellRecord, Manifest, PlanEntry
from scenarios.record.status import Status


def _run(cells: dict[str, dict[str, CellRecord]]) -> Manifest:
    manifest = Manifest("run")
    for runtime, scenarios in cells.items():
        manifest.start(PlanEntry(runtime, "cpython-3.11", "python3")).scenarios.update(scenarios)
    return manifest


def _cell(*statuses: Status) -> CellRecord:
    cell = CellRecord(benchmarks={f"b{i}": BenchmarkRecord(s) for i, s in enumerate(statuses)})
    cell.settle()
    return cell


@pytest.mark.parametrize("status", sorted(Status, key=str))
def test_which_benchmark_statuses_fail_the_run(status: Status) -> None:
    failed = _run({"r": {"s": _cell(Status.OK, status)}}).failures(exits.FAILURES)
    code, line = exits.run_exit(failed)
    if status in (Status.INVALID, Status.TIMEOUT, Status.CRASHED, Status.FAILED):
        assert (code, failed) == (1, [f"r@cpython-3.11 b1 {status}"])
        assert line == (f"1 benchmark not measured: r@cpython-3.11 b1 {status} "
                        "(exit status 1; --allow-failures to accept them)")
    else:
        assert (code, line) == (0, "")


def test_declined_and_unavailable_cells_are_honest() -> None:
    manifest = _run({"gone": {"s": CellRecord(Status.UNAVAILABLE, "no wheel")},
                     "r": {"s": CellRecord.declined(["b0", "b1"], "needs fuel"),
                           "t": _cell(Status.OK, Status.UNSUPPORTED)}})
    assert exits.run_exit(manifest.failures(exits.FAILURES)) == (0, "")


def test_a_cell_that_died_before_naming_its_benchmarks_counts() -> None:
    dead = CellRecord(Status.FAILED, "failed: exit code 1")
    dead.settle()
    assert _run({"r": {"s": dead}}).failures(exits.FAILURES) == ["r@cpython-3.11 s failed"]


def test_the_line_names_the_first_few_and_allow_failures_exits_0() -> None:
    manifest = _run({"a": {"s": _cell(Status.INVALID, Status.TIMEOUT)},
                     "b": {"s": _cell(Status.CRASHED, Status.OK, Status.FAILED)}})
    failed = manifest.failures(exits.FAILURES)
    assert len(failed) == 4
    code, line = exits.run_exit(failed)
    assert code == 1 and line.startswith(
        "4 benchmarks not measured: a@cpython-3.11 b0 invalid, a@cpython-3.11 b1 timeout, "
        "b@cpython-3.11 b0 crashed and 1 more (exit status 1;")
    code, line = exits.run_exit(failed, allow_failures=True)
    assert code == 0 and line.endswith("and 1 more (exit status 0: --allow-failures)")
