"""Run every scenario through every runtime, each under pyperf's process isolation.

    python -m scenarios.run --runtime all [--scenario all] [pyperf options such as --fast]
    python -m scenarios.run --list

Each runtime and scenario runs in its own ``python -m scenarios.bench`` process tree, so a
runtime that crashes, hangs or answers wrongly costs only its own cell: it is recorded with
the reason and the run goes on. Results land in a new folder under results/ (see
``scenarios.results``); the console ends with a status table and the folder's path.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import guest
import runtimes
from guest import GuestError
from scenarios import catalog, declared, hosts, results
from scenarios.bench import EXIT_UNAVAILABLE
from scenarios.declared import Declaration
from scenarios.hosts import Assignment

PROG = "python -m scenarios.run"
DEFAULT_RESULTS = hosts.PROJECT_ROOT / "results"

# pyperf options passed unchanged to every benchmark process (same settings for every runtime).
PYPERF_FLAGS = ("--fast", "--rigorous", "--debug-single-value", "--no-locale",
                "--track-memory", "--tracemalloc")
PYPERF_VALUES = (("-p", "--processes", int), ("-n", "--values", int), ("-w", "--warmups", int),
                 ("-l", "--loops", int), ("--min-time", None, float), ("--affinity", None, str),
                 ("--inherit-environ", None, str))


class UsageError(Exception):
    """Bad input from the user: reported on one line, exit code 2."""


def die(message: str, code: int = 2) -> NoReturn:
    print(f"{PROG.split()[-1]}: error: {message}", file=sys.stderr)
    sys.exit(code)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    p.add_argument("--runtime", default="all",
                   help="comma-separated runtime names, or 'all' (default: all)")
    p.add_argument("--scenario", default=None,
                   help="comma-separated scenario names, or 'all' (default: all; with --module: "
                        "only that module's)")
    p.add_argument("--scenarios-dir", type=Path, default=None, metavar="DIR",
                   help="also run the scenarios declared in DIR/*.toml (docs/workloads-as-data.md)")
    u = p.add_argument_group("your own module (docs/bring-your-own-module.md)")
    u.add_argument("--module", default=None, metavar="PATH", help="a .wasm file to measure")
    u.add_argument("--export", default=None, metavar="NAME",
                   help="the exported function to call (_start: run it as a WASI command)")
    u.add_argument("--args", default=None, metavar="A,B",
                   help="comma-separated arguments (for _start: the command's arguments)")
    u.add_argument("--expect", default=None, metavar="VALUE",
                   help="the expected result (for _start: its stdout)")
    u.add_argument("--reference", default=None, metavar="EXPR",
                   help="instead of --expect: a Python expression over a0, a1, ... "
                        "or module:function")
    u.add_argument("--name", default=None,
                   help="the scenario's name (default: <file stem>.<export>)")
    p.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS,
                   help=f"where run folders are created (default: {DEFAULT_RESULTS})")
    p.add_argument("--list", action="store_true",
                   help="list runtimes (with availability per interpreter) and scenarios")
    p.add_argument("--python", action="append", default=[], metavar="PATH",
                   help="another interpreter that may host runtimes (repeatable)")
    p.add_argument("--every-interpreter", action="store_true",
                   help="run each runtime on every interpreter that has it, not just one")
    p.add_argument("--no-provision", action="store_true",
                   help="never create a venv under .venvs/ for runtimes that need another Python")
    p.add_argument("--max-bytes", type=int, default=None,
                   help="leave out payloads larger than this many bytes")
    p.add_argument("--call-timeout", type=float, default=60.0,
                   help="seconds one timed value or validation may take before the process is "
                        "ended and the benchmark recorded as timed out (default: 60)")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    g = p.add_argument_group(
        "pyperf options (passed to every benchmark, identical for all runtimes)")
    for flag in PYPERF_FLAGS:
        g.add_argument(flag, action="store_true")
    for short, long, kind in PYPERF_VALUES:
        g.add_argument(*filter(None, (short, long)), type=kind, default=None)
    return p


def pyperf_args(args: argparse.Namespace) -> list[str]:
    """The pyperf options for every benchmark process, identical for every runtime.

    pyperf gives workers a filtered environment; the framework's own WASM_INTEROP_* variables
    (e.g. extra runtimes) are added to --inherit-environ so workers see what the main saw.
    """
    out = [flag for flag in PYPERF_FLAGS if getattr(args, flag.lstrip("-").replace("-", "_"))]
    for short, long, _ in PYPERF_VALUES:
        dest = (long or short).lstrip("-").replace("-", "_")
        value = getattr(args, dest)
        if value is not None and long != "--inherit-environ":
            out += [long or short, str(value)]
    inherit = [v for v in (args.inherit_environ or "").split(",") if v]
    inherit += sorted(v for v in os.environ if v.startswith("WASM_INTEROP_") and v not in inherit)
    if inherit:
        out += ["--inherit-environ", ",".join(inherit)]
    return out


def select(spec: str, known: Sequence[str], lookup: Any, what: str) -> list[str]:
    """Resolve 'all' or a comma list against ``known``; unknown names raise UsageError."""
    if spec.strip() == "all":
        return list(known)
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise UsageError(f"no {what} given")
    for name in names:
        try:
            lookup(name)
        except LookupError as exc:
            raise UsageError(str(exc).strip("'\"")) from None
    return list(dict.fromkeys(names))


# --- running one scenario on one runtime ---------------------------------------------------

@dataclass
class ScenarioResult:
    """Per benchmark: status ok|invalid|timeout|crashed|failed and a one-line detail."""

    status: str = "ok"  # ok | partial | failed | unsupported | unavailable
    detail: str = ""
    benchmarks: dict[str, dict[str, str]] = field(default_factory=dict)

    def settle(self) -> None:
        if self.status in ("unsupported", "unavailable"):
            return
        refused = [b for b in self.benchmarks.values() if b["status"] == "unsupported"]
        states = [b["status"] for b in self.benchmarks.values() if b["status"] != "unsupported"]
        if refused and not states:
            self.status, self.detail = "unsupported", refused[0]["detail"]
            return
        if not states:
            self.status = "failed"
            self.detail = self.detail or "no benchmark ran"
        elif all(s == "ok" for s in states):
            self.status = "ok"
        elif any(s == "ok" for s in states):
            self.status = "partial"
        else:
            self.status = "failed"
        if not self.detail and self.status != "ok":
            bad = next(b for b in self.benchmarks.values()
                       if b["status"] not in ("ok", "unsupported"))
            self.detail = f"{bad['status']}: {bad['detail']}"

    def not_supported(self) -> str:
        """'not supported: <reason>' when the runtime declined some benchmarks, else ''."""
        refused = [b for b in self.benchmarks.values() if b["status"] == "unsupported"]
        if not refused or self.status == "unsupported":
            return ""
        return f"not supported: {refused[0]['detail']}"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "detail": self.detail, "benchmarks": self.benchmarks}


def tally(benchmarks: dict[str, dict[str, str]]) -> str:
    """'ok/total' over the benchmarks that ran, plus ', N n/s' for those a runtime declined."""
    states = [b["status"] for b in benchmarks.values()]
    refused = states.count("unsupported")
    return f"{states.count('ok')}/{len(states) - refused}{f', {refused} n/s' if refused else ''}"


def read_events(path: Path) -> list[dict[str, Any]]:
    """The event lines that were written completely (a torn last line is ignored)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def spawn(cmd: list[str], log_path: Path, events_path: Path, idle_limit: float
          ) -> tuple[int, bool]:
    """Run ``cmd`` in its own process group; kill the group if ``events_path`` stalls.

    Returns (exit code, killed for lack of progress).
    """
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=hosts.child_env(), cwd=hosts.PROJECT_ROOT,
                                start_new_session=True)
        last_change, last_size = time.monotonic(), -1
        try:
            while True:
                try:
                    return proc.wait(timeout=0.5), False
                except subprocess.TimeoutExpired:
                    pass
                size = events_path.stat().st_size if events_path.exists() else 0
                if size != last_size:
                    last_change, last_size = time.monotonic(), size
                elif time.monotonic() - last_change > idle_limit:
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
           worker_detail: str | None) -> tuple[str, str]:
    """Why a benchmark process tree ended abnormally, as (status, detail)."""
    if stalled:
        return "timeout", "no progress: the process tree was killed by the orchestrator"
    if "Timeout (" in watchdog_text:
        return "timeout", f"a call ran past --call-timeout={call_timeout:g}s and was stopped"
    if worker_detail:
        return "failed", worker_detail
    worker_rc = re.findall(r"failed with exit code (-?\d+)", log_text)
    code = int(worker_rc[-1]) if worker_rc else rc
    if code == 124:
        return "timeout", "pyperf's worker timeout expired"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return "crashed", f"process killed by {name}"
    lines = [ln for ln in log_text.strip().splitlines() if ln.strip()]
    return "failed", (lines[-1] if lines else f"exit code {rc}")[:300]


def run_scenario(assign: Assignment, scenario: catalog.Scenario, part_dir: Path,
                 opts: argparse.Namespace, perf_args: list[str],
                 declared: Declaration | None = None) -> ScenarioResult:
    """Validate and time ``scenario`` on one runtime, retrying past a benchmark that kills it.

    ``declared``: the declaration of a scenario that is data, handed to the benchmark process.
    """
    result = ScenarioResult()
    remaining: list[str] | None = None  # None: all of the scenario's benchmarks
    for attempt in range(1, 1000):
        stem = part_dir / f"{scenario.name}.{attempt}"
        events_path = Path(f"{stem}.events.jsonl")
        out = Path(f"{stem}.json")
        cmd = [assign.host.python, "-m", "scenarios.bench", "--runtime", assign.runtime,
               "--scenario", scenario.name, "--events", str(events_path), "-o", str(out),
               "--call-timeout", str(opts.call_timeout),
               "--timeout", str(int(opts.call_timeout * 10 + 60)), *perf_args]
        if opts.max_bytes is not None:
            cmd += ["--max-bytes", str(opts.max_bytes)]
        if declared is not None:
            cmd += ["--declared", declared.to_json()]
        if remaining is not None:
            cmd += ["--benchmarks", ",".join(remaining)]
        rc, stalled = spawn(cmd, Path(f"{stem}.log"), events_path, opts.call_timeout * 12 + 60)
        events = read_events(events_path)
        kinds = {e["event"] for e in events}
        if "unavailable" in kinds or rc == EXIT_UNAVAILABLE:
            reason = next((e["reason"] for e in events if e["event"] == "unavailable"), "")
            return ScenarioResult("unavailable", reason or f"exit code {rc}")
        if "unsupported" in kinds:
            reason = next(e["reason"] for e in events if e["event"] == "unsupported")
            return ScenarioResult("unsupported", reason)
        listed = next((e["benchmarks"] for e in events if e["event"] == "begin"), None)
        if listed is None:  # died before it could even list its benchmarks
            status, detail = _death(rc, stalled, _read(Path(f"{stem}.log")),
                                    _read(Path(f"{events_path}.watchdog")), opts.call_timeout, None)
            result.status, result.detail = "failed", f"{status}: {detail}"
            return result
        pending = None
        for e in events:
            name = e.get("benchmark")
            if e["event"] == "invalid":
                result.benchmarks[name] = {"status": "invalid", "detail": e["detail"]}
            elif e["event"] == "not_supported":
                result.benchmarks[name] = {"status": "unsupported", "detail": e["reason"]}
            elif e["event"] == "done":
                result.benchmarks[name] = {"status": "ok", "detail": ""}
            if e["event"] in ("validate", "start"):
                pending = name
            elif e["event"] in ("valid", "invalid", "done") and name == pending:
                pending = None
        if rc == 0 and not stalled:
            for name in listed:
                result.benchmarks.setdefault(name, {"status": "failed", "detail": "not timed"})
            break
        worker_detail = next((e["detail"] for e in reversed(events)
                              if e["event"] == "worker_failed" and e["benchmark"] == pending), None)
        status, detail = _death(rc, stalled, _read(Path(f"{stem}.log")),
                                _read(Path(f"{events_path}.watchdog")), opts.call_timeout,
                                worker_detail)
        if pending is None:
            pending = next((n for n in listed if n not in result.benchmarks), None)
        if pending is None:
            result.detail = f"{status}: {detail}"
            break
        result.benchmarks[pending] = {"status": status, "detail": detail}
        remaining = [n for n in listed if n not in result.benchmarks]
        if not remaining:
            break
    result.settle()
    return result


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


# --- the run as a whole --------------------------------------------------------------------

def list_everything(names: list[str], extra: list[str]) -> None:
    found = hosts.discover(names, extra, allow_provision=False, log=print)
    print("Runtimes (availability per interpreter):")
    for name in names:
        print(f"  {name}")
        for h in found:
            if h.problem:
                continue
            entry = h.runtimes.get(name, {})
            state = (f"available, {entry.get('runtime_package')} {entry.get('runtime_version')}"
                     f", {entry.get('compiler')}; {', '.join(entry.get('capabilities', []))}"
                     if entry.get("available") else f"unavailable: {entry.get('reason')}")
            if entry.get("available") and entry.get("max_payload_bytes") is not None:
                state += (f"; payloads up to {entry['max_payload_bytes']} B "
                          f"({entry['payload_limit_reason']})")
            print(f"      {h.label:18} {state}")
    for h in found:
        if h.problem:
            print(f"  (interpreter {h.python} unusable: {h.problem})")
    if not any(h.label.startswith("cpython-3.10") for h in found):
        print("  (a CPython 3.10 venv is provisioned under .venvs/ on the first run that needs it)")
    print("\nScenarios:")
    for sc in catalog.all_scenarios().values():
        n = len(sc.benchmarks())
        needs = f" [needs {', '.join(sorted(c.value for c in sc.requires))}]" if sc.requires else ""
        print(f"  {sc.name:16} {n:2} benchmark{'s' if n != 1 else ' '}  {sc.summary}{needs}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _main(args)
    except UsageError as exc:
        die(str(exc))
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if args.debug:
            raise
        die(f"{type(exc).__name__}: {exc} (rerun with --debug for the traceback)", 1)


def declare(args: argparse.Namespace) -> dict[str, Declaration]:
    """Scenarios from --scenarios-dir and --module, checked and registered in the catalog."""
    byo = ("--export", "--args", "--expect", "--reference", "--name")
    found: list[Declaration] = []
    try:
        if args.scenarios_dir is not None:
            found += declared.load_dir(args.scenarios_dir)
        if args.module is not None:
            if not args.export:
                raise UsageError("--module needs --export NAME (the function to call, or "
                                 f"{declared.WASI_EXPORT} to run a WASI command)")
            found.append(declared.from_options(args.module, args.export, args.args, args.expect,
                                               args.reference, args.name))
        elif any(getattr(args, o.lstrip("-")) is not None for o in byo):
            raise UsageError(f"{'/'.join(byo)} describe a module: give it with --module PATH")
        for d in found:
            d.check()
    except declared.DeclarationError as exc:
        raise UsageError(str(exc)) from None
    for d in found:
        if d.name in catalog.all_scenarios():
            raise UsageError(f"{d.source}: scenario name {d.name!r} is already taken; "
                             "choose another (name = \"...\" or --name)")
        catalog.register(d.scenario())
    return {d.name: d for d in found}


def _main(args: argparse.Namespace) -> int:
    runtime_names = select(args.runtime, runtimes.names(), runtimes.get, "runtime")
    decls = declare(args)
    byo = [n for n, d in decls.items() if d.source == declared.FROM_OPTIONS]
    scenario_names = [] if byo and args.scenario is None else select(
        args.scenario or "all", list(catalog.all_scenarios()), catalog.get, "scenario")
    scenario_names += [n for n in byo if n not in scenario_names]  # --module's always runs
    if args.list:
        list_everything(runtime_names, args.python)
        return 0
    if args.call_timeout <= 0:
        raise UsageError("--call-timeout must be positive")
    scenarios = [catalog.get(n) for n in scenario_names]
    guest_names = sorted({g for sc in scenarios for g in sc.guests})
    try:
        guests = {g: guest.get(g) for g in guest_names}
        for g in guests.values():
            _ = g.wasm
    except GuestError as exc:
        raise UsageError(str(exc)) from None
    problem = results.check_writable(args.results_dir)
    if problem:
        raise UsageError(problem)
    perf_args = pyperf_args(args)

    found = hosts.discover(runtime_names, args.python, not args.no_provision, log=print)
    pairs, skipped = hosts.plan(runtime_names, found, args.every_interpreter)
    run_dir = results.new_run_dir(args.results_dir)
    manifest: dict[str, Any] = {
        "schema": 1,
        "run_id": run_dir.name,
        "command": " ".join([PROG, *map(shlex.quote, sys.argv[1:])]),
        "started": results.now(),
        "finished": None,
        "complete": False,
        "machine": results.machine(),
        "orchestrator": {"python": sys.executable, "interpreter": found[0].label},
        "pyperf_args": perf_args,
        "options": {"runtimes": runtime_names, "scenarios": scenario_names,
                    "max_bytes": args.max_bytes, "call_timeout": args.call_timeout},
        "guests": {name: {"sha256": g.sha256, "bytes": len(g.wasm),
                          "path": str(g.path.relative_to(hosts.PROJECT_ROOT))}
                   for name, g in guests.items()},
        "declared": {name: {"source": d.source, "module": d.module,
                            "sha256": catalog.get(name).metadata["module_sha256"],
                            "declaration": json.loads(d.to_json())}
                     for name, d in decls.items() if name in scenario_names},
        "interpreters": [{"label": h.label, "python": h.python, "problem": h.problem}
                         for h in found],
        "runtimes": {},
        "unavailable": skipped,
    }
    save = lambda: results.atomic_write_json(run_dir / results.MANIFEST, manifest)  # noqa: E731
    save()
    print(f"Run {run_dir.name}: {len(pairs)} runtime/interpreter pairs x {len(scenarios)} scenarios"
          f"{' with ' + ' '.join(perf_args) if perf_args else ''}")
    for a in pairs:
        print(f"  {a.runtime:18} on {a.host.label} ({a.host.python})")
    for name, reason in skipped.items():
        print(f"  {name:18} NOT RUN: {reason}")

    if not pairs:
        manifest["finished"] = results.now()
        save()
        print(f"{PROG}: nothing could run; see the reasons above", file=sys.stderr)
        return 1
    try:
        for a in pairs:
            _run_pair(a, scenarios, run_dir, args, perf_args, manifest, save, decls)
        manifest["complete"] = True
    finally:
        manifest["finished"] = results.now()
        save()
    print_summary(manifest, scenario_names)
    print(f"\nResults: {run_dir}")
    return 0


def _run_pair(a: Assignment, scenarios: list[catalog.Scenario], run_dir: Path,
              args: argparse.Namespace, perf_args: list[str], manifest: dict[str, Any],
              save: Any, decls: dict[str, Declaration]) -> None:
    part_dir = run_dir / "parts" / a.key
    part_dir.mkdir(parents=True, exist_ok=True)
    entry = manifest["runtimes"].setdefault(a.key, {
        "runtime": a.runtime, "interpreter": a.host.label, "python": a.host.python,
        "info": a.host.runtimes.get(a.runtime, {}), "file": f"{a.key}.json", "scenarios": {}})
    for sc in scenarios:
        started = time.monotonic()
        print(f"[{a.key}] {sc.name} ...", end="", flush=True)
        res = run_scenario(a, sc, part_dir, args, perf_args, decls.get(sc.name))
        timed = results.merge_suites(sorted(part_dir.glob("*.json")), run_dir / entry["file"])
        for name, b in res.benchmarks.items():
            if b["status"] == "ok" and name not in timed:
                b.update(status="failed", detail="result file lost")
        res.settle()
        entry["scenarios"][sc.name] = res.as_dict()
        save()
        notes = [n for n in (res.detail, res.not_supported()) if n]
        note = f" ({'; '.join(notes)})" if notes else ""
        took = time.monotonic() - started
        print(f" {res.status} {tally(res.benchmarks)}{note} [{took:.0f} s]")


def print_summary(manifest: dict[str, Any], scenario_names: list[str]) -> None:
    keys = list(manifest["runtimes"])
    if not keys:
        return
    width = max(len(k) for k in keys)
    print("\nStatus (benchmarks ok/total per scenario):")
    print(" " * (width + 2) + "  ".join(f"{s[:14]:>14}" for s in scenario_names))
    for key in keys:
        cells = []
        for s in scenario_names:
            r = manifest["runtimes"][key]["scenarios"].get(s)
            if r is None:
                cells.append("-")
            elif r["status"] in ("unsupported", "unavailable"):
                cells.append(r["status"])
            else:
                mark = "" if r["status"] == "ok" else f" {r['status']}"
                cells.append(f"{tally(r['benchmarks'])}{mark}")
        print(f"{key:<{width}}  " + "  ".join(f"{c[:14]:>14}" for c in cells))
    if any(b["status"] == "unsupported" for e in manifest["runtimes"].values()
           for r in e["scenarios"].values() for b in r["benchmarks"].values()):
        print("(n/s: benchmarks a runtime does not support, with the reason in the manifest)")
    for name, reason in manifest["unavailable"].items():
        print(f"{name}: not run ({reason})")


if __name__ == "__main__":
    sys.exit(main())
