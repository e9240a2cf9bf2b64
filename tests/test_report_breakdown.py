"""The report's breakdown section, on a small real run (committed, ``tests.fixtures``): what
it shows is what ``scenarios.families.layers.figures`` computes from that run, and nothing is
dropped silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyperf
import pytest

from scenarios.families.layers import figures as breakdown
from scenarios.reporting import fmt, load, model, render, sections
from scenarios.reporting.sections import Table
from tests.runs import MadeRun, committed

RUNTIMES = ("python", "native", "wasmtime", "wasmtime-raw")  # those of the committed run
SECTION = '<section id="breakdown">'


@pytest.fixture(scope="module")
def layer_run() -> Path:
    """The layer scenarios on the four runtimes, two processes of two values (``layers``)."""
    return committed("layers").path


def section_blocks(run_dir: Path) -> list[sections.Block]:
    sections.discover()
    render_fn = sections.SECTIONS["breakdown"].render
    return list(render_fn(model.build(load.load_run(run_dir))))


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
                assert layer.estimate is not None, (runtime, layer)
                expected[layer.name] = (layer.how, fmt.ns(layer.estimate.mean * 1e9),
                                        interval(layer.estimate))
            rows = table[table["runtime"] == runtime]
            shown = {r.layer: (r.how, r.value, r["95 % interval"]) for _, r in rows.iterrows()}
            assert shown == expected, (operation, runtime)
        assert "binding overhead" in set(table.loc[table["runtime"] == "wasmtime", "layer"])

    ratios = found["ratios"].set_index("runtime")
    assert set(ratios.index) == {"python", "wasmtime", "wasmtime-raw"}
    run = load.load_run(layer_run)
    native = next(b for (k, n), b in run.benchmarks.items()
                  if n == "no_op" and k.startswith("native@"))
    for runtime in ("wasmtime", "wasmtime-raw"):
        mine = next(b for (k, n), b in run.benchmarks.items()
                    if n == "no_op" and k.startswith(f"{runtime}@"))
        assert ratios.loc[runtime, "ratio to native"] == fmt.ratio(mine.median() /
                                                                   native.median())
        assert ratios.loc[runtime, "95 % interval"].startswith("[")
    assert ratios.loc["wasmtime-raw", "note"] == "lowest-overhead path of wasmtime"

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


def test_what_cannot_be_computed_is_listed_with_its_reason(layer_run: Path,
                                                           tmp_path: Path) -> None:
    """native unavailable, and the lowest path's guest_work/1024 invalid: nobody is dropped."""
    run_dir = Path(shutil.copytree(layer_run, tmp_path / layer_run.name))
    manifest = json.loads((run_dir / "manifest.json").read_text())
    (native,) = [k for k in manifest["runtimes"] if k.startswith("native@")]
    (run_dir / manifest["runtimes"].pop(native)["file"]).unlink()
    manifest["unavailable"]["native"] = "no Rust toolchain on this machine"
    manifest["plan"] = [p for p in manifest["plan"] if p["runtime"] != "native"]
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
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
    assert "native" in wasmtime.loc["FFI floor", "formula, or why there is no number"]
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

    ratios = found["ratios"].set_index("runtime")
    assert "no Rust toolchain" in ratios.loc["wasmtime", "note"]
    assert ratios.loc["wasmtime", "ratio to native"] == "—"


def test_a_run_without_the_layer_scenarios_has_no_breakdown(small_run: MadeRun) -> None:
    rep = model.build(load.load_run(small_run.path))
    rendered, images = render.render_sections(rep, debug=True)
    assert rendered, "the small run has other sections"
    assert "breakdown" not in {s.id for s in rendered}
    assert not any(name.startswith("breakdown-") for name in images)
