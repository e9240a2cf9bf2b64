"""A guest whose computations misbehave, through the real command: each benchmark is refused,
stopped or timed out with its reason, never timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtimes.conformance import wat
from scenarios.families.interruption.figures import mechanism_of
from tests.runs import only_run, run_cli

pytestmark = pytest.mark.e2e

# Only fib in BAD_COMPUTE never returns; every other call of that run ends (some start a guest
# process), so the timeout is generous: the outcome must not depend on the machine's speed.
CALL_TIMEOUT = 10  # 30x the slowest call that ends (a guest process started), busy or not


# spin returns at once, churn answers 0, fib never returns.
BAD_COMPUTE = """(module (memory (export "memory") 1)
  (func (export "spin"))
  (func (export "churn") (param i32) (result i32) i32.const 0)
  (func (export "fib") (param i32) (result i32) (loop $forever br $forever) i32.const 0))"""


def _expected_for_bad_compute(runtime: str, name: str) -> tuple[str, str]:
    """(status, words in the detail) for BAD_COMPUTE."""
    if runtime != "wasmtime" and (mechanism_of(name) in ("epoch", "fuel")
                                  or name.startswith("interrupt_overhead/")):
        return "unsupported", "needs "
    if name.startswith("interrupt_latency/floor/"):  # needs no guest: the alarm alone
        return "ok", ""
    if name.startswith("interrupt_latency/epoch/"):
        return "invalid", "spin returned: the guest was not stopped"
    if name.startswith("interrupt_latency/kill/"):
        return "invalid", "not ended by SIGKILL: the call answered '= None'"
    if "/fib/" in name:  # every fib call loops forever: the watchdog ends it
        return "timeout", f"a call ran past --call-timeout={CALL_TIMEOUT}s"
    return "invalid", "wrong answer: got 0, expected "


def test_a_guest_that_misbehaves_is_refused_or_stopped_never_timed(tmp_path: Path) -> None:
    module = tmp_path / "compute.wasm"
    module.write_bytes(wat(BAD_COMPUTE))
    proc = run_cli("scenarios.run", "--runtime", "wasmtime,wasmer-cranelift", "--scenario",
                   "interrupt_latency,interrupt_overhead", "--guest", f"compute={module}",
                   "--debug-single-value", "--call-timeout", str(CALL_TIMEOUT),
                   "--results-dir", str(tmp_path / "results"), timeout=3600)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # its benchmarks failed, as meant
    _, manifest = only_run(tmp_path / "results")
    for entry in manifest["runtimes"].values():
        for cell in entry["scenarios"].values():
            for name, bench in cell["benchmarks"].items():
                status, words = _expected_for_bad_compute(entry["runtime"], name)
                assert bench["status"] == status and words in bench["detail"], \
                    (entry["runtime"], name, bench)
    assert len(manifest["runtimes"]) == 2
