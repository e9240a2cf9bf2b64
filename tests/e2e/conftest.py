"""The real runs more than one end-to-end module reads, made once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.runs import only_run, run_cli

# A hang guard only: minutes, many more on a busy host.
FULL_RUN_TIMEOUT = 7200


@pytest.fixture(scope="session")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """``--runtime all`` through the whole catalogue, one value per benchmark, payloads and
    generated modules of 1 KiB: every runtime, interpreter and scenario family, once."""
    results = tmp_path_factory.mktemp("results")
    proc = run_cli("scenarios.run", "--runtime", "all", "--debug-single-value", "--max-bytes",
                   "1024", "--module-sizes", "1K", "--results-dir", str(results),
                   timeout=FULL_RUN_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir, manifest = only_run(results)
    return run_dir, manifest, proc.stdout


@pytest.fixture(scope="session")
def two_python_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The same short command twice into one results folder (each run gets its own)."""
    results = tmp_path_factory.mktemp("results")
    for _ in range(2):
        proc = run_cli("scenarios.run", "--runtime", "python", "--scenario", "loop_overhead",
                       "--no-provision", "--debug-single-value", "--no-report",
                       "--results-dir", str(results))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return sorted(p for p in results.iterdir() if p.is_dir())
