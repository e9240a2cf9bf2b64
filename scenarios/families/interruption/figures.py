"""The interruption scenarios of a run, in one tidy file: ``results/<run-id>/interruption.json``.

Derived from the run's manifest (statuses, and what validation saw: the exception and trap code
that surfaced, the recovery path) and its pyperf files (the values), for the report:

- ``support``: one row per runtime and interpreter, each mechanism ``supported``, ``not
  supported``, ``failed`` (with the reason) or ``not measured``, and ``stop``: how a runaway
  guest can be stopped at all (``in-runtime: ...`` or ``only by killing the process``);
- ``latency``: per runtime, mechanism and deadline, the distribution's n, median, p95 and max
  (mechanism ``floor``: the alarm alone, with nothing to stop: the part no runtime avoids);
- ``overhead``: per runtime, workload and mechanism, mean(enabled) / mean(disabled) with a 95%
  bootstrap confidence interval (null with fewer than two values a side);
- ``recovery``: per runtime and mechanism, the path that worked and its time.

Durations are in seconds. numpy and scipy are imported only here, when a run ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyperf

from scenarios.record.manifest import BenchmarkRecord, CellRecord, Manifest
from scenarios.record.status import Status
from scenarios.reporting import stats

SCENARIOS = ("interrupt_latency", "interrupt_overhead", "recovery")
MECHANISMS = ("epoch", "fuel", "kill")
IN_RUNTIME = ("epoch", "fuel")
CONFIDENCE = 0.95


def mechanism_of(benchmark: str) -> str | None:
    """``interrupt_latency/epoch/10ms`` -> epoch; ``interrupt_overhead/fib/off`` -> off."""
    scenario, _, rest = benchmark.partition("/")
    parts = rest.split("/")
    if scenario == "interrupt_overhead":
        return parts[-1]
    return parts[0] if scenario in SCENARIOS else None


def summarize(run_dir: Path, manifest: Manifest) -> dict[str, Any] | None:
    """The file's content, or None when the run had none of the interruption scenarios."""
    if not set(SCENARIOS) & set(manifest.options.scenarios):
        return None
    out: dict[str, Any] = {"schema": 1, "unit": "seconds", "confidence": CONFIDENCE,
                           "support": [], "latency": [], "overhead": [], "recovery": []}
    for entry in manifest.runtimes.values():
        cells = {s: entry.scenarios[s] for s in SCENARIOS if s in entry.scenarios}
        if not cells:
            continue
        who = {"runtime": entry.runtime, "interpreter": entry.interpreter}
        records = {name: b for cell in cells.values() for name, b in cell.benchmarks.items()}
        values = _values(run_dir / entry.file)
        out["support"].append({**who, **support(cells, records)})
        for name, b in records.items():
            if b.status != Status.OK:
                continue
            scenario, *parts = name.split("/")
            facts = b.facts or {}
            seen = {k: facts.get(k) for k in ("exception", "trap_code", "detail")}
            if scenario == "interrupt_latency":
                out["latency"].append({**who, "benchmark": name, "mechanism": parts[0],
                                       "deadline_ms": int(parts[1].removesuffix("ms")),
                                       **distribution(_values_of(values.get(name))), **seen})
            elif scenario == "recovery":
                out["recovery"].append({**who, "benchmark": name, "mechanism": parts[0],
                                        "outcome": facts.get("outcome"),
                                        **distribution(_values_of(values.get(name))), **seen})
        for name, off in values.items():
            if name.startswith("interrupt_overhead/") and name.endswith("/off"):
                workload = name.split("/")[1]
                for mechanism in IN_RUNTIME:
                    on = values.get(f"interrupt_overhead/{workload}/{mechanism}")
                    if on is not None:
                        out["overhead"].append({
                            **who, "workload": workload, "mechanism": mechanism,
                            **ratio(stats.process_matrix(on), stats.process_matrix(off))})
    return out


def support(cells: dict[str, CellRecord], records: dict[str, BenchmarkRecord]
            ) -> dict[str, Any]:
    """Each mechanism's status and reason for one runtime, and how it can be stopped at all."""
    row: dict[str, Any] = {}
    for mechanism in MECHANISMS:
        mine = [b for name, b in records.items() if mechanism_of(name) == mechanism]
        failed = [b for b in mine if b.status not in (Status.OK, Status.UNSUPPORTED)]
        if failed:
            status, detail = Status.FAILED, f"{failed[0].status}: {failed[0].detail}"
        elif any(b.status == Status.OK for b in mine):
            status, detail = "supported", ""
        elif mine:
            status, detail = "not supported", mine[0].detail
        else:  # a scenario was not run, or died before it listed its benchmarks
            broken = [c for c in cells.values() if c.status not in (Status.OK, Status.UNSUPPORTED)]
            status, detail = ((Status.FAILED, broken[0].detail) if broken
                              else ("not measured", ""))
        row[mechanism] = {"status": status, "detail": detail}
    in_runtime = [m for m in IN_RUNTIME if row[m]["status"] == "supported"]
    if in_runtime:
        row["stop"] = f"in-runtime: {', '.join(in_runtime)}"
    elif row["kill"]["status"] == "supported":
        row["stop"] = "only by killing the process"
    else:
        row["stop"] = "not shown in this run"
    return row


def _values_of(bench: pyperf.Benchmark | None) -> list[float]:
    return list(bench.get_values()) if bench is not None else []


def distribution(values: list[float]) -> dict[str, Any]:
    """n, median, p95, max, min and mean of ``values`` (seconds)."""
    if not values:
        return {"n": 0, "median": None, "p95": None, "max": None, "min": None, "mean": None}
    v = np.asarray(values, dtype=float)
    return {"n": int(v.size), "median": float(np.median(v)), "p95": float(np.percentile(v, 95)),
            "max": float(v.max()), "min": float(v.min()), "mean": float(v.mean())}


def ratio(on: np.ndarray, off: np.ndarray) -> dict[str, Any]:
    """mean(on) / mean(off) of two process x value matrices, with a 95% bootstrap interval
    that resamples worker processes (pyperf's independent unit), as the report's ratios do."""
    r = stats.mean_ratio_ci(on, off, CONFIDENCE)
    return {"ratio": r.value, "ci_low": r.low if r.has_interval else None,
            "ci_high": r.high if r.has_interval else None,
            "n_on": int(np.isfinite(on).sum()), "n_off": int(np.isfinite(off).sum()),
            "processes_on": len(on), "processes_off": len(off),
            "mean_on": float(np.nanmean(on)), "mean_off": float(np.nanmean(off))}


def _values(path: Path) -> dict[str, list[float]]:
    """Benchmark name -> its pyperf benchmark, or {} if the file is missing."""
    try:
        suite = pyperf.BenchmarkSuite.load(str(path))
    except (OSError, ValueError):
        return {}
    return {b.get_name(): b for b in suite.get_benchmarks()}
