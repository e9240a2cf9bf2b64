"""Where the project lives, and the folders it makes beside its sources."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENVS = PROJECT_ROOT / ".venvs"  # interpreters provisioned for runtimes that need another Python
RESULTS = PROJECT_ROOT / "results"  # run folders, unless --results-dir says otherwise
MANIFEST = "manifest.json"  # a run folder's record of what ran, where, and how it ended
