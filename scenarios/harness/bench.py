"""Validate, then time, one scenario on one runtime under pyperf
(``python -m scenarios.harness.bench``).

The orchestrator (``scenarios.run``) starts this once per runtime and scenario; pyperf then
re-runs it as worker processes, one benchmark each. The main process validates every
benchmark against the Python reference first and times only those that passed; workers
re-validate their own instance before and after every timed value. Progress goes to a
JSON-lines event file so the orchestrator knows what finished, what failed and what was
running when a process died. A watchdog in every process (faulthandler's C thread: it fires
even while a binding holds the GIL) ends a call that runs past ``--call-timeout``.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pyperf

import guest
import runtimes
from runtimes.base import NotSupported, Runtime, RuntimeUnavailable
from scenarios import catalog
from scenarios.catalog import Benchmark, Session, ValidationError, profiles
from scenarios.catalog.declared import Declaration
from scenarios.harness import callgrind
from scenarios.harness.timing import compile_workload, refreshed
from scenarios.record import exits
from scenarios.record.events import EventLog, read_events
from scenarios.record.status import Event

MAX_LOOPS = 2**32  # as pyperf's own calibration
# pyperf's options for the settings a profile, a scenario or a benchmark may declare
PYPERF_OPTIONS = {"processes": ("-p", "--processes"), "values": ("-n", "--values"),
                  "warmups": ("-w", "--warmups"), "loops": ("-l", "--loops"),
                  "min_time": ("--min-time",)}
MEASURES = ("time", "instructions")
# --measure instructions: operations per counted region (N; the second region runs 2N),
# fewer for payloads over INSTR_PAYLOAD (in proportion), and fewer still (a power of 2) only
# when that many would take longer than INSTR_MAX_TIME natively: N must not depend on the
# machine's speed, or two runs count different N (a count is not quite linear in N: periodic
# work, an allocator's new arena, is spread over more or fewer operations). Processes per
# benchmark unless -p says otherwise; time limits are --call-timeout's x callgrind.SLOWDOWN.
INSTR_OPS = 1000
INSTR_PAYLOAD = 1024
INSTR_MAX_TIME = 1.0
INSTR_PROCESSES = 9  # 3 left wasmer's medians 1.8 % apart between runs (bimodal); 9: 0.46 %
INSTR_HASH_SEED = "0"


@contextlib.contextmanager
def watchdog(seconds: float, path: str | None) -> Iterator[None]:
    """End this process (exit 1, traceback in ``path``) if the block outlives ``seconds``."""
    if seconds <= 0:
        yield
        return
    with open(path or os.devnull, "a", encoding="utf-8") as fh:
        faulthandler.dump_traceback_later(seconds, exit=True, file=fh)
        try:
            yield
        finally:
            faulthandler.cancel_dump_traceback_later()


def check(runtime: Runtime, bench: Benchmark, session: Session,
          facts: dict[str, Any] | None = None, plain_only: bool = False
          ) -> tuple[Callable[[], Any], Callable[[int], float], Callable[[], None]]:
    """Prepare ``bench`` and validate it once; return ``(once, timed, recheck)``.

    Raises ``ValidationError`` with a one-line reason when the answer is wrong or the guest
    fails (the runtime's error is explained in the framework's terms), and ``NotSupported``
    when the runtime cannot run this benchmark at all, or when ``plain_only`` (instruction
    counts) and the workload times only part of each statement (``before_each``, ``refresh``,
    its own ``measure``): a count cannot leave the untimed part out. What validation observed
    (``Workload.facts``) is copied into ``facts``.
    """
    try:
        work = bench.prepare(session)
        if plain_only and (work.measure or work.before_each or work.refresh):
            raise NotSupported("instruction counts need a plain statement (this workload "
                               "times part of each operation only)")
        measure = work.measure
        if measure is None:
            once, compiled = compile_workload(work.stmt, work.names, work.result,
                                              bench.inner_loops, work.setup, work.before_each)
            timed = compiled
            if work.refresh is not None:
                timed = refreshed(compiled, work.refresh, work.refresh_every)
            value = once()
        else:
            measure(1)  # it validates every operation it measures
    except (ValidationError, NotSupported):
        raise
    except Exception as exc:
        raise ValidationError(runtime.explain(exc).describe()) from None
    if facts is not None:
        facts.update(work.facts)
    if measure is not None:
        return lambda: measure(1), _explained(runtime, measure), lambda: None
    problem = work.problem(value)
    if problem:
        raise ValidationError(f"wrong answer: {problem}")

    def recheck() -> None:
        if work.validate_last:  # the answer of the last timed statement: no extra run
            again = compiled.last()  # type: ignore[attr-defined]
        else:
            try:
                again = once()
            except Exception as exc:
                raise ValidationError(f"after timing: {runtime.explain(exc).describe()}"
                                      ) from None
        problem = work.problem(again)
        if problem:
            raise ValidationError(f"wrong answer after timing: {problem}")

    return once, timed, recheck


def _explained(runtime: Runtime, measure: Callable[[int], float]) -> Callable[[int], float]:
    """``measure`` with a guest error during timing reported as a wrong answer, one line."""
    def timed(loops: int) -> float:
        try:
            return measure(loops)
        except ValidationError:
            raise
        except Exception as exc:
            raise ValidationError(runtime.explain(exc).describe()) from None
    return timed


def _forward(cmd: list[str], args: Any) -> None:
    """Hand our options to pyperf's workers (pyperf does not forward unknown options)."""
    cmd.extend(["--runtime", args.runtime, "--scenario", args.scenario,
                "--call-timeout", str(args.call_timeout), "--run-profile", args.run_profile,
                "--measure", args.measure])
    if args.declared is not None:
        cmd.extend(["--declared", args.declared])
    if args.benchmarks is not None:
        cmd.extend(["--benchmarks", args.benchmarks])
    if args.max_bytes is not None:
        cmd.extend(["--max-bytes", str(args.max_bytes)])
    if args.events:
        cmd.extend(["--events", args.events])
    if args.shared:
        cmd.extend(["--shared", args.shared])
    for item in args.guest:
        cmd.extend(["--guest", item])


def _selected(scenario: catalog.Scenario, args: Any) -> list[Benchmark]:
    """The benchmarks named by ``--benchmarks``, else the profile's."""
    if args.benchmarks is None:
        return scenario.benchmarks(args.max_bytes, profiles.get(args.run_profile).headline_only)
    wanted = set(filter(None, args.benchmarks.split(",")))
    return [b for b in scenario.benchmarks(args.max_bytes) if b.name in wanted]


def _time_func(runtime: Runtime, bench: Benchmark, session: Session, events: EventLog,
               call_timeout: float, watchdog_path: str | None) -> Callable[[int], float]:
    """The function pyperf calls in a worker: prepares lazily, re-validates after each value."""
    state: dict[str, Any] = {}

    def time_func(loops: int) -> float:
        if not state:
            events.emit(Event.WORKER, benchmark=bench.name)
            with watchdog(call_timeout, watchdog_path):
                try:
                    _, state["timed"], state["recheck"] = check(runtime, bench, session)
                except ValidationError as exc:
                    events.emit(Event.WORKER_FAILED, benchmark=bench.name, detail=str(exc))
                    raise
        with watchdog(call_timeout, watchdog_path):
            try:
                elapsed = state["timed"](loops)
                state["recheck"]()
            except ValidationError as exc:
                events.emit(Event.WORKER_FAILED, benchmark=bench.name, detail=str(exc))
                raise
        return elapsed

    return time_func


def _declared_defaults(argv: list[str]) -> dict[str, int | float]:
    """The pyperf defaults of the profile and of the scenario named on the command line, the
    scenario's first (pyperf needs them before it parses the command line, so --fast and
    --rigorous scale them as they scale pyperf's own)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--scenario")
    pre.add_argument("--run-profile", default=profiles.DEFAULT)
    known = pre.parse_known_args(argv)[0]
    try:
        profile = profiles.get(known.run_profile)
        declared = catalog.get(known.scenario).settings(profile.name) if known.scenario else {}
    except LookupError:
        return {}
    merged = {**profile.pyperf, **declared}
    return {k: v for k, v in merged.items() if k in PYPERF_OPTIONS}


def explicit_settings(argv: list[str]) -> dict[str, float]:
    """The pyperf settings given on the command line (they beat every declared default)."""
    pre = argparse.ArgumentParser(add_help=False)
    for key, flags in PYPERF_OPTIONS.items():
        pre.add_argument(*flags, dest=key, type=float, default=None)
    pre.add_argument("--debug-single-value", action="store_true")
    known = pre.parse_known_args(argv)[0]
    if known.debug_single_value:  # as pyperf sets them
        return {"processes": 1, "values": 1, "warmups": 0, "loops": 1, "min_time": 1e-9}
    return {key: getattr(known, key) for key in PYPERF_OPTIONS
            if getattr(known, key) is not None}


def calibrate(timed: Callable[[int], float], min_time: float) -> int:
    """pyperf's loop calibration, done once here instead of in a process of its own: the
    number of loops (a power of 2, at most ``MAX_LOOPS``) for which one value lasts at least
    ``min_time``."""
    loops = 1
    while loops * 2 <= MAX_LOOPS and timed(loops) < min_time:
        loops *= 2
    return loops


@contextlib.contextmanager
def settings_for(runner: pyperf.Runner, settings: dict[str, int | float]) -> Iterator[None]:
    """pyperf's settings for the benchmark measured within (pyperf's worker task reads
    ``runner.args`` as it computes warm-ups and values)."""
    saved = {key: getattr(runner.args, key) for key in settings}
    for key, value in settings.items():
        setattr(runner.args, key, value)
    try:
        yield
    finally:
        for key, value in saved.items():
            setattr(runner.args, key, value)


def _resolved(args: Any, own: dict[str, int | float]) -> dict[str, int | float]:
    """A benchmark's own settings over the process's (profile, scenario, command line)."""
    return {key: own[key] if key in own else getattr(args, key) for key in PYPERF_OPTIONS}


def _load_settings(args: Any) -> dict[str, dict[str, int | float]]:
    return json.loads(args.batch_settings) if args.batch_settings else {}


def _last_started(events: EventLog, pid: int) -> str | None:
    """The benchmark a worker process was on when it ended (its last 'worker' event)."""
    if not events.path:
        return None
    return next((e["benchmark"] for e in reversed(read_events(Path(events.path)))
                 if e["event"] == Event.WORKER and e.get("pid") == pid), None)


def _run_workers(runner: pyperf.Runner, args: Any, benches: list[Benchmark],
                 settings: dict[str, dict[str, int | float]], events: EventLog) -> int:
    """Time the validated benchmarks: round i starts one fresh process that measures, in
    turn, every benchmark asking for more than i processes (one run each); their runs are
    merged into one pyperf file. A process per benchmark and value set, as pyperf's own
    Manager does, would start 3-5 interpreters per benchmark instead of one per round.

    A process that fails takes the cell's main process down with it, naming the benchmark
    it was on (a 'start' event), so the orchestrator records it and retries the rest.
    """
    if not benches:
        return 0
    from pyperf._utils import create_environ

    merged: pyperf.BenchmarkSuite | None = None
    out_dir = Path(tempfile.mkdtemp(prefix=".workers-", dir=_work_dir(args)))
    try:
        for i in range(max(int(settings[b.name]["processes"]) for b in benches)):
            wanted = [b for b in benches if settings[b.name]["processes"] > i]
            out = out_dir / f"{i}.json"
            prefix = (callgrind.command(out_dir / f"{i}.callgrind.%p")
                      if args.measure == "instructions" else [])
            cmd = [*prefix, sys.executable, *runner._program_args, "--worker", "--loops", "1",
                   "--warmups", "0", "--values", "1", "--batch-output", str(out),
                   "--batch-settings", json.dumps({b.name: settings[b.name] for b in wanted})]
            cmd += [f"--affinity={args.affinity}"] if args.affinity else []
            cmd += ["--tracemalloc"] if args.tracemalloc else []
            cmd += ["--track-memory"] if args.track_memory else []
            args.benchmarks = ",".join(b.name for b in wanted)
            _forward(cmd, args)
            env = create_environ(args.inherit_environ, args.locale, args.copy_env)
            if args.measure == "instructions":  # the same dict and set layouts in every process
                env["PYTHONHASHSEED"] = INSTR_HASH_SEED
            proc = subprocess.Popen(cmd, env=env)
            try:
                rc = proc.wait(timeout=args.timeout * callgrind.SLOWDOWN if prefix and args.timeout
                               else args.timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                rc = exits.PYPERF_TIMEOUT  # what pyperf's own worker timeout exits with
            if rc != 0:
                events.emit(Event.START,
                            benchmark=_last_started(events, proc.pid) or wanted[0].name)
                print(f"{sys.executable} failed with exit code {rc}", file=sys.stderr)
                return exits.PYPERF_TIMEOUT if rc == exits.PYPERF_TIMEOUT else 1
            part = pyperf.BenchmarkSuite.load(str(out))
            if merged is None:
                merged = part
            else:
                merged.add_runs(part)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    if args.output and merged is not None:
        merged.dump(args.output)
    for bench in benches:
        events.emit(Event.START, benchmark=bench.name)
        events.emit(Event.DONE, benchmark=bench.name)
    return 0


def _bench_metadata(bench: Benchmark, scenario: str) -> dict[str, Any]:
    """What every value of ``bench`` carries, timed or counted: its scenario, payload,
    operations per statement and its own (and lazily computed) metadata."""
    return {"payload_bytes": bench.payload_bytes, "scenario": scenario,
            "ops_per_statement": bench.ops_per_statement, **bench.metadata,
            **(bench.lazy_metadata() if bench.lazy_metadata else {})}


def _measure_all(runner: pyperf.Runner, args: Any, scenario: str, benches: list[Benchmark],
                 settings: dict[str, dict[str, int | float]], runtime: Runtime,
                 session: Session, events: EventLog, watchdog_path: str | None) -> NoReturn:
    """In a worker process: one pyperf run of every benchmark, in turn, each with its own
    loops, warm-ups, values and minimum time; written as one pyperf file, then exit 0."""
    from pyperf._worker import WorkerProcessTask

    runner._cpu_affinity()
    runner._process_priority()
    timed = []
    for bench in benches:
        own = settings[bench.name]
        metadata = _bench_metadata(bench, scenario)
        if bench.defaults:
            metadata["benchmark_pyperf_defaults"] = " ".join(
                f"{k}={v}" for k, v in sorted(bench.defaults.items()))
        time_func = _time_func(runtime, bench, session, events, args.call_timeout,
                               watchdog_path)
        with settings_for(runner, {k: own[k] for k in ("values", "warmups", "min_time")}):
            task = WorkerProcessTask(runner, bench.name,
                                     lambda _, loops, f=time_func: f(loops), metadata)
            task.inner_loops = bench.inner_loops * bench.ops_per_statement
            task.loops = int(own["loops"])
            timed.append(pyperf.Benchmark((task.create_run(),)))
    pyperf.BenchmarkSuite(timed).dump(args.batch_output)
    # The runs are safe on disk. Leave without the interpreter's teardown: a binding's
    # finalizers (wasmtime's WASI output callbacks, say) calling into a dying interpreter can
    # abort the process, which would be recorded as a crash of the last benchmark.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def instructions_loops(bench: Benchmark) -> int:
    """The loops an instruction count runs: a power of 2 reaching ``INSTR_OPS`` operations
    (in proportion fewer for a payload over ``INSTR_PAYLOAD``)."""
    per_loop = bench.inner_loops * bench.ops_per_statement
    target = INSTR_OPS * INSTR_PAYLOAD // max(INSTR_PAYLOAD, bench.payload_bytes)
    loops = 1
    while loops * per_loop < target:
        loops *= 2
    return loops


def _instr_loops(timed: Callable[[int], float], bench: Benchmark) -> int:
    """``instructions_loops(bench)``, halved while that many take over INSTR_MAX_TIME."""
    loops = instructions_loops(bench)
    while loops > 1 and timed(loops) > INSTR_MAX_TIME:
        loops //= 2
    return loops


def _count_all(runner: pyperf.Runner, args: Any, scenario: str, benches: list[Benchmark],
               settings: dict[str, dict[str, int | float]], runtime: Runtime,
               session: Session, events: EventLog, watchdog_path: str | None) -> NoReturn:
    """In a worker process under callgrind: count every benchmark's instructions in turn.

    The statement is the validated one (``check``), run once as a warm-up and re-validated
    outside the counted regions; then N and 2N loops are each counted alone, with the garbage
    collector collected and disabled, and the difference divided by the operations of N
    loops is the run's one value (unit 'integer', metadata ``measure=instructions``).
    """
    requests = callgrind.Requests()
    if not requests.running():
        print("scenarios.harness.bench: --measure instructions needs the worker to run "
              "under valgrind --tool=callgrind", file=sys.stderr)
        os._exit(1)
    pid = os.getpid()
    out_dir = Path(args.batch_output).parent
    counted = []
    for bench in benches:
        loops = int(settings[bench.name]["loops"])
        events.emit(Event.WORKER, benchmark=bench.name)
        try:
            with watchdog(args.call_timeout, watchdog_path):
                _, timed, recheck = check(runtime, bench, session, plain_only=True)
            with watchdog(args.call_timeout * callgrind.SLOWDOWN, watchdog_path):
                timed(loops)  # warm-up: caches, lazy compilation, the allocator's pools
                recheck()
            requests.instrument(True)
            with watchdog(args.call_timeout, watchdog_path):
                timed(1)  # warm-up under instrumentation: valgrind's translations of the loop
            gc.collect()
            gc.disable()
            try:
                for n in (loops, 2 * loops):
                    with watchdog(args.call_timeout * callgrind.SLOWDOWN, watchdog_path):
                        callgrind.count(requests, timed, n, f"{bench.name}:{n}")
            finally:
                gc.enable()
                requests.instrument(False)
            with watchdog(args.call_timeout, watchdog_path):
                recheck()
        except ValidationError as exc:
            events.emit(Event.WORKER_FAILED, benchmark=bench.name, detail=str(exc))
            raise
        dumps = callgrind.read_dumps(sorted(out_dir.glob(f"*.callgrind.{pid}.*")))
        first, second = dumps[f"{bench.name}:{loops}"], dumps[f"{bench.name}:{2 * loops}"]
        per_loop = bench.inner_loops * bench.ops_per_statement
        value = callgrind.per_operation(first, second, loops, per_loop)
        metadata = {**runner.metadata, "name": bench.name, "unit": "integer",
                    "measure": "instructions", "instructions_ops": loops * per_loop,
                    "instructions_n": first, "instructions_2n": second,
                    "instructions_hash_seed": INSTR_HASH_SEED,
                    **_bench_metadata(bench, scenario)}
        counted.append(pyperf.Benchmark((pyperf.Run([value], metadata=metadata),)))
    pyperf.BenchmarkSuite(counted).dump(args.batch_output)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # as _measure_all: no interpreter teardown


def main() -> int:
    runner = pyperf.Runner(program_args=("-m", "scenarios.harness.bench"),
                           add_cmdline_args=_forward)
    parser = runner.argparser
    defaults = _declared_defaults(sys.argv[1:])
    explicit = explicit_settings(sys.argv[1:])
    parser.set_defaults(**defaults)
    parser.add_argument("--runtime", required=True)
    parser.add_argument("--scenario", required=True)
    # (pyperf has a --profile of its own: cProfile)
    parser.add_argument("--run-profile", default=profiles.DEFAULT, choices=list(profiles.PROFILES))
    parser.add_argument("--benchmarks", default=None, help="comma-separated names (default: all)")
    parser.add_argument("--max-bytes", type=int, default=None)
    parser.add_argument("--call-timeout", type=float, default=120.0)
    parser.add_argument("--measure", default="time", choices=MEASURES,
                        help="time (pyperf, seconds) or instructions (callgrind, per operation)")
    parser.add_argument("--events", default=None, help="JSON-lines progress file")
    parser.add_argument("--guest", action="append", default=[], metavar="NAME=PATH",
                        help="use another module as guest NAME")
    parser.add_argument("--declared", default=None,
                        help="a declared scenario (scenarios.catalog.declared.Declaration as JSON)")
    parser.add_argument("--batch-output", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--batch-settings", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--shared", default=None, help=argparse.SUPPRESS)  # see Session
    args = runner.parse_args()
    for item in args.guest:
        name, _, path = item.partition("=")
        guest.override(name, Path(path))
    events = EventLog(args.events)
    watchdog_path = f"{args.events}.watchdog" if args.events else None

    if args.declared is not None:
        catalog.register(Declaration.from_json(args.declared).scenario())
    scenario = catalog.get(args.scenario)
    try:
        runtime = runtimes.get(args.runtime)()
    except RuntimeUnavailable as exc:
        events.emit(Event.UNAVAILABLE, reason=str(exc))
        print(f"scenarios.harness.bench: {exc}", file=sys.stderr)
        return exits.UNAVAILABLE
    if args.measure == "instructions" and not args.worker:
        reason = callgrind.unavailable_reason()
        if reason:
            events.emit(Event.UNAVAILABLE, reason=reason)
            print(f"scenarios.harness.bench: {reason}", file=sys.stderr)
            return exits.UNAVAILABLE
    info = runtime.info
    runner.metadata.update(info.as_metadata())
    if defaults:
        runner.metadata["scenario_pyperf_defaults"] = " ".join(
            f"{k}={v}" for k, v in sorted(defaults.items()))
    for name in scenario.guests:
        runner.metadata[f"guest_{name}_sha256"] = guest.get(name).sha256
    runner.metadata.update(scenario.metadata)
    runner.metadata["profile"] = args.run_profile
    if args.worker:
        return _worker(runner, args, scenario, runtime, events, watchdog_path)
    with tempfile.TemporaryDirectory(prefix=".shared-", dir=_work_dir(args)) as shared:
        args.shared = shared
        return _main(runner, args, scenario, runtime, events, watchdog_path, explicit)


def _work_dir(args: Any) -> Path:
    """Where a cell's temporary files go: beside its pyperf file (on the results' disk)."""
    return Path(args.output or ".").parent


def _worker(runner: pyperf.Runner, args: Any, scenario: catalog.Scenario, runtime: Runtime,
            events: EventLog, watchdog_path: str | None) -> NoReturn:
    """One of the processes ``_run_workers`` starts: every benchmark asked for, in turn."""
    session = Session(runtime, Path(args.shared) if args.shared else None)
    measure_all = _count_all if args.measure == "instructions" else _measure_all
    return measure_all(runner, args, scenario.name, _selected(scenario, args),
                        _load_settings(args), runtime, session, events, watchdog_path)


def _main(runner: pyperf.Runner, args: Any, scenario: catalog.Scenario, runtime: Runtime,
          events: EventLog, watchdog_path: str | None, explicit: dict[str, float]) -> int:
    """The cell's main process: validate and calibrate every benchmark, then time the valid
    ones in fresh worker processes."""
    session = Session(runtime, Path(args.shared))
    benches = _selected(scenario, args)
    settings: dict[str, dict[str, int | float]] = {}  # per benchmark, in the main process

    events.emit(Event.BEGIN, info=runtime.info.as_metadata(),
                benchmarks=[b.name for b in benches])
    if not runtime.supports(scenario.requires):
        missing = sorted(c.value for c in scenario.requires - runtime.capabilities)
        events.emit(Event.UNSUPPORTED, reason=f"needs {', '.join(missing)}")
        return 0
    problem = scenario.export_problem()
    passed = []
    for bench in benches:
        if not runtime.supports(bench.requires):
            missing = sorted(c.value for c in bench.requires - runtime.capabilities)
            events.emit(Event.NOT_SUPPORTED, benchmark=bench.name,
                        detail=f"needs {', '.join(missing)}")
            continue
        # the bytes one statement handles: a guest-side loop repeats its payload
        refusal = runtime.refuses_payload(bench.payload_bytes * bench.ops_per_statement)
        if refusal:
            events.emit(Event.NOT_SUPPORTED, benchmark=bench.name, detail=refusal)
            continue
        if problem:
            events.emit(Event.INVALID, benchmark=bench.name, detail=problem)
            continue
        events.emit(Event.VALIDATE, benchmark=bench.name)
        facts: dict[str, Any] = {}
        own = {k: v for k, v in bench.defaults.items() if k not in explicit}
        with watchdog(args.call_timeout, watchdog_path):
            try:
                _, timed, _ = check(runtime, bench, session, facts,
                                    plain_only=args.measure == "instructions")
                if args.measure == "instructions":
                    own["loops"] = int(explicit.get("loops") or _instr_loops(timed, bench))
                    own["processes"] = int(explicit.get("processes", INSTR_PROCESSES))
                elif not (own.get("loops") or args.loops):
                    own["loops"] = calibrate(timed, own.get("min_time", args.min_time))
            except ValidationError as exc:
                events.emit(Event.INVALID, benchmark=bench.name, detail=str(exc))
                continue
            except NotSupported as exc:
                events.emit(Event.NOT_SUPPORTED, benchmark=bench.name, detail=str(exc))
                continue
        events.emit(Event.VALID, benchmark=bench.name, **({"facts": facts} if facts else {}))
        settings[bench.name] = own
        passed.append(bench)
    benches = passed
    args.benchmarks = ",".join(b.name for b in benches)  # workers time only these

    for bench in benches:  # the settings each benchmark's runs are made with, recorded
        settings[bench.name] = _resolved(runner.args, settings[bench.name])
    return _run_workers(runner, args, benches, settings, events)


if __name__ == "__main__":
    sys.exit(main())
