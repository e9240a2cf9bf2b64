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
