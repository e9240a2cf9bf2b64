"""The bad-guest corpus through the real command and every runtime: specific errors, no hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.bad_guests import CORPUS, BadGuest
from tests.runs import by_runtime, only_run, run_cli

pytestmark = pytest.mark.e2e

# Every runtime that loads wasm bytes (native runs only the project's own guests, built for
# this machine; the python baseline is checked below)
WASM_RUNTIMES = ("wasmtime", "wasmtime-raw", "wasmer-cranelift", "wasmer-singlepass", "pywasm3",
                 "pywasm")


@pytest.mark.parametrize("bad", CORPUS, ids=lambda b: b.name)
def test_bad_guest_is_reported_specifically_and_the_run_goes_on(bad: BadGuest, tmp_path: Path
                                                                ) -> None:
    module = bad.build(tmp_path)
    timeout = () if bad.call_timeout is None else ("--call-timeout", f"{bad.call_timeout:g}")
    # the subprocess timeout only keeps a hang from blocking the suite: no time limit is a check
    proc = run_cli("scenarios.run", "--runtime", ",".join((*WASM_RUNTIMES, "python")), "--scenario",
                   ",".join(bad.scenarios), "--guest", f"article={module}", "--max-bytes", "64",
                   "--debug-single-value", *timeout, "--no-report",
                   "--results-dir", str(tmp_path / "results"), timeout=3600)
    # the python baseline's invalid benchmarks alone make it 1
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    _, manifest = only_run(tmp_path / "results")
    assert manifest["complete"] and manifest["guests"]["article"]["replaced"]
    cells = {n: e["scenarios"] for n, e in by_runtime(manifest).items()}
    assert set(WASM_RUNTIMES) <= set(cells), manifest["unavailable"]
    for runtime in WASM_RUNTIMES:
        for scenario, (status, words) in bad.expect.items():
            for name, bench in cells[runtime][scenario]["benchmarks"].items():
                detail = bench["detail"].lower()
                assert bench["status"] == status, (runtime, name, bench)
                assert not words or any(w in detail for w in words), (runtime, name, bench)
    # the python baseline runs only this project's own guests, and says so
    for scenario in bad.scenarios:
        for bench in cells["python"][scenario]["benchmarks"].values():
            assert bench["status"] == "invalid"
