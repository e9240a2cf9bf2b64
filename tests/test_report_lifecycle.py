"""The lifecycle report sections, from small real runs (committed, ``tests.fixtures``): the
numbers are lifecycle.json's (and so pyperf's), cells without a number are words, a defeated
cache is flagged, and is a warning on the page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyperf
import pytest

from scenarios import report as report_cli
from scenarios.families.lifecycle import figures as lifecycle
from scenarios.families.lifecycle import report as lifecycle_sections
from scenarios.record import manifest as record
from scenarios.reporting import fmt, load, model, sections
from scenarios.reporting.sections import Table
from tests.runs import MadeRun, committed
from tests.test_report import Page

SECTION_IDS = ("compile-time", "start-up", "caches")
SIZES = (10 << 10, 100 << 10)
NUMBER = re.compile(r"\d+(\.\d+)? ?(ns|µs|ms|s)\b")


@pytest.fixture(scope="module")
def lifecycle_run() -> MadeRun:
    """wasmtime and the python baseline (which compiles nothing) through every lifecycle
    scenario, on two small generated modules."""
    run = committed("lifecycle")
    assert run.manifest["options"]["scenarios"] == list(lifecycle.LIFECYCLE)
    return run


def rendered(run: MadeRun, factory: pytest.TempPathFactory) -> Path:
    """The run's report folder, as ``scenarios.run`` renders it at its end."""
    return report_cli.generate(run.path, factory.mktemp("report")).parent


@pytest.fixture(scope="module")
def lifecycle_report(lifecycle_run: MadeRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rendered(lifecycle_run, tmp_path_factory)


def html(report_dir: Path) -> str:
    return (report_dir / "index.html").read_text(encoding="utf-8")


def key_of(run: MadeRun, runtime: str) -> str:
    return next(k for k, e in run.manifest["runtimes"].items() if e["runtime"] == runtime)


def summary_of(run: MadeRun) -> dict[str, Any]:
    return json.loads((run.path / lifecycle.SUMMARY).read_text())


def tables(blocks: list[sections.Block]) -> list[pd.DataFrame]:
    return [b.frame for b in blocks if isinstance(b, Table)]


def medians(run: MadeRun, key: str) -> dict[str, float]:
    suite = pyperf.BenchmarkSuite.load(str(run.path / run.manifest["runtimes"][key]["file"]))
    return {b.get_name(): b.median() for b in suite.get_benchmarks()}


@pytest.fixture(scope="module")
def report(lifecycle_run: MadeRun) -> model.Report:
    return model.build(load.load_run(lifecycle_run.path))


def test_the_sections_are_on_the_page_with_their_plots(lifecycle_report: Path) -> None:
    page = html(lifecycle_report)
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in page, sid
    assert not re.search(r"section '[\w-]+' failed", page)  # no section became an error box
    assert 'class="banner cache-ineffective"' not in page  # nothing judged below 1 MB
    for png in ("compile-time-sizes.png", "start-up-first-call.png", "caches-speedups.png"):
        assert (lifecycle_report / png).read_bytes().startswith(b"\x89PNG"), png


def test_compile_points_and_fit_are_lifecycle_jsons(lifecycle_run: MadeRun,
                                                    report: model.Report,
                                                    lifecycle_report: Path) -> None:
    data, key = summary_of(lifecycle_run), key_of(lifecycle_run, "wasmtime")
    fits, points = tables(lifecycle_sections.compile_time(report))
    mine = data["runtimes"][key]["compile"]
    assert [p["size"] for p in mine["points"]] == list(SIZES)
    timed = medians(lifecycle_run, key)
    modules = {m["size"]: m for m in data["modules"]}
    plain = Page(html(lifecycle_report)).plain
    for p in mine["points"]:
        assert p["median_s"] == timed[f"compile/{p['size']}"]  # lifecycle.json is pyperf's
        (row,) = points[(points["runtime"] == "wasmtime")
                        & (points["module size"] == fmt.nbytes(p["size"]))].to_dict("records")
        assert p["bytes"] == modules[p["size"]]["bytes"] > p["size"] // 2
        assert row["bytes"] == f"{p['bytes']:,}"
        assert row["functions"] == f"{modules[p['size']]['functions']:,}" != "1"
        assert row["median"] == fmt.ns(p["median_s"] * 1e9)
        assert f"wasmtime {fmt.nbytes(p['size'])} {p['bytes']:,} " in plain
    (fit,) = fits[fits["runtime"] == "wasmtime"].to_dict("records")
    assert fit["ms per MB"] == f"{fmt.number(mine['fit']['ms_per_mb'])} ms/MB"
    assert fit["sizes timed"] == "2 of 2"
    assert fit["ms per MB"] in plain


def test_cache_speedups_are_lifecycle_jsons(lifecycle_run: MadeRun,
                                            report: model.Report) -> None:
    data, key = summary_of(lifecycle_run), key_of(lifecycle_run, "wasmtime")
    (table,) = tables(lifecycle_sections.caches(report))
    timed = medians(lifecycle_run, key)
    verdicts = data["runtimes"][key]["cache"]
    assert {(v["mechanism"], v["size"]) for v in verdicts} == {
        (m, s) for m in lifecycle.HITS for s in SIZES}
    for v in verdicts:
        cold, hit = (timed[f"cache/{m}/{v['size']}"] for m in (lifecycle.COLD_PATH,
                                                                v["mechanism"]))
        assert v["speedup"] == cold / hit
        (row,) = table[(table["runtime"] == "wasmtime") & (table["mechanism"] == v["mechanism"])
                       & (table["module size"] == fmt.nbytes(v["size"]))].to_dict("records")
        assert row["speed-up"] == fmt.ratio(v["speedup"])
        assert row["through the cache"] == fmt.ns(hit * 1e9)
        assert row["verdict"] == "not judged (small module)"  # below 1 MB
        assert (row["its miss"] != "—") == (v["mechanism"] == "disk_hit")


def test_cells_without_numbers_are_words(report: model.Report, lifecycle_report: Path) -> None:
    """The python baseline compiles nothing: its compile, cache and generated-module
    instantiate cells say so, with no number; its cold start and first call are timed."""
    _, points = tables(lifecycle_sections.compile_time(report))
    python = points[points["runtime"] == "python"]
    assert len(python) == len(SIZES) and (python["median"] == "unsupported").all()
    (cache,) = tables(lifecycle_sections.caches(report))
    python = cache[cache["runtime"] == "python"]
    assert len(python) == len(SIZES) * len(lifecycle.HITS)
    assert (python["through the cache"] == "not supported").all()
    assert (python["verdict"] == "not supported").all()
    assert not python["speed-up"].str.contains(r"\d").any()
    cold_start, instantiate, first_call = tables(lifecycle_sections.start_up(report))
    grid = instantiate.set_index("benchmark")["python"]
    assert grid["instantiate/no_imports"] == grid["instantiate/host_imports"] == "unsupported"
    assert NUMBER.search(grid["instantiate/article"])
    assert cold_start["python"].str.contains("IQR").all()
    assert len(first_call) == 2 and first_call["first / steady"].str.startswith("×").all()
    plain = Page(html(lifecycle_report)).plain
    assert re.search(r"python 10 KiB [\d,]+ [\d,]+ unsupported — ", plain)
    assert "not supported" in plain


def test_the_committed_summaries_are_what_the_runs_files_give(
        lifecycle_run: MadeRun, defeated_cache_run: MadeRun) -> None:
    """lifecycle.json is derived from the manifest and pyperf files alone: today's code gives
    the committed one (else remake the runs: ``python -m tests.fixtures``)."""
    for run in (lifecycle_run, defeated_cache_run):
        got = lifecycle.summarize(run.path, record.read(run.path))
        assert got == summary_of(run), run.path.name


def test_a_defeated_cache_is_flagged_ineffective(defeated_cache_run: MadeRun) -> None:
    (entry,) = defeated_cache_run.manifest["runtimes"].values()
    got = {n: b for s in entry["scenarios"].values() for n, b in s["benchmarks"].items()}
    # Every load answered correctly: only the timings give the defeated cache away.
    assert got["cache/deserialize/1048576"]["status"] == "ok"
    data = summary_of(defeated_cache_run)
    (mine,) = data["runtimes"].values()
    verdicts = {v["mechanism"]: v for v in mine["cache"]}
    bad = verdicts["deserialize"]
    assert bad["status"] == "ineffective" and bad["speedup"] < 10
    assert bad["module_bytes"] >= 1_000_000
    assert verdicts["reuse"]["status"] == "ok"  # compiling once really is faster
    # the lines the run prints under its status table
    flag = next(line for line in lifecycle.notes(data) if "cache ineffective" in line)
    assert "defeated-cache@" in flag and "deserialize at 1,048,576 bytes" in flag
    assert "a cache hit must be at least 10x faster" in flag


def test_a_defeated_cache_is_a_plain_warning_on_the_page(
        defeated_cache_run: MadeRun, tmp_path_factory: pytest.TempPathFactory) -> None:
    defeated_report = rendered(defeated_cache_run, tmp_path_factory)
    page = html(defeated_report)
    banner = re.search(r'<div class="banner cache-ineffective">(.*?)</div>', page, re.S)
    assert banner, "no cache-ineffective warning on the page"
    text = Page(banner.group(1)).plain
    (v,) = [v for r in summary_of(defeated_cache_run)["runtimes"].values() for v in r["cache"]
            if v["ineffective"]]
    assert v["mechanism"] == "deserialize"
    assert (f"defeated-cache · deserialize · 1 MiB ({v['module_bytes']:,} bytes): "
            f"{v['reason']}") in text
    assert "a cache hit must be at least 10x faster" in text
    assert "CACHE INEFFECTIVE" in Page(page).plain
    assert (defeated_report / "caches-speedups.png").is_file()


def test_a_run_without_lifecycle_scenarios_has_no_such_section(small_run: MadeRun,
                                                                small_report: Path) -> None:
    page = html(small_report)
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' not in page
    rep = model.build(load.load_run(small_run.path))
    applying = {s.name for s in sections.discover() if s.applies(rep)}
    assert not applying & set(SECTION_IDS) and "ratio-heatmap" in applying
