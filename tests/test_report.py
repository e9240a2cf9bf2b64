"""The report of a small real run (committed, ``tests.fixtures``): numbers equal pyperf's,
failures are words, plots present."""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pyperf
import pytest

from scenarios import report as report_cli
from scenarios.reporting import load, model, render, sections
from tests.runs import MadeRun


class Page(HTMLParser):
    """The bits of index.html the tests read: headline cells, images, text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], dict[str, str]] = {}
        self.images: list[dict[str, str]] = []
        self.text: list[str] = []
        self._cell: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "td" and "data-key" in a:
            self._cell = {**a, "text": ""}
            self.cells[(a["data-key"], a["data-benchmark"])] = self._cell
        elif tag == "img":
            self.images.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell["text"] += data

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def report_dir(small_report: Path) -> Path:
    return small_report


@pytest.fixture(scope="module")
def page(report_dir: Path) -> Page:
    return Page((report_dir / "index.html").read_text(encoding="utf-8"))


def read_exact(path: Path) -> pd.DataFrame:
    """A report CSV with its float columns parsed by Python's float (exact round trip)."""
    exact = {c: (lambda x: float(x) if x else math.nan)
             for c in ("value_s", "ns", "median_ns", "q1_ns", "q3_ns", "min_ns")}
    return pd.read_csv(path, converters=exact)


def suites(run: MadeRun) -> dict[str, pyperf.BenchmarkSuite]:
    return {key: pyperf.BenchmarkSuite.load(str(run.path / entry["file"]))
            for key, entry in run.manifest["runtimes"].items()}


def test_the_report_is_complete(report_dir: Path) -> None:
    """(That ``scenarios.run`` ends with it is checked in tests/e2e.)"""
    names = {p.name for p in report_dir.iterdir()}
    assert {"index.html", "values.csv", "summary.csv"} <= names
    assert {"ratio-heatmap-heatmap.png", "payload-sweeps-reverse_string.png"} <= names
    assert {f"distributions-{s}.png" for s in ("no_op", "add_numbers", "reverse_string")} <= names
    assert not [n for n in names if n.endswith(".tmp")]


def test_medians_in_html_and_csv_are_pyperfs(small_run: MadeRun, report_dir: Path,
                                             page: Page) -> None:
    values = read_exact(report_dir / "values.csv")
    summary = read_exact(report_dir / "summary.csv")
    checked = 0
    for key, suite in suites(small_run).items():
        for bench in suite.get_benchmarks():
            name, median = bench.get_name(), bench.median()
            cell = page.cells[(key, name)]
            assert float(cell["data-median-ns"]) == median * 1e9, (key, name)
            mine = values[(values["key"] == key) & (values["benchmark"] == name)]
            assert len(mine) == bench.get_nvalue()
            assert mine["value_s"].median() == median, (key, name)
            assert sorted(mine["value_s"]) == sorted(bench.get_values())
            row = summary[(summary["key"] == key) & (summary["benchmark"] == name)]
            assert row["median_ns"].item() == median * 1e9
            assert row["n_processes"].item() == 3 and row["n_values"].item() == 9
            checked += 1
    assert checked == 6 + 6 + 2  # python, wasmtime: everything; wrong-answer: 2 of 6


def test_a_runtime_that_failed_validation_is_a_word_never_a_number(report_dir: Path,
                                                                   page: Page) -> None:
    key = next(k for k, _ in page.cells if k.startswith("wrong-answer@"))
    cell = page.cells[(key, "add_numbers")]
    assert cell["data-status"] == "invalid" and "data-median-ns" not in cell
    assert "wrong answer: got 31, expected 30" in cell["text"]
    assert not re.search(r"\d+(\.\d+)? (ns|µs|ms)", cell["text"])
    assert page.cells[(key, "reverse_string/64")]["data-status"] == "invalid"
    assert "data-median-ns" in page.cells[(key, "reverse_string/16")]
    summary = read_exact(report_dir / "summary.csv")
    row = summary[(summary["key"] == key) & (summary["benchmark"] == "add_numbers")]
    assert row["status"].item() == "invalid" and math.isnan(row["median_ns"].item())
    values = read_exact(report_dir / "values.csv")
    assert values[(values["key"] == key) & (values["benchmark"] == "add_numbers")].empty
    assert "wrong-answer@" in page.plain and "What did not run, or has no number" in page.plain


def test_ratios_intervals_and_significance_are_shown(page: Page) -> None:
    texts = [c["text"] for c in page.cells.values() if "data-median-ns" in c]
    assert any("baseline" in t for t in texts)
    with_ratio = [t for t in texts if re.search(r"×[\d.]+ \[[\d.]+, [\d.]+\]", t)]
    assert with_ratio, texts
    assert all(re.search(r"(not significant|significant)$", t.strip()) for t in with_ratio)
    assert "geometric mean of ratios" in page.plain


def test_every_plot_is_embedded_and_beside_the_page(report_dir: Path, page: Page) -> None:
    assert len(page.images) == 5  # heatmap, 3 distributions, 1 payload sweep
    for img in page.images:
        src = img["src"]
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1])
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert img["alt"]
        files = [p for p in report_dir.glob("*.png") if p.read_bytes() == data]
        assert len(files) == 1


def test_payload_fit_table(page: Page) -> None:
    text = page.plain
    assert "Fit of t = a + b·bytes per runtime" in text
    for label in ("python", "wasmtime"):
        assert re.search(rf"reverse_string {label} [\d.]+ (ns|µs|ms) ± ", text), label


def test_provenance(small_run: MadeRun, page: Page) -> None:
    m = small_run.manifest
    text = page.plain
    for needle in (m["machine"]["cpu"], m["machine"]["kernel"], m["command"],
                   m["guests"]["article"]["sha256"], "--processes 3 --values 3 --min-time 0.01",
                   "cranelift", "public API: Func.__call__, Memory.read/write"):
        assert needle in text, needle
    for entry in m["runtimes"].values():
        assert entry["info"]["runtime_version"] in text
        assert entry["interpreter"] in text


@pytest.mark.parametrize("listed", [True, False], ids=["missing-listed", "nothing-listed"])
def test_an_incomplete_run_is_shown_with_what_is_missing(small_run: MadeRun, tmp_path: Path,
                                                         listed: bool) -> None:
    run_dir = tmp_path / "results" / small_run.path.name
    shutil.copytree(small_run.path, run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest.update(complete=False, interrupted={"signal": "SIGINT", "at": "a moment"})
    by_name = {e["runtime"]: k for k, e in manifest["runtimes"].items()}
    wasmtime, wrong, python = by_name["wasmtime"], by_name["wrong-answer"], by_name["python"]
    # stopped after merging wasmtime's reverse_string values, before recording them
    del manifest["runtimes"][wasmtime]["scenarios"]["reverse_string"]
    # stopped before wrong-answer's add_numbers, and before python started
    del manifest["runtimes"][wrong]["scenarios"]["add_numbers"]
    del manifest["runtimes"][python]
    if listed:  # what the orchestrator records when stopped: every planned cell not recorded
        manifest["missing"] = [
            f"{key}: {s}" for key in (f"{p['runtime']}@{p['interpreter']}"
                                      for p in manifest["plan"])
            for s in manifest["options"]["scenarios"]
            if s not in manifest["runtimes"].get(key, {}).get("scenarios", {})]
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    (run_dir / f"{python}.json").unlink()

    assert report_cli.main([str(run_dir)]) == 0
    page = Page((tmp_path / "reports" / run_dir.name / "index.html").read_text())
    text = page.plain
    assert "Incomplete run." in text
    assert f"{wrong}: scenarios not run or not finished: add_numbers" in text
    assert page.cells[(wrong, "add_numbers")]["data-status"] == "not run"
    assert f"runtimes never started: {python}" in text
    assert "the run was stopped by SIGINT at a moment" in text
    assert f"python -m scenarios.run --resume {run_dir}" in text
    banner = text.split("Median time per call")[0]
    if listed:  # the orchestrator's word: that scenario was not recorded as finished
        assert f"{wasmtime}: scenarios not run or not finished: reverse_string" in banner
    else:  # without it, values in the pyperf file count as run
        assert wasmtime not in banner
    assert "data-median-ns" in page.cells[(wasmtime, "reverse_string/1024")]  # values kept
    assert {c["data-status"] for k, c in page.cells.items() if k[0] == python} == {"not run"}


@pytest.mark.parametrize("damage", ["no-manifest", "manifest-truncated", "manifest-foreign",
                                    "pyperf-truncated", "pyperf-foreign", "not-a-folder",
                                    "unknown-baseline"])
def test_bad_input_is_one_line_and_exit_2(small_run: MadeRun, tmp_path: Path, damage: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(small_run.path, run_dir)
    keys = list(small_run.manifest["runtimes"])
    argv = [str(run_dir), "--out", str(tmp_path / "out")]
    expect = {"no-manifest": "is not a run folder", "manifest-truncated": "is corrupted",
              "manifest-foreign": "is not a wasm-interop-bench manifest",
              "pyperf-truncated": "is not a readable pyperf result file",
              "pyperf-foreign": "holds results of runtime", "not-a-folder": "is not a folder",
              "unknown-baseline": "baseline 'wasmer' is not a runtime of run"}[damage]
    if damage == "no-manifest":
        (run_dir / "manifest.json").unlink()
    elif damage == "manifest-truncated":
        text = (run_dir / "manifest.json").read_text()
        (run_dir / "manifest.json").write_text(text[: len(text) // 2])
    elif damage == "manifest-foreign":
        (run_dir / "manifest.json").write_text('{"name": "some other tool", "version": 3}')
    elif damage == "pyperf-truncated":
        path = run_dir / f"{keys[1]}.json"
        path.write_text(path.read_text()[:500])
    elif damage == "pyperf-foreign":
        shutil.copy(run_dir / f"{keys[0]}.json", run_dir / f"{keys[1]}.json")
    elif damage == "not-a-folder":
        argv[0] = str(run_dir / "manifest.json")
    elif damage == "unknown-baseline":
        argv += ["--baseline", "wasmer"]
    with pytest.raises(SystemExit) as exc:
        report_cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith("scenarios.report: error: ") and expect in err, err
    assert not (tmp_path / "out" / "index.html").exists()


def test_default_run_is_the_newest(small_run: MadeRun, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    monkeypatch.setattr(report_cli, "DEFAULT_RESULTS", results)
    with pytest.raises(SystemExit) as exc:
        report_cli.main([])
    assert exc.value.code == 2 and "no run found under" in capsys.readouterr().err
    for name in ("2026-01-01T00-00-00", "2026-01-01T00-00-00-2", "2026-01-01T00-00-00-10"):
        shutil.copytree(small_run.path, results / name)
    (results / "not-a-run").mkdir()
    assert report_cli.main([]) == 0
    assert (tmp_path / "reports" / "2026-01-01T00-00-00-10" / "index.html").is_file()


def test_a_named_baseline(small_run: MadeRun) -> None:
    rep = model.build(load.load_run(small_run.path), "wasmtime")
    timed = rep.timed()
    assert (timed["baseline"] == rep.baseline).all() and rep.baseline.startswith("wasmtime@")
    python = timed[timed["key"].str.startswith("python@")]
    assert (python["ratio"] < 1).all()  # the plain-Python baseline beats wasmtime's FFI calls
    mine = timed[timed["key"] == rep.baseline]
    assert (mine["ratio"] == 1).all() and mine["significant"].isna().all()


def test_a_new_section_module_is_picked_up_without_editing_the_core(
        small_run: MadeRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example section of docs/reporting.md, dropped into the sections package path."""
    doc = (Path(__file__).parents[1] / "docs" / "reporting.md").read_text()
    example = re.search(r"```python\n(# scenarios/reporting/sections/.*?)```", doc, re.S)
    assert example, "docs/reporting.md lost its example section"
    (tmp_path / "zz_doc_example.py").write_text(example.group(1))
    (tmp_path / "zz_broken.py").write_text(
        "from scenarios.reporting.sections import section\n"
        "@section('Broken on purpose', order=99)\n"
        "def broken(report):\n    raise RuntimeError('boom')\n")
    monkeypatch.setattr(sections, "__path__", [*sections.__path__, str(tmp_path)])
    monkeypatch.setattr(sections, "SECTIONS", dict(sections.SECTIONS))
    rep = model.build(load.load_run(small_run.path))
    index = render.write(rep, tmp_path / "out")
    page = Page(index.read_text())
    assert "Call overhead" in page.plain  # the example's title
    assert (tmp_path / "out" / "call-overhead-no_op.png").is_file()
    assert "section 'broken' failed: RuntimeError: boom" in page.plain
    with pytest.raises(RuntimeError, match="boom"):
        render.render_sections(rep, debug=True)


def test_what_each_runtime_cannot_do_comes_first_and_counts_from_the_manifest(
        small_run: MadeRun, report_dir: Path) -> None:
    html = (report_dir / "index.html").read_text(encoding="utf-8")
    start = html.index('id="limits"')
    assert start < html.index('id="ratio-heatmap"')  # before any plot
    limits = " ".join(re.sub(r"<[^>]+>", " ", html[start:html.index("</section>", start)]).split())
    assert "any_module: runs only this project" in limits  # python lacks it
    for entry in small_run.manifest["runtimes"].values():
        statuses = [b["status"] for s in entry["scenarios"].values()
                    for b in s["benchmarks"].values()]
        assert f"{statuses.count('ok')} of {len(statuses)}" in limits
        if statuses.count("invalid"):  # the wrong-answer fake: counted, with its reason
            assert f"invalid {statuses.count('invalid')} (wrong answer" in limits
