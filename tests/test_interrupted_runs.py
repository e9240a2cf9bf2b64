"""Ctrl-C / SIGTERM in the middle of a run, then --resume: nothing lost, nothing redone."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyperf
import pytest

from scenarios import hosts
from tests.test_end_to_end import only_run, run_cli

pytestmark = pytest.mark.e2e

SCENARIOS = "loop_overhead,no_op,add_numbers,reverse_string"
# Long enough to be interrupted part-way: three values in each of two worker processes.
ARGS = ("--profile", "full", "--runtime", "python", "--scenario", SCENARIOS, "--max-bytes", "4096",
        "--no-provision", "-p", "2", "-n", "3", "-w", "1", "--min-time", "0.05")


def _start(results: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "scenarios.run", *ARGS, "--results-dir",
                             str(results)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=hosts.child_env(), cwd=hosts.PROJECT_ROOT)


def _wait_for_first_cell(results: Path, proc: subprocess.Popen[str]) -> Path:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        for manifest in results.glob("*/manifest.json"):
            data = json.loads(manifest.read_text())
            if any(e["scenarios"] for e in data["runtimes"].values()):
                return manifest.parent
        time.sleep(0.2)
    raise AssertionError("the run never finished a first scenario")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_keeps_results_and_resume_finishes(tmp_path: Path, sig: int, code: int
                                                     ) -> None:
    proc = _start(tmp_path)
    run_dir = _wait_for_first_cell(tmp_path, proc)
    time.sleep(1.0)  # land in the middle of a cell, with benchmark processes running
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, out + err
    assert "--resume" in err and "Traceback" not in err

    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["interrupted"]["signal"] == signal.Signals(sig).name
    assert manifest["missing"] and all(m.startswith("python@") for m in manifest["missing"])
    (entry,) = manifest["runtimes"].values()
    finished = list(entry["scenarios"])
    assert finished and all(entry["scenarios"][s]["status"] == "ok" for s in finished)
    suite = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"]))  # valid, not half-written
    assert set(finished) <= {b.split("/")[0] for b in suite.get_benchmark_names()}
    assert not list(run_dir.rglob("*.tmp"))
    no_orphans = subprocess.run(["pgrep", "-f", f"scenarios.bench.*{run_dir}"],
                                capture_output=True)
    assert no_orphans.returncode == 1, no_orphans.stdout  # no benchmark process left behind

    before = {p.name for p in (run_dir / "parts").rglob("*.events.jsonl")}
    done = run_cli("--resume", str(run_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["complete"] is True and "missing" not in manifest
    assert len(manifest["resumed"]) == 1
    (entry,) = manifest["runtimes"].values()
    assert list(entry["scenarios"]) == SCENARIOS.split(",")
    assert all(s["status"] == "ok" for s in entry["scenarios"].values())
    after = {p.name for p in (run_dir / "parts").rglob("*.events.jsonl")}
    for scenario in finished:  # finished cells were not run again
        assert {n for n in after if n.startswith(f"{scenario}.")} == \
            {n for n in before if n.startswith(f"{scenario}.")}
    names = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"])).get_benchmark_names()
    assert "reverse_string/4096" in names and "loop_overhead" in names


def test_resume_refuses_what_is_not_a_run(tmp_path: Path) -> None:
    proc = run_cli("--resume", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("is not a run folder with a readable manifest.json")
    assert "\n" not in proc.stderr.strip()


def test_resuming_a_complete_run_does_nothing(tmp_path: Path) -> None:
    first = run_cli("--runtime", "python", "--scenario", "loop_overhead", "--no-provision",
                    "--debug-single-value", "--results-dir", str(tmp_path))
    assert first.returncode == 0, first.stderr
    run_dir, _ = only_run(tmp_path)
    again = run_cli("--resume", str(run_dir))
    assert again.returncode == 0 and "already complete" in again.stdout
