"""Exit codes that carry a meaning: a benchmark process's (``python -m scenarios.harness.bench``)
and the run command's (``python -m scenarios.run``).

Kept apart from the benchmark process's module so the orchestrator can read them without
importing the harness.
"""

from __future__ import annotations

from collections.abc import Sequence

from scenarios.record.status import Status

# A benchmark process
OK = 0
UNAVAILABLE = 3  # the runtime could not be loaded on this interpreter
PYPERF_TIMEOUT = 124  # pyperf's worker --timeout expired (pyperf's own code)

# The run command: 0 when everything asked for was measured or honestly declined
# (unsupported, unavailable); 2 for bad usage; 128 + N when signal N stopped it.
RUN_FAILED = 1  # some benchmark ended in one of FAILURES (or the report could not be made)
# How a benchmark ends when the guest or a runtime misbehaved: no measurement, and not by choice.
FAILURES = frozenset({Status.INVALID, Status.TIMEOUT, Status.CRASHED, Status.FAILED})
SHOWN = 3  # failures named in the run's closing line


def run_exit(failed: Sequence[str], allow_failures: bool = False) -> tuple[int, str]:
    """The run command's exit status for a finished run whose failed benchmarks are ``failed``
    (``Manifest.failures()``), and the one line that says why ('' when nothing failed), so a
    pipeline can gate on the status and its log says which benchmarks decided it."""
    if not failed:
        return OK, ""
    more = f" and {len(failed) - SHOWN} more" if len(failed) > SHOWN else ""
    what = (f"{len(failed)} benchmark{'s' if len(failed) > 1 else ''} not measured: "
            f"{', '.join(failed[:SHOWN])}{more}")
    if allow_failures:
        return OK, f"{what} (exit status 0: --allow-failures)"
    return RUN_FAILED, f"{what} (exit status {RUN_FAILED}; --allow-failures to accept them)"
