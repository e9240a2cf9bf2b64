"""Derived figures for the two-way interop scenarios (host_call, arg_shapes, memory_access).

Every function takes a long table with one row per timed value, as ``values_frame`` builds
from pyperf files: ``runtime``, ``benchmark``, ``value_ns`` (nanoseconds per operation) and
the benchmark's metadata as further columns (``n_calls``, ``arg_type``, ``memory_path``, ...).
Medians are used throughout: robust to the odd slow value on a shared machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyperf
from scipy import stats

METADATA_COLUMNS = ("scenario", "payload_bytes", "n_calls", "host_import", "baseline_benchmark",
                    "bytes_per_callback", "arg_type", "arg_count", "memory_path",
                    "memory_direction", "memory_cached", "grow_from")


def values_frame(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per value of every benchmark in the pyperf files ``paths``."""
    rows = []
    for path in paths:
        for bench in pyperf.BenchmarkSuite.load(str(path)).get_benchmarks():
            meta = bench.get_metadata()
            extra = {k: meta[k] for k in METADATA_COLUMNS if k in meta}
            rows += [{"runtime": meta.get("runtime"), "interpreter": meta.get("interpreter"),
                      "benchmark": bench.get_name(), "value_ns": value * 1e9, **extra}
                     for value in bench.get_values()]
    return pd.DataFrame(rows)


def per_callback_ns(values: pd.DataFrame) -> pd.DataFrame:
    """Cost of one guest-to-host call per runtime and import.

    (median of the loop with the import - median of the same loop without it) / n_calls;
    the call into the guest that runs the loop is in both and cancels out. Only benchmarks
    that name that loop (``baseline_benchmark``) have a per-callback cost: another family's
    callback loop without one (the component's) is left out.
    Columns: runtime, benchmark, host_import, per_callback_ns.
    """
    calls = values.dropna(subset=["n_calls", "baseline_benchmark"])
    medians = calls.groupby(["runtime", "benchmark"], as_index=False).agg(
        median_ns=("value_ns", "median"), n_calls=("n_calls", "first"),
        host_import=("host_import", "first"), baseline=("baseline_benchmark", "first"))
    base = medians.set_index(["runtime", "benchmark"])["median_ns"]
    out = medians[medians["benchmark"] != medians["baseline"]].copy()
    keys = list(zip(out["runtime"], out["baseline"], strict=True))
    out["per_callback_ns"] = [(m - base.get(k, float("nan"))) / n for m, k, n in
                              zip(out["median_ns"], keys, out["n_calls"], strict=True)]
    return out[["runtime", "benchmark", "host_import", "per_callback_ns"]].reset_index(drop=True)


def fit_per_argument(values: pd.DataFrame) -> pd.DataFrame:
    """Least-squares line t = fixed + per_arg * count per runtime and argument type.

    Fitted over every value of that type's benchmarks plus the call without arguments (which
    belongs to every type's line). Columns: runtime, arg_type, fixed_ns, per_arg_ns,
    per_arg_stderr_ns, r2, points.
    """
    shaped = values.dropna(subset=["arg_count"])
    rows = []
    for runtime, group in shaped.groupby("runtime"):
        none = group[group["arg_count"] == 0]
        for kind in sorted(set(group["arg_type"]) - {"none"}):
            points = pd.concat([none, group[group["arg_type"] == kind]])
            if points["arg_count"].nunique() < 2:
                continue
            fit = stats.linregress(points["arg_count"].astype(float), points["value_ns"])
            rows.append({"runtime": runtime, "arg_type": kind, "fixed_ns": fit.intercept,
                         "per_arg_ns": fit.slope, "per_arg_stderr_ns": fit.stderr,
                         "r2": fit.rvalue ** 2, "points": len(points)})
    return pd.DataFrame(rows)


def fastest_memory_path(values: pd.DataFrame, include_cached: bool = False) -> pd.DataFrame:
    """Per runtime, direction and size: the memory access path with the lowest median.

    Cached-view paths are left out unless ``include_cached`` (they go stale when memory
    grows, so they are only a fair choice where the program re-takes the view after any
    growth). Columns: runtime, memory_direction, payload_bytes, memory_path, median_ns,
    api_ns (the plain read/write path, for comparison), paths (how many were compared).
    """
    access = values.dropna(subset=["memory_path"])
    if not include_cached:
        access = access[access["memory_cached"].astype(int) == 0]
    keys = ["runtime", "memory_direction", "payload_bytes"]
    medians = access.groupby([*keys, "memory_path"], as_index=False)["value_ns"].median()
    medians = medians.rename(columns={"value_ns": "median_ns"})
    best = medians.loc[medians.groupby(keys)["median_ns"].idxmin()].reset_index(drop=True)
    api = medians[medians["memory_path"] == "api"].set_index(keys)["median_ns"]
    best["api_ns"] = [api.get(tuple(k), float("nan")) for k in best[keys].itertuples(index=False)]
    best["paths"] = medians.groupby(keys)["memory_path"].count().reindex(
        pd.MultiIndex.from_frame(best[keys])).to_numpy()
    return best
