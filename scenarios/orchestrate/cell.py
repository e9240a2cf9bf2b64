"""One cell of a run: one scenario on one runtime, in its own process tree.

``run_cell`` starts ``python -m scenarios.harness.bench`` (a pyperf Runner and its workers) in a new
session, watches its JSON-lines events, and turns however it ended into a status per
benchmark: ok, invalid (wrong answer or guest error: never timed), unsupported, timeout,
crashed (with the signal and the runtime's last words) or failed. When a benchmark takes its
process down, the cell goes on with the benchmarks after it in a fresh process; benchmarks
finished by an earlier attempt (a stopped run being resumed) are not redone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyperf

from scenarios.harness import callgrind
from scenarios.orchestrate import hosts
from scenarios.record import exits
from scenarios.record.events import read_events
from scenarios.record.manifest import BenchmarkRecord, CellRecord
from scenarios.record.paths import PROJECT_ROOT
from scenarios.record.status import VERDICTS, Event, Status


class Stop(BaseException):
    """Ctrl-C or SIGTERM asked the run to stop; raised at the next safe point, never mid-step."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


_requested: list[str] = []


def _request_stop(signum: int, _frame: Any) -> None:
    if _requested:  # a second Ctrl-C: the user means it, stop at once
        raise KeyboardInterrupt
    _requested.append(signal.Signals(signum).name)


def check_stop() -> None:
    """Raise ``Stop`` if a stop was requested (call between steps)."""
    if _requested:
        raise Stop(_requested[0])


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """Within this block SIGINT/SIGTERM request a stop instead of killing the orchestrator."""
    _requested.clear()
    previous = {s: signal.signal(s, _request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


# What a dying runtime says last: a Rust panic's message, or CPython's fatal error line.
# How long a benchmark process may take to end once its last benchmark is recorded.
EXIT_GRACE_S = 30.0
LINGERED = (f"the process had not ended {EXIT_GRACE_S:g} s after its last benchmark and was "
            "killed (its results were already recorded)")
_CRASH_MESSAGE = re.compile(r"panicked at [^\n]*\n([^\n]+)|Fatal Python error: ([^\n]+)")


@dataclass(frozen=True)
class CellSpec:
    """Everything that defines a cell's processes (identical for every runtime of a run)."""

    python: str
    runtime: str
    scenario: str
    call_timeout: float
    max_bytes: int | None
    pyperf_args: tuple[str, ...]
    extra_args: tuple[str, ...] = ()  # e.g. --guest NAME=PATH, --declared JSON
    profile: str = "quick"
    measure: str = "time"  # or "instructions"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def spawn(cmd: list[str], log_path: Path, events_path: Path, idle_limit: float,
          on_events: Callable[[Path], None] | None = None,
          finished: Callable[[Path], bool] | None = None) -> tuple[int, bool]:
    """Run ``cmd`` in its own process group; kill the group if ``events_path`` stalls, or if
    it has not ended ``EXIT_GRACE_S`` after ``finished(events_path)`` said its work is done
    (a binding whose threads hang the interpreter's exit: its results are already written).

    Returns (exit code, killed for lack of progress). ``on_events(events_path)`` is called
    whenever the events file grew (progress). A requested stop (``Stop``) or any other
    exception kills the group before it propagates, so no benchmark process outlives the
    orchestrator.
    """
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=hosts.child_env(),
                                cwd=PROJECT_ROOT, start_new_session=True)
        last_change, last_size, done_at = time.monotonic(), -1, None
        try:
            while True:
                try:
                    return proc.wait(timeout=0.5), False
                except subprocess.TimeoutExpired:
                    check_stop()
                size = events_path.stat().st_size if events_path.exists() else 0
                now = time.monotonic()
                if size != last_size:
                    last_change, last_size = now, size
                    if on_events is not None:
                        on_events(events_path)
                    if done_at is None and finished is not None and finished(events_path):
                        done_at = now
                elif done_at is not None and now - done_at > EXIT_GRACE_S:
                    log.write(f"\n{LINGERED}\n")
                    _kill_group(proc)
                    return proc.wait(), False
                elif now - last_change > idle_limit:
                    _kill_group(proc)
                    return proc.wait(), True
        except BaseException:
            _kill_group(proc)
            proc.wait()
            raise


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _death(rc: int, stalled: bool, log_text: str, watchdog_text: str, call_timeout: float,
           worker_detail: str | None) -> tuple[Status, str]:
    """Why a benchmark process tree ended abnormally, as (status, detail)."""
    if stalled:
        return Status.TIMEOUT, "no progress: the process tree was killed by the orchestrator"
    if LINGERED in log_text:
        return Status.OK, LINGERED
    if "Timeout (" in watchdog_text:
        return Status.TIMEOUT, f"a call ran past --call-timeout={call_timeout:g}s and was stopped"
    if worker_detail:
        return Status.FAILED, worker_detail
    worker_rc = re.findall(r"failed with exit code (-?\d+)", log_text)
    code = int(worker_rc[-1]) if worker_rc else rc
    if code == exits.PYPERF_TIMEOUT:
        return Status.TIMEOUT, "pyperf's worker timeout expired"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        last_words = _CRASH_MESSAGE.search(log_text)
        why = f": {(last_words[1] or last_words[2]).strip()[:200]}" if last_words else ""
        return Status.CRASHED, f"process killed by {name}{why}"
    lines = [ln for ln in log_text.strip().splitlines() if ln.strip()]
    return Status.FAILED, (lines[-1] if lines else f"exit code {rc}")[:300]


def _finished_earlier(part_dir: Path, scenario: str) -> tuple[int, dict[str, BenchmarkRecord]]:
    """(last attempt number, benchmarks an earlier attempt finished) for a resumed cell.

    A benchmark counts as timed only if its pyperf result can be loaded: an attempt killed
    while pyperf wrote its file loses that file's benchmarks, which are then redone.
    """
    pattern = re.compile(rf"{re.escape(scenario)}\.(\d+)\.events\.jsonl")
    attempts = sorted(int(m[1]) for p in part_dir.glob(f"{scenario}.*.events.jsonl")
                      if (m := pattern.fullmatch(p.name)))
    done: dict[str, BenchmarkRecord] = {}
    for n in attempts:
        timed: set[str] = set()
        with contextlib.suppress(Exception):
            timed = set(pyperf.BenchmarkSuite.load(str(part_dir / f"{scenario}.{n}.json"))
                        .get_benchmark_names())
        events = read_events(part_dir / f"{scenario}.{n}.events.jsonl")
        seen = _seen(events)
        for e in events:
            if e["event"] == Event.DONE and e["benchmark"] in timed:
                done[e["benchmark"]] = BenchmarkRecord(Status.OK, "",
                                                       seen.get(e["benchmark"]))
            elif e["event"] in VERDICTS:
                done[e["benchmark"]] = BenchmarkRecord(VERDICTS[e["event"]], e["detail"])
    return max(attempts, default=0), done


def _seen(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What validation observed per benchmark (its 'valid' event's facts), kept with its 'ok'."""
    return {e["benchmark"]: e["facts"] for e in events
            if e["event"] == Event.VALID and "facts" in e}


def settled(events_path: Path) -> int:
    """How many benchmarks the events file says are finished, one way or another."""
    return sum(e["event"] in (Event.DONE, *VERDICTS) for e in read_events(events_path))


def run_cell(spec: CellSpec, names: list[str], part_dir: Path,
             progress: Callable[[int], None] | None = None) -> CellRecord:
    """Validate and time benchmarks ``names`` of one scenario on one runtime.

    Retries past a benchmark that takes its process down, and skips benchmarks an earlier
    (stopped) attempt already finished. ``progress(n)`` hears how many of ``names`` are
    finished whenever that may have changed.
    """
    attempt, done = _finished_earlier(part_dir, spec.scenario)
    result = CellRecord(benchmarks=dict(done))
    remaining = [n for n in names if n not in done]
    while remaining:
        attempt += 1
        stem = part_dir / f"{spec.scenario}.{attempt}"
        events_path = Path(f"{stem}.events.jsonl")
        cmd = [spec.python, "-m", "scenarios.harness.bench", "--runtime", spec.runtime,
               "--scenario", spec.scenario, "--events", str(events_path), "-o", f"{stem}.json",
               "--call-timeout", str(spec.call_timeout), "--run-profile", spec.profile,
               "--timeout", str(int(spec.call_timeout * 10 + 60)),
               *spec.pyperf_args, *spec.extra_args]
        if spec.max_bytes is not None:
            cmd += ["--max-bytes", str(spec.max_bytes)]
        if spec.measure != "time":
            cmd += ["--measure", spec.measure]
        if len(remaining) < len(names):
            cmd += ["--benchmarks", ",".join(remaining)]
        before = len(names) - len(remaining)
        idle = (spec.call_timeout * 12 + 60) * (callgrind.SLOWDOWN if spec.measure != "time" else 1)
        todo = len(remaining)
        rc, stalled = spawn(cmd, Path(f"{stem}.log"), events_path, idle,
                            progress and (lambda path, b=before: progress(b + settled(path))),
                            lambda path, n=todo: settled(path) >= n)
        _remove_leftovers(part_dir)
        events = read_events(events_path)
        kinds = {e["event"] for e in events}
        if Event.UNAVAILABLE in kinds or rc == exits.UNAVAILABLE:
            reason = next((e["reason"] for e in events if e["event"] == Event.UNAVAILABLE), "")
            return CellRecord(Status.UNAVAILABLE, reason or f"exit code {rc}")
        if Event.UNSUPPORTED in kinds:
            return CellRecord.declined(names, next(e["reason"] for e in events
                                                   if e["event"] == Event.UNSUPPORTED))
        begin = next((e["benchmarks"] for e in events if e["event"] == Event.BEGIN), None)
        death = _death(rc, stalled, _read(Path(f"{stem}.log")),
                       _read(Path(f"{events_path}.watchdog")), spec.call_timeout,
                       _worker_failure(events))
        if begin is None:  # died before it could even list its benchmarks
            result.status, result.detail = Status.FAILED, "{}: {}".format(*death)
            return result
        seen = _seen(events)
        pending = None
        for e in events:
            name = e.get("benchmark")
            if e["event"] in VERDICTS:
                result.benchmarks[name] = BenchmarkRecord(VERDICTS[e["event"]], e["detail"])
            elif e["event"] == Event.DONE:
                result.benchmarks[name] = BenchmarkRecord(Status.OK, "", seen.get(name))
            if e["event"] in (Event.VALIDATE, Event.START):
                pending = name
            elif e["event"] in (Event.VALID, Event.DONE, *VERDICTS) and name == pending:
                pending = None
        if rc == 0 and not stalled:
            break
        pending = pending or next((n for n in begin if n not in result.benchmarks), None)
        if pending is None:  # every benchmark recorded: how the process ended is a note
            result.detail = death[1] if death[0] == Status.OK else "{}: {}".format(*death)
            break
        result.benchmarks[pending] = BenchmarkRecord(*death)
        remaining = [n for n in begin if n not in result.benchmarks]
    for name in names:
        result.benchmarks.setdefault(name, BenchmarkRecord(Status.FAILED, "not timed"))
    result.benchmarks = {n: result.benchmarks[n] for n in names}  # in the scenario's order
    result.settle()
    return result


def _remove_leftovers(part_dir: Path) -> None:
    """The temporary folders of a benchmark process killed before it could remove them
    (its workers' files, its shared compiled artifacts: megabytes each)."""
    for leftover in [*part_dir.glob(".workers-*"), *part_dir.glob(".shared-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _worker_failure(events: list[dict[str, Any]]) -> str | None:
    """What a worker said before it failed (a wrong answer after timing, say), if anything."""
    return next((e["detail"] for e in reversed(events) if e["event"] == Event.WORKER_FAILED),
                None)
