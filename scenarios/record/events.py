"""The events file of a cell: JSON lines a benchmark process and its workers append as they
work (``EventLog``), read by the orchestrator while they run and after (``read_events``)."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from scenarios.record.status import Event


class EventLog:
    """Append-only JSON lines, one per step, written by the main process and its workers."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def emit(self, event: Event, **fields: Any) -> None:
        if not self.path:
            return
        line = json.dumps({"event": event, "pid": os.getpid(), **fields})
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def read_events(path: Path) -> list[dict[str, Any]]:
    """The event lines that were written completely (a torn last line is ignored)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            out.append(json.loads(line))
    return out
