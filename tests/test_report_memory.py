"""The memory section and column, from a small real run (committed, ``tests.fixtures``):
bytes stay bytes (never shown as a time), the figures are the pyperf files' and the facts'."""

from __future__ import annotations

import re
from pathlib import Path

import pyperf
import pytest

from scenarios import report as report_cli
from scenarios.families.memory import figures
from scenarios.families.memory import report as memory_section
from scenarios.families.memory import scorecard as memory_column
from scenarios.reporting import load, model
from scenarios.reporting.sections import Figure, Table
from tests.runs import MadeRun, committed

TIME = re.compile(r"\d ?(?:ns|µs|ms)\b")


@pytest.fixture(scope="module")
def memory_run() -> MadeRun:
    """wasmtime, pywasm3 (which never frees an instance) and python through both scenarios."""
    run = committed("memory")
    assert run.manifest["options"]["scenarios"] == ["memory", "forgetful_host"]
    return run


@pytest.fixture(scope="module")
def report(memory_run: MadeRun) -> model.Report:
    return model.build(load.load_run(memory_run.path))


def key_of(report: model.Report, runtime: str) -> str:
    return next(k for k in report.keys if report.run.runtime_of(k) == runtime)


def test_bytes_are_kept_apart_from_times(report: model.Report) -> None:
    run = report.run
    assert run.values.empty  # no timed value: nothing here is seconds
    assert run.benchmarks == {}
    assert {run.unit(name) for _, name in run.quantities} == {"byte"}
    assert report.cells["median_ns"].isna().all()
    assert load.UNITS["time"] == "second" and "byte" in load.QUANTITY_UNITS


def test_the_per_instance_figure_is_the_pyperf_median(memory_run: MadeRun,
                                                      report: model.Report) -> None:
    found = figures.figures(report.run)
    for key, entry in memory_run.manifest["runtimes"].items():
        suite = pyperf.BenchmarkSuite.load(str(memory_run.path / entry["file"]))
        medians = {b.get_name(): b.median() for b in suite.get_benchmarks()}
        m = found[key]
        assert m.per_instance == medians[m.per_instance_benchmark]
        assert m.per_instance_benchmark == figures.PER_INSTANCE[0]  # the larger fit, in full
        assert m.instances_per_gib == pytest.approx(figures.GIB / m.per_instance)
        assert m.linear_memory == 17 * 65536  # the article guest's declared memory
        score = memory_column.per_instance(report, key)
        assert score.value == m.per_instance
        assert not TIME.search(score.text) and re.search(r"\d (B|KiB|MiB)$", score.text)


def test_an_interpreter_holding_the_whole_buffer_costs_at_least_its_linear_memory(
        report: model.Report) -> None:
    m = figures.of_runtime(report.run, key_of(report, "pywasm3"))
    assert m.per_instance is not None and m.linear_memory is not None
    assert m.per_instance > m.linear_memory / 2  # wasm3 allocates the memory it declares


def test_the_forgetful_host_has_curves_and_endings(report: model.Report) -> None:
    for key, m in figures.figures(report.run).items():
        for name in figures.LEAKS:
            leak = m.leaks[name]
            assert leak["curve"][0][0] == 0 and leak["calls"] > 0
            assert leak["ending"].startswith(("cap:", "refused:")), (key, leak["ending"])
        assert m.drop is not None and m.drop["instances"] > 0
    keeping = figures.of_runtime(report.run, key_of(report, "pywasm3")).drop
    assert keeping is not None and keeping["keeps_instances"]  # said, not hidden


def test_the_section_has_its_plot_and_tables(report: model.Report) -> None:
    blocks = memory_section.memory(report)
    assert any(isinstance(b, Figure) for b in blocks)
    frames = [b.frame for b in blocks if isinstance(b, Table)]
    assert len(frames) == 3  # per runtime, the leaks, the drop
    for frame in frames:
        assert not frame.astype(str).apply(lambda c: c.str.contains(TIME)).any().any()


def test_the_page_shows_bytes_in_the_headline_and_the_scorecard(
        memory_run: MadeRun, tmp_path_factory: pytest.TempPathFactory) -> None:
    out = report_cli.generate(memory_run.path, tmp_path_factory.mktemp("report")).parent
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<section id="memory">' in page
    assert (out / "memory-memory.png").read_bytes().startswith(b"\x89PNG")
    assert "memory per instance" in page
    assert not re.search(r"section '[\w-]+' failed", page)
    rows = re.findall(r'data-benchmark="(memory|forgetful_host)/[^"]*"[^>]*>(.*?)</td>', page,
                      flags=re.S)
    assert rows and not any(TIME.search(cell) for _, cell in rows)
    assert "in bytes, not a time" in page


def test_a_run_without_memory_has_no_memory_section(tmp_path: Path) -> None:
    small = model.build(load.load_run(committed("small").path))
    assert not small.has_scenario(*memory_section.SCENARIOS)
    assert figures.figures(small.run) == {}
