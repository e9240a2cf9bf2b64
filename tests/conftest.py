"""Small real runs shared by the reporter and compare tests, made once per test session."""

from __future__ import annotations

import pytest

from tests.runs import FAKES, SINGLE, MadeRun, make_run


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> MadeRun:
    """python, wasmtime and a runtime that answers wrongly; the run renders its own report."""
    base = tmp_path_factory.mktemp("small")
    return make_run(base / "results", "--runtime", "python,wasmtime,wrong-answer",
                    "--scenario", "no_op,add_numbers,reverse_string", "--max-bytes", "1024",
                    env=FAKES)


@pytest.fixture(scope="session")
def sleepy_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[MadeRun, MadeRun]:
    """The same correct runtime twice: its no_op not slowed, then sleeping 1 ms per call."""
    made = []
    for seconds in ("0", "0.001"):
        base = tmp_path_factory.mktemp(f"sleepy-{seconds}")
        made.append(make_run(base / "results", "--runtime", "sleepy", "--scenario", "no_op",
                             "--no-report",
                             env={**FAKES, "WASM_INTEROP_SLEEPY_SECONDS": seconds}))
    return made[0], made[1]


@pytest.fixture(scope="session")
def defeated_cache_run(tmp_path_factory: pytest.TempPathFactory) -> MadeRun:
    """The seed's defeated cache (deserialize recompiles) on a 1 MiB module, where the
    "cache ineffective" rule judges; the run renders its own report."""
    base = tmp_path_factory.mktemp("defeated-cache")
    return make_run(base / "results", "--runtime", "defeated-cache", "--scenario", "cache",
                    "--module-sizes", "1M", env=FAKES, pyperf_args=SINGLE)
