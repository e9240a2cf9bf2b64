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

from scenarios.orchestrate import hosts
from tests.runs import run_cli

pytestmark = pytest.mark.e2e

SCENARIOS = "loop_overhead,no_op,add_numbers,reverse_string"
# Long enough to be interrupted part-way: three values in each of two worker processes.
ARGS = ("--profile", "full", "--runtime", "python", "--scenario", SCENARIOS, "--max-bytes", "4096",
        "--no-provision", "-p", "2", "-n", "3", "-w", "1", "--min-time", "0.05")


def _start(results: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "scenarios.run", *ARGS, "--results-dir",
                             str(results)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=hosts.child_env(), cwd=hosts.PROJECT_ROOT)


def _finished(run_dir: Path) -> set[str]:
    data = json.loads((run_dir / "manifest.json").read_text())
    return {s for e in data["runtimes"].values() for s in e["scenarios"]}


# Only keeps a hung run from blocking the suite: waiting is by events, never by a clock.
HANG_GUARD = 1800


def _wait_for_first_cell(results: Path, proc: subprocess.Popen[str]) -> Path:
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline and proc.poll() is None:
        for manifest in results.glob("*/manifest.json"):
            if _finished(manifest.parent):
                return manifest.parent
        time.sleep(0.05)
    raise AssertionError("the run never finished a first scenario")


def _wait_for_a_worker_of_a_later_cell(run_dir: Path, proc: subprocess.Popen[str]) -> None:
    """Return once a benchmark worker process of a scenario not yet finished is running (each
    of its values lasts at least --min-time, so the signal lands in the middle of that cell)."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline and proc.poll() is None:
        finished = _finished(run_dir)
        for events in (run_dir / "parts").rglob("*.events.jsonl"):
            scenario = events.name.split(".")[0]
            if scenario not in finished and '"event": "worker"' in events.read_text():
                return
        time.sleep(0.05)
    raise AssertionError("no benchmark worker of a later scenario was seen running")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_keeps_results_and_resume_finishes(tmp_path: Path, sig: int, code: int
                                                     ) -> None:
    proc = _start(tmp_path)
    run_dir = _wait_for_first_cell(tmp_path, proc)
    _wait_for_a_worker_of_a_later_cell(run_dir, proc)  # benchmark processes are running
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == code, out + err
    assert "--resume" in err and "Traceback" not in err

    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["stopped"]["signal"] == signal.Signals(sig).name
    assert manifest["missing"] and all(m.startswith("python@") for m in manifest["missing"])
    (entry,) = manifest["runtimes"].values()
    finished = list(entry["scenarios"])
    assert finished and all(entry["scenarios"][s]["status"] == "ok" for s in finished)
    suite = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"]))  # valid, not half-written
    assert set(finished) <= {b.split("/")[0] for b in suite.get_benchmark_names()}
    assert not list(run_dir.rglob("*.tmp"))
    no_orphans = subprocess.run(["pgrep", "-f", f"scenarios.harness.bench.*{run_dir}"],
                                capture_output=True)
    assert no_orphans.returncode == 1, no_orphans.stdout  # no benchmark process left behind

    before = {p.name for p in (run_dir / "parts").rglob("*.events.jsonl")}
    done = run_cli("scenarios.run", "--resume", str(run_dir))
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
    proc = run_cli("scenarios.run", "--resume", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("is not a run folder with a readable manifest.json")
    assert "\n" not in proc.stderr.strip()


def test_resuming_a_complete_run_does_nothing(two_python_runs: list[Path]) -> None:
    run_dir = two_python_runs[0]
    before = (run_dir / "manifest.json").read_bytes()
    again = run_cli("scenarios.run", "--resume", str(run_dir))
    assert again.returncode == 0 and "already complete" in again.stdout
    assert (run_dir / "manifest.json").read_bytes() == before
