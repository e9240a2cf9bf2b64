"""Report, as JSON on stdout, which runtimes this interpreter can host and why not.

    python -m runtimes.probe [NAME ...]

The orchestrator runs this under every candidate interpreter before planning a run.
"""

from __future__ import annotations

import json
import sys

import runtimes
from runtimes.base import interpreter_label


def probe(wanted: list[str]) -> dict:
    report: dict = {"interpreter": interpreter_label(), "executable": sys.executable,
                    "runtimes": {}}
    for name in wanted:
        entry: dict = {}
        try:
            cls = runtimes.get(name)
            avail = cls.availability()
            entry = {"available": avail.available, "reason": avail.reason,
                     "summary": cls.summary,
                     "capabilities": sorted(c.value for c in cls.capabilities),
                     "max_payload_bytes": cls.max_payload_bytes,
                     "payload_limit_reason": cls.payload_limit_reason}
            if avail.available:
                entry.update(cls().info.as_metadata())
        except Exception as exc:
            entry = {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
        report["runtimes"][name] = entry
    return report


if __name__ == "__main__":
    json.dump(probe(sys.argv[1:] or runtimes.names()), sys.stdout, indent=1)
    print()
