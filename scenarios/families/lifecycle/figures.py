"""What the lifecycle scenarios' numbers mean: compile cost per MB and the truth about caches.

Small pure functions (``judge``, ``cache_verdicts``, ``fit_compile``, ``pyperf_settings``)
that the report imports, and ``run_summary``/``notes``: the run summary (registered with
``catalog.register_summary``) that applies them to a run folder as ``lifecycle.json``.

Cache truth: each cache mechanism is timed as a load of a working instance and compared with
``cache/compile_each`` (compile + instantiate every time) at the same module size. The
mechanism is flagged **cache ineffective** when, for a module of 1 MB or more, it is not at
least 10x faster, or at any size when its artifact was rejected (another engine
configuration made it) or the module it produced failed validation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyperf

from scenarios.record.manifest import CellRecord, Manifest, RuntimeEntry
from scenarios.record.status import Status

SUMMARY = "lifecycle.json"
INEFFECTIVE_BELOW = 10.0  # a cache hit must be at least this many times faster than cold
JUDGED_FROM_BYTES = 1_000_000  # ... for modules of at least 1 MB (below, set-up costs rule)
COLD_PATH = "compile_each"
HITS = ("reuse", "deserialize", "deserialize_file", "disk_hit")
MISS = {"disk_hit": "disk_miss"}  # a hit's miss, reported beside it
LIFECYCLE = ("cold_start", "compile", "instantiate", "first_call", "cache")


@dataclass(frozen=True)
class Cell:
    """One benchmark of one runtime, as the run recorded it."""

    status: str  # ok | invalid | unsupported | failed | ...
    detail: str = ""
    median_s: float | None = None  # seconds per operation, when timed
    module_bytes: int | None = None


@dataclass(frozen=True)
class Verdict:
    """One cache mechanism at one module size, for one runtime."""

    mechanism: str
    size: int  # the size asked for (benchmark name)
    module_bytes: int | None
    cold_s: float | None  # cache/compile_each
    hit_s: float | None
    miss_s: float | None  # the mechanism's own miss (the on-disk cache), if it has one
    speedup: float | None  # cold_s / hit_s
    status: str  # ok | ineffective | unsupported | failed | no baseline
    reason: str

    @property
    def ineffective(self) -> bool:
        return self.status == "ineffective"


def judge(module_bytes: int, cold_s: float, hit_s: float) -> tuple[bool, str]:
    """(ineffective?, why) for a cache hit timed against a cold compile."""
    speedup = cold_s / hit_s
    text = (f"{speedup:.1f}x faster than compiling every time ({fmt_seconds(hit_s)} vs "
            f"{fmt_seconds(cold_s)})")
    if module_bytes >= JUDGED_FROM_BYTES and speedup < INEFFECTIVE_BELOW:
        return True, (f"{text}: a cache hit must be at least {INEFFECTIVE_BELOW:g}x faster "
                      f"for a module of {module_bytes:,} bytes")
    if module_bytes < JUDGED_FROM_BYTES:
        return False, f"{text} (not judged below {JUDGED_FROM_BYTES:,} bytes)"
    return False, text


def verdict(mechanism: str, size: int, cold: Cell | None, hit: Cell,
            miss: Cell | None = None) -> Verdict:
    """The verdict on one mechanism at one size from the cells of its benchmarks."""
    module_bytes = hit.module_bytes or (cold.module_bytes if cold else None)
    cold_s = cold.median_s if cold and cold.status == Status.OK else None
    miss_s = miss.median_s if miss and miss.status == Status.OK else None

    def make(status: str, reason: str, hit_s: float | None = None,
             speedup: float | None = None) -> Verdict:
        return Verdict(mechanism, size, module_bytes, cold_s, hit_s, miss_s, speedup, status,
                       reason)

    if hit.status == Status.UNSUPPORTED:
        return make(Status.UNSUPPORTED, hit.detail)
    if hit.status == Status.INVALID:
        what = ("the runtime rejected the cached artifact" if hit.detail.startswith("rejected")
                else "the cached module did not work")
        return make("ineffective", f"{what}: {hit.detail}")
    if hit.status != Status.OK or hit.median_s is None:
        return make(Status.FAILED, f"{hit.status}: {hit.detail}" if hit.detail else hit.status)
    if cold_s is None:
        why = f"{cold.status}: {cold.detail}" if cold else Status.NOT_RUN
        return make("no baseline", f"cache/{COLD_PATH} has no time ({why})", hit.median_s)
    bad, reason = judge(module_bytes or size, cold_s, hit.median_s)
    return make("ineffective" if bad else Status.OK, reason, hit.median_s, cold_s / hit.median_s)


def cache_verdicts(cells: Mapping[str, Cell]) -> list[Verdict]:
    """Verdicts for every hit benchmark ``cache/<mechanism>/<size>`` in ``cells`` (by name)."""
    out = []
    for name, hit in cells.items():
        parts = name.split("/")
        if len(parts) != 3 or parts[0] != "cache" or parts[1] not in HITS:
            continue
        mechanism, size = parts[1], int(parts[2])
        miss = cells.get(f"cache/{MISS[mechanism]}/{size}") if mechanism in MISS else None
        out.append(verdict(mechanism, size, cells.get(f"cache/{COLD_PATH}/{size}"), hit, miss))
    return sorted(out, key=lambda v: (v.size, HITS.index(v.mechanism)))


def fit_compile(points: Sequence[tuple[int, float]]) -> dict[str, float] | None:
    """Least-squares fits of compile time against module size, from (bytes, seconds) points.

    ``ms_per_mb`` and ``intercept_ms``: the straight line time = a + b * MB (MB = 10^6 bytes);
    ``loglog_slope``: the exponent of time ~ size^k (1 = linear). None below two sizes.
    """
    from scipy import stats

    usable = [(b, s) for b, s in points if b > 0 and s > 0]
    if len({b for b, _ in usable}) < 2:
        return None
    mb = [b / 1e6 for b, _ in usable]
    ms = [s * 1e3 for _, s in usable]
    line = stats.linregress(mb, ms)
    loglog = stats.linregress([math.log10(b) for b, _ in usable],
                              [math.log10(s) for _, s in usable])
    return {"ms_per_mb": float(line.slope), "intercept_ms": float(line.intercept),
            "r2": float(line.rvalue ** 2), "loglog_slope": float(loglog.slope),
            "points": len(usable)}


def pyperf_settings(bench: pyperf.Benchmark) -> dict[str, Any]:
    """The settings a benchmark was really timed with, read from its runs (calibration runs,
    which have no values, left out)."""
    runs = [r for r in bench.get_runs() if r.values]
    return {"processes": len(runs),
            "values_per_process": sorted({len(r.values) for r in runs}),
            "warmups_per_process": sorted({len(r.warmups) for r in runs}),
            "loops": sorted({r.get_loops() for r in runs}),
            "inner_loops": sorted({r.get_inner_loops() for r in runs})}


def fmt_seconds(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


# --- a run folder --------------------------------------------------------------------------

def _load_suite(path: Path) -> dict[str, pyperf.Benchmark]:
    try:
        suite = pyperf.BenchmarkSuite.load(str(path))
    except Exception:
        return {}
    return {b.get_name(): b for b in suite.get_benchmarks()}


def _cells(entry: RuntimeEntry, timed: Mapping[str, pyperf.Benchmark]) -> dict[str, Cell]:
    cells = {}
    for scenario in entry.scenarios.values():
        for name, b in scenario.benchmarks.items():
            status, detail, bench = b.status, b.detail, timed.get(name)
            if status == Status.OK and bench is None:
                status, detail = Status.FAILED, "its values are missing from the pyperf file"
            cells[name] = Cell(status, detail, bench.median() if status == Status.OK else None,
                               bench.get_metadata().get("module_bytes") if bench else None)
    return cells


def summarize(run_dir: Path, manifest: Manifest) -> dict[str, Any]:
    """Everything the lifecycle report sections need, from a run folder's files."""
    modules: dict[int, dict[str, Any]] = {}
    per_runtime: dict[str, Any] = {}
    flags: list[str] = []
    for key, entry in manifest.runtimes.items():
        ran = [s for s in LIFECYCLE if s in entry.scenarios]
        if not ran:
            continue
        timed = _load_suite(run_dir / entry.file)
        cells = _cells(entry, timed)
        points = []
        for name, bench in timed.items():
            meta = bench.get_metadata()
            if meta.get("scenario") not in ("compile", "cache"):
                continue
            size = int(name.rsplit("/", 1)[1])
            modules[size] = {"bytes": meta["module_bytes"], "functions": meta["module_functions"],
                             "sha256": meta["module_sha256"],
                             "generator": meta["module_generator"]}
            if meta["scenario"] == "compile" and cells[name].median_s is not None:
                points.append({"size": size, "bytes": meta["module_bytes"],
                               "median_s": bench.median(),
                               "stdev_s": bench.stdev() if bench.get_nvalue() > 1 else None,
                               "values": bench.get_nvalue()})
        verdicts = cache_verdicts(cells)
        for v in verdicts:
            if v.ineffective:
                flags.append(f"cache ineffective: {key} {v.mechanism} at {v.size:,} bytes: "
                             f"{v.reason}")
        per_runtime[key] = {
            "runtime": entry.runtime, "interpreter": entry.interpreter,
            "compile": {"points": sorted(points, key=lambda p: p["size"]),
                        "fit": fit_compile([(p["bytes"], p["median_s"]) for p in points])},
            "cache": [asdict(v) | {"ineffective": v.ineffective} for v in verdicts],
            "pyperf": {s: _settings_of(entry.scenarios[s], timed) for s in ran},
        }
    return {"schema": 1,
            "rules": {"ineffective_below_speedup": INEFFECTIVE_BELOW,
                      "judged_from_bytes": JUDGED_FROM_BYTES, "baseline": f"cache/{COLD_PATH}"},
            "modules": [{"size": size, **info} for size, info in sorted(modules.items())],
            "runtimes": per_runtime, "flags": flags}


def _settings_of(scenario: CellRecord, timed: Mapping[str, pyperf.Benchmark]
                 ) -> dict[str, Any] | None:
    benches = [timed[n] for n in scenario.benchmarks if n in timed]
    if not benches:
        return None
    settings = [pyperf_settings(b) for b in benches]
    return {k: sorted({x for s in settings for x in (s[k] if isinstance(s[k], list) else [s[k]])})
            for k in settings[0]}


def run_summary(run_dir: Path, manifest: Manifest) -> dict[str, Any] | None:
    """The orchestrator's summary (``lifecycle.json``); None when no lifecycle scenario ran."""
    summary = summarize(run_dir, manifest)
    return summary if summary["runtimes"] else None


def notes(summary: Mapping[str, Any]) -> list[str]:
    """The lines printed under the run's status table: compile cost per MB, cache flags."""
    lines = []
    for key, r in summary["runtimes"].items():
        fit = r["compile"]["fit"]
        if fit:
            lines.append(f"  {key}: compile {fit['ms_per_mb']:.0f} ms per MB "
                         f"(time ~ size^{fit['loglog_slope']:.2f})")
    lines += [f"  {flag}" for flag in summary["flags"]] or (
        ["  no cache flagged ineffective"] if any(r["cache"] for r in summary["runtimes"].values())
        else [])
    return lines
