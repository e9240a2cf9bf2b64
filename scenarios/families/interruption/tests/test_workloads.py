"""The interruption scenarios in-process: real runtimes, real child processes, real traps.

What is checked is behaviour (what surfaced, what was recorded, that a wrong stop is refused),
never speed: the figures come from benchmark runs.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

import pytest

import guest
import runtimes
from runtimes.base import Capability, NotSupported, Runtime, Trap, WasmError
from runtimes.conformance import wat
from scenarios import catalog
from scenarios.catalog import Session, ValidationError
from scenarios.families.interruption import figures as interruption_summary
from scenarios.harness.bench import check
from scenarios.record.manifest import BenchmarkRecord, CellRecord, Manifest, Options
from scenarios.record.status import Status


def _alarm() -> Any:
    """The scenarios' alarm (their module is loaded through the catalog, which keeps the
    registration order of every scenario module)."""
    catalog.all_scenarios()
    return importlib.import_module("scenarios.families.interruption.workloads").alarm()


def _runtime(name: str) -> Runtime:
    cls = runtimes.get(name)
    if not cls.availability().available:
        pytest.skip(f"{name} unavailable: {cls.availability().reason}")
    return cls()


def _bench(name: str) -> catalog.Benchmark:
    scenario = catalog.get(name.split("/")[0])
    return next(b for b in scenario.benchmarks() if b.name == name)


def _validate(runtime: Runtime, name: str) -> tuple[dict[str, Any], Any]:
    """Validate one benchmark as the harness does; return (facts, timed function)."""
    facts: dict[str, Any] = {}
    _, timed, _ = check(runtime, _bench(name), Session(runtime), facts)
    return facts, timed


def test_benchmarks_have_stable_names_and_one_operation_per_value() -> None:
    names = {s: [b.name for b in catalog.get(s).benchmarks()]
             for s in ("interrupt_latency", "interrupt_overhead", "recovery")}
    assert names["interrupt_latency"] == [f"interrupt_latency/{m}/{d}ms"
                                          for m in ("floor", "epoch", "kill") for d in (1, 10, 100)]
    assert names["interrupt_overhead"] == [f"interrupt_overhead/{w}/{m}" for w in ("fib", "churn")
                                           for m in ("off", "epoch", "fuel")]
    assert names["recovery"] == ["recovery/epoch", "recovery/fuel", "recovery/kill"]
    assert _bench("interrupt_latency/floor/10ms").guest is None  # the alarm alone
    for name in ("interrupt_latency/kill/1ms", "recovery/epoch"):
        assert _bench(name).inner_loops == 1
        assert catalog.get(name.split("/")[0]).defaults["loops"] == 1


@pytest.mark.parametrize(("name", "why"), [
    ("interrupt_latency/epoch/1ms", "needs epoch_interruption"),
    ("recovery/fuel", "needs fuel"),
    ("interrupt_overhead/fib/off", "needs one of epoch_interruption, fuel"),  # half a ratio
])
def test_a_mechanism_the_runtime_lacks_reads_not_supported(name: str, why: str) -> None:
    with pytest.raises(NotSupported, match=f"^{why}$"):
        _validate(_runtime("python"), name)


def test_alarm_acts_no_earlier_than_the_deadline_and_hands_back_errors() -> None:
    fired: list[float] = []
    deadline = time.perf_counter() + 0.01
    _alarm().at(deadline, lambda: fired.append(time.perf_counter())).wait()
    assert fired and fired[0] >= deadline

    def boom() -> None:
        raise RuntimeError("alarm action failed")

    with pytest.raises(RuntimeError, match="alarm action failed"):
        _alarm().at(time.perf_counter(), boom).wait()
    _alarm().at(time.perf_counter(), lambda: None).wait()  # still serving


def test_the_floor_is_the_alarm_alone() -> None:
    facts, timed = _validate(_runtime("python"), "interrupt_latency/floor/1ms")
    assert facts["detail"] == "nothing to stop: the alarm alone"
    assert timed(2) > 0


def test_epoch_stops_spin_with_its_own_trap_and_the_instance_is_reused() -> None:
    runtime = _runtime("wasmtime")
    facts, timed = _validate(runtime, "interrupt_latency/epoch/1ms")
    assert facts == {"mechanism": "epoch", "deadline_ms": 1, "exception": "wasmtime._trap.Trap",
                     "trap_code": "INTERRUPT", "detail": "trap INTERRUPT: wasm trap: interrupt"}
    assert timed(3) > 0  # three more interruptions, each validated
    facts, _ = _validate(runtime, "recovery/epoch")
    assert facts["outcome"] == "reuse" and facts["trap_code"] == "INTERRUPT"
    facts, _ = _validate(runtime, "recovery/fuel")
    assert facts["outcome"] == "reuse" and facts["trap_code"] == "OUT_OF_FUEL"


def test_the_ordinary_runtime_is_left_as_shipped() -> None:
    runtime = _runtime("wasmtime")
    session = Session(runtime)
    sibling = session.with_interruption(Capability.EPOCH_INTERRUPTION)
    assert sibling is session.with_interruption(Capability.EPOCH_INTERRUPTION)  # one engine
    assert sibling.runtime is not runtime and runtime.interruption is None  # type: ignore[attr-defined]
    with pytest.raises(NotSupported):
        runtime.increment_epoch()  # the default engine has no epochs to advance


def test_overhead_validates_against_the_reference_on_every_side() -> None:
    runtime = _runtime("wasmtime")
    for name in ("interrupt_overhead/fib/off", "interrupt_overhead/fib/epoch",
                 "interrupt_overhead/churn/fuel"):
        _, timed = _validate(runtime, name)
        assert timed(1) > 0


def test_kill_ends_the_guest_process_and_recovery_restarts_it() -> None:
    runtime = _runtime("python")  # the cheapest child; every runtime is run end to end
    facts, timed = _validate(runtime, "interrupt_latency/kill/1ms")
    assert facts["detail"] == "process ended by SIGKILL" and facts["exception"] is None
    assert timed(1) > 0
    facts, _ = _validate(runtime, "recovery/kill")
    assert facts["outcome"] == "restart"


class _Unattributed(runtimes.get("wasmtime")):  # type: ignore[misc]
    """wasmtime whose traps do not say they were interruptions."""

    def explain(self, exc: BaseException) -> WasmError:
        return Trap(str(super().explain(exc)))


def test_a_stop_that_is_not_the_mechanisms_own_is_a_wrong_answer() -> None:
    if not _Unattributed.availability().available:
        pytest.skip("wasmtime unavailable")
    with pytest.raises(ValidationError, match="not an interruption by epoch"):
        _validate(_Unattributed(), "interrupt_latency/epoch/1ms")


@pytest.fixture
def returning_spin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A compute guest whose spin returns at once: nothing is there to stop."""
    path = tmp_path / "compute.wasm"
    path.write_bytes(wat("""(module (memory (export "memory") 1) (func (export "spin"))
        (func (export "fib") (param i32) (result i32) local.get 0)
        (func (export "churn") (param i32) (result i32) i32.const 0))"""))
    monkeypatch.setitem(guest._REPLACED, "compute", guest.Guest("compute", "test", path))


@pytest.mark.usefixtures("returning_spin")
def test_a_guest_that_was_not_stopped_is_refused_by_every_mechanism() -> None:
    runtime = _runtime("wasmtime")
    with pytest.raises(ValidationError, match="spin returned: the guest was not stopped"):
        _validate(runtime, "interrupt_latency/epoch/1ms")
    with pytest.raises(ValidationError, match="not ended by SIGKILL: the call answered '= None'"):
        _validate(runtime, "interrupt_latency/kill/1ms")  # the child got the same bytes
    with pytest.raises(ValidationError, match="wrong answer: got 25, expected 75025"):
        _validate(runtime, "interrupt_overhead/fib/epoch")


# -- what the run records ---------------------------------------------------------------------

def _cell(**benchmarks: BenchmarkRecord) -> CellRecord:
    return CellRecord(Status.OK, "", benchmarks)


def test_support_matrix_tells_mechanisms_apart() -> None:
    ok = BenchmarkRecord(Status.OK, "")
    no = BenchmarkRecord(Status.UNSUPPORTED, "needs epoch_interruption")
    records = {"interrupt_latency/epoch/1ms": no, "interrupt_latency/kill/1ms": ok,
               "recovery/fuel": BenchmarkRecord(Status.TIMEOUT, "a call ran past")}
    row = interruption_summary.support({"x": _cell(**records)}, records)
    assert row["epoch"] == {"status": "not supported", "detail": "needs epoch_interruption"}
    assert row["fuel"] == {"status": "failed", "detail": "timeout: a call ran past"}
    assert row["kill"] == {"status": "supported", "detail": ""}
    assert row["stop"] == "only by killing the process"
    records["interrupt_latency/epoch/1ms"] = ok
    assert interruption_summary.support({}, records)["stop"] == "in-runtime: epoch"
    dead = CellRecord(Status.FAILED, "crashed: SIGSEGV")
    assert interruption_summary.support({"x": dead}, {})["kill"]["status"] == "failed"


def test_overhead_ratio_has_a_confidence_interval_only_when_it_can() -> None:
    import numpy as np

    off = np.array([[1.0, 1.1], [0.9, 1.0], [1.05, 0.95]])  # 3 processes x 2 values
    on = 1.2 * off
    r = interruption_summary.ratio(on, off)
    assert r["ratio"] == pytest.approx(1.2)
    assert r["ci_low"] < 1.2 < r["ci_high"] and r["n_on"] == r["n_off"] == 6
    assert r["processes_on"] == r["processes_off"] == 3
    # one process per side: values of one process are not independent, so no interval
    single = interruption_summary.ratio(np.array([[2.0, 2.2]]), np.array([[1.0, 1.1]]))
    assert single["ratio"] == 2.0 and single["ci_low"] is single["ci_high"] is None


def test_distribution_and_mechanism_names() -> None:
    d = interruption_summary.distribution([float(v) for v in range(1, 101)])
    assert (d["n"], d["median"], d["max"]) == (100, 50.5, 100.0)
    assert 95 < d["p95"] < 96
    assert interruption_summary.distribution([])["median"] is None
    assert interruption_summary.mechanism_of("interrupt_latency/epoch/10ms") == "epoch"
    assert interruption_summary.mechanism_of("interrupt_overhead/fib/off") == "off"
    assert interruption_summary.mechanism_of("recovery/kill") == "kill"
    assert interruption_summary.mechanism_of("no_op") is None


def test_no_summary_for_runs_without_these_scenarios(tmp_path: Path) -> None:
    manifest = Manifest("run", options=Options(scenarios=["no_op"]))
    assert interruption_summary.summarize(tmp_path, manifest) is None


def test_a_failing_summary_costs_only_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    from scenarios.orchestrate import execute

    def broken(_run_dir: Path, _manifest: Manifest) -> Any:
        raise KeyError("schema")

    summaries = {"broken": broken, "fine": lambda _d, _m: {"n": 1}, "none": lambda _d, _m: None}
    monkeypatch.setattr(catalog, "all_summaries", lambda: summaries)
    manifest = Manifest("run")
    assert execute.summarize(tmp_path, manifest) == [f"\nfine summary: {tmp_path / 'fine.json'}"]
    assert manifest.summaries == {"broken": {"error": "KeyError: 'schema'"},
                                     "fine": "fine.json"}
    assert (tmp_path / "fine.json").read_text().strip() == '{\n "n": 1\n}'
    assert not (tmp_path / "none.json").exists()
