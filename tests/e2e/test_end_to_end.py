"""The real command, real runtimes, real pyperf processes, in --debug-single-value mode."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyperf
import pytest

import guest
from guest import generated
from scenarios import catalog
from scenarios.families.interop import figures as interop
from scenarios.families.layers import figures as breakdown
from scenarios.families.lifecycle import figures as lifecycle
from scenarios.orchestrate.execute import PROG
from scenarios.reporting import load
from tests.runs import FAKES, MadeRun, by_runtime, only_run, run_cli

pytestmark = pytest.mark.e2e

SEED_RUNTIMES = ("wasmtime", "wasmer-cranelift", "wasmer-singlepass", "python")
LAYER_RUNTIMES = ("native", "wasmtime-raw", "wasmer-cranelift-cached-view")


@pytest.fixture(autouse=True)
def _modules_of_1k(monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalogue lists the generated-module benchmarks at the full run's size (1 KiB)."""
    monkeypatch.setenv(generated.SIZES_ENV, "1024")


def _expected(caps: set[str]) -> dict[str, str]:
    """"unsupported" only where the runtime can do none of a scenario's benchmarks (the python
    baseline compiles nothing, so compile and cache), and interrupt_overhead needs an
    in-runtime interruption mechanism; every other scenario ok."""
    stoppable = {"epoch_interruption", "fuel"} & caps
    return {s: "ok" if any(needs(sc, b) <= caps for b in sc.benchmarks(1024))
            and (s != "interrupt_overhead" or stoppable) else "unsupported"
            for s, sc in catalog.all_scenarios().items()}


def test_every_seed_runtime_ran_every_scenario(full_run: tuple[Path, dict, str]) -> None:
    _, manifest, _ = full_run
    assert manifest["complete"] is True
    assert manifest["options"]["scenarios"] == list(catalog.all_scenarios())
    ran = by_runtime(manifest)
    for name in SEED_RUNTIMES:
        assert name in ran, f"{name} missing; unavailable: {manifest['unavailable']}"
        caps = set(ran[name]["info"]["capabilities"])
        statuses = {s: r["status"] for s, r in ran[name]["scenarios"].items()}
        assert statuses == _expected(caps), statuses


def needs(sc: catalog.Scenario, b: catalog.Benchmark) -> set[str]:
    return {c.value for c in sc.requires | b.requires}


def test_the_lifecycle_scenarios_ran_on_every_runtime(full_run: tuple[Path, dict, str]) -> None:
    """The command of the lifecycle issue, ``--scenario cold_start,compile,instantiate,
    first_call,cache``, is part of this run: each benchmark ran where the runtime can do it,
    and the run folder holds what the report needs about modules and caches."""
    run_dir, manifest, stdout = full_run
    names = ("cold_start", "compile", "instantiate", "first_call", "cache")
    for entry in by_runtime(manifest).values():  # the rows that ran every scenario
        caps = set(entry["info"]["capabilities"])
        for name in names:
            sc = catalog.get(name)
            for b in sc.benchmarks(1024):
                want = "ok" if needs(sc, b) <= caps else "unsupported"
                got = entry["scenarios"][name]["benchmarks"][b.name]
                assert got["status"] == want, (entry["runtime"], b.name, got)
    assert manifest["options"]["module_sizes"] == "1K"
    assert manifest["scenario_defaults"]["compile"]["loops"] == 1

    m = generated.module(1024)
    data = json.loads((run_dir / lifecycle.SUMMARY).read_text())
    assert data["modules"] == [{"size": 1024, "bytes": len(m.wasm), "functions": m.functions,
                                "sha256": m.sha256, "generator": m.describe()["module_generator"]}]
    assert data["flags"] == []  # nothing is judged below 1 MB, and every artifact loaded
    summary_of = {r["runtime"]: r for r in data["runtimes"].values()}
    for name in ("wasmtime", "wasmer-cranelift", "wasmer-singlepass"):
        (point,) = summary_of[name]["compile"]["points"]
        assert point["bytes"] == len(m.wasm) and point["median_s"] > 0
        reuse = next(v for v in summary_of[name]["cache"] if v["mechanism"] == "reuse")
        assert reuse["status"] == "ok" and reuse["speedup"] > 0
    assert {v["mechanism"]: v["status"] for v in summary_of["wasmer-cranelift"]["cache"]} == {
        "reuse": "ok", "deserialize": "ok", "deserialize_file": "unsupported",
        "disk_hit": "unsupported"}
    assert summary_of["python"]["compile"]["points"] == []
    assert summary_of["wasmtime"]["pyperf"]["compile"]["loops"] == [1]
    assert "lifecycle summary: " in stdout
    assert all(line in stdout for line in lifecycle.notes(data))  # printed under the table

    key = next(k for k, e in manifest["runtimes"].items() if e["runtime"] == "wasmtime")
    meta = {b.get_name(): b.get_metadata()
            for b in pyperf.BenchmarkSuite.load(str(run_dir / f"{key}.json")).get_benchmarks()}
    assert meta["compile/1024"]["module_sha256"] == m.sha256
    assert meta["cache/disk_hit/1024"]["cache_mechanism"] == "disk_hit"
    assert "loops=1" in meta["compile/1024"]["scenario_pyperf_defaults"]
    assert meta["instantiate/host_imports"]["module_imports"] == 8


def test_the_interpreters_ran_every_scenario(full_run: tuple[Path, dict, str]) -> None:
    _, manifest, _ = full_run
    ran = by_runtime(manifest)
    if "pywasm" not in ran:  # it needs CPython >= 3.11, which a 3.10-only run lacks
        assert "needs CPython >= 3.11" in manifest["unavailable"]["pywasm"]
    for name in ("pywasm3", "pywasm"):
        if name in ran or name == "pywasm3":
            statuses = {s: r["status"] for s, r in ran[name]["scenarios"].items()}
            expected = _expected(set(ran[name]["info"]["capabilities"]))
            if name == "pywasm":  # guest_work reverses 1 MiB per host call, above its limit
                expected["guest_work"] = "unsupported"
                assert "1024 B" in ran[name]["scenarios"]["guest_work"]["detail"]
            assert statuses == expected, (name, statuses)


def test_two_way_scenarios_ran_everywhere_and_say_what_a_runtime_lacks(
        full_run: tuple[Path, dict, str]) -> None:
    """``--scenario host_call,return_buffer,arg_shapes,memory_access,memory_grow`` (in the
    full run): every seed runtime runs them; a memory path a runtime lacks is "unsupported"
    in the manifest with its reason, and the derived figures compute from the files alone."""
    run_dir, manifest, stdout = full_run
    ran = by_runtime(manifest)
    lacks = {"wasmtime": {"typed_view"}, "wasmer-cranelift": {"ctypes"},
             "wasmer-singlepass": {"ctypes"}, "python": {"ctypes", "typed_view"}}
    for name, missing in lacks.items():
        access = ran[name]["scenarios"]["memory_access"]["benchmarks"]
        unsupported = {b["metadata"]["memory_path"] for b in access.values()
                       if b["status"] == "unsupported"}
        assert unsupported == missing, name
        assert all("offers no" in b["detail"] for b in access.values()
                   if b["status"] == "unsupported")
        assert all(b["status"] == "ok" for b in access.values()
                   if b["metadata"]["memory_path"] not in missing)
    assert ", 8 n/s" in stdout  # python: 2 paths x 2 directions x 2 sizes up to 1 KiB
    frame = interop.values_frame(run_dir / e["file"] for e in manifest["runtimes"].values())
    callbacks = interop.per_callback_ns(frame)
    seen = set(callbacks["runtime"])
    assert set(lacks) <= seen  # and the interpreters (pywasm3, pywasm) that host imports too
    assert callbacks["per_callback_ns"].notna().all()
    fits = interop.fit_per_argument(frame)
    assert set(lacks) <= set(fits["runtime"])
    assert fits.groupby("runtime").size().eq(4).all()  # i32, i64, f32, f64 per runtime
    fastest = interop.fastest_memory_path(frame)
    assert set(lacks) <= set(fastest["runtime"])
    assert (fastest[fastest["runtime"].isin(lacks)]["paths"] >= 2).all()


def test_wasmer_runs_on_cpython_310_with_the_rest(full_run: tuple[Path, dict, str]) -> None:
    _, manifest, stdout = full_run
    pairs = {(e["runtime"], e["interpreter"]): e.get("only")
             for e in manifest["runtimes"].values()}
    equal = by_runtime(manifest)["wasmer-cranelift"]["interpreter"]
    assert equal.startswith("cpython-3.10.")
    # the interpreter hosting the most runtimes hosts them all but pywasm (CPython >= 3.11
    # only), with a python baseline beside them on each interpreter used
    for name in ("wasmtime", "pywasm3", "python"):
        assert pairs[(name, equal)] is None, name
    interpreters = {i for _, i in pairs}
    assert interpreters == {i for r, i in pairs if r == "python"}
    assert f"wasmer-cranelift   on {equal}" in stdout
    # and each runtime that installs on a newer one also ran its per-call scenarios there
    newest = by_runtime(manifest)["pywasm"]["interpreter"]
    assert newest > equal and pairs[("pywasm", newest)] is None
    per_interpreter = [s for s in manifest["options"]["scenarios"]
                       if catalog.get(s).per_interpreter]
    assert {"no_op", "add_numbers", "reverse_string", "host_call"} <= set(per_interpreter)
    for name in ("wasmtime", "pywasm3", "native", "python"):
        assert pairs[(name, newest)] == per_interpreter, name
        entry = manifest["runtimes"][f"{name}@{newest}"]
        assert set(entry["scenarios"]) == set(per_interpreter), name
    assert ("wasmer-cranelift", newest) not in pairs


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
    for name in {g for sc in catalog.all_scenarios().values() for g in sc.guests}:
        assert manifest["guests"][name]["sha256"] == guest.get(name).sha256
    for key, entry in manifest["runtimes"].items():
        # a row on a further interpreter: the benchmarks of its per-interpreter scenarios
        benches = {b.name: b for name, sc in catalog.all_scenarios().items()
                   if name in entry.get("only", [name]) for b in sc.benchmarks(1024)}
        cells = {name: b for sc in entry["scenarios"].values()
                 for name, b in sc["benchmarks"].items()}
        assert sorted(cells) == sorted(benches), key
        timed = sorted(n for n, b in cells.items() if b["status"] == "ok")
        suite = pyperf.BenchmarkSuite.load(str(run_dir / entry["file"]))
        assert sorted(suite.get_benchmark_names()) == timed, key
        for bench in suite.get_benchmarks():
            meta = bench.get_metadata()
            defined = benches[bench.get_name()]
            assert meta["runtime"] == entry["runtime"]
            assert meta["interpreter"] == entry["interpreter"] == key.split("@")[1]
            # values are per operation: pyperf divided by both factors
            assert meta["inner_loops"] == defined.inner_loops * defined.ops_per_statement
            assert meta["ops_per_statement"] == defined.ops_per_statement
            assert all(v > 0 for v in bench.get_values())
            assert defined.metadata.items() <= meta.items()
            if defined.guest:
                assert meta[f"guest_{defined.guest}_sha256"] == guest.get(defined.guest).sha256


def test_lowest_paths_and_the_native_floor_ran_everything(full_run: tuple[Path, dict, str]
                                                         ) -> None:
    """Each ran every scenario its capabilities allow; native lacks, besides, what only a
    wasm build has (exports with packed 32-bit offsets, a wasm memory to grow), and says so."""
    _, manifest, _ = full_run
    ran = by_runtime(manifest)
    for name in LAYER_RUNTIMES:
        assert name in ran, f"{name} missing; unavailable: {manifest['unavailable']}"
        cells = ran[name]["scenarios"]
        expected = _expected(set(ran[name]["info"]["capabilities"]))
        if name == "native":
            expected.update(return_buffer="unsupported", memory_grow="unsupported")
            assert "wasm32" in cells["return_buffer"]["detail"]
            assert "cannot grow a memory" in cells["memory_grow"]["detail"]
        assert {s: r["status"] for s, r in cells.items()} == expected, name
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


@pytest.fixture(scope="module")
def misbehaving_run(tmp_path_factory: pytest.TempPathFactory) -> MadeRun:
    """Runtimes that answer wrongly, crash, hang, or abort inside wasmtime (an object used
    with the wrong store), beside the python baseline; the run ends with its report, and
    exits 1 because benchmarks failed."""
    results = tmp_path_factory.mktemp("misbehaving") / "results"
    proc = run_cli("scenarios.run", "--runtime", "wrong-answer,crashes,hangs,wrong-store,python",
                   "--scenario", "no_op,add_numbers,reverse_string", "--max-bytes", "64",
                   "--no-provision", "--debug-single-value", "--call-timeout", "30",
                   "--results-dir", str(results), env=FAKES, timeout=3600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return MadeRun(*only_run(results), proc.stdout)


def test_misbehaving_runtimes_are_recorded_and_the_run_goes_on(misbehaving_run: MadeRun) -> None:
    run_dir, manifest = misbehaving_run.path, misbehaving_run.manifest
    cells = {n: e["scenarios"] for n, e in by_runtime(manifest).items()}

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
    # generous: only the hanging call may reach it, however slow or busy the machine
    assert hung["status"] == "timeout" and "--call-timeout=30s" in hung["detail"]
    assert cells["hangs"]["reverse_string"]["status"] == "ok"
    assert all(s["status"] == "ok" for s in cells["python"].values())


def test_the_run_ends_with_its_report(misbehaving_run: MadeRun) -> None:
    """Printed with its path; each failure is a word with its reason (the report's content
    is checked on a committed run, tests/test_report.py)."""
    index = misbehaving_run.path.parent.parent / "reports" / misbehaving_run.path.name / \
        "index.html"
    assert f"Report:  {index}\n" in misbehaving_run.stdout
    assert f"open file://{index.resolve()} in a browser" in misbehaving_run.stdout
    assert {"values.csv", "summary.csv"} <= {p.name for p in index.parent.iterdir()}
    page = index.read_text()
    for status in ("invalid", "crashed", "timeout"):
        assert f'data-status="{status}"' in page
    assert "process killed by SIGABRT" in page


def test_the_failures_are_named_on_the_last_line(misbehaving_run: MadeRun) -> None:
    """After the report, so a pipeline's log ends with why the command failed."""
    last = misbehaving_run.stdout.rstrip().splitlines()[-1]
    assert last.startswith(f"{PROG}: ") and last.endswith(
        "(exit status 1; --allow-failures to accept them)")
    assert " benchmarks not measured: wrong-answer@" in last
    assert " add_numbers invalid, " in last and " more " in last


def test_a_real_runtime_abort_is_recorded_with_its_last_words(misbehaving_run: MadeRun) -> None:
    manifest = misbehaving_run.manifest
    cells = {n: e["scenarios"] for n, e in by_runtime(manifest).items()}
    if "wrong-store" not in cells:
        pytest.skip(f"wasmtime unavailable here: {manifest['unavailable']}")
    for scenario in ("no_op", "add_numbers"):
        (bench,) = cells["wrong-store"][scenario]["benchmarks"].values()
        assert bench == {"status": "crashed", "detail":
                         "process killed by SIGABRT: object used with the wrong store"}


def test_a_runtime_requested_by_name_that_cannot_run_fails_the_command(tmp_path: Path) -> None:
    proc = run_cli("scenarios.run", "--runtime", "wasmer-llvm", "--no-provision",
                   "--results-dir", str(tmp_path))
    if proc.returncode == 0:
        pytest.skip("wasmer-llvm works on this machine")
    assert proc.returncode == 1
    assert "wasmer-llvm" in proc.stdout and "NOT RUN" in proc.stdout
    assert "nothing could run" in proc.stderr


def test_results_go_to_a_new_folder_each_run(two_python_runs: list[Path]) -> None:
    assert len(two_python_runs) == 2
    for run_dir in two_python_runs:
        assert (run_dir / "manifest.json").stat().st_mode & 0o044  # readable by others
        assert not [p for p in os.listdir(run_dir) if p.endswith(".tmp")]
