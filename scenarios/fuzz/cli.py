"""``python -m scenarios.fuzz``: differential fuzzing of every runtime that loads wasm bytes.

    python -m scenarios.fuzz --modules 10000 --seed 1 --runtime all
    python -m scenarios.fuzz --replay results/fuzz-.../findings/000042.wasm

One worker process per runtime (in that runtime's interpreter) works through the modules in
order, so runtimes run in parallel and a slow one only delays itself; the generator stays at
most ``WINDOW`` modules ahead of the slowest. Every answer is appended to ``answers.jsonl``
the moment it arrives, and a module is compared once all its answers are in: a disagreement
is appended to ``findings.jsonl`` with the module and its calls kept under ``findings/`` for
``--replay``; an agreed module is deleted. An interrupted run keeps everything it answered.

Exit status: 0 when the run completed (disagreements are findings, not failures), 3 when the
orchestrator lost a result or hit an internal error, 2 on bad usage, 130/143 on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import collections
import json
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import runtimes
from runtimes.base import Capability
from scenarios.fuzz import generate
from scenarios.fuzz.compare import Verdict, compare
from scenarios.fuzz.pool import Worker
from scenarios.orchestrate import hosts, run_folder
from scenarios.record.paths import RESULTS

WINDOW = 64  # modules generated ahead of the slowest runtime (files waiting in pending/)
LOST_STATUS = 3


class UsageError(Exception):
    """Bad options; the message is printed and the command exits 2."""


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m scenarios.fuzz",
        description="Random valid modules (wasm-tools smith) through every runtime that loads "
                    "wasm bytes; answers compared across runtimes, disagreements kept.",
        epilog="Exit status: 0 the run completed (disagreements are findings), 3 the "
               "orchestrator lost a result or failed internally, 2 bad usage, 130/143 "
               "interrupted (what was answered is kept).")
    p.add_argument("--modules", type=int, default=None, metavar="N",
                   help="modules to generate (default 100 unless --seconds is given)")
    p.add_argument("--seconds", type=float, default=None, metavar="S",
                   help="stop generating after S seconds (the modules begun are finished)")
    p.add_argument("--seed", type=int, default=None,
                   help="the run's seed: same seed, same modules and calls (default: the time)")
    p.add_argument("--runtime", default="all", metavar="A,B|all",
                   help="runtimes to compare (all: every runtime declaring any_module)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="output folder (default results/fuzz-<timestamp>/)")
    p.add_argument("--replay", type=Path, default=None, metavar="FILE.wasm",
                   help="run one kept module (with its .calls.json) on every runtime, print "
                        "each answer")
    p.add_argument("--timeout", type=float, default=20.0, metavar="S",
                   help="per-module time limit of a runtime before its worker is killed "
                        "(default 20)")
    p.add_argument("--every-module", action="store_true",
                   help="run every runtime on every module, also those declaring a sample "
                        "(wasm2c: gcc per module)")
    p.add_argument("--python", action="append", default=[], metavar="PATH",
                   help="another interpreter to consider for the workers")
    return p.parse_args(argv)


def select_runtimes(spec: str) -> list[str]:
    """'all' is every registered runtime that runs any module; names are checked."""
    if spec.strip() == "all":
        return [n for n in runtimes.names()
                if Capability.ANY_MODULE in runtimes.get(n).capabilities]
    names = list(dict.fromkeys(n.strip() for n in spec.split(",") if n.strip()))
    if not names:
        raise UsageError("no runtime given")
    for name in names:
        try:
            cls = runtimes.get(name)
        except LookupError as exc:
            raise UsageError(str(exc).strip("'\"")) from None
        if Capability.ANY_MODULE not in cls.capabilities:
            raise UsageError(f"{name} runs only its own guests, not arbitrary wasm bytes")
    return names


def assign(names: list[str], extra: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each runtime's interpreter (as benchmark workers get theirs), and why others have none."""
    found = hosts.discover(names, extra, allow_provision=True,
                           log=lambda m: print(m, file=sys.stderr), newest=False)
    pairs, skipped = hosts.plan(names, found)
    return {a.runtime: a.host.python for a in pairs if not a.newest_only}, skipped


@dataclass
class Tally:
    """What the run did, for the summary (and for the exit status)."""

    modules: int = 0
    generation_failures: int = 0
    expected: int = 0
    answered: int = 0
    compared: int = 0
    disagreements: int = 0
    statuses: dict[str, collections.Counter[str]] = field(default_factory=dict)
    kinds: collections.Counter[str] = field(default_factory=collections.Counter)
    orchestrator_errors: int = 0
    busy: dict[str, float] = field(default_factory=dict)  # seconds each runtime spent answering


class Run:
    """One fuzz run: the generator, a thread per runtime worker, and the recorder."""

    def __init__(self, args: argparse.Namespace, python: dict[str, str], out: Path,
                 tool: str) -> None:
        self.args, self.python, self.out, self.tool = args, python, out, tool
        self.order = list(python)
        self.every = {r: 1 if args.every_module else max(1, runtimes.get(r).fuzz_every)
                      for r in self.order}
        if min(self.every.values()) > 1:  # a sample is a share of the others' modules
            self.every = dict.fromkeys(self.order, 1)
        self.modules: list[generate.Module | None] = []  # None: smith made nothing
        self.generated_all = False
        self.progress = dict.fromkeys(self.order, 0)  # next module index per runtime
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.results: queue.Queue[tuple[int, str, dict[str, Any]]] = queue.Queue()
        self.tally = Tally(statuses={r: collections.Counter() for r in self.order})
        self.interrupted = False
        self.workers = {r: Worker(r, p, out / "workers" / f"{r}.log", args.timeout)
                        for r, p in python.items()}

    def takes(self, runtime: str, index: int) -> bool:
        return index % self.every[runtime] == 0

    def pending(self, index: int) -> Path:
        return self.out / "pending" / f"{index:06d}.wasm"

    # -- threads ------------------------------------------------------------------------------
    def generate(self) -> None:
        """Make modules until the count or the time budget is reached (or a stop)."""
        limit = self.args.modules
        deadline = (time.monotonic() + self.args.seconds) if self.args.seconds else None
        index = 0
        try:
            while not self.stop.is_set():
                if limit is not None and index >= limit:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
                with self.cond:
                    while (index - min(self.progress.values()) >= WINDOW
                           and not self.stop.is_set()):
                        self.cond.wait(0.5)
                mod: generate.Module | None = None
                try:
                    mod = generate.module(self.tool, self.args.seed, index)
                    self.pending(index).write_bytes(mod.wasm)
                except Exception as exc:  # smith failed or hung: this index makes no module
                    print(f"module {index}: not generated ({type(exc).__name__}: {exc})",
                          file=sys.stderr)
                    mod = None
                with self.cond:
                    self.modules.append(mod)
                    self.cond.notify_all()
                index += 1
        finally:
            with self.cond:
                self.generated_all = True
                self.cond.notify_all()

    def serve(self, runtime: str) -> None:
        """This runtime's worker through every module, one answer each (never none)."""
        worker = self.workers[runtime]
        index = 0
        while True:
            with self.cond:
                while (index >= len(self.modules) and not self.generated_all
                       and not self.stop.is_set()):
                    self.cond.wait(0.5)
                if self.stop.is_set() or index >= len(self.modules):
                    break
                mod = self.modules[index]
            if mod is not None and self.takes(runtime, index):
                began = time.monotonic()
                try:
                    answer = worker.ask(self.pending(index), mod.plan())
                except Exception as exc:  # ours, not the runtime's: recorded, never lost
                    answer = {"status": "error", "message": f"{type(exc).__name__}: {exc}",
                              "traceback": traceback.format_exc(limit=5)}
                self.tally.busy[runtime] = (self.tally.busy.get(runtime, 0.0)
                                            + time.monotonic() - began)
                if self.stop.is_set():
                    break  # an answer cut short by the interruption is no answer
                self.results.put((index, runtime, answer))
            index += 1
            with self.cond:
                self.progress[runtime] = index
                self.cond.notify_all()
        with self.cond:
            self.progress[runtime] = sys.maxsize
            self.cond.notify_all()
        worker.shutdown()

    # -- the recorder (main thread) -----------------------------------------------------------
    def record(self) -> None:
        threads = [threading.Thread(target=self.generate, name="generate", daemon=True)]
        threads += [threading.Thread(target=self.serve, args=(r,), name=r, daemon=True)
                    for r in self.order]
        for t in threads:
            t.start()
        waiting: dict[int, dict[str, dict[str, Any]]] = collections.defaultdict(dict)
        started = time.monotonic()
        with open(self.out / "answers.jsonl", "a", encoding="utf-8") as answers, \
                open(self.out / "findings.jsonl", "a", encoding="utf-8") as findings:
            while any(t.is_alive() for t in threads) or not self.results.empty():
                try:
                    self._take(answers, findings, waiting, started)
                except KeyboardInterrupt:  # the answers already in the queue are still kept
                    self.interrupt()

    def _take(self, answers: Any, findings: Any, waiting: dict[int, dict[str, dict[str, Any]]],
              started: float) -> None:
        """Write the next answer to disk; compare its module once all its answers are in."""
        try:
            index, runtime, answer = self.results.get(timeout=0.5)
        except queue.Empty:
            return
        answers.write(json.dumps({"module": index, "runtime": runtime, **answer},
                                 ensure_ascii=False) + "\n")
        answers.flush()
        self.tally.answered += 1
        self.tally.statuses[runtime][str(answer.get("status"))] += 1
        if answer.get("status") == "error":
            self.tally.orchestrator_errors += 1
        waiting[index][runtime] = answer
        if set(waiting[index]) < {r for r in self.order if self.takes(r, index)}:
            return
        try:
            self.conclude(index, waiting.pop(index), findings)
        except Exception:  # the answers are on disk; only this comparison is lost
            self.tally.orchestrator_errors += 1
            traceback.print_exc()
            return
        done = self.tally.compared
        if done % 100 == 0:
            rate = done / max(time.monotonic() - started, 1e-9)
            print(f"{done} modules compared, {self.tally.disagreements} disagreements "
                  f"({rate:.1f} modules/s)", file=sys.stderr)

    def interrupt(self) -> None:
        """Ctrl-C or SIGTERM: no new module or answer; the workers are ended by their ids."""
        self.interrupted = True
        self.stop.set()
        for worker in self.workers.values():
            worker.kill()

    def conclude(self, index: int, answers: dict[str, dict[str, Any]], findings: Any) -> None:
        """Compare one module's answers; keep it (and say how) when they disagree."""
        self.tally.compared += 1
        verdict: Verdict = compare(answers, self.order)
        pending = self.pending(index)
        if not verdict.disagrees:
            pending.unlink(missing_ok=True)
            return
        self.tally.disagreements += 1
        kept = self.out / "findings" / f"{index:06d}.wasm"
        shutil.move(pending, kept)
        mod = self.modules[index]
        calls = mod.plan() if mod is not None else []
        kept.with_suffix(".calls.json").write_text(json.dumps(calls, ensure_ascii=False) + "\n",
                                                  encoding="utf-8")
        kinds = {r: f"{r} {words}" for r, words in verdict.kinds.items()}
        self.tally.kinds.update(kinds.values())
        findings.write(json.dumps({
            "module": index, "seed": self.args.seed, "file": str(kept.relative_to(self.out)),
            "kinds": sorted(kinds.values()), "majority": verdict.reference,
            "answers": answers}, ensure_ascii=False) + "\n")
        findings.flush()


def summary(run: Run, interrupted: bool) -> dict[str, Any]:
    t = run.tally
    t.modules = sum(m is not None for m in run.modules)
    t.generation_failures = sum(m is None for m in run.modules)
    t.expected = sum(run.takes(r, i) for i, m in enumerate(run.modules)
                     if m is not None for r in run.order)
    unanswered = t.expected - t.answered
    lost = 0 if interrupted else unanswered  # an interruption leaves the rest undone, not lost
    return {
        "seed": run.args.seed, "runtimes": run.order,
        "sample_every": {r: n for r, n in run.every.items() if n > 1},  # runtime: every Nth
        "modules": t.modules, "generation_failures": t.generation_failures,
        "pairs_expected": t.expected, "pairs_answered": t.answered,
        "modules_compared": t.compared, "disagreements": t.disagreements,
        "disagreements_by_kind": dict(t.kinds.most_common()),
        "hangs": sum(c["timeout"] for c in t.statuses.values()),
        "worker_crashes": sum(c["crashed"] for c in t.statuses.values()),
        "orchestrator_errors": t.orchestrator_errors, "lost_results": lost,
        "answers_by_runtime": {r: dict(c) for r, c in t.statuses.items()},
        # wall time per answer, workers (re)starts included: what a sample would save
        "seconds_per_module": {r: round(t.busy.get(r, 0.0) / n, 4)
                               for r, c in t.statuses.items() if (n := sum(c.values()))},
        "interrupted": interrupted, "unanswered_when_interrupted": unanswered if interrupted else 0,
    }


def print_summary(s: dict[str, Any], out: Path) -> None:
    print(f"fuzz: {s['modules']} modules x {len(s['runtimes'])} runtimes "
          f"({s['pairs_answered']} answers"
          + "".join(f"; {r} on every {n}th module" for r, n in s["sample_every"].items())
          + ")")
    if s["generation_failures"]:
        print(f"  smith made no module from {s['generation_failures']} seeds (skipped)")
    print(f"  disagreements: {s['disagreements']} modules")
    for kind, n in s["disagreements_by_kind"].items():
        print(f"    {n:6d}  {kind}")
    print(f"  hangs (timeouts): {s['hangs']}, worker crashes: {s['worker_crashes']}, "
          f"orchestrator errors: {s['orchestrator_errors']}, lost results: {s['lost_results']}"
          + (" (interrupted)" if s["interrupted"] else ""))
    print(f"  {out}")


def replay(args: argparse.Namespace) -> int:
    """Run one module on every selected runtime (no sampling) and print each answer."""
    path: Path = args.replay
    if not path.is_file():
        raise UsageError(f"no such module: {path}")
    sidecar = path.with_suffix(".calls.json")
    wasm = path.read_bytes()
    if sidecar.is_file():
        calls = json.loads(sidecar.read_text(encoding="utf-8"))
    else:
        calls = generate.Module(0, wasm, generate.plan_calls(wasm, args.seed or 0, 0)).plan()
    python, skipped = assign(select_runtimes(args.runtime), args.python)
    for name, why in skipped.items():
        print(f"{name}: not run ({why})")
    answers: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for runtime, interp in python.items():
            worker = Worker(runtime, interp, Path(tmp) / f"{runtime}.log", args.timeout)
            try:
                answers[runtime] = worker.ask(path, calls)
            finally:
                worker.shutdown()
            print(f"{runtime}: {json.dumps(answers[runtime])}")
    verdict = compare(answers, list(python))
    if verdict.disagrees:
        for runtime, words in verdict.kinds.items():
            print(f"disagreement: {runtime} {words} (majority: {', '.join(verdict.reference)})")
    else:
        print(f"all {len(verdict.compared)} runtimes agree")
    return 0


def fuzz(args: argparse.Namespace) -> int:
    if args.modules is not None and args.modules < 0:
        raise UsageError("--modules must be >= 0")
    if args.modules is None and args.seconds is None:
        args.modules = 100
    if args.seed is None:
        args.seed = int(time.time())
    names = select_runtimes(args.runtime)  # before the output folder is made
    out: Path = args.out or RESULTS / time.strftime("fuzz-%Y%m%dT%H%M%S")
    problem = run_folder.check_writable(out)
    if problem:
        raise UsageError(problem)
    try:
        tool = generate.wasm_tools()
    except generate.SmithError as exc:
        raise UsageError(str(exc)) from None
    for sub in ("pending", "findings", "workers"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    python, skipped = assign(names, args.python)
    for name, why in skipped.items():
        print(f"{name}: not run ({why})", file=sys.stderr)
    if not python:
        raise UsageError("none of the runtimes asked for is available")
    print(f"fuzz: seed {args.seed}, runtimes {', '.join(python)}, into {out}", file=sys.stderr)
    run = Run(args, python, out, tool)
    try:
        run.record()
    except KeyboardInterrupt:  # outside the recorder's loop (a second Ctrl-C, say)
        run.interrupt()
    interrupted = run.interrupted
    s = summary(run, interrupted)
    (out / "summary.json").write_text(json.dumps(s, indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    print_summary(s, out)
    if interrupted:
        return 143 if _TERMINATED.is_set() else 130
    return LOST_STATUS if s["lost_results"] or s["orchestrator_errors"] else 0


_TERMINATED = threading.Event()


def _sigterm(signum: int, frame: Any) -> None:
    """SIGTERM ends the run as Ctrl-C does (answers kept, summary written), status 143."""
    _TERMINATED.set()
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        return replay(args) if args.replay is not None else fuzz(args)
    except UsageError as exc:
        print(f"python -m scenarios.fuzz: {exc}", file=sys.stderr)
        return 2
