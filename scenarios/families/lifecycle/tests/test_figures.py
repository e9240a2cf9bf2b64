"""Cache truth and the compile fit: what the lifecycle scenarios' numbers mean."""

from __future__ import annotations

import json
from pathlib import Path

import pyperf
import pytest

from scenarios.families.lifecycle import figures as lifecycle
from scenarios.families.lifecycle.figures import Cell, cache_verdicts, fit_compile, judge, verdict
from scenarios.record.manifest import Manifest

MB = 1_000_000


# --- cache truth ---------------------------------------------------------------------------

def test_a_defeated_cache_is_flagged_at_a_megabyte() -> None:
    bad, reason = judge(8 * MB, cold_s=2.0, hit_s=1.9)  # the seed: recompiling on every load
    assert bad and "1.1x faster" in reason and "at least 10x" in reason


def test_a_cache_that_really_hits_is_not_flagged() -> None:
    bad, reason = judge(50 * MB, cold_s=2.0, hit_s=0.010)  # the seed's ~2 s vs ~10 ms
    assert not bad and "200.0x" in reason


@pytest.mark.parametrize(("module_bytes", "speedup", "flagged"), [
    (MB, 9.99, True), (MB, 10.0, False), (MB - 1, 1.0, False)])
def test_the_rule_is_10x_from_1_mb(module_bytes: int, speedup: float, flagged: bool) -> None:
    assert judge(module_bytes, speedup, 1.0)[0] is flagged


def test_a_rejected_artifact_is_flagged_at_any_size() -> None:
    v = verdict("deserialize", 10240, Cell("ok", median_s=0.1, module_bytes=10000),
                Cell("invalid", "rejected: Module was compiled with fuel support"))
    assert v.ineffective and "rejected the cached artifact" in v.reason and "fuel" in v.reason


def test_unsupported_failed_and_baseline_less_mechanisms_are_not_judged() -> None:
    cold = Cell("ok", median_s=1.0, module_bytes=2 * MB)
    assert verdict("disk_hit", 1, cold, Cell("unsupported", "needs disk_cache")).status == \
        "unsupported"
    assert verdict("reuse", 1, cold, Cell("timeout", "a call ran past")).status == "failed"
    v = verdict("reuse", 1, Cell("crashed", "SIGSEGV"), Cell("ok", median_s=0.5))
    assert v.status == "no baseline" and not v.ineffective and "crashed" in v.reason


def test_verdicts_pair_each_hit_with_the_cold_path_of_its_size() -> None:
    cells = {
        "cache/compile_each/100": Cell("ok", median_s=1.0, module_bytes=90),
        "cache/compile_each/2000000": Cell("ok", median_s=4.0, module_bytes=1_999_000),
        "cache/deserialize/100": Cell("ok", median_s=0.5, module_bytes=90),
        "cache/deserialize/2000000": Cell("ok", median_s=3.0, module_bytes=1_999_000),
        "cache/disk_miss/2000000": Cell("ok", median_s=5.0, module_bytes=1_999_000),
        "cache/disk_hit/2000000": Cell("ok", median_s=0.01, module_bytes=1_999_000),
        "compile/2000000": Cell("ok", median_s=4.0),
    }
    got = {(v.mechanism, v.size): v for v in cache_verdicts(cells)}
    assert set(got) == {("deserialize", 100), ("deserialize", 2000000), ("disk_hit", 2000000)}
    assert not got["deserialize", 100].ineffective  # 2x, but below 1 MB
    assert got["deserialize", 2000000].ineffective and got["deserialize", 2000000].speedup == \
        pytest.approx(4 / 3)
    hit = got["disk_hit", 2000000]
    assert not hit.ineffective and hit.speedup == pytest.approx(400) and hit.miss_s == 5.0


def test_compile_fit_gives_ms_per_mb_and_the_loglog_slope() -> None:
    points = [(b, 0.005 + 2.0 * b / MB) for b in (10_000, 100_000, MB, 8 * MB)]
    fit = fit_compile(points)
    assert fit is not None
    assert fit["ms_per_mb"] == pytest.approx(2000) and fit["intercept_ms"] == pytest.approx(5)
    assert fit["r2"] == pytest.approx(1) and 0.8 < fit["loglog_slope"] <= 1.0
    assert fit_compile(points[:1]) is None


def _bench(name: str, values: list[float], **meta: object) -> pyperf.Benchmark:
    runs = [pyperf.Run([v], warmups=[], collect_metadata=False,
                       metadata={"name": name, "loops": 1, "inner_loops": 1,
                                 "scenario": name.split("/")[0], **meta})
            for v in values]
    return pyperf.Benchmark(runs)


def test_lifecycle_json_from_a_run_folder_flags_the_defeated_cache(tmp_path: Path) -> None:
    module = {"module_bytes": 8_000_000, "module_functions": 30000, "module_sha256": "a" * 64,
              "module_imports": 0, "module_generator": "guest.generated v1 seed 2026"}
    benches = [_bench("compile/8388608", [3.0, 3.2, 3.1], **module),
               _bench("compile/1048576", [0.4, 0.41], **{**module, "module_bytes": 1_000_000}),
               _bench("cache/compile_each/8388608", [3.1, 3.3], **module),
               _bench("cache/deserialize/8388608", [3.0, 3.0], **module)]
    pyperf.BenchmarkSuite(benches).dump(str(tmp_path / "x@cpython-3.10.json"))
    statuses = {b.get_name(): {"status": "ok", "detail": ""} for b in benches}
    statuses["cache/disk_hit/8388608"] = {"status": "unsupported", "detail": "needs disk_cache"}
    manifest = Manifest.from_dict({"schema": 1, "options": {}, "unavailable": {}, "runtimes": {
        "x@cpython-3.10": {
        "runtime": "x", "interpreter": "cpython-3.10", "file": "x@cpython-3.10.json",
        "scenarios": {"compile": {"benchmarks": {k: v for k, v in statuses.items()
                                                 if k.startswith("compile/")}},
                      "cache": {"benchmarks": {k: v for k, v in statuses.items()
                                               if k.startswith("cache/")}}}}}})
    from scenarios.orchestrate import execute  # the orchestrator writes it as a run summary

    lines = execute.summarize(tmp_path, manifest)
    assert manifest.summaries["lifecycle"] == lifecycle.SUMMARY
    data = json.loads((tmp_path / lifecycle.SUMMARY).read_text())
    r = data["runtimes"]["x@cpython-3.10"]
    assert [p["size"] for p in r["compile"]["points"]] == [1048576, 8388608]
    assert r["compile"]["fit"]["ms_per_mb"] == pytest.approx((3.1 - 0.405) / 7 * 1000)
    assert {m["size"]: m["bytes"] for m in data["modules"]} == {1048576: 1_000_000,
                                                                 8388608: 8_000_000}
    by_mechanism = {c["mechanism"]: c for c in r["cache"]}
    assert by_mechanism["deserialize"]["ineffective"] is True
    assert by_mechanism["disk_hit"]["status"] == "unsupported"
    assert r["pyperf"]["compile"]["processes"] == [2, 3] and r["pyperf"]["cache"]["loops"] == [1]
    assert data["flags"] == [line.strip() for line in lines if "cache ineffective" in line]
    assert "deserialize at 8,388,608 bytes: 1.1x faster" in data["flags"][0]
