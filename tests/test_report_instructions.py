"""The report and ``scenarios.compare`` of a ``--measure instructions`` run (committed:
``tests.fixtures`` "instructions", python and wasmtime counted under callgrind)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pyperf
import pytest

from scenarios import compare
from scenarios import report as report_cli
from scenarios.reporting import ReportError, fmt, load
from tests.runs import MadeRun, committed
from tests.test_compare import rows, run_compare
from tests.test_report import Page


@pytest.fixture(scope="module")
def counted() -> MadeRun:
    return committed("instructions")


@pytest.fixture(scope="module")
def page(counted: MadeRun, tmp_path_factory: pytest.TempPathFactory) -> Page:
    index = report_cli.generate(counted.path, tmp_path_factory.mktemp("instr-report"))
    return Page(index.read_text(encoding="utf-8"))


def medians(run: MadeRun) -> dict[tuple[str, str], float]:
    return {(key, b.get_name()): b.median()
            for key, entry in run.manifest["runtimes"].items()
            for b in pyperf.BenchmarkSuite.load(str(run.path / entry["file"])).get_benchmarks()}


def test_counts_are_written_as_instructions() -> None:
    assert fmt.count(371.9) == "372 instr"
    assert fmt.count(73_805.3) == "73.8 k instr"
    with fmt.measuring("instructions"):
        assert fmt.ns(1_200_000) == "1.20 M instr"
    assert fmt.ns(1_200_000) == "1.20 ms"


def test_the_scorecard_shows_the_counts_in_the_familys_columns(counted: MadeRun,
                                                               page: Page) -> None:
    for (key, name), median in medians(counted).items():
        runtime = key.split("@")[0]
        assert fmt.count(median) in page.plain, (runtime, name)
    assert "no-op call, instructions" in page.plain
    assert "two i32 arguments, instructions" in page.plain
    # no figure written as a duration (pyperf's timer resolution, in Provenance, is one)
    assert not re.search(r"\d (µs|ms)\b", page.plain)


def test_the_page_says_how_counts_are_taken_and_what_they_hide(page: Page) -> None:
    assert "Instruction counts" in page.plain
    for hidden in ("cache misses", "page faults", "system calls", "epoch"):
        assert hidden in page.plain
    assert "spread" in page.plain


def test_a_count_file_in_a_time_run_is_refused(counted: MadeRun, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(counted.path, tmp_path / "run"))
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["options"]["measure"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ReportError, match="integer, not second"):
        load.load_run(copy)


def test_a_count_run_against_itself_is_the_same(counted: MadeRun,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_compare(capsys, str(counted.path), str(counted.path))
    assert code == 0, out + err
    found = rows(out)
    assert len(found) == 4
    assert all("same (within ×1.01)" in r for r in found.values())


def test_more_instructions_fail_the_gate(counted: MadeRun, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """wasmtime's no-op call made 2 % dearer: beyond ×1.01, the gate fails; ×1.05 passes."""
    copy = Path(shutil.copytree(counted.path, tmp_path / "run"))
    path = copy / "wasmtime@cpython-3.11.7.json"
    suite = pyperf.BenchmarkSuite.load(str(path))
    changed = []
    for bench in suite.get_benchmarks():
        scale = 1.02 if bench.get_name() == "no_op" else 1.0
        changed.append(pyperf.Benchmark([r._replace(values=[v * scale for v in r.values])
                                         for r in bench.get_runs()]))
    pyperf.BenchmarkSuite(changed).dump(str(path), replace=True)
    code, out, _ = run_compare(capsys, str(counted.path), str(copy))
    assert code == compare.EXIT_SLOWER
    assert "MORE INSTRUCTIONS" in rows(out)[("wasmtime@cpython-3.11.7", "no_op")]
    assert "same" in rows(out)[("wasmtime@cpython-3.11.7", "add_numbers")]
    code, _, _ = run_compare(capsys, str(counted.path), str(copy),
                             "--instructions-threshold", "1.05")
    assert code == 0


def test_time_is_not_compared_with_counts(counted: MadeRun, small_run: MadeRun,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_compare(capsys, str(small_run.path), str(counted.path))
    assert code == 2
    assert "compare time with time" in err


def test_count_verdicts() -> None:
    assert compare.count_verdict(1.005, 1.01)[1] == "same"
    assert compare.count_verdict(1.02, 1.01)[1] == "regression"
    assert compare.count_verdict(0.98, 1.01)[1] == "faster"
