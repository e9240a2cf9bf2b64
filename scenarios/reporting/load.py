"""Read a run folder (``results/<run-id>/``) into pandas, through pyperf's own API.

The manifest says what was attempted and how each runtime, scenario and benchmark ended; the
pyperf files hold the values of the benchmarks that were timed. ``load_run`` joins them:

* ``Run.values``: one row per timed value (the tidy table exported as CSV);
* ``Run.cells``: one row per runtime x benchmark with its status and reason, including the
  ones that have no number (invalid, timeout, crashed, failed, unsupported, unavailable,
  missing, not run);
* ``Run.benchmarks``: the ``pyperf.Benchmark`` objects, so statistics come from pyperf itself.

Benchmarks in another pyperf unit than seconds (the memory family's bytes) are kept apart, in
``Run.quantities`` with their unit in ``Run.units``: they have cells (a status) but no rows in
``values`` and no place in ``benchmarks``, so no table or plot of times can show bytes as
seconds; the sections of their family read them.

Anything that is not a run, or a file that is corrupted or belongs to something else, raises
``ReportError`` with a one-line reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyperf

from scenarios.record import manifest as record
from scenarios.record.key import RunKey
from scenarios.record.manifest import Manifest, RuntimeEntry
from scenarios.record.paths import MANIFEST
from scenarios.record.status import Status
from scenarios.reporting import ReportError

NS = 1e9
# pyperf's unit of each measure (scenarios.run --measure). A count run's values (instructions
# per operation) are loaded divided by NS: every figure the report derives "in ns" is then the
# count itself, and fmt.measuring("instructions") writes it as one.
UNITS = {"time": "second", "instructions": "integer"}
# Readings that are not the run's measure (the memory family's bytes), kept apart in
# ``Run.quantities``: never in a table or plot of times.
QUANTITY_UNITS = ("byte",)


def as_seconds_scale(bench: pyperf.Benchmark) -> pyperf.Benchmark:
    """A count benchmark with its values divided by NS (see UNITS)."""
    return pyperf.Benchmark([run._replace(values=[v / NS for v in run.values])
                             for run in bench.get_runs()])


VALUE_COLUMNS = ("run", "key", "runtime", "interpreter", "runtime_version", "compiler", "binding",
                 "scenario", "benchmark", "payload_bytes", "process", "value_index", "value_s",
                 "ns")
CELL_COLUMNS = ("key", "runtime", "interpreter", "scenario", "benchmark", "payload_bytes",
                "status", "detail")


@dataclass
class Run:
    """One run folder, loaded.

    ``keys`` are ``runtime@interpreter`` in the order they ran, then those planned but never
    started (a stopped run), then the runtimes that could not run anywhere (by name), so
    tables show each of them with its reason.
    """

    path: Path
    manifest: Manifest
    values: pd.DataFrame
    cells: pd.DataFrame
    benchmarks: dict[tuple[str, str], pyperf.Benchmark] = field(repr=False)
    keys: list[str]
    scenarios: list[str]
    benchmark_order: list[str]
    missing: list[str]  # what an incomplete run lacks, one sentence each
    # benchmarks measured in another unit than seconds (pyperf's ``byte``, ``integer``)
    quantities: dict[tuple[str, str], pyperf.Benchmark] = field(default_factory=dict,
                                                                 repr=False)
    units: dict[str, str] = field(default_factory=dict)  # benchmark -> its unit, if not second

    def unit(self, benchmark: str) -> str:
        return self.units.get(benchmark, "second")

    @property
    def run_id(self) -> str:
        return self.manifest.run_id or self.path.name

    @property
    def complete(self) -> bool:
        return self.manifest.complete

    def entry(self, key: str) -> RuntimeEntry | None:
        return self.manifest.entry(key)

    def runtime_of(self, key: str) -> str:
        """The runtime name of ``key`` (a runtime that never ran is its own key)."""
        return RunKey.parse(key).runtime


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort ``reverse_string/1024`` after ``reverse_string/64``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def is_run_dir(path: Path) -> bool:
    return (path / MANIFEST).is_file()


def latest_run(results_dir: Path) -> Path:
    """The newest run folder under ``results_dir`` (folders are named by start time)."""
    runs = [p for p in results_dir.iterdir() if p.is_dir() and is_run_dir(p)] \
        if results_dir.is_dir() else []
    if not runs:
        raise ReportError(f"no run found under {results_dir}; make one with "
                          "`python -m scenarios.run` (or name a run folder)")
    return max(runs, key=lambda p: natural_key(p.name))


def read_manifest(run_dir: Path) -> Manifest:
    """The manifest of ``run_dir``, checked to be one of ours."""
    try:
        return record.read(run_dir)
    except record.ManifestError as exc:
        raise ReportError(str(exc)) from None


def _load_suite(path: Path, entry: RuntimeEntry, entry_measure: str = "time"
                ) -> dict[str, pyperf.Benchmark]:
    try:
        suite = pyperf.BenchmarkSuite.load(str(path))
    except Exception as exc:  # pyperf raises JSONDecodeError, KeyError, ValueError, TypeError
        raise ReportError(f"{path} is not a readable pyperf result file "
                          f"({type(exc).__name__}: {exc})"[:300]) from None
    out = {}
    for bench in suite.get_benchmarks():
        meta = bench.get_metadata()
        for name in ("runtime", "interpreter"):
            if meta.get(name) != getattr(entry, name):
                raise ReportError(
                    f"{path} holds results of {name} {meta.get(name)!r}, but the manifest "
                    f"expects {getattr(entry, name)!r} (a file from another run?)")
        want, unit = UNITS[entry_measure], bench.get_unit()
        if meta.get("measure", "time") != entry_measure or (
                unit != want and unit not in QUANTITY_UNITS):
            raise ReportError(f"{path}: benchmark {bench.get_name()!r} is in {unit}, not "
                              f"{want} as the run's measure ({entry_measure}) says")
        out[bench.get_name()] = (as_seconds_scale(bench) if unit == want != "second"
                                 else bench)
    return out


def load_run(run_dir: Path) -> Run:
    """Load ``run_dir``; raise ``ReportError`` if it is not a run or a file is corrupted."""
    manifest = read_manifest(run_dir)
    run_id = manifest.run_id or run_dir.name
    measure = manifest.options.measure
    value_rows: list[dict[str, Any]] = []
    cell_rows: dict[tuple[str, str], dict[str, Any]] = {}
    benchmarks: dict[tuple[str, str], pyperf.Benchmark] = {}
    quantities: dict[tuple[str, str], pyperf.Benchmark] = {}
    units: dict[str, str] = {}
    scenario_of: dict[str, str] = {}
    payload_of: dict[str, int] = {}
    missing: list[str] = []

    for key, entry in manifest.runtimes.items():
        base = {"key": key, "runtime": entry.runtime, "interpreter": entry.interpreter}
        path = run_dir / Path(entry.file).name
        suite = _load_suite(path, entry, measure) if path.is_file() else {}
        for sc_name, sc in entry.scenarios.items():
            if not sc.benchmarks and sc.status != Status.OK:  # the scenario did not run at all
                cell_rows[(key, sc_name)] = {**base, "scenario": sc_name, "benchmark": None,
                                             "status": sc.status, "detail": sc.detail}
            for name, b in sc.benchmarks.items():
                scenario_of.setdefault(name, sc_name)
                status, detail = b.status, b.detail
                if status == Status.OK and name not in suite:
                    status, detail = Status.MISSING, f"no values for it in {path.name}"
                cell_rows[(key, name)] = {**base, "scenario": sc_name, "benchmark": name,
                                          "status": status, "detail": detail}
        for name, bench in suite.items():
            meta = bench.get_metadata()
            sc_name = scenario_of.setdefault(name, str(meta.get("scenario", name.split("/")[0])))
            payload = int(meta.get("payload_bytes", 0))
            payload_of[name] = payload
            # timed but not (yet) in the manifest: the run was stopped between the two writes
            cell_rows.setdefault((key, name), {**base, "scenario": sc_name, "benchmark": name,
                                               "status": Status.OK, "detail": ""})
            if bench.get_unit() in QUANTITY_UNITS:
                quantities[(key, name)] = bench
                units[name] = bench.get_unit()
                continue
            benchmarks[(key, name)] = bench
            process = 0
            for run in bench.get_runs():
                if not run.values:  # a calibration run: warm-ups only
                    continue
                for i, value in enumerate(run.values):
                    value_rows.append({
                        "run": run_id, **base,
                        "runtime_version": meta.get("runtime_version", ""),
                        "compiler": meta.get("compiler", ""), "binding": meta.get("binding", ""),
                        "scenario": sc_name, "benchmark": name, "payload_bytes": payload,
                        "process": process, "value_index": i, "value_s": value,
                        "ns": value * NS})
                process += 1

    keys = list(manifest.runtimes)
    planned = manifest.options.scenarios
    scenarios = list(dict.fromkeys([*planned, *scenario_of.values()]))
    pairs = {str(p.key): p for p in manifest.plan}
    never = [k for k in pairs if k not in keys]
    keys += never  # planned but never started (the run stopped first): shown as "not run"
    for key, pair in pairs.items():  # a row on a further interpreter: its scenarios only
        if pair.only is None:
            continue
        elsewhere = [p.interpreter for p in manifest.plan
                     if p.runtime == pair.runtime and p.only is None]
        for sc_name in planned:
            if sc_name not in pair.only:
                cell_rows[(key, sc_name)] = {
                    "key": key, "runtime": pair.runtime, "interpreter": pair.interpreter,
                    "scenario": sc_name, "benchmark": None, "status": Status.NOT_RUN,
                    "detail": f"this interpreter runs the per-interpreter scenarios only"
                              f"{'; see ' + ', '.join(elsewhere) if elsewhere else ''}"}
    if not manifest.complete:
        timed = {(key, scenario_of[name]) for key, name in [*benchmarks, *quantities]}
        missing = _what_is_missing(manifest, timed, never)
        for key in keys:
            done = manifest.done(key)
            runtime, interpreter = RunKey.parse(key)
            owed = manifest.scenarios_of(pairs[key]) if key in pairs else planned
            for sc_name in owed:
                if sc_name not in done and (key, sc_name) not in timed:
                    cell_rows[(key, sc_name)] = {
                        "key": key, "runtime": runtime, "interpreter": interpreter,
                        "scenario": sc_name, "benchmark": None, "status": Status.NOT_RUN,
                        "detail": "the run stopped before it"}
    ran = {RunKey.parse(k).runtime for k in keys}
    for name, reason in manifest.unavailable.items():  # no interpreter could host it
        if name in ran:
            continue
        keys.append(name)
        for sc_name in scenarios:
            cell_rows[(name, sc_name)] = {"key": name, "runtime": name, "interpreter": "",
                                          "scenario": sc_name, "benchmark": None,
                                          "status": Status.UNAVAILABLE,
                                          "detail": str(reason)}
    order = {s: i for i, s in enumerate(scenarios)}
    names = sorted(scenario_of, key=lambda n: (order.get(scenario_of[n], len(order)),
                                               natural_key(n)))
    cells = pd.DataFrame(list(cell_rows.values()), columns=[c for c in CELL_COLUMNS
                                                           if c != "payload_bytes"])
    cells["payload_bytes"] = cells["benchmark"].map(payload_of)
    values = pd.DataFrame(value_rows, columns=list(VALUE_COLUMNS))
    return Run(run_dir, manifest, values, cells[list(CELL_COLUMNS)], benchmarks, keys,
               scenarios, names, missing, quantities, units)


def _what_is_missing(manifest: Manifest, timed: set[tuple[str, str]], never: list[str]
                     ) -> list[str]:
    """Sentences for the "incomplete" banner: what an unfinished run never got to.

    The orchestrator's ``missing`` list is used when it wrote one; otherwise a scenario absent
    from the manifest but with values in the pyperf file (stopped between the two writes)
    counts as run.
    """
    out = []
    stop = manifest.stopped
    if isinstance(stop, dict):
        out.append(f"the run was stopped by {stop.get('signal', 'a signal')} at "
                   f"{stop.get('at', 'an unknown time')}")
    elif manifest.finished is None:
        out.append("the run never recorded its end (killed, or still running)")
    if not manifest.plan:  # older manifests: requested runtimes that never appeared
        started = {e.runtime for e in manifest.runtimes.values()}
        never = [r for r in manifest.options.runtimes
                 if r not in started and r not in manifest.unavailable]
    if never:
        out.append(f"runtimes never started: {', '.join(never)}")
    left: dict[str, list[str]] = {}
    if isinstance(manifest.missing, list):  # the orchestrator's own list, when stopped
        for item in manifest.missing:
            key, _, scenario = str(item).partition(": ")
            if key not in never:
                left.setdefault(key, []).append(scenario)
    else:
        for key, entry in manifest.runtimes.items():
            left[key] = [s for s in manifest.scenarios_of(entry) if s not in entry.scenarios
                         and (key, s) not in timed]
    out += [f"{key}: scenarios not run or not finished: {', '.join(scenarios)}"
            for key, scenarios in left.items() if scenarios]
    return out or ["the manifest is marked incomplete"]
