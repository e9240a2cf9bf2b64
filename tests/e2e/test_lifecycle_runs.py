"""Caches that lie, through the real command (every runtime's lifecycle run is checked in
test_end_to_end.py, on the full run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scenarios.analysis import lifecycle
from tests import fakes
from tests.runs import MadeRun
from tests.test_end_to_end import only_run, run_cli

pytestmark = pytest.mark.e2e

FAKES = {"WASM_INTEROP_RUNTIMES": fakes.REGISTRATION}


def cells(manifest: dict[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """runtime -> benchmark -> {status, detail}."""
    return {e["runtime"]: {n: b for s in e["scenarios"].values()
                           for n, b in s["benchmarks"].items()}
            for e in manifest["runtimes"].values()}


def summary(run_dir: Path) -> dict[str, Any]:
    data = json.loads((run_dir / lifecycle.SUMMARY).read_text())
    return {"flags": data["flags"], "modules": data["modules"],
            **{v["runtime"]: v for v in data["runtimes"].values()}}


def test_a_defeated_cache_is_flagged_ineffective(defeated_cache_run: MadeRun) -> None:
    run_dir, manifest = defeated_cache_run.path, defeated_cache_run.manifest
    got = cells(manifest)["defeated-cache"]
    # Every load answered correctly: only the timings give the defeated cache away.
    assert got["cache/deserialize/1048576"]["status"] == "ok"
    verdicts = {v["mechanism"]: v for v in summary(run_dir)["defeated-cache"]["cache"]}
    bad = verdicts["deserialize"]
    assert bad["status"] == "ineffective" and bad["speedup"] < 10
    assert bad["module_bytes"] >= 1_000_000
    assert verdicts["reuse"]["status"] == "ok"  # compiling once really is faster
    flag = next(line for line in defeated_cache_run.stdout.splitlines()
                if "cache ineffective" in line)
    assert "defeated-cache@" in flag and "deserialize at 1,048,576 bytes" in flag
    assert "a cache hit must be at least 10x faster" in flag


def test_an_artifact_from_another_configuration_is_rejected_and_flagged(tmp_path: Path) -> None:
    proc = run_cli("--runtime", "foreign-artifact", "--scenario", "cache", "--module-sizes",
                   "10K", "--no-provision", "--debug-single-value", "--results-dir",
                   str(tmp_path), env=FAKES)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir, manifest = only_run(tmp_path)
    got = cells(manifest)["foreign-artifact"]
    for mechanism in ("deserialize", "deserialize_file"):
        cell = got[f"cache/{mechanism}/10240"]
        assert cell["status"] == "invalid" and cell["detail"].startswith("rejected: ")
        assert "fuel" in cell["detail"]
    assert got["cache/disk_hit/10240"]["status"] == "ok"
    data = summary(run_dir)
    verdicts = {v["mechanism"]: v for v in data["foreign-artifact"]["cache"]}
    assert verdicts["deserialize"]["status"] == "ineffective"
    assert "rejected the cached artifact" in verdicts["deserialize"]["reason"]
    assert len(data["flags"]) == 2 and all("foreign-artifact@" in f for f in data["flags"])
