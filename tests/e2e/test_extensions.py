"""The three extension points, end to end: a plugin package installed with pip, scenarios
declared in TOML, and a user's own module, all in one real `--runtime all` run."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pyperf
import pytest

from scenarios.orchestrate import hosts
from tests.runs import FAKES, by_runtime, only_run, run_cli

pytestmark = pytest.mark.e2e

EXAMPLES = hosts.PROJECT_ROOT / "examples"
PLUGIN = "example-wasmtime-unoptimized"
DECLARED = ("add", "fnv1a", "upper", "wasi_sum")
BYO = "byo.add"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """examples/plugin installed with pip into a fresh folder (a copy: pip builds in-tree)."""
    tmp = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(EXAMPLES / "plugin", tmp / "src")
    target = tmp / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--no-build-isolation", "--disable-pip-version-check",
                           "--target", str(target), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(target.glob("wasm_interop_example_plugin-*.dist-info"))
    return str(target)


def _env(plugin_path: str) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([plugin_path, str(hosts.PROJECT_ROOT),
                                          os.environ.get("PYTHONPATH", "")])}


@pytest.fixture(scope="module")
def extended_run(plugin_path: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[Path, dict[str, Any], str]:
    results = tmp_path_factory.mktemp("results")
    proc = run_cli("scenarios.run", "--runtime", "all",
                   "--scenario", ",".join(("no_op", *DECLARED)),
                   "--scenarios-dir", str(EXAMPLES / "scenarios"),
                   "--module", str(EXAMPLES / "modules" / "checksum.wasm"), "--export", "add",
                   "--args", "20,22", "--expect", "42", "--name", BYO,
                   "--max-bytes", "4096", "--debug-single-value", "--results-dir", str(results),
                   env=_env(plugin_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir, manifest = only_run(results)
    return run_dir, manifest, proc.stdout


def _cells(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """runtime -> scenario -> result (the first interpreter each runtime ran on)."""
    out: dict[str, dict[str, Any]] = {}
    for entry in manifest["runtimes"].values():
        out.setdefault(entry["runtime"], entry["scenarios"])
    return out


def test_the_plugin_is_listed_with_its_version(plugin_path: str) -> None:
    proc = run_cli("scenarios.run", "--list", "--no-provision", env=_env(plugin_path), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"\n  {PLUGIN}\n" in proc.stdout
    assert f"available, wasmtime {metadata.version('wasmtime')}, cranelift (opt level none)" \
        in proc.stdout


def test_the_plugin_runs_like_a_builtin(extended_run: tuple[Path, dict, str]) -> None:
    run_dir, manifest, stdout = extended_run
    # its row that ran everything (it also has a per-call row on the newest interpreter)
    entry = by_runtime(manifest)[PLUGIN]
    key = f"{PLUGIN}@{entry['interpreter']}"
    assert {s: r["status"] for s, r in entry["scenarios"].items()} == dict.fromkeys(
        ("no_op", *DECLARED, BYO), "ok")
    assert entry["info"]["compiler"] == "cranelift (opt level none)"
    suite = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"]))
    meta = suite.get_benchmark("no_op").get_metadata()
    assert meta["runtime"] == PLUGIN and meta["compiler"] == "cranelift (opt level none)"
    assert f"[{key}] no_op ... ok 1/1" in stdout


def test_declared_scenarios_run_through_every_runtime(extended_run: tuple[Path, dict, str]
                                                      ) -> None:
    _, manifest, _ = extended_run
    for entry in by_runtime(manifest).values():
        runtime, caps = entry["runtime"], entry["info"]["capabilities"]
        for name in DECLARED:
            cell = entry["scenarios"][name]
            if "any_module" not in caps:
                assert cell["status"] == "unsupported" and "any_module" in cell["detail"], runtime
            elif name == "wasi_sum" and "wasi" not in caps:
                declined = {"status": "unsupported", "detail": "needs wasi"}
                assert cell == {**declined, "benchmarks": {"wasi_sum": declined}}, runtime
            else:
                assert cell["status"] == "ok", (runtime, name, cell)
    assert _cells(manifest)["wasmtime"]["wasi_sum"]["status"] == "ok"


def test_a_declared_limit_reads_not_supported_with_its_reason(
        extended_run: tuple[Path, dict, str]) -> None:
    _, manifest, stdout = extended_run
    cells = _cells(manifest)
    if "pywasm" not in cells:
        reason = manifest["unavailable"]["pywasm"]
        assert "3.11" in reason
        pytest.skip(f"pywasm did not run here: {reason}")
    upper = cells["pywasm"]["upper"]
    assert upper["status"] == "ok"
    assert upper["benchmarks"]["upper/64"]["status"] == "ok"
    refused = upper["benchmarks"]["upper/4096"]
    assert refused["status"] == "unsupported"
    assert "declared limit of 1024 B" in refused["detail"]
    info = next(e["info"] for e in manifest["runtimes"].values() if e["runtime"] == "pywasm")
    assert info["max_payload_bytes"] == 1024
    assert "ok 1/1, 1 n/s (not supported: payload of 4096 B" in stdout


def test_the_users_module_is_measured_with_provenance(extended_run: tuple[Path, dict, str]
                                                      ) -> None:
    run_dir, manifest, _ = extended_run
    module = EXAMPLES / "modules" / "checksum.wasm"
    sha = hashlib.sha256(module.read_bytes()).hexdigest()
    assert manifest["declared"][BYO]["sha256"] == sha
    assert manifest["declared"][BYO]["declaration"]["args"] == [20, 22]
    for entry in by_runtime(manifest).values():  # a newest-interpreter row has no BYO cell
        key = f"{entry['runtime']}@{entry['interpreter']}"
        cell = entry["scenarios"][BYO]
        if "any_module" not in entry["info"]["capabilities"]:  # python, native
            assert cell["status"] == "unsupported" and "any_module" in cell["detail"]
            continue
        assert cell["status"] == "ok", (key, cell)
        bench = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"])).get_benchmark(BYO)
        assert bench.get_metadata()["module_sha256"] == sha


def test_the_plugin_passes_the_conformance_suite_from_its_own_tests(plugin_path: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(EXAMPLES / "plugin" / "tests")], capture_output=True, text=True,
                          env={**os.environ, **_env(plugin_path),
                               "WASM_INTEROP_REQUIRE": PLUGIN},
                          cwd=EXAMPLES / "plugin", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout and "failed" not in proc.stdout


def test_a_runtime_limit_is_visible_in_the_status_table(tmp_path: Path) -> None:
    proc = run_cli("scenarios.run", "--runtime", "limited,python", "--scenario", "reverse_string",
                   "--max-bytes", "256", "--no-provision", "--debug-single-value",
                   "--results-dir", str(tmp_path),
                   env=FAKES, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _, manifest = only_run(tmp_path)
    cell = _cells(manifest)["limited"]["reverse_string"]
    assert cell["status"] == "ok"
    assert {n: b["status"] for n, b in cell["benchmarks"].items()} == {
        "reverse_string/16": "ok", "reverse_string/64": "ok",
        "reverse_string/256": "unsupported"}
    assert "a test fake that stops at 64 bytes" in cell["benchmarks"]["reverse_string/256"][
        "detail"]
    assert "2/2, 1 n/s" in proc.stdout
