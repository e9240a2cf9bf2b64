"""A cache that lies, through the real command (every runtime's lifecycle run is checked in
test_end_to_end.py, on the full run; a defeated cache, on a committed run in
tests/test_report_lifecycle.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scenarios.families.lifecycle import figures as lifecycle
from tests.runs import FAKES, only_run, run_cli

pytestmark = pytest.mark.e2e


def cells(manifest: dict[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """runtime -> benchmark -> {status, detail}."""
    return {e["runtime"]: {n: b for s in e["scenarios"].values()
                           for n, b in s["benchmarks"].items()}
            for e in manifest["runtimes"].values()}


def summary(run_dir: Path) -> dict[str, Any]:
    data = json.loads((run_dir / lifecycle.SUMMARY).read_text())
    return {"flags": data["flags"], "modules": data["modules"],
            **{v["runtime"]: v for v in data["runtimes"].values()}}


def test_an_artifact_from_another_configuration_is_rejected_and_flagged(tmp_path: Path) -> None:
    proc = run_cli("scenarios.run", "--runtime", "foreign-artifact", "--scenario", "cache",
                   "--module-sizes", "10K", "--no-provision", "--debug-single-value",
                   "--results-dir", str(tmp_path), env=FAKES)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the rejected artifacts: invalid
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
