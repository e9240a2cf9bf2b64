"""Rows on more than one interpreter, from a small real run (committed, ``tests.fixtures``):
the further rows run the per-interpreter scenarios only and say so where the others would be,
and the section's figures are the scorecard's, set side by side."""

from __future__ import annotations

import math
import re

import pytest

from scenarios import catalog
from scenarios import report as report_cli
from scenarios.reporting import load, model
from scenarios.reporting.sections import Figure, Table, discover, interpreters, scorecard
from tests.runs import MadeRun, committed

EQUAL, NEWEST = "cpython-3.10.13", "cpython-3.13.0"


@pytest.fixture(scope="module")
def run() -> MadeRun:
    return committed("interpreters")


@pytest.fixture(scope="module")
def report(run: MadeRun) -> model.Report:
    discover()  # the families register their scorecard columns
    return model.build(load.load_run(run.path))


def test_a_further_row_runs_the_per_interpreter_scenarios_only(run: MadeRun) -> None:
    plan = {(p["runtime"], p["interpreter"]): p.get("only") for p in run.manifest["plan"]}
    per_interpreter = [s for s in run.manifest["options"]["scenarios"]
                       if catalog.get(s).per_interpreter]
    assert "compile" not in per_interpreter and "no_op" in per_interpreter
    assert plan[("wasmtime", EQUAL)] is None and plan[("wasmtime", NEWEST)] == per_interpreter
    assert plan[("wasmer-cranelift", EQUAL)] is None  # 3.10 is its newest: one row
    assert ("wasmer-cranelift", NEWEST) not in plan
    newest = run.manifest["runtimes"][f"wasmtime@{NEWEST}"]["scenarios"]
    assert set(newest) == set(per_interpreter)


def test_what_a_further_row_did_not_run_reads_as_such(report: model.Report) -> None:
    status, detail = report.why_no_number(f"wasmtime@{NEWEST}", "compile/10K", "compile")
    assert status == "not run" and "per-interpreter scenarios only" in detail
    assert EQUAL in detail  # where to look instead
    compile_column = next(c for c in scorecard.columns(report) if c.scenario == "compile")
    score = compile_column.compute(report, f"wasmtime@{NEWEST}")
    assert score.is_word and score.text == "not run"


def test_the_equal_terms_interpreter_is_the_one_that_ran_everything(
        report: model.Report) -> None:
    assert interpreters.equal_terms(report) == EQUAL
    rows = interpreters.moved(report)
    assert set(rows) == {"wasmtime", "pywasm3", "python"}
    assert all(keys[0].endswith(EQUAL) for keys in rows.values())


def test_the_section_shows_the_scorecards_figures_and_their_ratios(
        report: model.Report) -> None:
    frame = interpreters.table(report)
    cols = interpreters.per_interpreter_columns(report)
    assert {c.id for c in cols} >= {"no_op", "add_numbers", "string_1k", "callback"}
    for row in frame.itertuples(index=False):
        values = dict(zip(frame.columns, row, strict=True))
        key = f"{values['runtime']}@{values['interpreter']}"
        first = f"{values['runtime']}@{EQUAL}"
        for c in cols:
            score, base = c.compute(report, key), c.compute(report, first)
            assert values[c.title] == score.text
            if score.value is not None and base.value:
                assert values[f"{c.title}: ×"] == pytest.approx(score.value / base.value)
            else:
                assert math.isnan(values[f"{c.title}: ×"])
    blocks = interpreters.across_interpreters(report)
    assert any(isinstance(b, Figure) for b in blocks)
    shown = next(b.frame for b in blocks if isinstance(b, Table))
    assert shown["no-op call"].str.contains(r"\(×").sum() == 3  # each 3.13 row, vs 3.10


def test_a_run_on_one_interpreter_has_no_such_section() -> None:
    small = model.build(load.load_run(committed("small").path))
    assert interpreters.across_interpreters(small) == []


def test_the_page_places_it_after_the_scorecard(
        run: MadeRun, tmp_path_factory: pytest.TempPathFactory) -> None:
    out = report_cli.generate(run.path, tmp_path_factory.mktemp("report")).parent
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.index('id="scorecard"') < page.index('<section id="interpreters">')
    assert (out / "interpreters-ratios.png").read_bytes().startswith(b"\x89PNG")
    assert not re.search(r"section '[\w-]+' failed", page)
    # the scorecard names each row's interpreter
    assert re.search(r'data-runtime="wasmtime@cpython-3\.13\.0"><th scope="row">.*?3\.13',
                     page, flags=re.S)
