"""The component figures on a small real run (committed, ``tests.fixtures``: "component"):
every number is what the pyperf files say, recomputed here with pyperf, numpy and scipy rather
than through the report's code.

The run: wasmtime (components and the core module by hand) and wasmtime-raw (its lowest path:
the core module by hand only; its canonical_abi is "unsupported"), with the no-op, two-i32
and callback counterparts; 2 worker processes x 2 values, so intervals exist.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pyperf
import pytest
from scipy import optimize

from scenarios.families.component import figures
from scenarios.families.component.figures import BY_HAND, CANONICAL, Comparison, Pairing
from scenarios.families.component.workloads import TYPES
from scenarios.reporting import load, stats
from tests.runs import committed

RUN = committed("component").path
WASMTIME, RAW = "wasmtime@cpython-3.11.7", "wasmtime-raw@cpython-3.11.7"
SIZES = (16, 1024, 16384)


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return figures.compare(load.load_run(RUN))


def suite(key: str) -> dict[str, pyperf.Benchmark]:
    return {b.get_name(): b for b in pyperf.BenchmarkSuite.load(str(RUN / f"{key}.json"))
            .get_benchmarks()}


def median_ns(key: str, name: str) -> float:
    return suite(key)[name].median() * 1e9


def test_the_fixture_is_the_run_it_claims() -> None:
    manifest = load.read_manifest(RUN)
    assert list(manifest.runtimes) == [WASMTIME, RAW]
    assert manifest.runtimes[RAW].info["lowest_path_of"] == "wasmtime"
    assert manifest.runtimes[RAW].scenarios[CANONICAL].status == "unsupported"


def test_wasmtime_is_compared_with_itself_and_its_lowest_path(comparison: Comparison) -> None:
    assert comparison.pairings == (Pairing(WASMTIME, WASMTIME), Pairing(WASMTIME, RAW))
    assert comparison.sizes == SIZES


@pytest.mark.parametrize("by_hand", [WASMTIME, RAW])
def test_medians_and_ratios_are_pyperfs(comparison: Comparison, by_hand: str) -> None:
    pairing = Pairing(WASMTIME, by_hand)
    for kind in TYPES:
        for size in SIZES:
            pair = comparison.pair(pairing, kind, size)
            c = median_ns(WASMTIME, f"{CANONICAL}/{kind}/{size}")
            h = median_ns(by_hand, f"{BY_HAND}/{kind}/{size}")
            assert pair.canonical.median_ns == pytest.approx(c, rel=1e-12)
            assert pair.by_hand.median_ns == pytest.approx(h, rel=1e-12)
            assert pair.ratio.value == pytest.approx(c / h, rel=1e-9)
            assert pair.ratio.has_interval and pair.ratio.low <= pair.ratio.high
            assert pair.elements == (size // 4 if kind == "list_s32" else size)


def test_scalar_pairs_are_the_counterparts_the_metadata_names(comparison: Comparison) -> None:
    benches = suite(WASMTIME)
    for p in comparison.scalars:
        meta = benches[p.canonical.benchmark].get_metadata()
        assert p.by_hand.benchmark == meta["core_benchmark"]
        expected = median_ns(WASMTIME, p.canonical.benchmark) / median_ns(
            p.pairing.by_hand, p.by_hand.benchmark)
        assert p.ratio.value == pytest.approx(expected, rel=1e-9)
    assert {(p.operation, p.by_hand.benchmark) for p in comparison.scalars} == {
        ("no_op", "no_op"), ("add_numbers", "add_numbers"),
        ("record", "hand_marshalled/record"), ("callback", "host_call/add")}


def slope(key: str, names: list[str]) -> float:
    """b of t = a + b·bytes over per-process medians, weighted by relative error."""
    x, y = [], []
    for name in names:
        bench = suite(key)[name]
        for run in bench.get_runs():
            if run.values:
                x.append(bench.get_metadata()["payload_bytes"])
                y.append(float(np.median(run.values)) * 1e9)
    x_, y_ = np.array(x, float), np.array(y)
    p0 = (float(np.median(y_[x_ == x_.min()])), float(np.median(y_) / np.median(x_)))
    (_, b), _ = optimize.curve_fit(lambda v, a, b: a + b * v, x_, y_, p0=p0, sigma=y_,
                                   bounds=([0, 0], [np.inf, np.inf]))
    return float(b)


@pytest.mark.parametrize("by_hand", [WASMTIME, RAW])
def test_per_element_cost_is_the_payload_slope_times_element_bytes(comparison: Comparison,
                                                                   by_hand: str) -> None:
    for kind in TYPES:
        t = comparison.summary(Pairing(WASMTIME, by_hand), kind)
        per = 4 if kind == "list_s32" else 1
        for path, key in ((CANONICAL, WASMTIME), (BY_HAND, by_hand)):
            expected = slope(key, [f"{path}/{kind}/{n}" for n in SIZES]) * per
            assert t.per_element_ns(path)[0] == pytest.approx(expected, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("by_hand", [WASMTIME, RAW])
def test_crossovers_are_where_the_faster_path_changes(comparison: Comparison,
                                                       by_hand: str) -> None:
    for kind in TYPES:
        t = comparison.summary(Pairing(WASMTIME, by_hand), kind)
        ratios = [median_ns(WASMTIME, f"{CANONICAL}/{kind}/{n}")
                  / median_ns(by_hand, f"{BY_HAND}/{kind}/{n}") for n in SIZES]
        expected = []
        for (s0, r0), (s1, r1) in zip(zip(SIZES, ratios, strict=True),
                                      zip(SIZES[1:], ratios[1:], strict=True), strict=False):
            if (r0 < 1) != (r1 < 1):  # log r is linear in log size between the two
                f = math.log(r0) / (math.log(r0) - math.log(r1))
                expected.append((s0, s1, s0 * (s1 / s0) ** f, r0 < 1))
        got = [(c.below, c.above, c.at_bytes, c.faster_below == CANONICAL)
               for c in t.crossovers]
        assert [g[:2] for g in got] == [e[:2] for e in expected], kind
        for g, e in zip(got, expected, strict=True):
            assert g[2] == pytest.approx(e[2], rel=1e-9) and g[3] == e[3]
            assert e[0] <= g[2] <= e[1]


def test_the_pathological_flag_follows_its_rule(comparison: Comparison) -> None:
    """More than 10x the other at 1 KiB, the interval above 10 too."""
    for t in comparison.types:
        r = t.judged
        ratio = median_ns(WASMTIME, f"{CANONICAL}/{t.kind}/1024") / median_ns(
            t.pairing.by_hand, f"{BY_HAND}/{t.kind}/1024")
        assert r.value == pytest.approx(ratio, rel=1e-9)
        if ratio > 10 and r.low > 10:
            assert t.pathological == CANONICAL
        elif ratio < 0.1 and r.high < 0.1:
            assert t.pathological == BY_HAND
        else:
            assert t.pathological == ""


@pytest.mark.parametrize(("value", "low", "high", "flag"), [
    (25.0, 12.0, 40.0, CANONICAL), (25.0, 8.0, 40.0, ""), (25.0, math.nan, math.nan, CANONICAL),
    (0.05, 0.02, 0.09, BY_HAND), (0.05, 0.02, 0.2, ""), (3.0, 2.0, 4.0, ""),
    (math.nan, math.nan, math.nan, "")])
def test_pathological_rule(value: float, low: float, high: float, flag: str) -> None:
    assert figures.pathological(stats.Ratio(value, low, high)) == flag


def test_a_lowest_path_without_its_runtime_is_its_own_pairing(tmp_path: Path) -> None:
    """wasmtime-raw alone: compared with itself; its canonical side has no number."""
    run = tmp_path / "run"
    shutil.copytree(RUN, run)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    del manifest["runtimes"][WASMTIME]
    manifest["plan"] = [p for p in manifest["plan"] if p["runtime"] != "wasmtime"]
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (run / f"{WASMTIME}.json").unlink()
    c = figures.compare(load.load_run(run))
    assert c.pairings == (Pairing(RAW, RAW),)
    pair = c.pair(Pairing(RAW, RAW), "string", 1024)
    assert not pair.canonical.timed and pair.by_hand.timed and math.isnan(pair.ratio.value)
    assert all(t.fits[CANONICAL] is None and not t.crossovers for t in c.types)


def test_the_quick_profile_s_one_size_is_judged_but_not_fitted(tmp_path: Path) -> None:
    """The default profile times the 1 KiB payloads only (and no record): ratios and the flag,
    no slope, no crossover, no scalar pair it did not attempt."""
    run = tmp_path / "run"
    shutil.copytree(RUN, run)

    def keep(name: str) -> bool:
        scenario, *rest = name.split("/")
        return scenario not in (CANONICAL, BY_HAND) or rest[-1] in ("1024", "no_op", "callback")

    for key in (WASMTIME, RAW):
        path = run / f"{key}.json"
        timed = pyperf.BenchmarkSuite.load(str(path)).get_benchmarks()
        pyperf.BenchmarkSuite([b for b in timed if keep(b.get_name())]).dump(str(path),
                                                                             replace=True)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["runtimes"].values():
        for scenario in (CANONICAL, BY_HAND):
            cells = entry["scenarios"][scenario]["benchmarks"]
            entry["scenarios"][scenario]["benchmarks"] = {n: c for n, c in cells.items()
                                                          if keep(n)}
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    c = figures.compare(load.load_run(run))
    assert c.sizes == (1024,)
    assert {p.operation for p in c.scalars} == {"no_op", "callback"}
    for t in c.types:
        assert t.fits == {CANONICAL: None, BY_HAND: None} and not t.crossovers
        assert t.judged.value == pytest.approx(median_ns(WASMTIME, f"{CANONICAL}/{t.kind}/1024")
                                               / median_ns(t.pairing.by_hand,
                                                           f"{BY_HAND}/{t.kind}/1024"))
