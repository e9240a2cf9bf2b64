"""The report's breakdown and sandbox-price sections and scorecard column, on a small real run
(committed, ``tests.fixtures``): what they show is what ``scenarios.families.layers.figures``
computes from that run, figures agree with the pyperf files, and nothing is dropped silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyperf
import pytest

from scenarios.families.layers import figures as breakdown
from scenarios.reporting import fmt, load, model, render, sections
from scenarios.reporting.sections import Table, scorecard
from tests.runs import MadeRun, committed

# those of the committed run: the baseline, both native floors, three sandboxed paths
RUNTIMES = ("python", "native", "native-fastcall", "wasmtime", "wasmtime-raw", "wasm2c")
FLOORS = ("native", "native-fastcall")
SANDBOXED = ("wasmtime", "wasmtime-raw", "wasm2c")
SECTION = '<section id="breakdown">'


@pytest.fixture(scope="module")
def layer_run() -> Path:
    """The layer scenarios on the six runtimes, two processes of two values (``layers``)."""
    return committed("layers").path


def section_blocks(run_dir: Path, name: str = "breakdown") -> list[sections.Block]:
    sections.discover()
    render_fn = sections.SECTIONS[name].render
    return list(render_fn(model.build(load.load_run(run_dir))))


def no_op_of(run: load.Run, runtime: str) -> pyperf.Benchmark:
    return next(b for (k, n), b in run.benchmarks.items()
                if n == "no_op" and k.startswith(f"{runtime}@"))


def tables(blocks: list[sections.Block]) -> dict[str, pd.DataFrame]:
    """The section's tables by the first word of their caption after "of the"/"per"."""
    out = {}
    for b in blocks:
        if isinstance(b, Table):
            name = ("no_op layers" if "no-op call" in b.caption else
                    "string layers" if "string round trip" in b.caption else
                    "ratios" if b.caption.startswith("no_op:") else
                    "floors" if "floors" in b.caption.lower() else b.caption)
            out[name] = b.frame
    return out


def interval(est: breakdown.Estimate) -> str:
    assert est.low is not None and est.high is not None, "two processes give an interval"
    return f"[{fmt.ns(est.low * 1e9)}, {fmt.ns(est.high * 1e9)}]"


def test_the_section_shows_what_breakdown_computes(layer_run: Path, tmp_path: Path) -> None:
    rep = model.build(load.load_run(layer_run))
    index = render.write(rep, tmp_path / "report", debug=True)
    html = index.read_text(encoding="utf-8")
    assert SECTION in html and "Where the cost goes" in html
    part = html[html.index(SECTION):]
    part = part[:part.index("</section>")]
    blocks = section_blocks(layer_run)
    for block in blocks:  # the page shows exactly the section's tables
        if isinstance(block, Table):
            assert str(render.table_html(block.frame)) in part
    for name in ("breakdown-no_op.png", "breakdown-reverse_string-1024.png"):
        png = tmp_path / "report" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert part.count('alt="Stacked horizontal bars') == 2

    samples = breakdown.samples(load.load_run(layer_run))
    found = tables(blocks)
    for operation, table in (("no_op", found["no_op layers"]),
                             ("reverse_string/1024", found["string layers"])):
        for runtime in RUNTIMES:
            interp = next(i for rt, i in samples.values if rt == runtime)
            b = breakdown.breakdown(samples, runtime, interp, operation)
            assert b is not None, f"{runtime} has no {operation} breakdown"
            expected = {"total": ("measured directly", fmt.ns(b.total.mean * 1e9),
                                  interval(b.total))}
            for layer in b.layers:
                if layer.estimate is None:  # wasm2c names no lowest path: its entry/exit
                    assert (runtime, layer.name) == ("wasm2c", "engine entry/exit")
                    expected[layer.name] = ("not measured", "not measured",
                                            "none: not measured")
                    continue
                expected[layer.name] = (layer.how, fmt.ns(layer.estimate.mean * 1e9),
                                        interval(layer.estimate))
            rows = table[table["runtime"] == runtime]
            shown = {r.layer: (r.how, r.value, r["95 % interval"]) for _, r in rows.iterrows()}
            assert shown == expected, (operation, runtime)
        assert "binding overhead" in set(table.loc[table["runtime"] == "wasmtime", "layer"])

    ratios = found["ratios"].set_index(["runtime", "native floor"])
    assert set(ratios.index) == {(r, f) for r in ("python", *SANDBOXED) for f in FLOORS}
    run = load.load_run(layer_run)
    for runtime in SANDBOXED:
        for floor in FLOORS:
            assert ratios.loc[(runtime, floor), "ratio to the floor"] == fmt.ratio(
                no_op_of(run, runtime).median() / no_op_of(run, floor).median())
            assert ratios.loc[(runtime, floor), "95 % interval"].startswith("[")
    assert ratios.loc[("wasmtime-raw", "native"), "note"] == "lowest-overhead path of wasmtime"

    floors = found["floors"]
    assert {(f.runtime, fmt.ns(f.estimate.mean * 1e9)) for f in breakdown.floors(samples)} == \
        set(zip(floors["runtime"], floors["cost per crossing"], strict=True))
    assert set(floors["runtime"]) == set(RUNTIMES)


def drop_benchmark(run_dir: Path, key: str, name: str, status: str, detail: str) -> None:
    """Make ``name`` on ``key`` a benchmark that was never timed (as an invalid one is)."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    entry = manifest["runtimes"][key]
    entry["scenarios"][name.split("/")[0]]["benchmarks"][name] = {"status": status,
                                                                  "detail": detail}
    path = run_dir / entry["file"]
    suite = pyperf.BenchmarkSuite.load(str(path))
    kept = [b for b in suite.get_benchmarks() if b.get_name() != name]
    path.unlink()
    pyperf.BenchmarkSuite(kept).dump(str(path))
    (run_dir / "manifest.json").write_text(json.dumps(manifest))


def test_the_ffi_layer_reads_against_the_lowest_floor_and_names_it(layer_run: Path) -> None:
    samples = breakdown.samples(load.load_run(layer_run))
    found = tables(section_blocks(layer_run))
    for operation, table in (("no_op", found["no_op layers"]),
                             ("reverse_string/1024", found["string layers"])):
        (interp,) = {i for _, i in samples.values}
        levels = breakdown.floor_levels(samples, interp, operation)
        assert set(levels) == set(FLOORS), "both floors measured every level"
        lowest = min(levels, key=levels.__getitem__)
        other = next(f for f in FLOORS if f != lowest)
        for runtime in ("wasmtime", "wasmtime-raw", "wasm2c"):
            assert breakdown.breakdown(samples, runtime, interp, operation).floor == lowest
            row = table[(table["runtime"] == runtime) & (table["layer"] == "FFI floor")]
            assert row.iloc[0]["formula, or why there is no number"] == (
                f"level({lowest}) - level(python)  (the lowest native floor here: {lowest}, "
                f"below {other})")
        for floor in FLOORS:  # each floor's own FFI layer is its own
            row = table[(table["runtime"] == floor) & (table["layer"] == "FFI floor")]
            assert row.iloc[0]["formula, or why there is no number"] == \
                f"level({floor}) - level(python)"


def make_unavailable(run_dir: Path, runtime: str, reason: str) -> None:
    """Rewrite a copied run as if ``runtime`` had been unavailable with ``reason``."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    (key,) = [k for k in manifest["runtimes"] if k.startswith(f"{runtime}@")]
    (run_dir / manifest["runtimes"].pop(key)["file"]).unlink()
    manifest["unavailable"][runtime] = reason
    manifest["plan"] = [p for p in manifest["plan"] if p["runtime"] != runtime]
    (run_dir / "manifest.json").write_text(json.dumps(manifest))


def test_what_cannot_be_computed_is_listed_with_its_reason(layer_run: Path,
                                                           tmp_path: Path) -> None:
    """Both native floors unavailable, and the lowest path's guest_work/1024 invalid: nobody
    is dropped."""
    run_dir = Path(shutil.copytree(layer_run, tmp_path / layer_run.name))
    make_unavailable(run_dir, "native", "no Rust toolchain on this machine")
    make_unavailable(run_dir, "native-fastcall", "no Python.h for this interpreter")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    raw = next(k for k in manifest["runtimes"] if k.startswith("wasmtime-raw@"))
    drop_benchmark(run_dir, raw, "guest_work/1024", "invalid", "returned 41, expected 42")

    found = tables(section_blocks(run_dir))
    no_op = found["no_op layers"]
    assert set(no_op["runtime"]) == set(RUNTIMES)
    native_row = no_op[no_op["runtime"] == "native"].iloc[0]
    assert native_row["how"] == "no breakdown"
    assert "no Rust toolchain on this machine" in native_row["formula, or why there is no number"]
    wasmtime = no_op[no_op["runtime"] == "wasmtime"].set_index("layer")
    assert wasmtime.loc["FFI floor", "value"] == "not measured"
    why = wasmtime.loc["FFI floor", "formula, or why there is no number"]
    assert "no Rust toolchain" in why and "no Python.h for this interpreter" in why
    assert "includes FFI floor" in wasmtime.loc["engine entry/exit",
                                                "formula, or why there is no number"]

    string = found["string layers"]
    raw_row = string[string["runtime"] == "wasmtime-raw"]
    assert list(raw_row["how"]) == ["no breakdown"]
    assert "guest_work/1024: invalid (returned 41, expected 42)" in raw_row.iloc[0][
        "formula, or why there is no number"]
    # wasmtime's entry/exit needs wasmtime-raw's string level, which has no guest work now
    entry = string[(string["runtime"] == "wasmtime") & (string["layer"] == "engine entry/exit")]
    assert "guest_work/1024: invalid" in entry.iloc[0]["formula, or why there is no number"]

    ratios = found["ratios"].set_index(["runtime", "native floor"])
    assert "no Rust toolchain" in ratios.loc[("wasmtime", "native"), "note"]
    assert ratios.loc[("wasmtime", "native"), "ratio to the floor"] == "—"
    assert "no Python.h" in ratios.loc[("wasmtime", "native-fastcall"), "note"]


def test_a_run_without_the_layer_scenarios_has_no_breakdown(small_run: MadeRun) -> None:
    rep = model.build(load.load_run(small_run.path))
    rendered, images = render.render_sections(rep, debug=True)
    assert rendered, "the small run has other sections"
    assert "breakdown" not in {s.id for s in rendered}
    assert not any(name.startswith("breakdown-") for name in images)


# --- the price of the sandbox ------------------------------------------------------------------

def fastest(run: load.Run, runtimes: tuple[str, ...], name: str) -> tuple[str, pyperf.Benchmark]:
    found = {k.split("@")[0]: b for (k, n), b in run.benchmarks.items()
             if n == name and k.split("@")[0] in runtimes}
    best = min(found, key=lambda rt: found[rt].median())
    return best, found[best]


def price_table(run_dir: Path) -> pd.DataFrame:
    (table,) = [b.frame for b in section_blocks(run_dir, "sandbox-price")
                if isinstance(b, Table)]
    return table.set_index("benchmark")


def test_the_price_of_the_sandbox_is_the_fastest_of_each_side(layer_run: Path,
                                                              tmp_path: Path) -> None:
    run = load.load_run(layer_run)
    table = price_table(layer_run)
    assert list(table.index) == ["no_op", "add_numbers", "reverse_string/1024"]
    for name in table.index:
        (sandboxed, a), (native, b) = (fastest(run, side, name) for side in (SANDBOXED, FLOORS))
        row = table.loc[name]
        assert row["lowest sandboxed path"] == f"{sandboxed} ({fmt.ns(a.median() * 1e9)})"
        assert row["lowest native path"] == f"{native} ({fmt.ns(b.median() * 1e9)})"
        assert row["sandboxed / native"] == fmt.ratio(a.median() / b.median())
        assert row["sandboxed - native"] == fmt.ns((a.median() - b.median()) * 1e9)
        assert row["95 % interval (ratio)"].startswith("[")
        assert row["95 % interval (difference)"].startswith("[") and row["note"] == ""
    index = render.write(model.build(run), tmp_path / "report", debug=True)
    assert '<section id="sandbox-price">' in index.read_text(encoding="utf-8")
    png = tmp_path / "report" / "sandbox-price-ratios.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_scorecard_gives_each_sandboxed_runtime_its_price(layer_run: Path) -> None:
    sections.discover()
    run = load.load_run(layer_run)
    report = model.build(run)
    table = scorecard.scores(report)
    floor, base = fastest(run, FLOORS, "no_op")
    for key, row in table.items():
        runtime = key.split("@")[0]
        score = row["sandbox_price"]
        if runtime in SANDBOXED:
            assert score.value == pytest.approx(no_op_of(run, runtime).median() / base.median())
            assert score.interval.startswith("[") and score.note == f"over {floor}"
        else:
            assert (score.value, score.text) == (None, "no sandbox"), runtime
    (best,) = scorecard.best(report, table)["sandbox_price"]
    assert best.split("@")[0] == fastest(run, SANDBOXED, "no_op")[0]
    assert scorecard.anchor(report, scorecard.COLUMNS["sandbox_price"]) == "sandbox-price"


def test_a_price_without_a_native_side_says_why(layer_run: Path, tmp_path: Path) -> None:
    run_dir = Path(shutil.copytree(layer_run, tmp_path / layer_run.name))
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for floor in FLOORS:
        key = next(k for k in manifest["runtimes"] if k.startswith(f"{floor}@"))
        drop_benchmark(run_dir, key, "no_op", "invalid", f"{floor} returned 1")
    row = price_table(run_dir).loc["no_op"]
    assert row["sandboxed / native"] == "—" and row["lowest native path"] == "none"
    assert row["note"].startswith("no native floor timed no_op here: ")
    assert "native no_op: invalid (native returned 1)" in row["note"]
    assert "native-fastcall no_op: invalid (native-fastcall returned 1)" in row["note"]
    report = model.build(load.load_run(run_dir))
    wasm2c = next(k for k in report.keys if k.startswith("wasm2c@"))
    assert scorecard.scores(report)[wasm2c]["sandbox_price"].text == "no native floor"


def test_a_run_without_a_native_floor_has_no_sandbox_price(small_run: MadeRun) -> None:
    rep = model.build(load.load_run(small_run.path))
    rendered, _ = render.render_sections(rep, debug=True)
    assert "sandbox-price" not in {s.id for s in rendered}
