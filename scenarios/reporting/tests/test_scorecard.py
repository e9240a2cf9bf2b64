"""The scorecard on a committed small real run: every figure equals what the pyperf files say.

The fixture (``fixtures/scorecard-run``) is a real run of wasmtime, wasmtime-raw, pywasm3,
native and python (``-p 3 -n 3 --min-time 0.01``, modules 10K and 100K; its command is in its
manifest), without its parts/ folder. Figures are recomputed here from the pyperf files with
pyperf, numpy and scipy directly, not through the report's code.
"""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyperf
import pytest
from scipy import optimize, stats

from scenarios.reporting import load, model, render
from scenarios.reporting.sections import discover, scorecard

FIXTURE = Path(__file__).with_name("fixtures") / "scorecard-run"
NATIVE, PYTHON = "native@cpython-3.11.7", "python@cpython-3.11.7"


class Page(HTMLParser):
    """Section ids in page order; scorecard cells by (runtime, column); and for every headline
    table, whether it sits in a closed ``<details>``."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.cells: dict[tuple[str, str], dict[str, str]] = {}
        self.headline_tables: list[bool] = []  # True: inside a closed <details>
        self._details: list[bool] = []  # open?
        self._cell: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section":
            self.sections.append(a.get("id", ""))
        elif tag == "details":
            self._details.append("open" in a)
        elif tag == "table" and "headline" in a.get("class", "").split() \
                and "geomeans" not in a.get("class", ""):
            self.headline_tables.append(bool(self._details) and not any(self._details))
        elif tag == "td" and "data-column" in a:
            self._cell = {**a, "text": ""}
            self.cells[(a["data-runtime"], a["data-column"])] = self._cell

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self._details.pop()
        elif tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data


@pytest.fixture(scope="module")
def report() -> model.Report:
    discover()
    return model.build(load.load_run(FIXTURE))


@pytest.fixture(scope="module")
def rendered(report: model.Report) -> list[render.RenderedSection]:
    """The report's sections, rendered once for the module (the plots are the slow part)."""
    return render.render_sections(report, debug=True)[0]


@pytest.fixture(scope="module")
def html(report: model.Report, rendered: list[render.RenderedSection]) -> str:
    """index.html as ``render.write`` writes it."""
    return render.page(report, rendered)


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return Page(html)


@pytest.fixture(scope="module")
def scores(report: model.Report) -> dict[str, dict[str, scorecard.Score]]:
    return scorecard.scores(report)


def bench(key: str, name: str) -> pyperf.Benchmark:
    return pyperf.BenchmarkSuite.load(str(FIXTURE / f"{key}.json")).get_benchmark(name)


def has(key: str, name: str) -> bool:
    suite = pyperf.BenchmarkSuite.load(str(FIXTURE / f"{key}.json"))
    return name in suite.get_benchmark_names()


def test_the_fixture_is_the_run_it_claims() -> None:
    manifest = load.read_manifest(FIXTURE)
    assert set(manifest.runtimes) == {
        f"{r}@cpython-3.11.7" for r in ("wasmtime", "wasmtime-raw", "pywasm3", "native",
                                        "python")}
    assert (FIXTURE / "lifecycle.json").is_file() and (FIXTURE / "interruption.json").is_file()


def test_the_scorecard_is_the_first_section(page: Page) -> None:
    assert page.sections[0] == "scorecard"
    assert page.sections.index("scorecard") < page.sections.index("headline")


def test_every_runtime_has_a_row_and_every_column_a_cell(report: model.Report,
                                                          page: Page) -> None:
    assert {k for k, _ in page.cells} == set(report.keys)
    assert [c.id for c in scorecard.columns(report)] == [  # every family's, in order
        "no_op", "add_numbers", "string_1k", "per_kib", "sandbox_price", "callback", "compile",
        "cache", "instantiate", "stop_how", "stop_latency", "stop_overhead"]
    assert {c for _, c in page.cells} == {c.id for c in scorecard.columns(report)}


@pytest.mark.parametrize(("column", "benchmark"), [
    ("no_op", "no_op"), ("add_numbers", "add_numbers"),
    ("string_1k", "reverse_string/1024"), ("instantiate", "instantiate/article")])
def test_medians_are_pyperfs(report: model.Report, page: Page, scores: dict, column: str,
                             benchmark: str) -> None:
    for key in report.keys:
        if not has(key, benchmark):
            assert scores[key][column].value is None
            continue
        median_ns = bench(key, benchmark).median() * 1e9
        assert scores[key][column].value == median_ns, key
        assert float(page.cells[(key, column)]["data-value"]) == median_ns, key


def test_medians_have_an_interval_around_them(report: model.Report, scores: dict) -> None:
    for key in report.keys:
        s = scores[key]["no_op"]
        if s.value is not None:
            assert s.interval.startswith("[") and s.interval.endswith("]"), s.interval


def test_cost_per_kib_is_the_slope_of_the_payload_sweep(report: model.Report,
                                                         scores: dict) -> None:
    """b of t = a + b·bytes over per-process medians, weighted by relative error, in ns/KiB."""
    for key in report.keys:
        x, y = [], []
        suite = pyperf.BenchmarkSuite.load(str(FIXTURE / f"{key}.json"))
        for b in suite.get_benchmarks():
            if b.get_name().startswith("reverse_string/"):
                for run in b.get_runs():
                    if run.values:
                        x.append(b.get_metadata()["payload_bytes"])
                        y.append(float(np.median(run.values)) * 1e9)
        if len(set(x)) < 2:
            assert scores[key]["per_kib"].value is None
            continue
        x_, y_ = np.array(x, float), np.array(y)
        p0 = (float(np.median(y_[x_ == x_.min()])), float(np.median(y_) / np.median(x_)))
        (_, slope), _ = optimize.curve_fit(lambda v, a, b: a + b * v, x_, y_, p0=p0, sigma=y_,
                                           bounds=([0, 0], [np.inf, np.inf]))
        assert scores[key]["per_kib"].value == pytest.approx(slope * 1024, rel=1e-6), key


def test_one_callback_is_the_difference_per_call(report: model.Report, scores: dict) -> None:
    for key in report.keys:
        if not has(key, "host_call/noop"):
            continue
        with_call, without = bench(key, "host_call/noop"), bench(key, "host_call/none")
        n = with_call.get_metadata()["n_calls"]
        expected = (with_call.median() - without.median()) * 1e9 / n
        assert scores[key]["callback"].value == pytest.approx(expected, rel=1e-9), key


def test_native_has_no_host_imports_so_a_word(page: Page, scores: dict) -> None:
    cell = page.cells[(NATIVE, "callback")]
    assert cell["data-value"] == "" and "word" in cell["class"]
    assert "no host imports" in cell["text"]
    assert not any(c.isdigit() for c in cell["text"].split("no host imports")[0])
    assert scores[NATIVE]["callback"].value is None


def test_compile_per_mb_is_the_line_through_the_medians(report: model.Report,
                                                        scores: dict) -> None:
    for key in report.keys:
        names = [n for n in pyperf.BenchmarkSuite.load(str(FIXTURE / f"{key}.json"))
                 .get_benchmark_names() if n.startswith("compile/")]
        if len(names) < 2:
            assert scores[key]["compile"].value is None, key
            continue
        points = [(bench(key, n).get_metadata()["module_bytes"] / 1e6,
                   bench(key, n).median() * 1e3) for n in names]
        fit = stats.linregress(*zip(*points, strict=True))
        assert scores[key]["compile"].value == pytest.approx(fit.slope, rel=1e-9), key


def test_cache_speedup_is_the_best_mechanism_at_the_largest_size(report: model.Report,
                                                                 scores: dict) -> None:
    largest = max(int(n.rsplit("/", 1)[1]) for n in report.benchmarks("cache"))
    for key in report.keys:
        base = f"cache/compile_each/{largest}"
        if not has(key, base):
            assert scores[key]["cache"].value is None, key
            continue
        hits = {m: bench(key, f"cache/{m}/{largest}").median()
                for m in ("reuse", "deserialize", "deserialize_file", "disk_hit")
                if has(key, f"cache/{m}/{largest}")}
        mechanism = min(hits, key=hits.__getitem__)
        s = scores[key]["cache"]
        assert s.value == pytest.approx(bench(key, base).median() / hits[mechanism], rel=1e-9)
        assert s.note.startswith(mechanism), (key, s.note)


def test_interruption_figures(report: model.Report, scores: dict) -> None:
    for key in report.keys:
        latencies = {m: bench(key, f"interrupt_latency/{m}/10ms").median() * 1e9
                     for m in ("epoch", "fuel", "kill")
                     if has(key, f"interrupt_latency/{m}/10ms")}
        if latencies:
            assert scores[key]["stop_latency"].value == min(latencies.values()), key
        ratios = {m: np.mean(bench(key, f"interrupt_overhead/fib/{m}").get_values())
                  / np.mean(bench(key, "interrupt_overhead/fib/off").get_values())
                  for m in ("epoch", "fuel") if has(key, f"interrupt_overhead/fib/{m}")}
        overhead = scores[key]["stop_overhead"]
        if ratios:
            assert overhead.value == pytest.approx(min(ratios.values()), rel=1e-9), key
        else:
            assert overhead.value is None and overhead.text, key


def test_the_best_cell_of_each_column_is_marked(report: model.Report, page: Page,
                                                scores: dict) -> None:
    for column in scorecard.columns(report):
        if not column.ranked:
            continue
        candidates = {k: s[column.id].value for k, s in scores.items()
                      if k not in (NATIVE, PYTHON) and s[column.id].value is not None
                      and s[column.id].rankable}
        if not candidates:
            continue
        top = (max if column.higher_is_better else min)(candidates.values())
        for key in report.keys:
            cell = page.cells[(key, column.id)]
            marked = "best" in cell["class"].split() and scorecard.BEST in cell["text"]
            assert marked == (candidates.get(key) == top), (column.id, key)


def test_every_header_links_to_a_section_of_the_page(report: model.Report, html: str) -> None:
    for column in scorecard.columns(report):
        anchor = scorecard.anchor(report, column)
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html, column.id


def test_the_caption_names_the_sources_and_the_command(report: model.Report) -> None:
    text = str(scorecard.caption(report))
    for column in scorecard.columns(report):
        assert column.title in text
    assert "reverse_string/1024" in text and "instantiate/article" in text
    assert "--module-sizes 10K,100K" in text and "--processes" in text


def test_headline_tables_are_folded(page: Page) -> None:
    assert page.headline_tables and all(page.headline_tables)


@pytest.mark.parametrize(("status", "detail", "word"), [
    ("unsupported", "needs host_imports", "no host imports"),
    ("unsupported", "needs epoch_interruption, fuel", "no epoch, no fuel"),
    ("unsupported", "needs one of epoch_interruption, fuel", "no epoch / no fuel"),
    ("unsupported", "the guest is too large", "not supported"),
    ("timeout", "60 s", "failed: timeout"),
    ("crashed", "SIGSEGV", "failed: crashed"),
    ("absent", "not attempted in this run", "not run"),
    ("not run", "the run stopped before it", "not run"),
    ("unavailable", "no toolchain", "unavailable")])
def test_words(status: str, detail: str, word: str) -> None:
    s = scorecard.status_score(status, detail)
    assert s.value is None and s.text == word


def test_a_failed_benchmark_is_a_word_not_its_values(tmp_path: Path) -> None:
    """The manifest's status rules: a timed-out no_op shows "failed: timeout", even though
    its pyperf file still holds values."""
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    key = "wasmtime@cpython-3.11.7"
    manifest["runtimes"][key]["scenarios"]["no_op"]["benchmarks"]["no_op"].update(
        status="timeout", detail="one value took longer than 60 s")
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    discover()
    s = scorecard.scores(model.build(load.load_run(run)))[key]["no_op"]
    assert s.value is None and s.text == "failed: timeout" and "60 s" in s.detail


def test_sections_show_their_first_plot_and_fold_the_rest() -> None:
    from scenarios.reporting.render import RenderedSection

    def blocks(*kinds: str) -> list[dict[str, str]]:
        return [{"kind": k} for k in kinds]

    plotted = RenderedSection("s", "S", 50, blocks("text", "figure", "table", "figure"))
    assert [b["kind"] for b in plotted.lead] == ["text", "figure"]
    assert [b["kind"] for b in plotted.more] == ["table", "figure"]
    tables = RenderedSection("t", "T", 50, blocks("text", "table", "table"))
    assert [b["kind"] for b in tables.lead] == ["text"]
    words = RenderedSection("w", "W", 50, blocks("text", "html"))
    assert words.more == []


def test_on_the_page_the_rest_of_a_section_is_folded(rendered: list[render.RenderedSection],
                                                     html: str) -> None:
    folded = [s for s in rendered if s.more and s.order >= render.HEADLINE_ORDER]
    assert folded, "the fixture has sections with more than one plot or table"
    assert html.count('<details class="more">') == len(folded)
    assert '<details class="more" open' not in html
