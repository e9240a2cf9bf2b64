"""The fuzzer's parts: generation is a function of the seed, values compare exactly, the
majority decides who disagrees, and a worker's hang or crash is an answer, not an end."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

from runtimes.conformance import available_runtime, wat
from runtimes.wasm_binary import summarize
from scenarios.fuzz import cli, generate, worker
from scenarios.fuzz.compare import compare
from scenarios.fuzz.pool import Worker
from tests.runs import FAKES

ADD_WAT = """(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "half") (param f32) (result f32) local.get 0 f32.const 0.5 f32.mul)
  (func (export "nan") (result f64) f64.const nan)
  (func (export "boom") unreachable))"""
LOOP_WAT = '(module (func (export "spin") (loop (br 0))))'


@pytest.fixture(scope="module")
def tool() -> str:
    try:
        return generate.wasm_tools()
    except generate.SmithError as exc:
        pytest.skip(str(exc))


def test_a_module_and_its_calls_are_a_function_of_seed_and_index(tool: str) -> None:
    a, b = generate.module(tool, 7, 3), generate.module(tool, 7, 3)
    assert (a.wasm, a.calls) == (b.wasm, b.calls)
    assert generate.module(tool, 7, 4).wasm != a.wasm
    assert generate.module(tool, 8, 3).wasm != a.wasm


def test_modules_import_nothing_and_call_only_numeric_exports(tool: str) -> None:
    for index in range(10):
        mod = generate.module(tool, 1, index)
        summary = summarize(mod.wasm)
        assert summary.imports == []
        assert len(mod.calls) <= generate.MAX_CALLS
        for call in mod.calls:
            assert summary.signatures[call.export] == (call.params, call.results)
            assert set(call.params + call.results) <= set(generate.NUMERIC)
            assert len(call.args) == len(call.params)


@pytest.mark.parametrize("ty", ["i32", "i64", "f32", "f64"])
def test_arguments_fit_their_type_and_are_never_nan(ty: str) -> None:
    import random

    rng = random.Random(0)
    width = 32 if ty in ("i32", "f32") else 64
    for _ in range(500):
        arg = generate.argument(ty, rng)
        if ty.startswith("i"):
            assert -(1 << (width - 1)) <= arg < 1 << (width - 1)
        else:
            assert 0 <= arg < 1 << width
            assert worker.decode_arg(ty, arg) == worker.decode_arg(ty, arg)  # not NaN


def test_values_are_unsigned_bit_patterns_and_any_nan_is_nan() -> None:
    assert worker.encode_value("i32", -1) == 0xFFFF_FFFF
    assert worker.encode_value("i64", -2) == (1 << 64) - 2
    assert worker.encode_value("f32", 1.0) == 0x3F80_0000
    assert worker.encode_value("f64", -0.0) == 1 << 63
    assert worker.encode_value("f64", float("nan")) == "nan"
    bits = struct.unpack("<I", struct.pack("<f", 0.1))[0]
    assert worker.encode_value("f32", worker.decode_arg("f32", bits)) == bits


def test_a_module_run_in_process_reports_values_traps_and_rejection() -> None:
    runtime = available_runtime("wasmtime")()
    calls = [{"export": "add", "params": ["i32", "i32"], "results": ["i32"], "args": [-1, -1]},
             {"export": "half", "params": ["f32"], "results": ["f32"], "args": [0x4000_0000]},
             {"export": "nan", "params": [], "results": ["f64"], "args": []},
             {"export": "boom", "params": [], "results": [], "args": []},
             {"export": "absent", "params": [], "results": [], "args": []}]
    answer = worker.run_module(runtime, wat(ADD_WAT), calls)
    assert answer["status"] == "ok"
    assert [c["outcome"] for c in answer["calls"]] == ["values"] * 3 + ["trap", "export"]
    assert [c["values"] for c in answer["calls"][:3]] == [[0xFFFF_FFFE], [0x3F80_0000], ["nan"]]
    assert worker.run_module(runtime, b"\0asm garbage", [])["status"] == "compile"


def _ok(*values: int) -> dict:
    return {"status": "ok", "calls": [{"outcome": "values", "values": [v]} for v in values]}


def test_the_majority_is_the_reference_and_each_dissenter_is_classified() -> None:
    trap = {"status": "ok", "calls": [{"outcome": "trap", "message": "x"}]}
    answers = {"a": _ok(1), "b": _ok(1), "c": trap, "d": {"status": "compile"},
               "e": _ok(2), "f": {"status": "unavailable"}}
    verdict = compare(answers, list(answers))
    assert verdict.reference == ["a", "b"]
    assert verdict.compared == ["a", "b", "c", "d", "e"]  # no answer from f: not compared
    assert verdict.kinds == {"c": "traps where others return",
                             "d": "rejects the module where others run it",
                             "e": "returns different values"}


def test_agreement_ties_and_unsupported_calls() -> None:
    assert not compare({"a": _ok(1, 2), "b": _ok(1, 2)}, ["a", "b"]).disagrees
    tie = compare({"a": _ok(1), "b": _ok(2)}, ["a", "b"])
    assert (tie.reference, list(tie.kinds)) == (["a"], ["b"])  # ties go to the first listed
    glue = {"status": "ok", "calls": [{"outcome": "unsupported"}, {"outcome": "values",
                                                                    "values": [2]}]}
    assert not compare({"a": _ok(1, 2), "b": glue}, ["a", "b"]).disagrees
    # module 400 of seed 1: the call not made left fuel the next call used; not a finding
    assert not compare({"a": _ok(1, 2), "b": _ok(1, 2), "c": glue}, ["a", "b", "c"]).disagrees
    assert compare({"a": _ok(1, 2), "c": {**glue, "calls": [{"outcome": "values", "values": [3]},
                                                          *glue["calls"]]}},
                   ["a", "c"]).kinds == {"c": "returns different values"}


def test_a_hanging_guest_times_out_and_the_next_module_is_answered(tmp_path: Path) -> None:
    available_runtime("wasmtime")
    spin, add = tmp_path / "spin.wasm", tmp_path / "add.wasm"
    spin.write_bytes(wat(LOOP_WAT))
    add.write_bytes(wat(ADD_WAT))
    w = Worker("wasmtime", sys.executable, tmp_path / "w.log", timeout=3)
    try:
        hung = w.ask(spin, [{"export": "spin", "params": [], "results": [], "args": []}])
        assert hung["status"] == "timeout"
        after = w.ask(add, [{"export": "add", "params": ["i32", "i32"], "results": ["i32"],
                             "args": [2, 3]}])
        assert after == {"status": "ok", "calls": [{"outcome": "values", "values": [5]}]}
        assert w.restarts == 1
    finally:
        w.shutdown()


def test_a_crashing_worker_is_an_answer_and_is_restarted(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """``wrong-store`` is real wasmtime misused: any call aborts its process (SIGABRT)."""
    available_runtime("wasmtime")
    monkeypatch.setenv(*next(iter(FAKES.items())))
    add = tmp_path / "add.wasm"
    add.write_bytes(wat(ADD_WAT))
    call = {"export": "add", "params": ["i32", "i32"], "results": ["i32"], "args": [2, 3]}
    w = Worker("wrong-store", sys.executable, tmp_path / "w.log", timeout=60)
    try:
        crashed = w.ask(add, [call])
        assert crashed["status"] == "crashed"
        assert "SIGABRT" in crashed["message"]
        assert w.ask(add, [])["status"] == "ok"  # a fresh worker: no call, no crash
        assert w.restarts == 1
    finally:
        w.shutdown()


def test_a_runtime_that_cannot_start_answers_unavailable(tmp_path: Path) -> None:
    w = Worker("wasmtime", str(tmp_path / "no-such-python"), tmp_path / "w.log", timeout=5)
    answer = w.ask(tmp_path / "x.wasm", [])
    assert answer["status"] == "unavailable"
    assert "no-such-python" in answer["message"]


def test_all_means_the_runtimes_that_load_wasm_bytes() -> None:
    chosen = cli.select_runtimes("all")
    assert {"wasmtime", "pywasm3", "wasm2c"} <= set(chosen)
    assert not {"native", "native-fastcall", "python"} & set(chosen)
    with pytest.raises(cli.UsageError, match="only its own guests"):
        cli.select_runtimes("wasmtime,native")
    with pytest.raises(cli.UsageError, match="did you mean 'wasmtime'"):
        cli.select_runtimes("wasmtim")


def test_an_unwritable_output_folder_is_one_line_and_status_2(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--modules", "1", "--runtime", "wasmtime", "--out", "/dev/null/x"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("python -m scenarios.fuzz: results folder /dev/null/x is not writable")
    assert "\n" not in err


def test_a_worker_is_recycled_after_its_quota_without_losing_an_answer(tmp_path: Path) -> None:
    available_runtime("wasmtime")
    add = tmp_path / "add.wasm"
    add.write_bytes(wat(ADD_WAT))
    call = {"export": "add", "params": ["i32", "i32"], "results": ["i32"], "args": [2, 3]}
    w = Worker("wasmtime", sys.executable, tmp_path / "w.log", timeout=60, recycle=1)
    try:
        first = w.ask(add, [call])
        pid = w.proc.pid if w.proc else None
        second = w.ask(add, [call])
        assert first == second == {"status": "ok", "calls": [{"outcome": "values",
                                                              "values": [5]}]}
        assert w.proc is not None and w.proc.pid != pid  # a fresh process answered
        assert w.restarts == 0  # a planned end is not a restart
    finally:
        w.shutdown()
