"""The committed small real runs (``tests.fixtures``) the report and compare tests read."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import report as report_cli
from tests.runs import MadeRun, committed


@pytest.fixture(scope="session")
def small_run() -> MadeRun:
    """python, wasmtime and a runtime that answers wrongly (3 processes x 3 values)."""
    return committed("small")


@pytest.fixture(scope="session")
def small_report(small_run: MadeRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small run's report folder, rendered once per session as ``scenarios.run`` would."""
    return report_cli.generate(small_run.path, tmp_path_factory.mktemp("small-report")).parent


@pytest.fixture(scope="session")
def sleepy_runs() -> tuple[MadeRun, MadeRun]:
    """The same correct runtime twice: its no_op not slowed, then sleeping 1 ms per call."""
    return committed("sleepy-0"), committed("sleepy-1ms")


@pytest.fixture(scope="session")
def defeated_cache_run() -> MadeRun:
    """The seed's defeated cache (deserialize recompiles) on a 1 MiB module, where the
    "cache ineffective" rule judges."""
    return committed("defeated-cache")
