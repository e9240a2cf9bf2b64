"""``--measure instructions`` through the real command: worker processes under valgrind's
callgrind count the no-op call, and the result file, manifest, report and compare say so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyperf
import pytest

from tests.runs import only_run, run_cli

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("valgrind") is None,
                                 reason="valgrind not installed")]

# two processes of 16 loops of 10 statements: N = 160 calls, 2N = 320 (small, and exact)
COUNTED = ("--measure", "instructions", "-p", "2", "-l", "16", "--no-provision")


def test_a_no_op_call_is_counted_in_instructions(tmp_path: Path) -> None:
    proc = run_cli("scenarios.run", "--runtime", "python,wasmtime-raw", "--scenario", "no_op",
                   *COUNTED, "--results-dir", str(tmp_path / "results"), timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir, manifest = only_run(tmp_path / "results")
    assert manifest["options"]["measure"] == "instructions"
    counts = {}
    for entry in manifest["runtimes"].values():
        assert entry["scenarios"]["no_op"]["benchmarks"]["no_op"]["status"] == "ok"
        bench = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"])).get_benchmark("no_op")
        assert bench.get_unit() == "integer"
        assert bench.get_metadata()["measure"] == "instructions"
        runs = [r for r in bench.get_runs() if r.values]
        assert len(runs) == 2
        for run in runs:
            meta = run.get_metadata()
            assert meta["instructions_ops"] == 160
            assert meta["instructions_2n"] > meta["instructions_n"] > 0
        counts[entry["runtime"]] = bench.median()
    assert all(c > 0 for c in counts.values())
    # a Python function call costs fewer instructions than a call into WebAssembly
    assert counts["python"] < counts["wasmtime-raw"]
    html = (tmp_path / "reports" / run_dir.name / "index.html").read_text(encoding="utf-8")
    assert "no-op call, instructions" in html and " instr" in html
    same = run_cli("scenarios.compare", str(run_dir), str(run_dir))
    assert same.returncode == 0, same.stdout + same.stderr
    assert "same (within ×1.01)" in same.stdout
