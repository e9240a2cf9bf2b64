"""The orchestrator's front door: bad input gets one line and exit code 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import guest
from scenarios import catalog, run
from scenarios.orchestrate import hosts
from scenarios.record.manifest import BenchmarkRecord, CellRecord
from scenarios.record.status import Status


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        run.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_unknown_runtime_suggests_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(capsys, ["--runtime", "wasmtim"])
    assert "unknown runtime 'wasmtim'; did you mean 'wasmtime'?" in err


def test_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(capsys, ["--scenario", "no_op,sum_arrays"])
    assert "unknown scenario 'sum_arrays'; did you mean 'sum_array'?" in err


def test_empty_selection(capsys: pytest.CaptureFixture[str]) -> None:
    assert "no runtime given" in _fails(capsys, ["--runtime", ","])


def test_missing_guest_module(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guest, "GUEST_DIR", tmp_path)
    monkeypatch.setitem(guest.GUESTS, "article", guest.Guest("article", "moved away"))
    err = _fails(capsys, ["--runtime", "python", "--scenario", "no_op"])
    assert f"guest module {tmp_path}/article.wasm cannot be read" in err
    assert "python -m guest.build" in err


def test_malformed_guest_module(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "article.wasm").write_bytes(b"MZ\x90\x00 not wasm")
    monkeypatch.setattr(guest, "GUEST_DIR", tmp_path)
    monkeypatch.setitem(guest.GUESTS, "article", guest.Guest("article", "corrupt"))
    assert "is not a wasm module" in _fails(capsys, ["--runtime", "python", "--scenario", "no_op"])


def test_unwritable_results_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    err = _fails(capsys, ["--runtime", "python", "--results-dir", str(blocker / "results")])
    assert "is not writable" in err


def test_bad_pyperf_option_value(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run.main(["--processes", "many"])
    assert exc.value.code == 2


def test_pyperf_options_are_forwarded_identically(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith("WASM_INTEROP_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("WASM_INTEROP_RUNTIMES", "x=y:Z")
    args = run.build_parser().parse_args(["--fast", "-p", "3", "--min-time", "0.05"])
    assert run.pyperf_args(args) == ["--fast", "--processes", "3", "--min-time", "0.05",
                                     "--inherit-environ", "WASM_INTEROP_RUNTIMES"]


def test_list_shows_runtimes_with_reasons_and_scenarios() -> None:
    proc = subprocess.run([sys.executable, "-m", "scenarios.run", "--list", "--no-provision"],
                          capture_output=True, text=True, env=hosts.child_env(),
                          cwd=hosts.PROJECT_ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for name in ("wasmtime", "wasmer-cranelift", "wasmer-singlepass", "wasmer-llvm", "python"):
        assert f"\n  {name}\n" in out
    assert "unavailable: " in out  # wasmer-llvm everywhere, wasmer on 3.11+
    # benchmarks in the full profile, then in the quick one ("-": not part of it)
    assert re.search(r"reverse_string +9 +2 ", out)
    assert re.search(r"arg_shapes +14 +- ", out)
    for profile in ("quick", "full", "rigorous"):
        assert re.search(rf"\n  {profile} +\w", out)


def test_benchmarks_a_runtime_cannot_run_are_counted_apart() -> None:
    ok = BenchmarkRecord(Status.OK, "")
    lacking = BenchmarkRecord(Status.UNSUPPORTED, "x offers no 'ctypes' memory path")
    mixed = CellRecord(benchmarks={"a": ok, "b": lacking})
    mixed.settle()
    assert (mixed.status, mixed.detail) == ("ok", "")
    assert mixed.tally() == "1/1, 1 n/s"
    none = CellRecord(benchmarks={"b": lacking})
    none.settle()
    assert (none.status, none.detail) == ("unsupported", lacking.detail)
    broken = CellRecord(benchmarks={"a": BenchmarkRecord(Status.INVALID, "wrong"),
                                    "b": lacking, "c": ok})
    broken.settle()
    assert (broken.status, broken.detail) == ("partial", "invalid: wrong")
    assert broken.tally() == "1/2, 1 n/s"


def test_bad_module_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(capsys, ["--runtime", "python", "--scenario", "compile", "--module-sizes",
                          "10K,ten"])
    assert "--module-sizes: not a size: 'ten'" in err


def test_scenarios_with_nothing_under_max_bytes_are_left_out(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run.main(["--runtime", "python", "--scenario", "reverse_string,data_copy",
                  "--max-bytes", "8", "--profile", "full"])
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    assert "reverse_string: every benchmark is larger than --max-bytes=8; not run" in out
    assert "data_copy: every benchmark is larger than --max-bytes=8; not run" in out
    assert err.strip() == "scenarios.run: error: no benchmark left to run (see --max-bytes)"


def test_max_bytes_limits_payloads_not_generated_modules() -> None:
    compile_ = catalog.get("compile")
    assert [b.name for b in compile_.benchmarks(100)] == [b.name for b in compile_.benchmarks()]
    assert all(b.payload_bytes <= 100 for b in catalog.get("reverse_string").benchmarks(100))


def test_plan_shows_what_each_profile_runs_and_how_long_without_running() -> None:
    def plan(*extra: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "scenarios.run", "--plan", "--no-provision",
                               "--runtime", "python", *extra],
                              capture_output=True, text=True, env=hosts.child_env(),
                              cwd=hosts.PROJECT_ROOT, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    quick, full = plan(), plan("--profile", "full")
    assert quick.startswith("Profile quick: ")
    assert re.search(r"\n      reverse_string +2 benchmarks", quick)
    assert re.search(r"\n      reverse_string +9 benchmarks", full)
    assert "arg_shapes" not in quick and re.search(r"\n      arg_shapes +14 benchmarks", full)
    # the python baseline compiles nothing: said, not estimated
    assert re.search(r"\n      host_call +\d+ benchmarks  ~", quick)
    total = re.search(r"About (.+) for (\d+) benchmarks in (\d+) cells", quick)
    assert total and int(total[2]) < int(re.search(r"for (\d+) benchmarks", full)[1])
