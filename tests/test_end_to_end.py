"""The real command, real runtimes, real pyperf processes, in --debug-single-value mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyperf
import pytest

import guest
from scenarios import catalog, hosts
from scenarios.reporting import breakdown, load
from tests import fakes

pytestmark = pytest.mark.e2e

SEED_RUNTIMES = ("wasmtime", "wasmer-cranelift", "wasmer-singlepass", "python")
LAYER_RUNTIMES = ("native", "wasmtime-raw", "wasmer-cranelift-cached-view")


def run_cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 1200
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scenarios.run", *argv], capture_output=True,
                          text=True, env={**hosts.child_env(), **(env or {})},
                          cwd=hosts.PROJECT_ROOT, timeout=timeout)


def only_run(results: Path) -> tuple[Path, dict[str, Any]]:
    (run_dir,) = [p for p in results.iterdir() if p.is_dir()]
    return run_dir, json.loads((run_dir / "manifest.json").read_text())


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    results = tmp_path_factory.mktemp("results")
    proc = run_cli("--runtime", "all", "--debug-single-value", "--max-bytes", "1024",
                   "--results-dir", str(results))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir, manifest = only_run(results)
    return run_dir, manifest, proc.stdout


def test_every_seed_runtime_ran_every_scenario(full_run: tuple[Path, dict, str]) -> None:
    _, manifest, _ = full_run
    assert manifest["complete"] is True
    ran = {entry["runtime"]: entry for entry in manifest["runtimes"].values()}
    for name in SEED_RUNTIMES:
        assert name in ran, f"{name} missing; unavailable: {manifest['unavailable']}"
        statuses = {s: r["status"] for s, r in ran[name]["scenarios"].items()}
        assert statuses == dict.fromkeys(catalog.all_scenarios(), "ok"), statuses


def test_the_interpreters_ran_every_scenario(full_run: tuple[Path, dict, str]) -> None:
    _, manifest, _ = full_run
    ran = {entry["runtime"]: entry for entry in manifest["runtimes"].values()}
    if "pywasm" not in ran:  # it needs CPython >= 3.11, which a 3.10-only run lacks
        assert "needs CPython >= 3.11" in manifest["unavailable"]["pywasm"]
    for name in ("pywasm3", "pywasm"):
        if name in ran or name == "pywasm3":
            statuses = {s: r["status"] for s, r in ran[name]["scenarios"].items()}
            expected = dict.fromkeys(catalog.all_scenarios(), "ok")
            if name == "pywasm":  # guest_work reverses 1 MiB per host call, above its limit
                expected["guest_work"] = "unsupported"
                assert "1024 B" in ran[name]["scenarios"]["guest_work"]["detail"]
            assert statuses == expected, (name, statuses)


def test_wasmer_runs_on_cpython_310_with_the_rest(full_run: tuple[Path, dict, str]) -> None:
    _, manifest, stdout = full_run
    pairs = {(e["runtime"], e["interpreter"]) for e in manifest["runtimes"].values()}
    by_runtime = dict(sorted(pairs))
    assert by_runtime["wasmer-cranelift"].startswith("cpython-3.10.")
    # the interpreter hosting the most runtimes hosts them all but pywasm (CPython >= 3.11
    # only), with a python baseline beside them on each interpreter used
    for name in ("wasmtime", "pywasm3", "python"):
        assert (name, by_runtime["wasmer-cranelift"]) in pairs, name
    interpreters = {i for _, i in pairs}
    assert interpreters == {i for r, i in pairs if r == "python"}
    assert f"wasmer-cranelift   on {by_runtime['wasmer-cranelift']}" in stdout


def test_unavailable_runtimes_are_listed_with_a_reason(full_run: tuple[Path, dict, str]) -> None:
    _, manifest, stdout = full_run
    ran = {e["runtime"] for e in manifest["runtimes"].values()}
    assert "wasmer-llvm" in ran or "wasmer_compiler_llvm" in manifest["unavailable"]["wasmer-llvm"]
    for name, reason in manifest["unavailable"].items():
        assert reason.strip()
        assert f"{name}: not run ({reason})" in stdout


def test_pyperf_files_hold_every_benchmark_with_provenance(full_run: tuple[Path, dict, str]
                                                          ) -> None:
    run_dir, manifest, _ = full_run
    defined = {b.name: b for sc in catalog.all_scenarios().values() for b in sc.benchmarks(1024)}
    for name, g in guest.GUESTS.items():
        assert manifest["guests"][name]["sha256"] == g.sha256
    for key, entry in manifest["runtimes"].items():
        suite = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"]))
        declined = {name for cell in entry["scenarios"].values()
                    for name, b in cell["benchmarks"].items() if b["status"] == "unsupported"}
        assert sorted(suite.get_benchmark_names()) == sorted(set(defined) - declined), key
        for bench in suite.get_benchmarks():
            meta = bench.get_metadata()
            spec = defined[bench.get_name()]
            assert meta["runtime"] == entry["runtime"]
            assert meta["interpreter"] == entry["interpreter"] == key.split("@")[1]
            # values are per operation: pyperf divided by both factors
            assert meta["inner_loops"] == spec.inner_loops * spec.ops_per_statement
            assert meta["ops_per_statement"] == spec.ops_per_statement
            assert all(v > 0 for v in bench.get_values())
            if spec.guest:
                assert meta[f"guest_{spec.guest}_sha256"] == guest.get(spec.guest).sha256


def test_lowest_paths_and_the_native_floor_ran_everything(full_run: tuple[Path, dict, str]
                                                         ) -> None:
    _, manifest, _ = full_run
    ran = {entry["runtime"]: entry for entry in manifest["runtimes"].values()}
    for name in LAYER_RUNTIMES:
        assert name in ran, f"{name} missing; unavailable: {manifest['unavailable']}"
        statuses = {s: r["status"] for s, r in ran[name]["scenarios"].items()}
        assert statuses == dict.fromkeys(catalog.all_scenarios(), "ok"), statuses
    assert ran["wasmtime-raw"]["info"]["lowest_path_of"] == "wasmtime"
    assert ran["wasmer-cranelift-cached-view"]["info"]["lowest_path_of"] == "wasmer-cranelift"


def test_every_runtime_breaks_down_into_layers_that_sum_to_its_total(
        full_run: tuple[Path, dict, str]) -> None:
    run_dir, manifest, _ = full_run
    run = breakdown.samples(load.load_run(run_dir))
    found = {(b.runtime, b.operation): b for b in breakdown.breakdowns(run)}
    assert {r for r, _ in found} == {e["runtime"] for e in manifest["runtimes"].values()}
    for b in found.values():
        present = [x.estimate.mean for x in b.layers if x.estimate is not None]
        assert sum(present) == pytest.approx(b.total.mean)
    for name in ("wasmtime", "wasmer-cranelift"):  # both have their lowest path in the run
        layers = found[(name, "no_op")].layers
        assert [x.name for x in layers] == [
            "harness", "python call", "FFI floor", "engine entry/exit", "binding overhead"]
        assert all(x.estimate is not None for x in layers)
    assert {f.runtime for f in breakdown.floors(run)} == {e["runtime"] for e in
                                                          manifest["runtimes"].values()}


def test_misbehaving_runtimes_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    proc = run_cli("--runtime", "wrong-answer,crashes,hangs,python", "--scenario",
                   "no_op,add_numbers,reverse_string", "--max-bytes", "64", "--no-provision",
                   "--debug-single-value", "--call-timeout", "3", "--results-dir", str(tmp_path),
                   env={"WASM_INTEROP_RUNTIMES": fakes.REGISTRATION}, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir, manifest = only_run(tmp_path)
    cells = {e["runtime"]: e["scenarios"] for e in manifest["runtimes"].values()}

    wrong = cells["wrong-answer"]
    assert wrong["no_op"]["status"] == "ok"
    assert wrong["add_numbers"]["benchmarks"]["add_numbers"] == {
        "status": "invalid", "detail": "wrong answer: got 31, expected 30"}
    rev = wrong["reverse_string"]
    assert rev["status"] == "partial"
    assert rev["benchmarks"]["reverse_string/16"]["status"] == "ok"
    assert rev["benchmarks"]["reverse_string/64"]["status"] == "invalid"
    key = next(k for k, e in manifest["runtimes"].items() if e["runtime"] == "wrong-answer")
    timed = pyperf.BenchmarkSuite.load(str(run_dir / f"{key}.json")).get_benchmark_names()
    assert "add_numbers" not in timed and "reverse_string/64" not in timed  # never timed

    crashed = cells["crashes"]["no_op"]["benchmarks"]["no_op"]
    assert crashed == {"status": "crashed", "detail": "process killed by SIGABRT"}
    assert cells["crashes"]["add_numbers"]["status"] == "ok"  # the run went on

    hung = cells["hangs"]["add_numbers"]["benchmarks"]["add_numbers"]
    assert hung["status"] == "timeout" and "--call-timeout=3s" in hung["detail"]
    assert cells["hangs"]["reverse_string"]["status"] == "ok"
    assert all(s["status"] == "ok" for s in cells["python"].values())

    # the run ends with its report, where each of these is a word with its reason
    page = (tmp_path.parent / "reports" / run_dir.name / "index.html").read_text()
    assert f"Report:  {tmp_path.parent / 'reports' / run_dir.name / 'index.html'}" in proc.stdout
    for status in ("invalid", "crashed", "timeout"):
        assert f'data-status="{status}"' in page
    assert "process killed by SIGABRT" in page


def test_a_real_runtime_abort_is_recorded_with_its_last_words(tmp_path: Path) -> None:
    proc = run_cli("--runtime", "wrong-store,python", "--scenario", "no_op,add_numbers",
                   "--no-provision", "--debug-single-value", "--results-dir", str(tmp_path),
                   env={"WASM_INTEROP_RUNTIMES": fakes.REGISTRATION}, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _, manifest = only_run(tmp_path)
    cells = {e["runtime"]: e["scenarios"] for e in manifest["runtimes"].values()}
    if "wrong-store" not in cells:
        pytest.skip(f"wasmtime unavailable here: {manifest['unavailable']}")
    for scenario in ("no_op", "add_numbers"):
        (bench,) = cells["wrong-store"][scenario]["benchmarks"].values()
        assert bench == {"status": "crashed", "detail":
                         "process killed by SIGABRT: object used with the wrong store"}
    assert all(s["status"] == "ok" for s in cells["python"].values())


def test_a_runtime_requested_by_name_that_cannot_run_fails_the_command(tmp_path: Path) -> None:
    proc = run_cli("--runtime", "wasmer-llvm", "--no-provision", "--results-dir", str(tmp_path))
    if proc.returncode == 0:
        pytest.skip("wasmer-llvm works on this machine")
    assert proc.returncode == 1
    assert "wasmer-llvm" in proc.stdout and "NOT RUN" in proc.stdout
    assert "nothing could run" in proc.stderr


def test_results_go_to_a_new_folder_each_run(tmp_path: Path) -> None:
    for _ in range(2):
        proc = run_cli("--runtime", "python", "--scenario", "loop_overhead", "--no-provision",
                       "--debug-single-value", "--no-report", "--results-dir", str(tmp_path))
        assert proc.returncode == 0, proc.stderr
    runs = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(runs) == 2
    for run_dir in runs:
        assert (run_dir / "manifest.json").stat().st_mode & 0o044  # readable by others
        assert not [p for p in os.listdir(run_dir) if p.endswith(".tmp")]
