"""A guest instance in a child process, so that it can be stopped when nothing else can.

Ending the process is the last resort for a runtime with no in-runtime interruption:
wasmer-python holds the GIL while the guest runs, so not even another Python thread can act.
The parent talks to the child one line at a time:

    python -m scenarios.families.interruption.killable --runtime NAME --guest NAME \
        [--module PATH] --parent PID

The child prints ``ready`` once its instance exists (or ``! <error>`` and exits). Then, for
each request ``call EXPORT [INT ...]`` it answers ``= <repr of the result>`` or ``! <error>``;
for ``start EXPORT [INT ...]`` it first prints ``started``, just before entering the guest.
A child never outlives its parent (Linux: PR_SET_PDEATHSIG; elsewhere it sees its stdin
close) nor a request longer than ``REQUEST_LIMIT`` (faulthandler's watchdog thread, which
fires even while a binding holds the GIL).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import ctypes
import faulthandler
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import guest
import runtimes
from scenarios.orchestrate import hosts
from scenarios.record.paths import PROJECT_ROOT

REQUEST_LIMIT = 120.0  # seconds; a backstop only: the parent kills its child long before
_PR_SET_PDEATHSIG = 1


class ChildFailed(RuntimeError):
    """The child could not load its guest, or answered something unexpected."""


class GuestProcess:
    """One instance of ``guest_name`` on ``runtime``, living in its own process."""

    def __init__(self, runtime: str, guest_name: str) -> None:
        cmd = [sys.executable, "-m", "scenarios.families.interruption.killable",
               "--runtime", runtime, "--guest", guest_name, "--parent", str(os.getpid())]
        replaced = guest.get(guest_name).file  # --guest NAME=PATH in this process
        if replaced is not None:
            cmd += ["--module", str(replaced)]
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - read if the child fails, closed in close()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, text=True, bufsize=1,
                                     env=hosts.child_env(), cwd=PROJECT_ROOT)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin, self.proc.stdout
        self._expect("ready")

    def call(self, export: str, *args: int) -> Any:
        """Call ``export`` in the child and return its result."""
        self._send("call", export, args)
        return self._answer()

    def start(self, export: str, *args: int) -> None:
        """Send a call and return as soon as the child is entering the guest."""
        self._send("start", export, args)
        self._expect("started")

    def outcome(self) -> int | str:
        """Wait for a started call: its answer line if it returns, else (once the process has
        ended) its return code."""
        line = self._out.readline()
        return line.rstrip("\n") if line else self.proc.wait()

    def kill(self) -> None:
        """SIGKILL the child (safe from any thread, and if it is already gone)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)

    def wait(self) -> int:
        """Wait for the child to end; its return code (negative: the signal that ended it)."""
        return self.proc.wait()

    def close(self) -> None:
        self.kill()
        self.proc.wait()
        for stream in (self._in, self._out, self._stderr):
            with contextlib.suppress(OSError):
                stream.close()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def _send(self, verb: str, export: str, args: tuple[int, ...]) -> None:
        try:
            self._in.write(" ".join([verb, export, *map(str, args)]) + "\n")
            self._in.flush()
        except BrokenPipeError:
            raise ChildFailed(self._why("it had ended")) from None

    def _line(self) -> str:
        line = self._out.readline()
        if not line:
            raise ChildFailed(self._why("it ended without answering"))
        return line.rstrip("\n")

    def _expect(self, word: str) -> None:
        line = self._line()
        if line != word:
            raise ChildFailed(line.removeprefix("! ") if line.startswith("! ") else
                              f"expected {word!r} from the guest process, got {line[:200]!r}")

    def _answer(self) -> Any:
        line = self._line()
        if line.startswith("= "):
            return ast.literal_eval(line[2:])
        raise ChildFailed(line.removeprefix("! "))

    def _why(self, what: str) -> str:
        code = self.proc.wait()
        self._stderr.seek(0)
        last = (self._stderr.read().decode(errors="replace").strip().splitlines() or [""])[-1]
        return f"guest process: {what} (exit code {code}){': ' + last if last else ''}"


def _die_with_parent(parent: int) -> None:
    """Let the kernel kill this process when its parent dies (Linux), and check it still lives."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the request above took effect


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenarios.families.interruption.killable",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--runtime", required=True)
    parser.add_argument("--guest", required=True)
    parser.add_argument("--module", type=Path, help="the module to use as that guest")
    parser.add_argument("--parent", type=int, required=True)
    args = parser.parse_args(argv)
    _die_with_parent(args.parent)
    try:
        if args.module:
            guest.override(args.guest, args.module)
        runtime = runtimes.get(args.runtime)()
        instance = runtime.load(guest.get(args.guest).wasm)
    except Exception as exc:
        print(f"! cannot load {args.guest} on {args.runtime}: {exc}", flush=True)
        return 1
    print("ready", flush=True)
    for line in sys.stdin:  # ends when the parent closes the pipe
        verb, export, *raw = line.split()
        try:
            fn = instance.export(export)
            if verb == "start":
                print("started", flush=True)
            faulthandler.dump_traceback_later(REQUEST_LIMIT, exit=True)
            try:
                reply = f"= {fn(*map(int, raw))!r}"
            finally:
                faulthandler.cancel_dump_traceback_later()
        except Exception as exc:
            reply = f"! {runtime.explain(exc).describe()}"
        print(reply, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
