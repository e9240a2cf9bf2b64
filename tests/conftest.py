"""The committed small real runs (``tests.fixtures``) the report and compare tests read, and
how the suite is spread over pytest-xdist's workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadFileScheduling

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



# The end-to-end modules, longest first (about 7, 2, 2, 1.5 and 1 minutes on the test machine).
LONG_FIRST = ("test_end_to_end.py", "test_bad_guests.py", "test_bad_compute.py",
              "test_extensions.py", "test_interrupted_runs.py")
# The modules that read the shared ``--runtime all`` run (the ``full_run`` session fixture).
SHARED_RUN = frozenset({"test_end_to_end.py", "test_interruption_runs.py"})


class SharedRunScheduling(LoadFileScheduling):
    """pytest-xdist's ``--dist loadfile`` (a module's tests on one worker, so its module
    fixtures are made once), except that the modules reading the shared run go to one worker
    together, so that run is made once, not once per worker. (``--dist loadgroup`` would say
    this with marks, but it stopped grouping with pytest 9.2: pytest-xdist issue 1386.)"""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return "shared-run" if Path(module).name in SHARED_RUN else module


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> SharedRunScheduling | None:
    return SharedRunScheduling(config, log) if config.getvalue("dist") == "loadfile" else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long end-to-end modules first, so that the workers start on them and finish
    together (pytest-xdist hands out modules in collection order)."""
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        if name in SHARED_RUN:
            return 0
        return 1 + (LONG_FIRST.index(name) if name in LONG_FIRST else len(LONG_FIRST))

    items.sort(key=rank)  # stable: the order within a rank stays pytest's
