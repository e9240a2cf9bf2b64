"""The per-layer breakdown, on run folders written the way the orchestrator writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pyperf
import pytest
from scipy import stats

from scenarios.families.layers import figures as breakdown
from scenarios.families.layers.figures import Samples
from scenarios.reporting import load

INTERP = "cpython-3.10.13"
NS = 1e-9


def write_run(folder: Path, means_ns: dict[str, dict[str, float]], lowest_path_of: dict[str, str],
              spread: float = 0.0, processes: int = 4) -> Path:
    """A run folder: per runtime, a pyperf suite whose benchmarks have the given means, over
    ``processes`` processes of two values each (``spread``: relative, between processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = {}
    for runtime, benches in means_ns.items():
        suite, cells = [], {}
        for name, mean in benches.items():
            runs = []
            for p in range(processes):
                value = mean * (1 + spread * (p - (processes - 1) / 2)) * NS
                runs.append(pyperf.Run([value * 0.99, value * 1.01], warmups=None,
                                       collect_metadata=False, metadata={
                                           "name": name, "loops": 1, "unit": "second",
                                           "runtime": runtime, "interpreter": INTERP}))
            suite.append(pyperf.Benchmark(runs))
            cells.setdefault(name.split("/")[0], {"status": "ok", "detail": "", "benchmarks": {}})
            cells[name.split("/")[0]]["benchmarks"][name] = {"status": "ok", "detail": ""}
        key = f"{runtime}@{INTERP}"
        pyperf.BenchmarkSuite(suite).dump(str(folder / f"{key}.json"))
        info = {"lowest_path_of": lowest_path_of[runtime]} if runtime in lowest_path_of else {}
        entries[key] = {"runtime": runtime, "interpreter": INTERP, "file": f"{key}.json",
                        "info": info, "scenarios": cells}
    (folder / "manifest.json").write_text(json.dumps({
        "schema": 1, "complete": True, "runtimes": entries, "unavailable": {},
        "options": {"scenarios": sorted({c for e in entries.values() for c in e["scenarios"]})}}))
    return folder


def loaded(folder: Path) -> Samples:
    return breakdown.samples(load.load_run(folder))


def no_op_run(**extra: dict[str, float]) -> dict[str, dict[str, float]]:
    runs = {"python": {"loop_overhead": 5, "no_op": 55},
            "native": {"loop_overhead": 6, "no_op": 206},
            "engine-raw": {"loop_overhead": 5, "no_op": 605},
            "engine": {"loop_overhead": 7, "no_op": 12_007}}
    runs.update(extra)
    return runs


def layers_ns(b: breakdown.Breakdown) -> dict[str, float | None]:
    return {layer.name: None if layer.estimate is None else round(layer.estimate.mean / NS, 6)
            for layer in b.layers}


def test_no_op_layers_telescope_to_the_total(tmp_path: Path) -> None:
    run = loaded(write_run(tmp_path, no_op_run(), {"engine-raw": "engine"}))
    b = breakdown.breakdown(run, "engine", INTERP, "no_op")
    assert b is not None and b.total.mean == pytest.approx(12_007 * NS)
    assert layers_ns(b) == {"harness": 7, "python call": 50, "FFI floor": 150,
                            "engine entry/exit": 400, "binding overhead": 11_400}
    assert sum(layer.estimate.mean for layer in b.layers) == pytest.approx(b.total.mean)
    hows = {layer.name: layer.how for layer in b.layers}
    assert hows["harness"] == "measured directly"
    assert hows["binding overhead"] == "derived by subtraction"


def test_the_lowest_path_and_the_floors_stop_where_they_are(tmp_path: Path) -> None:
    run = loaded(write_run(tmp_path, no_op_run(), {"engine-raw": "engine"}))
    raw = breakdown.breakdown(run, "engine-raw", INTERP, "no_op")
    assert list(layers_ns(raw)) == ["harness", "python call", "FFI floor", "engine entry/exit"]
    native = breakdown.breakdown(run, "native", INTERP, "no_op")
    assert layers_ns(native) == {"harness": 6, "python call": 50, "FFI floor": 150}
    assert list(layers_ns(breakdown.breakdown(run, "python", INTERP, "no_op"))) == [
        "harness", "python call"]


def test_a_missing_reference_is_named_and_the_next_layer_includes_it(tmp_path: Path) -> None:
    runs = no_op_run()
    del runs["native"], runs["engine-raw"]
    run = loaded(write_run(tmp_path, runs, {}))
    b = breakdown.breakdown(run, "engine", INTERP, "no_op")
    assert layers_ns(b) == {"harness": 7, "python call": 50, "FFI floor": None,
                            "engine entry/exit": None, "binding overhead": 11_950}
    top = b.layers[-1]
    assert "includes FFI floor, engine entry/exit" in top.formula
    ffi, entry = b.layers[2], b.layers[3]
    assert ffi.formula == (f"native has no no_op, loop_overhead on {INTERP}; "
                           f"native-fastcall has no no_op, loop_overhead on {INTERP}")
    assert ffi.terms == {("native", "no_op"): 1, ("native", "loop_overhead"): -1,
                         ("native-fastcall", "no_op"): 1,
                         ("native-fastcall", "loop_overhead"): -1}
    assert entry.formula == "no lowest-overhead path of engine in this run" and not entry.terms
    assert top.terms == {("engine", "no_op"): 1, ("engine", "loop_overhead"): -1,
                         ("python", "no_op"): -1, ("python", "loop_overhead"): 1}
    assert sum(x.estimate.mean for x in b.layers if x.estimate) == pytest.approx(b.total.mean)


def test_a_reference_without_its_level_is_not_measured_either(tmp_path: Path) -> None:
    runs = no_op_run()
    del runs["native"]["no_op"]  # native ran, but its no_op has no number
    run = loaded(write_run(tmp_path, runs, {"engine-raw": "engine"}))
    b = breakdown.breakdown(run, "engine", INTERP, "no_op")
    assert layers_ns(b) == {"harness": 7, "python call": 50, "FFI floor": None,
                            "engine entry/exit": 550, "binding overhead": 11_400}
    assert b.layers[2].how == "not measured" and b.floor is None
    assert b.layers[2].formula == (f"native has no no_op on {INTERP}; native-fastcall has no "
                                   f"no_op, loop_overhead on {INTERP}")
    assert "includes FFI floor" in b.layers[3].formula
    assert sum(x.estimate.mean for x in b.layers if x.estimate) == pytest.approx(b.total.mean)


def test_the_ffi_floor_is_the_lowest_native_floor_and_named(tmp_path: Path) -> None:
    """native-fastcall (level 30) below native (level 200): the layers above read against it;
    each floor's own layers end at its own level."""
    run = loaded(write_run(tmp_path, no_op_run(**{
        "native-fastcall": {"loop_overhead": 6, "no_op": 86}}), {"engine-raw": "engine"}))
    assert breakdown.floor_levels(run, INTERP, "no_op") == {
        "native": pytest.approx(200 * NS), "native-fastcall": pytest.approx(80 * NS)}
    b = breakdown.breakdown(run, "engine", INTERP, "no_op")
    assert b.floor == "native-fastcall"
    assert layers_ns(b) == {"harness": 7, "python call": 50, "FFI floor": 30,
                            "engine entry/exit": 520, "binding overhead": 11_400}
    ffi = b.layers[2]
    assert ffi.formula == ("level(native-fastcall) - level(python)  (the lowest native floor "
                           "here: native-fastcall, below native)")
    assert "level(engine-raw) - level(native-fastcall)" in b.layers[3].formula
    assert sum(x.estimate.mean for x in b.layers) == pytest.approx(b.total.mean)
    for floor, ffi_ns in (("native", 150), ("native-fastcall", 30)):
        own = breakdown.breakdown(run, floor, INTERP, "no_op")
        assert own.floor == floor
        assert list(layers_ns(own).items())[1:] == [("python call", 50), ("FFI floor", ffi_ns)]
        assert own.layers[2].formula == f"level({floor}) - level(python)"


def test_the_lowest_floor_is_chosen_per_operation(tmp_path: Path) -> None:
    runs = {"python": {"loop_overhead": 5, "no_op": 55, "reverse_string/1024": 3000,
                       "data_copy/1024": 1200, "guest_work/1024": 1500},
            "native": {"loop_overhead": 5, "no_op": 205, "reverse_string/1024": 1000,
                       "data_copy/1024": 500, "guest_work/1024": 100},  # string level 400
            "native-fastcall": {"loop_overhead": 5, "no_op": 85, "reverse_string/1024": 1200,
                                "data_copy/1024": 500, "guest_work/1024": 100}}  # 600
    run = loaded(write_run(tmp_path, runs, {}))
    assert breakdown.lowest_floor(run, INTERP, "no_op") == "native-fastcall"
    assert breakdown.lowest_floor(run, INTERP, "reverse_string/1024") == "native"
    assert breakdown.breakdown(run, "python", INTERP, "no_op").floor is None


def test_the_only_floor_present_is_used_and_said_to_be_the_only_one(tmp_path: Path) -> None:
    run = loaded(write_run(tmp_path, no_op_run(), {"engine-raw": "engine"}))
    b = breakdown.breakdown(run, "engine-raw", INTERP, "no_op")
    assert b.floor == "native"
    assert b.layers[2].formula.endswith("(the only native floor here: native)")


def test_string_round_trip_separates_copies_and_guest_work(tmp_path: Path) -> None:
    def string(loop: float, total: float, copy: float, work: float) -> dict[str, float]:
        return {"loop_overhead": loop, "reverse_string/1024": total, "data_copy/1024": copy,
                "guest_work/1024": work}

    runs = {"python": string(5, 3000, 1200, 1500),  # level 300
            "native": string(5, 1300, 500, 100),  # level 700
            "engine-raw": string(5, 3000, 1100, 800),  # level 1100
            "engine": string(5, 50_000, 30_000, 900)}  # level 19100
    run = loaded(write_run(tmp_path, runs, {"engine-raw": "engine"}))
    b = breakdown.breakdown(run, "engine", INTERP, "reverse_string/1024")
    assert layers_ns(b) == {"harness": 5, "python call": 300, "FFI floor": 400,
                            "engine entry/exit": 400, "binding overhead": 18_000,
                            "data copy": 29_995, "guest work": 900}
    assert sum(x.estimate.mean for x in b.layers) == pytest.approx(b.total.mean)
    assert {x.name: x.how for x in b.layers}["guest work"] == "measured directly"


def test_no_string_breakdown_without_the_runtimes_own_copy_and_work(tmp_path: Path) -> None:
    runs = {"python": {"loop_overhead": 5, "reverse_string/1024": 3000, "data_copy/1024": 1200,
                       "guest_work/1024": 1500},
            "engine": {"loop_overhead": 5, "reverse_string/1024": 9000, "data_copy/1024": 2000}}
    run = loaded(write_run(tmp_path, runs, {}))
    assert breakdown.breakdown(run, "engine", INTERP, "reverse_string/1024") is None
    assert breakdown.breakdown(run, "python", INTERP, "reverse_string/1024") is not None


def test_intervals_match_welchs_t_interval(tmp_path: Path) -> None:
    run = loaded(write_run(tmp_path, no_op_run(), {"engine-raw": "engine"},
                                       spread=0.05, processes=6))
    est = breakdown.estimate(run, INTERP, {("engine", "no_op"): 1, ("engine-raw", "no_op"): -1})
    a = run.values[("engine", INTERP)]["no_op"]  # the process means
    c = run.values[("engine-raw", INTERP)]["no_op"]
    assert len(a) == len(c) == 6
    low, high = stats.ttest_ind(a, c, equal_var=False).confidence_interval(0.95)
    assert (est.low, est.high) == (pytest.approx(low), pytest.approx(high))
    assert est.low < est.mean < est.high


def test_the_same_benchmark_twice_in_a_formula_is_one_term(tmp_path: Path) -> None:
    run = loaded(write_run(tmp_path, no_op_run(), {}, spread=0.05))
    # H cancels exactly: (no_op - H) + H has the interval of no_op alone
    terms = breakdown._add((1, {("engine", "no_op"): 1, ("engine", "loop_overhead"): -1}),
                           (1, {("engine", "loop_overhead"): 1}))
    assert terms == {("engine", "no_op"): 1}
    alone = breakdown.estimate(run, INTERP, {("engine", "no_op"): 1})
    assert alone.high - alone.low > 0


def test_single_values_give_no_interval(tmp_path: Path) -> None:
    run = loaded(write_run(tmp_path, no_op_run(), {}, processes=1))
    b = breakdown.breakdown(run, "engine", INTERP, "no_op")
    assert all(x.estimate is None or x.estimate.low is None for x in b.layers)


def test_floors_per_step_and_host_call_when_present(tmp_path: Path) -> None:
    runs = {"engine": {"engine_floor/calls": 3.5, "engine_floor/no_calls": 1.25,
                       "host_call/noop": 40, "host_call/no_call": 2},
            "python": {"engine_floor/calls": 90, "engine_floor/no_calls": 40}}
    run = loaded(write_run(tmp_path, runs, {}))
    found = {(f.runtime, f.name): round(f.estimate.mean / NS, 6) for f in breakdown.floors(run)}
    assert found == {("engine", "in-guest call"): 2.25, ("engine", "host import call"): 38,
                     ("python", "in-guest call"): 50}


def test_render_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_run(tmp_path / "run", no_op_run(), {"engine-raw": "engine"}, spread=0.01)
    assert breakdown.main([str(folder)]) == 0
    out = capsys.readouterr().out
    assert "no_op on engine@cpython-3.10.13: total 12007.0" in out
    assert "binding overhead" in out and "level(engine) - level(engine-raw)" in out
    assert breakdown.main([str(tmp_path / "nothing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_an_empty_run_has_no_breakdowns() -> None:
    assert breakdown.breakdowns(Samples()) == [] and breakdown.floors(Samples()) == []


def test_the_price_of_the_sandbox_is_lowest_sandboxed_over_lowest_native(tmp_path: Path) -> None:
    runs = no_op_run(**{"native-fastcall": {"no_op": 86, "host_call/noop": 1},
                        "wasm-aot": {"no_op": 96, "host_call/noop": 300}})
    del runs["native-fastcall"]["host_call/noop"]  # no floor has host imports
    run = load.load_run(write_run(tmp_path, runs, {"engine-raw": "engine"}, spread=0.02))
    prices = {p.benchmark: p for p in breakdown.sandbox_prices(run)}
    assert set(prices) == {"no_op", "host_call/noop"}  # what some runtime timed, in order
    p = prices["no_op"]
    assert (p.sandboxed, p.native, p.interpreter) == ("wasm-aot", "native-fastcall", INTERP)
    mine, base = (run.benchmarks[(f"{rt}@{INTERP}", "no_op")] for rt in ("wasm-aot",
                                                                          "native-fastcall"))
    assert (p.sandboxed_median, p.native_median) == (mine.median(), base.median())
    assert p.ratio.value == pytest.approx(mine.median() / base.median())
    assert p.ratio.low < p.ratio.value < p.ratio.high
    assert p.difference.mean == pytest.approx(mine.median() - base.median())
    assert p.difference.low < p.difference.mean < p.difference.high
    callback = prices["host_call/noop"]
    assert (callback.sandboxed, callback.native, callback.ratio) == ("wasm-aot", None, None)
    text = breakdown.render_prices(prices.values())
    assert "sandbox price of no_op on cpython-3.10.13: wasm-aot / native-fastcall = 1.12" in text
    assert "host_call/noop on cpython-3.10.13: none (lowest sandboxed: wasm-aot, lowest " \
           "native: none)" in text


def test_the_python_baseline_is_not_a_sandboxed_path(tmp_path: Path) -> None:
    run = load.load_run(write_run(tmp_path, {"python": {"no_op": 55}, "native": {"no_op": 206}},
                                  {}, processes=1))
    (p,) = breakdown.sandbox_prices(run)
    assert (p.sandboxed, p.native, p.ratio) == (None, "native", None)
