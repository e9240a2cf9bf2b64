"""The words a run records: how things ended (``Status``) and what a benchmark process
reports while it works (``Event``).

Both are ``str`` enums: a member *is* its word, so JSON files, pandas columns and comparisons
with plain strings read exactly as before.
"""

from __future__ import annotations

from enum import Enum


class _Word(str, Enum):
    """A str enum whose ``str()`` and f-string form is its value, on every Python (as 3.11's
    ``StrEnum``, which 3.10 lacks)."""

    __str__ = str.__str__
    __format__ = str.__format__


class Status(_Word):
    """How a benchmark, a scenario of a runtime (a cell) or a whole runtime ended.

    A benchmark is ok, invalid, unsupported, timeout, crashed or failed; a cell also partial
    or unavailable; the reporter adds missing and not run for what the files lack.
    """

    OK = "ok"
    PARTIAL = "partial"  # some benchmarks of the cell are ok, others are not
    FAILED = "failed"
    INVALID = "invalid"  # wrong answer or guest error in validation: never timed
    UNSUPPORTED = "unsupported"  # the runtime declares it cannot run it
    UNAVAILABLE = "unavailable"  # the runtime could not be loaded
    TIMEOUT = "timeout"
    CRASHED = "crashed"  # the process died of a signal
    MISSING = "missing"  # the manifest says timed, but the values are not in the pyperf file
    NOT_RUN = "not run"  # the run stopped before it got there

    @property
    def declined(self) -> bool:
        """The runtime did not run it at all (it cannot, or it is not there)."""
        return self in (Status.UNSUPPORTED, Status.UNAVAILABLE)


class Event(_Word):
    """One line of a benchmark process's events file (``{"event": ..., "pid": ..., ...}``)."""

    UNAVAILABLE = "unavailable"  # the runtime did not load (reason)
    BEGIN = "begin"  # the benchmarks this process will run (info, benchmarks)
    UNSUPPORTED = "unsupported"  # the scenario needs what the runtime lacks (reason)
    NOT_SUPPORTED = "not_supported"  # one benchmark declined (benchmark, detail)
    INVALID = "invalid"  # one benchmark failed validation (benchmark, detail)
    VALIDATE = "validate"  # validation of a benchmark begins (benchmark)
    VALID = "valid"  # validation passed (benchmark, facts)
    START = "start"  # timing of a benchmark begins (benchmark)
    DONE = "done"  # a benchmark is timed (benchmark)
    WORKER = "worker"  # a pyperf worker process took a benchmark (benchmark)
    WORKER_FAILED = "worker_failed"  # a worker gave up on a benchmark (benchmark, detail)


# Events that settle one benchmark without timing it, and the status each records.
VERDICTS = {Event.INVALID: Status.INVALID, Event.NOT_SUPPORTED: Status.UNSUPPORTED}
