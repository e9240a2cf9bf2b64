"""Stopping runaway guests through the real command: every runtime (the shared full run),
bounded time, honest files (a guest that misbehaves: test_bad_compute)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyperf
import pytest

from tests.runs import by_runtime

pytestmark = pytest.mark.e2e

SCENARIOS = ("interrupt_latency", "interrupt_overhead", "recovery")
WASMER = ("wasmer-cranelift", "wasmer-singlepass")


@pytest.fixture(scope="module")
def run(full_run: tuple[Path, dict[str, Any], str]
        ) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """The full run's interruption scenarios (``--runtime all``, one value each), and the
    interruption.json it wrote."""
    run_dir, manifest, _ = full_run
    assert manifest["summaries"]["interruption"] == "interruption.json"
    return run_dir, manifest, json.loads((run_dir / "interruption.json").read_text())


def _rows(summary: dict[str, Any], table: str, runtime: str) -> dict[tuple, dict[str, Any]]:
    keys = {"latency": ("mechanism", "deadline_ms"), "overhead": ("workload", "mechanism"),
            "recovery": ("mechanism",)}[table]
    return {tuple(r[k] for k in keys): r for r in summary[table] if r["runtime"] == runtime}


def test_every_runtime_completes_every_mechanism_it_has(run: tuple) -> None:
    _, manifest, _ = run
    assert manifest["complete"]
    cells = {n: e["scenarios"] for n, e in by_runtime(manifest).items()}
    assert {"wasmtime", *WASMER, "python"} <= set(cells), manifest["unavailable"]
    for runtime, scenarios in cells.items():
        for name in SCENARIOS:
            cell = scenarios[name]
            # overhead needs an in-runtime mechanism: wasmtime and v8 have one
            in_runtime = runtime in ("wasmtime", "v8")
            want = "unsupported" if name == "interrupt_overhead" and not in_runtime else "ok"
            assert cell["status"] == want, (runtime, name, cell)
    wasmer = cells["wasmer-cranelift"]["interrupt_latency"]["benchmarks"]
    epoch = wasmer["interrupt_latency/epoch/10ms"]
    assert (epoch["status"], epoch["detail"]) == ("unsupported", "needs epoch_interruption")
    assert epoch["metadata"] == {"deadline_ms": 10, "mechanism": "epoch"}
    assert wasmer["interrupt_latency/kill/10ms"]["status"] == "ok"
    assert cells["python"]["interrupt_overhead"]["detail"] == \
        "needs one of epoch_interruption, fuel"


def test_support_matrix(run: tuple) -> None:
    _, _, summary = run
    rows = {r["runtime"]: r for r in summary["support"]}
    assert rows["wasmtime"]["stop"] == "in-runtime: epoch, fuel"
    assert all(rows["wasmtime"][m]["status"] == "supported" for m in ("epoch", "fuel", "kill"))
    for name in (*WASMER, "python"):
        assert rows[name]["stop"] == "only by killing the process"
        assert rows[name]["epoch"]["status"] == rows[name]["fuel"]["status"] == "not supported"
        assert rows[name]["kill"]["status"] == "supported"


def test_latency_rows_say_what_surfaced(run: tuple) -> None:
    _, _, summary = run
    wasmtime = _rows(summary, "latency", "wasmtime")
    for ms in (1, 10, 100):
        epoch, kill = wasmtime[("epoch", ms)], wasmtime[("kill", ms)]
        assert (epoch["exception"], epoch["trap_code"]) == ("wasmtime._trap.Trap", "INTERRUPT")
        assert kill["detail"] == "process ended by SIGKILL" and kill["trap_code"] is None
        assert epoch["n"] == kill["n"] == 1 and 0 < epoch["median"] <= epoch["max"]
    for name in (*WASMER, "python"):
        assert set(_rows(summary, "latency", name)) == {(m, ms) for m in ("floor", "kill")
                                                        for ms in (1, 10, 100)}
    assert wasmtime[("floor", 10)]["detail"] == "nothing to stop: the alarm alone"


def test_overhead_and_recovery_rows(run: tuple) -> None:
    _, _, summary = run
    overhead = _rows(summary, "overhead", "wasmtime")
    assert set(overhead) == {(w, m) for w in ("fib", "churn") for m in ("epoch", "fuel")}
    assert all(r["ratio"] > 0 and r["ci_low"] is None for r in overhead.values())  # one value
    assert not _rows(summary, "overhead", "wasmer-cranelift")
    recovery = _rows(summary, "recovery", "wasmtime")
    assert {k[0]: r["outcome"] for k, r in recovery.items()} == {
        "epoch": "reuse", "fuel": "reuse", "kill": "restart"}
    assert recovery[("fuel",)]["trap_code"] == "OUT_OF_FUEL"
    assert {k[0]: r["outcome"] for k, r in _rows(summary, "recovery", "python").items()} == {
        "kill": "restart"}


def test_pyperf_files_hold_one_operation_per_value(run: tuple) -> None:
    run_dir, manifest, _ = run
    entry = next(e for e in manifest["runtimes"].values() if e["runtime"] == "wasmtime")
    suite = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"]))
    bench = suite.get_benchmark("interrupt_latency/epoch/10ms")
    meta = bench.get_metadata()
    assert (meta["loops"], meta["mechanism"], meta["deadline_ms"]) == (1, "epoch", 10)
    assert meta["guest_compute_sha256"] == manifest["guests"]["compute"]["sha256"]
    assert suite.get_benchmark("interrupt_overhead/churn/fuel").get_metadata()["argument"] == \
        300_000
