"""The two-way sections (callbacks, argument marshalling, memory paths) on a small real run
(committed, ``tests.fixtures``): their numbers are what ``scenarios.families.interop.figures``
computes from the same pyperf files, a cell that is invalid or not supported is its status
word, the plots exist; a run without these scenarios has no such section.

The run: wasmtime, and the ``wrong-answer`` fake (the python baseline, but it skips a no-op
callback, rounds f64 arguments and misreports the guest's memory.grow, so those benchmarks are
"invalid"; it has no ctypes path, wasmtime no typed_view: "unsupported").
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyperf
import pytest

from scenarios.families.interop import figures as interop
from scenarios.families.interop.report import callback_label
from scenarios.reporting import fmt, load, model, render
from tests.html_sections import Sections
from tests.runs import MadeRun, committed

SECTION_IDS = ("callbacks", "argument-marshalling", "memory-paths")
UNITS = {"ns": 1.0, "µs": 1e3, "ms": 1e6, "s": 1e9}


def parse_ns(text: str) -> float:
    number, unit = text.split()
    return float(number) * UNITS[unit]


@pytest.fixture(scope="module")
def two_way(tmp_path_factory: pytest.TempPathFactory) -> tuple[MadeRun, Path]:
    """wasmtime and wrong-answer through the four scenarios (2 worker processes x 1 value,
    payloads up to 16 B); the report of that run."""
    made = committed("two-way")
    index = render.write(model.build(load.load_run(made.path)),
                         tmp_path_factory.mktemp("two-way") / "report")
    return made, index


@pytest.fixture(scope="module")
def page(two_way: tuple[MadeRun, Path]) -> Sections:
    return Sections(two_way[1].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def values(two_way: tuple[MadeRun, Path]) -> pd.DataFrame:
    """The run's values as the analysis reads them (each runtime ran on one interpreter)."""
    made = two_way[0]
    return interop.values_frame(made.path / e["file"] for e in made.manifest["runtimes"].values())


def test_sections_render_with_their_plots(two_way: tuple[MadeRun, Path], page: Sections
                                          ) -> None:
    out = two_way[1].parent
    for name in ("callbacks-per-callback.png", "argument-marshalling-arguments.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), name
    assert all(img["src"].startswith("data:image/png;base64,")
               for sid in ("callbacks", "argument-marshalling") for img in page.images[sid])
    assert set(SECTION_IDS) <= set(page.tables)
    assert 'class="error"' not in two_way[1].read_text(encoding="utf-8")  # no section failed


def status(made: MadeRun, runtime: str, scenario: str, benchmark: str) -> str:
    """The manifest's status of one benchmark of ``runtime``."""
    entry = next(e for e in made.manifest["runtimes"].values() if e["runtime"] == runtime)
    return entry["scenarios"][scenario]["benchmarks"][benchmark]["status"]


def test_per_callback_cost_is_the_analysis_one_with_an_interval(
        two_way: tuple[MadeRun, Path], page: Sections, values: pd.DataFrame) -> None:
    made = two_way[0]
    table = page.tables["callbacks"][0].set_index("runtime")
    costs = interop.per_callback_ns(values)
    # log payloads are above --max-bytes; wrong-answer's no-op loop is invalid, never timed
    assert sorted(zip(costs["runtime"], costs["host_import"], strict=True)) == [
        ("wasmtime", "add"), ("wasmtime", "noop"), ("wrong-answer", "add")]
    for row in costs.itertuples():
        cell = table.loc[row.runtime, callback_label(row.benchmark)]
        shown, _, interval = cell.partition(" [")
        assert shown == fmt.ns(row.per_callback_ns), cell
        low, high = (parse_ns(x) for x in interval.rstrip("]").split(", "))
        assert low <= parse_ns(shown) * 1.01 and parse_ns(shown) <= high * 1.01, cell
    assert status(made, "wrong-answer", "host_call", "host_call/noop") == "invalid"
    assert table.loc["wrong-answer", callback_label("host_call/noop")] == "invalid"
    # and the analysis agrees with pyperf's own medians of the same file
    entry = next(e for e in made.manifest["runtimes"].values() if e["runtime"] == "wasmtime")
    suite = pyperf.BenchmarkSuite.load(str(made.path / entry["file"]))
    noop, none = (suite.get_benchmark(f"host_call/{n}") for n in ("noop", "none"))
    mine = costs[(costs["runtime"] == "wasmtime") & (costs["host_import"] == "noop")]
    assert mine["per_callback_ns"].item() == pytest.approx(
        (noop.median() - none.median()) / noop.get_metadata()["n_calls"] * 1e9, rel=1e-9)


def test_per_argument_fit_is_the_analysis_one(two_way: tuple[MadeRun, Path], page: Sections,
                                              values: pd.DataFrame) -> None:
    table = page.tables["argument-marshalling"][0].set_index(["runtime", "type"])
    fits = interop.fit_per_argument(values)
    assert len(table) == 8 and len(fits) == 7  # 2 runtimes x 4 types; wrong-answer's f64 lost
    for fit in fits.itertuples():
        row = table.loc[(fit.runtime, fit.arg_type)]
        assert row["per extra argument"] == (f"{fmt.ns(fit.per_arg_ns)} ± "
                                             f"{fmt.ns(fit.per_arg_stderr_ns)}")
        assert row["intercept (0 arguments)"] == fmt.ns(fit.fixed_ns)
        assert row["values fitted"] == str(fit.points) and row["left out (no number)"] == "—"
    assert status(two_way[0], "wrong-answer", "arg_shapes", "arg_shapes/f64x4") == "invalid"
    f64 = table.loc[("wrong-answer", "f64")]
    assert f64["per extra argument"] == f64["intercept (0 arguments)"] == "invalid"
    assert f64["left out (no number)"] == "f64x1: invalid; f64x4: invalid; f64x16: invalid"


def test_fastest_memory_path_is_the_analysis_one_and_the_rest_say_why(
        two_way: tuple[MadeRun, Path], page: Sections, values: pd.DataFrame) -> None:
    made = two_way[0]
    access, grow = page.tables["memory-paths"]
    table = access.set_index(["runtime", "direction", "size"])
    best = interop.fastest_memory_path(values)
    assert len(best) == len(table) == 4  # 2 runtimes x read/write x 16 B
    for b in best.itertuples():
        row = table.loc[(b.runtime, b.memory_direction, fmt.nbytes(b.payload_bytes))]
        assert row["fastest path"] == b.memory_path and row[b.memory_path] == "fastest"
        assert row["its median"] == fmt.ns(b.median_ns)
    for runtime, path in (("wasmtime", "typed_view"), ("wrong-answer", "ctypes")):
        assert status(made, runtime, "memory_access", f"memory_access/{path}/read/16") \
            == "unsupported"
        assert table.loc[(runtime, "read", "16 B"), path] == "unsupported"
    grow = grow.set_index("runtime")
    entry = next(e for e in made.manifest["runtimes"].values() if e["runtime"] == "wasmtime")
    suite = pyperf.BenchmarkSuite.load(str(made.path / entry["file"]))
    assert grow.loc["wasmtime", "host: Memory.grow(1)"] == fmt.ns(
        suite.get_benchmark("memory_grow/host").median() * 1e9)
    assert re.fullmatch(r"×\S+ \[\S+, \S+\]", grow.loc["wasmtime", "host / guest"])
    assert status(made, "wrong-answer", "memory_grow", "memory_grow/guest") == "invalid"
    assert grow.loc["wrong-answer", "guest: memory.grow 1"] == "invalid"
    assert grow.loc["wrong-answer", "host / guest"] == "—"


def test_a_run_without_these_scenarios_has_no_such_section(small_report: Path) -> None:
    html = (small_report / "index.html").read_text(encoding="utf-8")
    assert Sections(html).tables  # the other sections are there
    assert not [sid for sid in SECTION_IDS if f'id="{sid}"' in html or f'#{sid}"' in html]
    assert not [p for p in small_report.iterdir() if p.name.startswith(SECTION_IDS)]
