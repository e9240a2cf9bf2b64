"""The memory workloads: readings taken once per cell and replayed as values, facts from the
first, bytes kept above zero for pyperf; the quick profile runs the per-instance fit only."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

import runtimes
from scenarios import catalog
from scenarios.catalog import Session, ValidationError
from scenarios.families.memory import workloads
from scenarios.orchestrate import hosts


class FakeProbe:
    """Answers of successive fresh processes: 100, 200, 300, ... bytes."""

    def __init__(self) -> None:
        self.specs: list[dict[str, Any]] = []

    def __call__(self, spec: dict[str, Any]) -> dict[str, Any]:
        self.specs.append(spec)
        return {"value": 100.0 * len(self.specs), "seen": len(self.specs)}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeProbe:
    probe = FakeProbe()
    monkeypatch.setattr(workloads, "probe", probe)
    return probe


def _workload(shared: Path, count: int = 3) -> Any:
    prepare = workloads.measured("x", lambda s: {"kind": "engine"},
                                 lambda a: {"first": a["seen"]}, parallel=1, count=count)
    return prepare(Session(runtimes.get("python")(), shared))


def test_the_first_process_reads_once_and_workers_replay(fake: FakeProbe, tmp_path: Path
                                                         ) -> None:
    main = _workload(tmp_path)
    assert main.measure(1) == 100.0  # validation: the first reading
    assert main.facts == {"first": 1} and len(fake.specs) == 3
    worker = _workload(tmp_path)
    assert worker.measure(1) == 100.0  # its validation peeks
    assert [worker.measure(1) for _ in range(3)] == [100.0, 200.0, 300.0]
    assert len(fake.specs) == 3  # nothing read again
    assert worker.measure(1) == 400.0  # a value beyond the readings: a new fresh process


def test_a_figure_at_or_below_zero_is_one_byte() -> None:
    assert workloads.positive(-5.0) == 1.0
    assert workloads.positive(0.0) == 1.0
    assert workloads.positive(4096.0) == 4096.0


def test_a_failed_reading_is_a_validation_error(tmp_path: Path) -> None:
    spec = {"kind": "nonsense", "runtime": "python", "guest": "none"}
    with pytest.raises(ValidationError, match="exited with 1"):
        workloads.probe(spec)


def test_quick_runs_only_the_per_instance_fit() -> None:
    memory = catalog.get("memory")
    assert [b.name for b in memory.benchmarks(headline_only=True)] == [workloads.HEADLINE]
    assert catalog.get("forgetful_host").headline is None  # full profile only
    for bench in [*memory.benchmarks(), *catalog.get("forgetful_host").benchmarks()]:
        assert bench.metadata["unit"] == "byte"


def test_a_runtime_that_keeps_instances_drops_fewer(fake: FakeProbe, tmp_path: Path) -> None:
    keeps = runtimes.get("pywasm3")
    assert not keeps.frees_instances and keeps.keeps_instances_reason
    assert runtimes.get("wasmtime").frees_instances

    spec = workloads._drop(Session(Keeping(), tmp_path))  # type: ignore[arg-type]
    assert spec["count"] == workloads.DROP_COUNT_KEEPING


def test_a_reading_process_killed_by_the_kernel_is_recorded_not_fatal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An OOM kill of the reading process is a validation error naming the signal: the
    harness records the benchmark invalid and the run goes on."""
    killed = subprocess.CompletedProcess([], -9, "", "")
    monkeypatch.setattr(hosts.subprocess, "run", lambda *a, **k: killed)
    with pytest.raises(ValidationError, match="killed by signal 9"):
        workloads.probe({"kind": "leak"})


class Keeping:
    """A runtime declaring that it never frees an instance (as pywasm3 does)."""

    name = "keeping"
    frees_instances = False
    keeps_instances_reason = "no finalizer"


def test_the_drop_says_why_a_runtime_keeps_its_instances(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    answer = {"value": 5.0, "instances": 100, "live": 10, "after": 10, "stopped": ""}
    monkeypatch.setattr(workloads, "probe", lambda spec: answer)
    work = workloads._drop_workload(Session(Keeping(), tmp_path))  # type: ignore[arg-type]
    assert work.measure(1) == 5.0
    assert work.facts["keeps_instances"] == "no finalizer"
    assert work.facts["frees_instances"] is False and work.facts["after"] == 10
