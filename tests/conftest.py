"""The committed small real runs (``tests.fixtures``) the report and compare tests read, and
how the suite is spread over pytest-xdist's workers."""

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


# The end-to-end modules, longest first (about 7, 2, 2 and 1 minutes on the test machine).
LONG_FIRST = ("test_end_to_end.py", "test_interruption_runs.py", "test_bad_guests.py",
              "test_extensions.py", "test_interrupted_runs.py")
SHARED_RUN = "full_run"  # the session fixture two modules read: one run, on one worker


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup`` a group runs on one worker: each module is a group (its
    module fixtures are made once), except that every test reading ``full_run`` joins one group,
    so the shared run is made once, not once per worker. The long end-to-end modules come
    first, so that the workers start on them and finish together."""
    def rank(item: pytest.Item) -> tuple[int, int]:
        name = item.path.name
        return (0 if SHARED_RUN in getattr(item, "fixturenames", ()) else 1,
                LONG_FIRST.index(name) if name in LONG_FIRST else len(LONG_FIRST))

    for item in items:
        shared = SHARED_RUN in getattr(item, "fixturenames", ())
        item.add_marker(pytest.mark.xdist_group(SHARED_RUN if shared else str(item.path)))
    items.sort(key=rank)  # stable: the order within a rank stays pytest's
