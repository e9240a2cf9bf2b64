"""The fuzzer through the real command: a short fixed run answers every module on every
runtime that takes it and keeps each disagreement replayable; a hanging guest and a crashing
worker are answers of their runtime, and the command still completes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runtimes.conformance import wat
from tests.runs import FAKES, run_cli

pytestmark = pytest.mark.e2e

MODULES, SEED = 20, 3  # seed 3 makes wasm3 disagree on some of its first 20 modules


@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("fuzz")
    proc = run_cli("scenarios.fuzz", "--modules", str(MODULES), "--seed", str(SEED),
                   "--out", str(out), timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return out, proc


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_module_has_an_answer_from_every_runtime_that_takes_it(fuzz_run: Any) -> None:
    out, proc = fuzz_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    answers = _lines(out / "answers.jsonl")
    every = {r: summary["sample_every"].get(r, 1) for r in summary["runtimes"]}
    expected = {(i, r) for i in range(MODULES) for r in summary["runtimes"] if i % every[r] == 0}
    assert {(a["module"], a["runtime"]) for a in answers} == expected
    assert len(answers) == len(expected)  # each pair once
    assert {"wasmtime", "pywasm3"} <= set(summary["runtimes"])
    assert (summary["modules"], summary["pairs_answered"]) == (MODULES, len(expected))
    assert (summary["lost_results"], summary["orchestrator_errors"]) == (0, 0)
    assert f"{MODULES} modules x {len(summary['runtimes'])} runtimes" in proc.stdout
    assert not list((out / "pending").iterdir())  # agreed modules are not kept


def test_findings_are_well_formed_and_their_modules_kept(fuzz_run: Any) -> None:
    out, _ = fuzz_run
    findings = _lines(out / "findings.jsonl")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert findings and len(findings) == summary["disagreements"]
    for f in findings:
        assert f["seed"] == SEED and 0 <= f["module"] < MODULES
        assert f["kinds"] and all(k.split(" ")[0] in f["answers"] for k in f["kinds"])
        assert f["majority"] and set(f["majority"]) <= set(f["answers"])
        kept = out / f["file"]
        assert kept.read_bytes()[:4] == b"\0asm"
        calls = json.loads(kept.with_suffix(".calls.json").read_text(encoding="utf-8"))
        assert isinstance(calls, list)
    kinds = [k for f in findings for k in f["kinds"]]
    assert sum(summary["disagreements_by_kind"].values()) == len(kinds)


def test_a_kept_module_replays_on_every_runtime(fuzz_run: Any) -> None:
    out, _ = fuzz_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    first = _lines(out / "findings.jsonl")[0]
    proc = run_cli("scenarios.fuzz", "--replay", str(out / first["file"]), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    printed = {line.split(":")[0] for line in proc.stdout.splitlines()}
    assert set(summary["runtimes"]) <= printed  # wasm2c too: a replay samples nothing
    disagreement = [line for line in proc.stdout.splitlines()
                    if line.startswith("disagreement: ")]
    assert {line.removeprefix("disagreement: ").split(" (majority")[0]
            for line in disagreement} == set(first["kinds"])


def test_a_hanging_guest_and_a_crashing_worker_are_survived(tmp_path: Path) -> None:
    """wasmtime spins until its worker is killed; ``wrong-store`` aborts its process on any
    call: both are answers (timeout, crashed), the command ends normally."""
    spin = tmp_path / "spin.wasm"
    spin.write_bytes(wat('(module (func (export "spin") (loop (br 0))))'))
    proc = run_cli("scenarios.fuzz", "--replay", str(spin), "--runtime", "wasmtime,wrong-store",
                   "--timeout", "5", env=FAKES, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    answers = {line.split(": ", 1)[0]: line.split(": ", 1)[1]
               for line in proc.stdout.splitlines() if line.startswith(("wasmtime:", "wrong-"))}
    assert json.loads(answers["wasmtime"])["status"] == "timeout"
    crashed = json.loads(answers["wrong-store"])
    assert crashed["status"] == "crashed" and "SIGABRT" in crashed["message"]
    assert "disagreement: wrong-store crashes where others: hangs (timeout)" in proc.stdout
