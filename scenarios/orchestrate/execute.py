"""Carry out a planned run: every cell not recorded yet, in order, each recorded as it ends;
then the run summaries, the status table and the report. A Ctrl-C or SIGTERM stops the run
between two steps and leaves an honest manifest (what is missing, how to resume).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

from scenarios import catalog
from scenarios.catalog import profiles
from scenarios.orchestrate import cell, progress
from scenarios.orchestrate import run_folder as results
from scenarios.orchestrate.cell import CellSpec, run_cell
from scenarios.record import exits
from scenarios.record import manifest as record
from scenarios.record.manifest import BenchmarkRecord, CellRecord, Manifest, RuntimeEntry
from scenarios.record.status import Status

PROG = "python -m scenarios.run"
DEFAULT_CALL_TIMEOUT = 60.0  # unless the user or the scenario (Scenario.defaults) says otherwise


def execute(run_dir: Path, manifest: Manifest, report: bool = True, debug: bool = False,
            allow_failures: bool = False) -> int:
    """Run every planned cell not recorded yet; on Ctrl-C/SIGTERM leave an honest manifest.
    The exit status is 1 when a benchmark failed (``exits.run_exit``), unless
    ``allow_failures``; the run goes on and keeps everything either way."""
    options = manifest.options
    profile = profiles.get(options.profile or "full")  # runs before profiles ran all
    scenarios = [catalog.get(n) for n in options.scenarios]
    plan = progress.Plan.from_manifest(manifest, scenarios, profile)
    bar = progress.Bar(plan, done=[(p.runtime, p.interpreter, s) for p in manifest.plan
                                   for s in manifest.done(p.key)])
    guest_args = tuple(arg for name, g in manifest.guests.items() if g.replaced
                       for arg in ("--guest", f"{name}={g.path}"))
    declarations = {name: json.dumps(d.declaration) for name, d in manifest.declared.items()}
    return_code, stopped_by = 0, ""
    with cell.stoppable(), bar:
        try:
            for p in manifest.plan:
                entry = manifest.start(p)
                part_dir = run_dir / "parts" / str(p.key)
                part_dir.mkdir(parents=True, exist_ok=True)
                runs = manifest.scenarios_of(p)
                for sc in scenarios:
                    cell.check_stop()
                    if sc.name in entry.scenarios or sc.name not in runs:
                        continue
                    extra = guest_args + (("--declared", declarations[sc.name])
                                          if sc.name in declarations else ())
                    timeout = (options.call_timeout
                               or sc.defaults.get("call_timeout", DEFAULT_CALL_TIMEOUT))
                    spec = CellSpec(p.python, p.runtime, sc.name, timeout, options.max_bytes,
                                    tuple(manifest.pyperf_args), extra, profile.name,
                                    options.measure)
                    _run_and_record(spec, sc, run_dir, part_dir, entry, manifest, bar)
            manifest.complete = True
        except cell.Stop as stop:
            for key, entry in manifest.runtimes.items():  # keep every benchmark timed so far
                results.merge_suites(sorted((run_dir / "parts" / key).glob("*.json")),
                                     run_dir / entry.file)
            manifest.stopped = {"signal": stop.signal_name, "at": results.now()}
            manifest.missing = manifest.left()
            stopped_by = stop.signal_name
            return_code = 128 + signal.Signals[stop.signal_name].value
        finally:
            manifest.finished = results.now()
            record.write(run_dir, manifest)
            notes = summarize(run_dir, manifest)
            if manifest.summaries is not None:
                record.write(run_dir, manifest)
    if return_code:
        print(f"\n{PROG}: stopped ({stopped_by}); what finished is "
              f"kept, {len(manifest.left())} cells missing.\nFinish it with: "
              f"{PROG} --resume {run_dir}", file=sys.stderr)
        return return_code
    print_summary(manifest, options.scenarios)
    for line in notes:
        print(line)
    print(f"\nResults: {run_dir}")
    report_code = make_report(run_dir, debug) if report else 0
    code, line = exits.run_exit(manifest.failures(exits.FAILURES), allow_failures)
    if line:
        print(f"{PROG}: {line}")
    return report_code or code


def make_report(run_dir: Path, debug: bool) -> int:
    """Render the run's report and print where it is; the results are safe either way."""
    from scenarios import report
    from scenarios.reporting import ReportError

    try:
        index = report.generate(run_dir, debug=debug)
    except ReportError as exc:
        print(f"{PROG}: the report could not be made: {exc}", file=sys.stderr)
        return 1
    print(f"Report:  {index}\n         open file://{index.resolve()} in a browser")
    return 0


def summarize(run_dir: Path, manifest: Manifest) -> list[str]:
    """Write the registered run summaries (``catalog.register_summary``) beside the manifest
    and list them in it; return the lines to print. A summary that fails costs only itself:
    the error is recorded in its place. (Called after the manifest is safely written.)
    """
    lines: list[str] = []
    for name, summarize in catalog.all_summaries().items():
        try:
            data = summarize(run_dir, manifest)
            if data is None:
                continue
            results.atomic_write_json(run_dir / f"{name}.json", data)
            manifest.summaries = {**(manifest.summaries or {}), name: f"{name}.json"}
            lines.append(f"\n{name} summary: {run_dir / f'{name}.json'}")
            notes = catalog.SUMMARY_NOTES.get(name)
            lines += notes(data) if notes else []
        except Exception as exc:
            manifest.summaries = {**(manifest.summaries or {}),
                                  name: {"error": f"{type(exc).__name__}: {exc}"}}
            print(f"{PROG}: summary {name} failed: {exc}", file=sys.stderr)
    return lines


def _run_and_record(spec: CellSpec, sc: catalog.Scenario, run_dir: Path, part_dir: Path,
                    entry: RuntimeEntry, manifest: Manifest, bar: progress.Bar) -> None:
    key = str(entry.key)
    started = time.monotonic()
    benches = sc.benchmarks(spec.max_bytes, profiles.get(spec.profile).headline_only)
    names = [b.name for b in benches]
    missing = sc.requires - progress.capabilities(entry.info)
    if missing:  # known from the probe: no process needed to say so
        res = CellRecord.declined(names,
                                  f"needs {', '.join(sorted(c.value for c in missing))}")
    else:
        bar.begin(key, sc.name)
        res = run_cell(spec, names, part_dir, bar.advance)
        timed = results.merge_suites(sorted(part_dir.glob("*.json")), run_dir / entry.file)
        for name, b in res.benchmarks.items():
            if b.status == Status.OK and name not in timed:
                res.benchmarks[name] = BenchmarkRecord(Status.FAILED, "result file lost",
                                                       b.facts)
    for bench in benches:
        if bench.metadata and bench.name in res.benchmarks:
            res.benchmarks[bench.name].metadata = bench.metadata
    res.settle()
    entry.scenarios[sc.name] = res
    record.write(run_dir, manifest)
    notes = [n for n in (res.detail, res.not_supported()) if n]
    note = f" ({'; '.join(notes)})" if notes else ""
    bar.finish(spec.runtime, entry.interpreter, sc.name,
               f"[{key}] {sc.name} ... {res.status} {res.tally()}{note} "
               f"[{time.monotonic() - started:.0f} s]")


def print_summary(manifest: Manifest, scenario_names: list[str]) -> None:
    keys = list(manifest.runtimes)
    if not keys:
        return
    width = max(len(k) for k in keys)
    print("\nStatus (benchmarks ok/total per scenario; +N n/s: N the runtime does not support):")
    print(" " * (width + 2) + "  ".join(f"{s[:14]:>14}" for s in scenario_names))
    for key in keys:
        cells = []
        for s in scenario_names:
            r = manifest.done(key).get(s)
            if r is None:
                cells.append("-")
            elif r.status.declined:
                cells.append(r.status)
            else:
                mark = "" if r.status == Status.OK else f" {r.status}"
                cells.append(f"{r.tally()}{mark}")
        print(f"{key:<{width}}  " + "  ".join(f"{c[:14]:>14}" for c in cells))
    if any(b.status == Status.UNSUPPORTED for e in manifest.runtimes.values()
           for r in e.scenarios.values() for b in r.benchmarks.values()):
        print("(n/s: benchmarks a runtime does not support, with the reason in the manifest)")
    for name, reason in manifest.unavailable.items():
        print(f"{name}: not run ({reason})")
