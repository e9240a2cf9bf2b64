"""The interruption sections of the report, from one small real run (committed,
``tests.fixtures``: wasmtime and python, two worker processes of one value each, so overhead
intervals exist): its numbers are interruption.json's, python's missing mechanisms read "not
supported", the figures exist; a run without these scenarios has no such section."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyperf
import pytest

from scenarios import report as report_cli
from scenarios.families.interruption import report as interruption
from scenarios.reporting import fmt, load, model
from tests.html_sections import Sections
from tests.runs import committed

SECTIONS = ("interruption-support", "interrupt-latency", "interrupt-overhead",
            "interrupt-recovery")
FIGURES = ("interrupt-latency-latency.png", "interrupt-overhead-overhead.png")
DASH = "—"


@pytest.fixture(scope="module")
def run_dir() -> Path:
    return committed("interruption").path


@pytest.fixture(scope="module")
def summary(run_dir: Path) -> dict[str, Any]:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["summaries"] == {"interruption": "interruption.json"}
    return json.loads((run_dir / "interruption.json").read_text())


def render(run_dir: Path, out: Path) -> Sections:
    html = report_cli.generate(run_dir, out, debug=True).read_text(encoding="utf-8")
    assert 'class="error"' not in html  # no section failed
    return Sections(html)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def page(run_dir: Path, out_dir: Path) -> Sections:
    return render(run_dir, out_dir)


def rows(page: Sections, section: str, *key: str) -> dict[tuple[str, ...], dict[str, str]]:
    """The section's last table, each row by the values of the ``key`` columns."""
    return {tuple(r[k] for k in key): r
            for r in page.tables[section][-1].to_dict("records")}


def seconds(value: float) -> str:
    return fmt.ns(value * 1e9)


def surfaced(value: str | None) -> str:
    return DASH if value is None else value


def test_the_sections_follow_the_generic_ones_and_embed_their_figures(page: Sections) -> None:
    assert [s for s in page.order if s in SECTIONS] == list(SECTIONS)
    assert set(SECTIONS) <= set(page.links)  # each in the page's navigation
    assert page.order.index(SECTIONS[0]) > page.order.index("distributions")
    for section in ("interrupt-latency", "interrupt-overhead"):
        (img,) = page.images[section]
        assert img["src"].startswith("data:image/png;base64,") and img["alt"]


def test_pngs_are_written_beside_the_page(page: Sections, out_dir: Path) -> None:
    for name in FIGURES:
        assert (out_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_support_matrix_says_what_each_runtime_cannot_do(page: Sections,
                                                         summary: dict[str, Any]) -> None:
    matrix = rows(page, "interruption-support", "runtime")
    assert set(matrix) == {("wasmtime",), ("python",)}
    wasmtime, python = matrix[("wasmtime",)], matrix[("python",)]
    assert [wasmtime[c] for c in ("epoch deadline", "fuel budget", "kill the process")] == \
        ["supported"] * 3
    assert wasmtime["stopped by"] == "in-runtime: epoch, fuel"
    assert python["epoch deadline"] == "not supported (needs epoch_interruption)"
    assert python["fuel budget"] == "not supported (needs fuel)"
    assert python["kill the process"] == "supported"
    assert python["stopped by"] == "only by killing the process"
    json_rows = {r["runtime"]: r for r in summary["support"]}
    assert python["stopped by"] == json_rows["python"]["stop"]


def test_latency_table_is_interruption_json(page: Sections, summary: dict[str, Any],
                                            run_dir: Path) -> None:
    table = rows(page, "interrupt-latency", "runtime", "mechanism", "deadline")
    assert len(table) == 2 * 3 * 3  # every runtime x mechanism x deadline, none dropped
    suites = {r: pyperf.BenchmarkSuite.load(str(run_dir / f"{r}@{i}.json"))
              for r, i in {(x["runtime"], x["interpreter"]) for x in summary["latency"]}}
    for r in summary["latency"]:
        row = table[(r["runtime"], r["mechanism"], f"{r['deadline_ms']} ms")]
        assert row["n"] == str(r["n"]) == "2"
        assert (row["median"], row["p95"], row["max"]) == \
            (seconds(r["median"]), seconds(r["p95"]), seconds(r["max"]))
        assert (row["exception"], row["trap code"]) == \
            (surfaced(r["exception"]), surfaced(r["trap_code"]))
        assert r["median"] == suites[r["runtime"]].get_benchmark(r["benchmark"]).median()
    epoch = table[("wasmtime", "epoch", "10 ms")]
    assert (epoch["exception"], epoch["trap code"]) == ("wasmtime._trap.Trap", "INTERRUPT")
    for ms in (1, 10, 100):  # python has no epoch: words, never numbers
        row = table[("python", "epoch", f"{ms} ms")]
        assert [row[c] for c in ("n", "median", "p95", "max")] == ["not supported"] * 4
        assert row["detail"] == "needs epoch_interruption"
    assert len(summary["latency"]) == len(table) - 3


def test_overhead_table_is_interruption_json(page: Sections, summary: dict[str, Any]) -> None:
    table = rows(page, "interrupt-overhead", "runtime", "workload", "mechanism")
    assert len(table) == 2 * 2 * 2
    assert len(summary["overhead"]) == 4
    for r in summary["overhead"]:
        row = table[(r["runtime"], r["workload"], r["mechanism"])]
        assert row["ratio"] == fmt.ratio(r["ratio"])
        assert r["ci_low"] is not None and r["n_on"] == r["n_off"] == 2
        assert row["95 % interval"] == fmt.interval(r["ci_low"], r["ci_high"])
        assert (row["enabled (mean)"], row["disabled (mean)"]) == \
            (seconds(r["mean_on"]), seconds(r["mean_off"]))
    for workload in ("fib", "churn"):
        for mechanism in ("epoch", "fuel"):
            row = table[("python", workload, mechanism)]
            assert row["ratio"] == row["95 % interval"] == "not supported"
            assert row["detail"] == ("needs epoch_interruption" if mechanism == "epoch"
                                     else "needs fuel")


def test_recovery_table_is_interruption_json(page: Sections, summary: dict[str, Any]) -> None:
    table = rows(page, "interrupt-recovery", "runtime", "mechanism")
    assert len(table) == 2 * 3
    for r in summary["recovery"]:
        row = table[(r["runtime"], r["mechanism"])]
        assert (row["path"], row["median"], row["max"]) == \
            (r["outcome"], seconds(r["median"]), seconds(r["max"]))
    assert table[("wasmtime", "epoch")]["path"] == "reuse"
    assert table[("python", "kill")]["path"] == "restart"
    assert table[("python", "fuel")]["path"] == "not supported"


def test_a_run_folder_without_the_summary_file_derives_the_same_summary(
        run_dir: Path, summary: dict[str, Any], tmp_path: Path) -> None:
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    (copy / "interruption.json").unlink()
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["summaries"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    report = model.build(load.load_run(copy))
    assert interruption.load_summary(report) == summary


def test_a_run_without_these_scenarios_has_no_such_section(small_report: Path) -> None:
    html = (small_report / "index.html").read_text(encoding="utf-8")
    assert 'class="error"' not in html  # no section failed
    page = Sections(html)
    assert "distributions" in page.order
    assert not set(SECTIONS) & (set(page.order) | set(page.links))
    assert not list(small_report.glob("interrupt*.png"))
