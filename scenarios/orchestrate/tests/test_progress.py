"""The plan's estimate and the progress lines of a run (no processes: the plan is data)."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest

from scenarios import catalog
from scenarios.catalog import profiles
from scenarios.orchestrate import progress
from scenarios.record.manifest import PlanEntry

INFO = {"capabilities": ["memory", "host_imports"]}


def _plan(profile: str = "quick", pyperf_args: tuple[str, ...] = ()) -> progress.Plan:
    scenarios = [catalog.get(n) for n in ("no_op", "reverse_string", "host_call", "compile")]
    return progress.Plan.build([PlanEntry("rt", "cpython-x", "/py/x", INFO)], scenarios,
                               profiles.get(profile), None, pyperf_args)


def test_a_row_on_a_further_interpreter_plans_only_its_scenarios() -> None:
    scenarios = [catalog.get(n) for n in ("no_op", "compile")]
    pairs = [PlanEntry("rt", "cpython-3.10.13", "/py/a", INFO),
             PlanEntry("rt", "cpython-3.13.0", "/py/b", INFO, only=["no_op"])]
    plan = progress.Plan.build(pairs, scenarios, profiles.get("quick"), None, ())
    assert [(c.interpreter, c.scenario) for c in plan.cells] == [
        ("cpython-3.10.13", "no_op"), ("cpython-3.10.13", "compile"),
        ("cpython-3.13.0", "no_op")]


def test_a_cell_the_runtime_cannot_run_costs_nothing_and_is_marked() -> None:
    cells = {c.scenario: c for c in _plan().cells}
    assert not cells["host_call"].declined and cells["host_call"].seconds > 0
    # compile needs any_module per benchmark: the cell runs, its benchmarks are declined
    assert cells["compile"].seconds == progress.PROCESS_START_S
    assert cells["reverse_string"].benchmarks == 2


def test_more_processes_cost_more_and_a_single_value_costs_least() -> None:
    quick, full = _plan().seconds, _plan("rigorous").seconds
    single = _plan(pyperf_args=("--debug-single-value",)).seconds
    assert single < quick < full


def test_plain_lines_count_benchmarks_and_give_an_eta() -> None:
    plan = _plan()
    out = io.StringIO()  # not a terminal: a line per cell
    with progress.Bar(plan, out=out) as bar:
        bar.begin("rt@cpython-x", "no_op")
        bar.advance(1)
        bar.finish("rt", "cpython-x", "no_op", "[rt@cpython-x] no_op ... ok 1/1 [1 s]")
    line = out.getvalue().strip()
    assert line.startswith("[rt@cpython-x] no_op ... ok 1/1 [1 s]")
    assert re.search(rf"\(1/{plan.benchmarks} benchmarks, about .+ left\)$", line)


def test_a_resumed_run_starts_from_what_was_done() -> None:
    plan = _plan()
    out = io.StringIO()
    with progress.Bar(plan, done=[("rt", "cpython-x", "reverse_string")], out=out) as bar:
        bar.finish("rt", "cpython-x", "no_op", "line")
    assert f"(3/{plan.benchmarks} benchmarks" in out.getvalue()


def test_a_benchmark_declaring_its_validation_time_is_estimated_with_it() -> None:
    """The memory readings (fresh processes, once per cell) cost what the benchmark says."""
    memory = catalog.get("memory")
    quick = profiles.get("quick")
    (bench,) = memory.benchmarks(headline_only=True)
    assert bench.validation_s > 0
    plain = dataclasses.replace(bench, validation_s=0.0)
    with_it = progress.estimate([bench], memory, quick, [])
    assert with_it - progress.estimate([plain], memory, quick, []) == pytest.approx(
        bench.validation_s - progress.ONE_OPERATION_S)
