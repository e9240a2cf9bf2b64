"""The benchmark process's own decisions: loop calibration, settings, the batch of workers."""

from __future__ import annotations

import json
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pyperf

from scenarios.harness import bench
from scenarios.orchestrate import hosts


def test_calibration_doubles_loops_until_a_value_lasts_min_time() -> None:
    seen: list[int] = []

    def timed(loops: int) -> float:  # a statement of 1 ms: 0.1 s needs 128 loops (2^7)
        seen.append(loops)
        return loops * 1e-3

    assert bench.calibrate(timed, 0.1) == 128
    assert seen == [1, 2, 4, 8, 16, 32, 64, 128]
    assert bench.calibrate(lambda loops: 5.0, 0.1) == 1  # one operation of seconds


def test_a_benchmarks_own_settings_win_and_zero_is_a_setting() -> None:
    args = Namespace(processes=3, values=3, warmups=1, loops=0, min_time=0.05)
    assert bench._resolved(args, {"values": 1, "warmups": 0, "loops": 64}) == {
        "processes": 3, "values": 1, "warmups": 0, "loops": 64, "min_time": 0.05}


def test_explicit_pyperf_options_are_told_apart_from_defaults() -> None:
    assert bench.explicit_settings(["--runtime", "x", "-n", "5", "--min-time", "0.2"]) == {
        "values": 5, "min_time": 0.2}
    assert set(bench.explicit_settings(["--debug-single-value"])) == set(bench.PYPERF_OPTIONS)


def test_every_benchmark_gets_its_processes_each_measuring_every_benchmark(tmp_path: Path
                                                                          ) -> None:
    """One benchmark process, for real: 3 worker processes, each timing both benchmarks,
    merged into one pyperf file with a run per process and the calibrated loops."""
    out, events = tmp_path / "r.json", tmp_path / "e.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.harness.bench", "--runtime", "python", "--scenario",
         "reverse_string", "--benchmarks", "reverse_string/16,reverse_string/64", "-p", "3",
         "-n", "2", "--min-time", "0.005", "-o", str(out), "--events", str(events)],
        capture_output=True, text=True, env=hosts.child_env(), cwd=hosts.PROJECT_ROOT,
        timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    suite = pyperf.BenchmarkSuite.load(str(out))
    assert suite.get_benchmark_names() == ["reverse_string/16", "reverse_string/64"]
    lines = [json.loads(x) for x in events.read_text().splitlines()]
    workers = {e["pid"] for e in lines if e["event"] == "worker"}
    assert len(workers) == 3  # one fresh process per round, not one per benchmark
    for b in suite.get_benchmarks():
        runs = b.get_runs()
        assert len(runs) == 3 and all(len(r.values) == 2 for r in runs)
        assert {r.get_metadata()["loops"] for r in runs} == {b.get_loops()} and b.get_loops() > 1
        assert b.get_metadata()["payload_bytes"] in (16, 64)
    assert [e["event"] for e in lines][-4:] == ["start", "done", "start", "done"]
