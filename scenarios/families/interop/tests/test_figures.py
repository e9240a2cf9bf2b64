"""The derivations on hand-made tables with known answers, and reading real pyperf files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyperf
import pytest

from scenarios.families.interop.figures import (
    fastest_memory_path,
    fit_per_argument,
    per_callback_ns,
    values_frame,
)


def _rows(runtime: str, benchmark: str, values: list[float], **meta: object) -> list[dict]:
    return [{"runtime": runtime, "benchmark": benchmark, "value_ns": v, **meta} for v in values]


def test_per_callback_cost_subtracts_the_loop_without_the_import() -> None:
    meta = {"n_calls": 1000, "baseline_benchmark": "host_call/none"}
    frame = pd.DataFrame(
        _rows("a", "host_call/none", [5_000, 5_100, 4_900], host_import="none", **meta)
        + _rows("a", "host_call/noop", [105_000, 104_000, 106_000, 1e9], host_import="noop",
                **meta)
        + _rows("b", "host_call/none", [1_000], host_import="none", **meta)
        + _rows("b", "host_call/add", [3_001_000], host_import="add", **meta)
        + _rows("b", "no_op", [50])  # other scenarios' rows are ignored
        # a callback loop that names no loop without the call (the component's) too
        + _rows("b", "canonical_abi/callback", [9_000], n_calls=1000))
    out = per_callback_ns(frame).set_index(["runtime", "host_import"])["per_callback_ns"]
    assert out[("a", "noop")] == pytest.approx((105_500 - 5_000) / 1000)  # medians
    assert out[("b", "add")] == pytest.approx(3_000)
    assert len(out) == 2


def test_per_callback_cost_without_its_baseline_is_nan() -> None:
    frame = pd.DataFrame(_rows("a", "host_call/noop", [10.0], host_import="noop", n_calls=10,
                               baseline_benchmark="host_call/none"))
    assert per_callback_ns(frame)["per_callback_ns"].isna().all()


def test_per_argument_fit_recovers_a_known_line() -> None:
    rows = _rows("r", "arg_shapes/none", [100.0, 101.0, 99.0], arg_type="none", arg_count=0)
    for kind, slope in (("i32", 10.0), ("f64", 25.0)):
        for n in (1, 4, 16):
            rows += _rows("r", f"arg_shapes/{kind}x{n}", [100 + slope * n] * 3,
                          arg_type=kind, arg_count=n)
    fit = fit_per_argument(pd.DataFrame(rows)).set_index("arg_type")
    assert fit.loc["i32", "per_arg_ns"] == pytest.approx(10.0, abs=0.05)
    assert fit.loc["f64", "per_arg_ns"] == pytest.approx(25.0, abs=0.05)
    assert fit.loc["i32", "fixed_ns"] == pytest.approx(100.0, abs=0.5)
    assert fit.loc["i32", "points"] == 12 and fit.loc["i32", "r2"] > 0.999


def test_fastest_memory_path_leaves_out_cached_views_unless_asked() -> None:
    def access(path: str, ns: float, cached: int = 0, size: int = 16) -> list[dict]:
        return _rows("r", f"memory_access/{path}/read/{size}", [ns, ns + 1], memory_path=path,
                     memory_direction="read", payload_bytes=size, memory_cached=cached)

    frame = pd.DataFrame(access("api", 900) + access("ctypes", 700)
                         + access("memoryview_cached", 100, cached=1)
                         + access("api", 5_000, size=1024) + access("ctypes", 6_000, size=1024))
    safe = fastest_memory_path(frame).set_index("payload_bytes")
    assert safe.loc[16, "memory_path"] == "ctypes" and safe.loc[16, "median_ns"] == 700.5
    assert safe.loc[16, "api_ns"] == 900.5 and safe.loc[16, "paths"] == 2
    assert safe.loc[1024, "memory_path"] == "api"
    anything = fastest_memory_path(frame, include_cached=True).set_index("payload_bytes")
    assert anything.loc[16, "memory_path"] == "memoryview_cached"
    assert anything.loc[16, "paths"] == 3


def test_values_frame_reads_values_and_metadata_from_pyperf_files(tmp_path: Path) -> None:
    def bench(name: str, values: list[float], **meta: object) -> pyperf.Benchmark:
        run = pyperf.Run(values, metadata={"name": name, "runtime": "x", "loops": 1, **meta},
                         collect_metadata=False)
        return pyperf.Benchmark([run])

    path = tmp_path / "x.json"
    pyperf.BenchmarkSuite([bench("host_call/noop", [2e-6, 3e-6], n_calls=1000,
                                 host_import="noop"),
                           bench("no_op", [1e-7])]).dump(str(path))
    frame = values_frame([path])
    assert sorted(frame["value_ns"].round(3)) == [100.0, 2000.0, 3000.0]
    noop = frame[frame["benchmark"] == "host_call/noop"]
    assert set(noop["n_calls"]) == {1000} and set(noop["host_import"]) == {"noop"}
    assert frame[frame["benchmark"] == "no_op"]["n_calls"].isna().all()
