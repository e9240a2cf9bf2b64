"""The section "Canonical ABI or hand-written marshalling?" and its scorecard column on the
committed "component" run (``tests.fixtures``): the page shows pyperf's medians and the
figures' ratios, a cell without a number shows its status word and reason, the plot exists,
and the column appears only in a run that attempted canonical_abi."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pandas as pd
import pyperf
import pytest

from scenarios.families.component import figures
from scenarios.families.component.figures import BY_HAND, CANONICAL
from scenarios.families.component.report import canonical_abi
from scenarios.families.component.workloads import WIT_TYPE
from scenarios.reporting import fmt, load, model, render
from scenarios.reporting.sections import Table, discover, scorecard
from scenarios.reporting.tests.test_scorecard import Page
from tests.html_sections import Sections
from tests.runs import committed

RUN = committed("component").path
WASMTIME, RAW = "wasmtime@cpython-3.11.7", "wasmtime-raw@cpython-3.11.7"
SECTION = "canonical-abi"


def build(path: Path) -> model.Report:
    discover()
    return model.build(load.load_run(path))


@pytest.fixture(scope="module")
def report() -> model.Report:
    return build(RUN)


@pytest.fixture(scope="module")
def page(report: model.Report, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """index.html of the run's report, and its folder."""
    index = render.write(report, tmp_path_factory.mktemp("component") / "report")
    return index.read_text(encoding="utf-8"), index.parent


def median(key: str, name: str) -> float:
    suite = pyperf.BenchmarkSuite.load(str(RUN / f"{key}.json"))
    return suite.get_benchmark(name).median() * 1e9


def test_the_section_renders_with_its_plot(page: tuple[str, Path]) -> None:
    html, out = page
    sections = Sections(html)
    assert SECTION in sections.order
    assert sections.order.index("callbacks") < sections.order.index(SECTION)
    assert (out / f"{SECTION}-paths.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert 'class="error"' not in html  # no section failed
    # the summary, one table per WIT type, the operations without a payload
    assert len(sections.tables[SECTION]) == 5


def test_type_tables_show_pyperfs_medians_and_the_ratio(report: model.Report,
                                                        page: tuple[str, Path]) -> None:
    tables = Sections(page[0]).tables[SECTION][1:4]
    c = figures.compare(report.run)
    for kind, table in zip(("string", "list_s32", "list_u8"), tables, strict=True):
        assert len(table) == len(c.pairings) * len(c.sizes)
        for row in table.itertuples(index=False):
            by_hand = WASMTIME if row[1] == "wasmtime" else RAW
            size = next(n for n in c.sizes if fmt.nbytes(n) == row[2])
            canonical = median(WASMTIME, f"{CANONICAL}/{kind}/{size}")
            hand = median(by_hand, f"{BY_HAND}/{kind}/{size}")
            assert row[4].startswith(fmt.ns(canonical) + " [")
            assert row[5].startswith(fmt.ns(hand) + " [")
            assert row[6].startswith(fmt.ratio(canonical / hand) + " [")


def test_the_pathological_paths_are_said_in_words(report: model.Report,
                                                  page: tuple[str, Path]) -> None:
    c = figures.compare(report.run)
    flagged = [t for t in c.types if t.pathological]
    summary = Sections(page[0]).tables[SECTION][0]
    assert list(summary["flag"]).count("canonical ABI pathological") == len(flagged)
    for t in flagged:  # the sentence: type, path, runtime, ratio at 1 KiB
        said = (f"{WIT_TYPE[t.kind]}: canonical ABI on {report.label(t.pairing.canonical)} "
                f"takes {fmt.ratio(t.judged.value)} [")
        assert html.escape(said) in page[0], said


def test_a_cell_without_a_number_is_its_status_and_reason(tmp_path: Path) -> None:
    """wasmtime-raw not declared wasmtime's lowest path: compared with itself, its canonical
    ABI column reads "unsupported: needs component"."""
    run = tmp_path / "run"
    shutil.copytree(RUN, run)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    for part in (manifest["runtimes"][RAW], *[p for p in manifest["plan"]
                                              if p["runtime"] == "wasmtime-raw"]):
        del part["info"]["lowest_path_of"]
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    summary, string, *_ = [b.frame for b in canonical_abi(build(run)) if isinstance(b, Table)]
    own = string[string["canonical ABI on"] == "wasmtime-raw"]
    assert len(own) == 3  # one row per size
    assert set(own["canonical ABI"]) == {"unsupported: needs component"}
    assert set(own["canonical / by hand"]) == {"no ratio: canonical ABI has no number"}
    own = summary[summary["canonical ABI on"] == "wasmtime-raw"]
    assert set(own["per element: canonical ABI"]) == {"unsupported: needs component"}


def test_the_scorecard_column_is_the_1k_string_ratio(report: model.Report,
                                                     page: tuple[str, Path]) -> None:
    assert "canonical_abi" in [c.id for c in scorecard.columns(report)]
    cells = Page(page[0]).cells
    expected = median(WASMTIME, f"{CANONICAL}/string/1024") / median(
        WASMTIME, f"{BY_HAND}/string/1024")
    cell = cells[(WASMTIME, "canonical_abi")]
    assert float(cell["data-value"]) == pytest.approx(expected, rel=1e-9)
    assert "wasmtime-raw" in cell["text"]  # the lowest path's ratio, as a note
    raw = cells[(RAW, "canonical_abi")]
    assert raw["data-value"] == "" and "no components" in raw["text"]


def test_no_column_without_canonical_abi() -> None:
    small = build(committed("small").path)
    assert not small.has_scenario(CANONICAL)
    assert "canonical_abi" not in [c.id for c in scorecard.columns(small)]


def test_scalar_table_names_both_benchmarks(page: tuple[str, Path]) -> None:
    table: pd.DataFrame = Sections(page[0]).tables[SECTION][4]
    assert len(table) == 8  # four operations, two hand-written paths
    for name in ("canonical_abi/callback", "host_call/add", "hand_marshalled/record"):
        assert table.apply(lambda r, n=name: r.str.contains(n, regex=False)).any().any()
