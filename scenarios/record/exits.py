"""Exit codes of a benchmark process (``python -m scenarios.harness.bench``) that carry a meaning.

Kept apart from the benchmark process's module so the orchestrator can read them without
importing the harness.
"""

from __future__ import annotations

OK = 0
UNAVAILABLE = 3  # the runtime could not be loaded on this interpreter
PYPERF_TIMEOUT = 124  # pyperf's worker --timeout expired (pyperf's own code)
