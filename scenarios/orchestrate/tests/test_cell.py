"""How the orchestrator ends a benchmark process (real child processes, no benchmark)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scenarios.orchestrate import cell
from scenarios.record.status import Status

# Records its one benchmark as done, then never ends (as a binding whose thread hangs exit).
LINGERING = ("import json, sys, threading; "
             "open(sys.argv[1], 'a').write(json.dumps({'event': 'done', 'benchmark': 'b'}) "
             "+ '\\n'); threading.Event().wait()")


def test_a_process_that_outlives_its_last_benchmark_is_ended_and_its_results_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cell, "EXIT_GRACE_S", 0.2)
    events, log = tmp_path / "events.jsonl", tmp_path / "cell.log"
    rc, stalled = cell.spawn([sys.executable, "-c", LINGERING, str(events)], log, events,
                             idle_limit=3600, finished=lambda path: cell.settled(path) >= 1)
    assert rc < 0 and not stalled  # killed for lingering, not for a lack of progress
    text = log.read_text()
    assert cell.LINGERED in text
    assert cell._death(rc, stalled, text, "", 60, None) == (Status.OK, cell.LINGERED)


def test_without_a_finished_test_only_a_stall_ends_it(tmp_path: Path) -> None:
    events, log = tmp_path / "events.jsonl", tmp_path / "cell.log"
    rc, stalled = cell.spawn([sys.executable, "-c", LINGERING, str(events)], log, events,
                             idle_limit=0.5)
    assert rc < 0 and stalled and cell.LINGERED not in log.read_text()
