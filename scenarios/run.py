"""Run every scenario through every runtime, each under pyperf's process isolation.

    python -m scenarios.run --runtime all [--profile quick|full|rigorous] [--scenario all]
    python -m scenarios.run --plan     # what a profile runs, and roughly how long
    python -m scenarios.run --list

Each runtime and scenario runs in its own ``python -m scenarios.harness.bench`` process tree, so a
runtime that crashes, hangs or answers wrongly costs only its own cell: it is recorded with
the reason and the run goes on. Results land in a new folder under results/ (see
``scenarios.orchestrate.run_folder``); the console ends with a status table and the folder's path.

Ctrl-C or SIGTERM stops the run between two steps: what finished stays on disk, the manifest
says the run is incomplete and what is missing, and ``--resume RUN_DIR`` finishes it.

Exit status (``EXIT_STATUS``, shown by --help): 1 when a benchmark could not be measured
because the guest or a runtime misbehaved, so a pipeline can gate on the command.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import guest
import runtimes
from guest import GuestError, generated
from scenarios import catalog
from scenarios.catalog import declared, profiles
from scenarios.catalog.declared import Declaration
from scenarios.orchestrate import execute, hosts, progress
from scenarios.orchestrate import run_folder as results
from scenarios.orchestrate.execute import DEFAULT_CALL_TIMEOUT, PROG
from scenarios.record import exits, paths
from scenarios.record import manifest as record
from scenarios.record.manifest import (
    DeclaredRecord,
    GuestRecord,
    Manifest,
    Options,
    PlanEntry,
)

DEFAULT_RESULTS = paths.RESULTS

# pyperf options passed unchanged to every benchmark process (same settings for every runtime).
PYPERF_FLAGS = ("--fast", "--rigorous", "--debug-single-value", "--no-locale",
                "--track-memory", "--tracemalloc")
PYPERF_VALUES = (("-p", "--processes", int), ("-n", "--values", int), ("-w", "--warmups", int),
                 ("-l", "--loops", int), ("--min-time", None, float), ("--affinity", None, str),
                 ("--inherit-environ", None, str))


EXIT_STATUS = (
    "exit status: 0 when everything asked for was measured, or declined as unsupported or "
    "unavailable; 1 when a benchmark ended invalid, timeout, crashed or failed (the run still "
    "finishes and keeps everything; its last line names them; --allow-failures exits 0), when "
    "nothing could run, or when the report could not be made; 2 for bad usage; 130 or 143 when "
    "SIGINT or SIGTERM stopped it (--resume finishes it)")


class UsageError(Exception):
    """Bad input from the user: reported on one line, exit code 2."""


def die(message: str, code: int = 2) -> NoReturn:
    print(f"{PROG.split()[-1]}: error: {message}", file=sys.stderr)
    sys.exit(code)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0],
                                epilog=EXIT_STATUS)
    p.add_argument("--runtime", default="all",
                   help="comma-separated runtime names, or 'all' (default: all)")
    p.add_argument("--profile", default=profiles.DEFAULT, choices=list(profiles.PROFILES),
                   help="how much to measure: " + "; ".join(
                       f"{p.name}: {p.summary}" for p in profiles.PROFILES.values())
                   + f" (default: {profiles.DEFAULT})")
    p.add_argument("--scenario", default=None,
                   help="comma-separated scenario names, or 'all' (default: all of the "
                        "profile's; with --module: only that module's)")
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
    p.add_argument("--plan", action="store_true",
                   help="show what the run would measure (pairs, scenarios, benchmarks, "
                        "processes) and roughly how long it would take, then exit")
    p.add_argument("--python", action="append", default=[], metavar="PATH",
                   help="another interpreter that may host runtimes (repeatable)")
    p.add_argument("--every-interpreter", action="store_true",
                   help="run every scenario of each runtime on every interpreter that has it "
                        "(CPython 3.10-3.13, provisioned when installed); by default each runs "
                        "on the equal-terms interpreter, plus its per-call scenarios on its "
                        "newest")
    p.add_argument("--no-provision", action="store_true",
                   help="never create a venv under .venvs/ for runtimes that need another Python")
    p.add_argument("--guest", action="append", default=[], metavar="NAME=PATH",
                   help="run the scenarios on another module as guest NAME (e.g. another "
                        "build of guest/article.wasm); repeatable")
    p.add_argument("--max-bytes", type=int, default=None,
                   help="leave out payloads larger than this many bytes")
    p.add_argument("--call-timeout", type=float, default=None,
                   help="seconds one timed value or validation may take before the process is "
                        f"ended and the benchmark recorded as timed out (default: "
                        f"{DEFAULT_CALL_TIMEOUT:g}, or the scenario's own, e.g. 600 for compile)")
    p.add_argument("--module-sizes", default=None, metavar="LIST",
                   help="sizes of the generated modules the compile and cache scenarios use, "
                        "e.g. 10K,1M,8M,50M (default: the profile's: " + "; ".join(
                            f"{p.name} {p.module_sizes}" for p in profiles.PROFILES.values())
                        + "); --max-bytes does not limit them")
    p.add_argument("--measure", default="time", choices=("time", "instructions"),
                   help="time: pyperf's seconds (default); instructions: valgrind callgrind's "
                        "instructions per operation, which do not move with the machine's load "
                        "(docs/how-a-number-is-obtained.md)")
    p.add_argument("--resume", type=Path, metavar="RUN_DIR",
                   help="finish a stopped run (its manifest supplies every other setting)")
    p.add_argument("--no-report", action="store_true",
                   help="do not render the HTML report at the end (python -m scenarios.report)")
    p.add_argument("--allow-failures", action="store_true",
                   help="exit 0 even when benchmarks ended invalid, timeout, crashed or failed "
                        "(for comparisons that expect some runtimes to fail)")
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
    missing = [v for v in hosts.PROVISION_VERSIONS if not any(h.is_version(v) for h in found)]
    if missing:
        print(f"  (a run provisions a venv under .venvs/ from CPython {' or '.join(missing)} "
              "when a runtime needs it, for the newest installed, or --every-interpreter)")
    print("\nScenarios (benchmarks in the full profile; in the quick profile):")
    for sc in catalog.all_scenarios().values():
        n = len(sc.benchmarks())
        quick = len(sc.benchmarks(headline_only=True)) if sc.headline else 0
        needs = f" [needs {', '.join(sorted(c.value for c in sc.requires))}]" if sc.requires else ""
        print(f"  {sc.name:18} {n:2} {quick or '-':>2}  {sc.summary}{needs}")
    print("\nProfiles (--profile; `--plan` shows what one runs and roughly how long):")
    for p in profiles.PROFILES.values():
        print(f"  {p.name:9} {p.summary}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _resume(args) if args.resume else _new_run(args)
    except UsageError as exc:
        die(str(exc))
    except KeyboardInterrupt:
        print(f"\n{PROG}: stopped", file=sys.stderr)
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


def _use_guests(items: list[str], names: list[str]) -> dict[str, guest.Guest]:
    """Apply ``--guest NAME=PATH`` replacements and check every needed module is readable."""
    try:
        for item in items:
            name, sep, path = item.partition("=")
            if not sep or not path:
                raise UsageError(f"--guest takes NAME=PATH, got {item!r}")
            guest.override(name, Path(path))
        found = {g: guest.get(g) for g in names}
        for g in found.values():
            _ = g.wasm
    except GuestError as exc:
        raise UsageError(str(exc)) from None
    return found


def _scenario_names(args: argparse.Namespace, decls: dict[str, Declaration],
                    profile: profiles.Profile) -> list[str]:
    """The scenarios asked for: by name, or all of the profile's (the quick profile leaves
    out scenarios without headline benchmarks, never the user's declared ones)."""
    byo = [n for n, d in decls.items() if d.source == declared.FROM_OPTIONS]
    if byo and args.scenario is None:
        return byo  # --module's alone
    known = list(catalog.all_scenarios())
    if (args.scenario or "all").strip() == "all" and profile.headline_only:
        known = [n for n in known if catalog.get(n).headline is not None or n in decls]
    names = select(args.scenario or "all", known, catalog.get, "scenario")
    return names + [n for n in byo if n not in names]  # --module's always runs


def _new_run(args: argparse.Namespace) -> int:
    runtime_names = select(args.runtime, runtimes.names(), runtimes.get, "runtime")
    profile = profiles.get(args.profile)
    decls = declare(args)
    scenario_names = _scenario_names(args, decls, profile)
    if args.list:
        list_everything(runtime_names, args.python)
        return 0
    if args.call_timeout is not None and args.call_timeout <= 0:
        raise UsageError("--call-timeout must be positive")
    try:
        generated.use_sizes(args.module_sizes or profile.module_sizes)
    except ValueError as exc:
        raise UsageError(f"--module-sizes: {exc}") from None
    scenarios = [catalog.get(n) for n in scenario_names]
    empty = [sc.name for sc in scenarios
             if not sc.benchmarks(args.max_bytes, profile.headline_only)]
    for name in empty:
        print(f"{name}: every benchmark is larger than --max-bytes={args.max_bytes}; not run")
    scenarios = [sc for sc in scenarios if sc.name not in empty]
    scenario_names = [sc.name for sc in scenarios]
    if not scenarios:
        raise UsageError("no benchmark left to run (see --max-bytes)")
    guests = _use_guests(args.guest, sorted({g for sc in scenarios for g in sc.guests}))
    problem = None if args.plan else results.check_writable(args.results_dir)
    if problem:
        raise UsageError(problem)
    perf_args = pyperf_args(args)

    found = hosts.discover(runtime_names, args.python, not (args.no_provision or args.plan),
                           log=print, every_interpreter=args.every_interpreter)
    pairs, skipped = hosts.plan(runtime_names, found, args.every_interpreter)
    per_interpreter = [n for n in scenario_names if catalog.get(n).per_interpreter]
    plan = [PlanEntry(a.runtime, a.host.label, a.host.python,
                      a.host.runtimes.get(a.runtime, {}),
                      per_interpreter if a.newest_only else None)
            for a in pairs if per_interpreter or not a.newest_only]
    estimate = progress.Plan.build(plan, scenarios, profile, args.max_bytes, perf_args)
    if args.plan:
        estimate.show(skipped)
        return 0
    run_dir = results.new_run_dir(args.results_dir)
    manifest = Manifest(
        run_id=run_dir.name,
        command=" ".join([PROG, *map(shlex.quote, sys.argv[1:])]),
        started=results.now(),
        machine=results.machine(),
        orchestrator={"python": sys.executable, "interpreter": found[0].label},
        pyperf_args=perf_args,
        options=Options(runtime_names, scenario_names, args.max_bytes, args.call_timeout,
                        args.module_sizes or profile.module_sizes, profile.name,
                        args.measure),
        profile={"name": profile.name, "summary": profile.summary,
                 "pyperf_defaults": dict(profile.pyperf)},
        # Settings a scenario declares for itself (Scenario.defaults), used where the user
        # passed none: the same for every runtime.
        scenario_defaults={sc.name: sc.settings(profile.name) for sc in scenarios
                           if sc.settings(profile.name)},
        guests={name: GuestRecord(g.sha256, len(g.wasm), str(g.path), g.file is not None)
                for name, g in guests.items()},
        declared={name: DeclaredRecord(d.source, d.module,
                                       catalog.get(name).metadata["module_sha256"],
                                       json.loads(d.to_json()))
                  for name, d in decls.items() if name in scenario_names},
        interpreters=[{"label": h.label, "python": h.python, "problem": h.problem}
                      for h in found],
        plan=plan,
        unavailable=skipped,
    )
    record.write(run_dir, manifest)
    print(f"Run {run_dir.name}, profile {profile.name}: {len(plan)} runtime/interpreter pairs "
          f"x {len(scenarios)} scenarios{' with ' + ' '.join(perf_args) if perf_args else ''}")
    estimate.show(skipped, brief=True)
    if not plan:
        manifest.finished = results.now()
        record.write(run_dir, manifest)
        print(f"{PROG}: nothing could run; see the reasons above", file=sys.stderr)
        return 1
    return execute.execute(run_dir, manifest, report=not args.no_report, debug=args.debug,
                           allow_failures=args.allow_failures)


def _resume(args: argparse.Namespace) -> int:
    """Finish a stopped run in its own folder, with the settings it started with."""
    run_dir = args.resume
    try:
        manifest = record.read(run_dir)
    except record.ManifestError:
        raise UsageError(f"{run_dir} is not a run folder with a readable manifest.json") from None
    options, plan = manifest.options, manifest.plan
    if manifest.complete:  # its exit status, as when it ended
        status, why = exits.run_exit(manifest.failures(exits.FAILURES), args.allow_failures)
        print(f"Run {run_dir} is already complete; nothing to resume. {why}".rstrip())
        return status
    for name, d in manifest.declared.items():
        decl = Declaration.from_json(json.dumps(d.declaration))
        if name not in catalog.all_scenarios():
            catalog.register(decl.scenario())
        if catalog.get(name).metadata.get("module_sha256") != d.sha256:
            raise UsageError(f"cannot resume: module {d.module} changed since the run began")
    try:
        names = [catalog.get(n).name for n in options.scenarios]
    except LookupError as exc:
        raise UsageError(f"cannot resume: {exc}") from None
    for name, g in manifest.guests.items():
        if g.replaced:
            guest.override(name, Path(g.path))
        try:
            now = guest.get(name).sha256
        except GuestError as exc:
            raise UsageError(f"cannot resume: {exc}") from None
        if now != g.sha256:
            raise UsageError(f"cannot resume: guest {name} changed since the run began "
                             f"(sha256 {g.sha256[:12]} then, {now[:12]} now)")
    for p in plan:
        host = hosts.probe(p.python, [p.runtime])
        if not host.has(p.runtime) or host.label != p.interpreter:
            why = host.problem or host.runtimes.get(p.runtime, {}).get("reason") or host.label
            raise UsageError(f"cannot resume: {p.runtime} no longer runs on "
                             f"{p.interpreter} ({p.python}): {why}")
    if options.module_sizes:
        generated.use_sizes(options.module_sizes)
    else:  # a run from before profiles: the sizes were the defaults of that day
        generated.use_sizes("10K,100K,1M,8M")
    manifest.stopped = manifest.missing = None
    manifest.resumed = [*(manifest.resumed or []), {
        "command": " ".join([PROG, *map(shlex.quote, sys.argv[1:])]), "at": results.now()}]
    print(f"Resuming {run_dir}: {len(manifest.left())} of "
          f"{len(plan) * len(names)} runtime/scenario cells left")
    return execute.execute(run_dir, manifest, report=not args.no_report, debug=args.debug,
                           allow_failures=args.allow_failures)


if __name__ == "__main__":
    sys.exit(main())
