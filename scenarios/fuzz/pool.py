"""A guarded worker process per runtime: a hang or a crash is that runtime's answer.

The orchestrator never waits without a deadline: every answer is read against the per-module
timeout, after which the worker's process group is killed and the answer is ``timeout``; a
worker that dies (segfault, abort, an exit after MemoryError) answers ``crashed`` with its
signal or exit status. Either way the next request starts a fresh worker, so one bad module
costs one answer, never the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import IO, Any

from scenarios.orchestrate.hosts import child_env
from scenarios.record.paths import PROJECT_ROOT

START_TIMEOUT = 120.0  # importing a binding (and wasmer's compilers) on a busy machine
START_FAILURES = 3  # a worker that fails to start this many times in a row is given up


def _ended(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class Worker:
    """One runtime's worker process, started on first use and after every kill."""

    def __init__(self, runtime: str, python: str, log: Path, timeout: float,
                 recycle: int = 500) -> None:
        self.runtime, self.python, self.log_path = runtime, python, log
        self.timeout, self.recycle = timeout, recycle
        self.proc: subprocess.Popen[bytes] | None = None
        self.gone = ""  # why this runtime's worker cannot start at all, once given up
        self.info: dict[str, Any] = {}
        self.restarts = 0
        self._buffer = b""
        self._served = 0
        self._start_failures = 0
        self._log: IO[bytes] | None = None

    def _start(self) -> bool:
        if self._log is None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 (kept open across restarts)
        try:
            self.proc = subprocess.Popen(
                [self.python, "-m", "scenarios.fuzz.worker", self.runtime],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                env=child_env(), cwd=PROJECT_ROOT,
                start_new_session=True)  # its own group: a kill takes its children too
        except OSError as exc:
            self.gone = f"cannot start {self.python}: {exc}"
            return False
        self._buffer, self._served = b"", 0
        line = self._readline(START_TIMEOUT)
        hello = json.loads(line) if line else {"ready": False, "reason": (
            f"no greeting ({_ended(self.proc.poll())}; see {self.log_path})")}
        if hello.get("ready"):
            self.info = hello["info"]
            self._start_failures = 0
            return True
        self.kill()
        self._start_failures += 1
        if self._start_failures >= START_FAILURES:
            self.gone = str(hello.get("reason", "did not start"))
        return False

    def _readline(self, timeout: float) -> bytes | None:
        """One line from the worker, or None on timeout or end of file."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def kill(self) -> None:
        """End this worker (and anything it started) by its process group id."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.proc = None

    def ask(self, path: Path, calls: list[dict[str, Any]]) -> dict[str, Any]:
        """Run one module: the worker's answer, or ``timeout``/``crashed``/``unavailable``."""
        if self.proc is not None and self._served >= self.recycle:
            self.close()  # bounds what a long run's leaks (engines, stores) can accumulate
        while self.proc is None:
            if self.gone:
                return {"status": "unavailable", "message": self.gone}
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"path": str(path), "calls": calls}).encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # it died: the read below sees the end of file
        started = time.monotonic()
        line = self._readline(self.timeout)
        if line is not None:
            self._served += 1
            answer: dict[str, Any] = json.loads(line)
            if answer.get("status") == "crashed":  # it said so, then exits
                self.restarts += 1
                self.kill()
            return answer
        self.restarts += 1
        code = self.proc.poll()
        if code is None and time.monotonic() - started >= self.timeout:
            self.kill()
            return {"status": "timeout", "message": f"no answer in {self.timeout:g} s"}
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = self.proc.wait(timeout=10)  # its output ended: it is dying
        self.kill()
        return {"status": "crashed", "message": f"worker {_ended(code)}"}

    def close(self) -> None:
        """Let the worker end on its own (stdin closed), else kill it."""
        if self.proc is None:
            return
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def shutdown(self) -> None:
        self.close()
        if self._log is not None:
            self._log.close()
            self._log = None
