"""Turn a ``Report`` into files: index.html, one PNG per figure, values.csv and summary.csv.

The page embeds its images (data: URIs) so index.html opens on its own, offline, anywhere;
the same PNGs are written beside it for reuse. Sections ordered before ``HEADLINE_ORDER`` (the
scorecard) come first, then the headline table (one folded table per scenario family), then
every other section that applies (``sections.discover``), then provenance. Every file is
written to a temporary name and renamed, index.html last, so a reader never sees a
half-written report.
"""

from __future__ import annotations

import base64
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from scenarios import catalog, families
from scenarios.record.files import atomic_write
from scenarios.record.key import RunKey
from scenarios.record.status import Status
from scenarios.reporting import ReportError, fmt, plots, sections
from scenarios.reporting.model import Report, geomeans, is_missing

TEMPLATES = Path(__file__).with_name("templates")
INDEX = "index.html"
VALUES_CSV = "values.csv"
SUMMARY_CSV = "summary.csv"
# pyperf's system metadata worth showing in the provenance (common to a run's benchmarks).
# Sections with a lower ``order`` are shown above the headline table (the scorecard, at 0).
HEADLINE_ORDER = 1
OTHER_FAMILY = ("other", "Other scenarios")
PYPERF_SYSTEM = ("cpu_model_name", "cpu_count", "cpu_freq", "cpu_config", "aslr", "platform",
                 "boot_time", "timer", "perf_version")


@dataclass
class RenderedSection:
    id: str
    title: str
    order: int
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def split(self) -> int:
        """Where the folded part starts: after the first figure (with the text before it),
        or, without a figure, after the text before the first table. The rest (tables, more
        plots) is folded on the page, so the default report reads top to bottom in a few
        screens; the scorecard above already gives each section's answer in words."""
        kinds = [b["kind"] for b in self.blocks]
        if "figure" in kinds:
            return kinds.index("figure") + 1
        return next((i for i, k in enumerate(kinds) if k == "table"), len(kinds))

    @property
    def lead(self) -> list[dict[str, Any]]:
        return self.blocks[:self.split]

    @property
    def more(self) -> list[dict[str, Any]]:
        return self.blocks[self.split:]


def render_sections(report: Report, debug: bool = False) -> tuple[list[RenderedSection],
                                                                  dict[str, bytes]]:
    """Run every applicable section; return them and their PNGs by file name.

    A section that raises is shown as an error box (and reported on stderr) instead of
    taking the whole report down; ``debug`` re-raises instead.
    """
    out: list[RenderedSection] = []
    images: dict[str, bytes] = {}
    for sec in sections.discover():
        if not sec.applies(report):
            continue
        rendered = RenderedSection(sec.name, sec.title, sec.order)
        try:
            blocks = list(sec.render(report))
        except Exception as exc:
            if debug:
                raise
            msg = f"section {sec.name!r} failed: {type(exc).__name__}: {exc}"
            print(f"warning: {msg} (rerun with --debug for the traceback)", file=sys.stderr)
            rendered.blocks.append({"kind": "error", "text": msg})
            out.append(rendered)
            continue
        for block in blocks:
            rendered.blocks.append(_block(sec.name, block, images))
        if rendered.blocks:
            out.append(rendered)
    return out, images


def _block(section_id: str, block: sections.Block, images: dict[str, bytes]) -> dict[str, Any]:
    if isinstance(block, sections.Figure):
        name = f"{section_id}-{_slug(block.name)}.png"
        if name in images:
            raise ValueError(f"section {section_id!r} has two figures named {block.name!r}")
        data = plots.png(block.figure)
        images[name] = data
        return {"kind": "figure", "file": name, "caption": block.caption,
                "alt": block.alt or block.caption,
                "src": "data:image/png;base64," + base64.b64encode(data).decode("ascii")}
    if isinstance(block, sections.Table):
        return {"kind": "table", "caption": block.caption, "html": table_html(block.frame)}
    if isinstance(block, sections.Text):
        return {"kind": "text", "text": block.text}
    if isinstance(block, sections.Html):
        return {"kind": "html", "html": Markup(block.markup)}
    raise TypeError(f"section {section_id!r} returned {type(block).__name__}, not a Block")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "figure"


def table_html(frame: pd.DataFrame) -> Markup:
    return Markup(frame.to_html(index=False, na_rep="—", border=0, classes="data",
                                escape=True))


# --- the headline table ------------------------------------------------------------------

def family_of(scenario: str) -> tuple[str, str]:
    """(id, title) of the scenario family: the package under ``scenarios/families/`` whose
    module registered the scenario (else that module, a declared scenario's, say), titled by
    its docstring's first phrase; a scenario this process does not know is in
    ``OTHER_FAMILY``."""
    known = catalog.all_scenarios().get(scenario)
    fn = getattr(known.make_benchmarks, "func", known.make_benchmarks) if known else None
    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    if module is None:
        return OTHER_FAMILY
    prefix = f"{families.__name__}."
    if module.__name__.startswith(prefix):
        family = module.__name__.removeprefix(prefix).split(".", 1)[0]
        module = sys.modules[f"{prefix}{family}"]
    else:
        family = module.__name__.rsplit(".", 1)[-1]
    first = (module.__doc__ or "").strip().split("\n", 1)[0]
    title = re.split(r"[:.]\s|\.$", first, maxsplit=1)[0].strip() or family
    return family, title


def headline(report: Report) -> dict[str, Any]:
    """Rows of benchmarks, a column per runtime: median, ratio with interval, or the status;
    grouped into one table per scenario family (``family_of``), in run order."""
    rows = []
    families: dict[str, dict[str, Any]] = {}
    for scenario in report.run.scenarios:
        names = report.benchmarks(scenario)
        family, title = family_of(scenario)
        for name in names or [None]:
            if name is None and not report.has_scenario(scenario):
                continue
            row = {"scenario": scenario, "name": name or scenario,
                   "cells": [_headline_cell(report, k, name, scenario) for k in report.keys]}
            rows.append(row)
            group = families.setdefault(family, {"id": f"headline-{family}", "title": title,
                                                 "scenarios": [], "rows": []})
            group["rows"].append(row)
            if scenario not in group["scenarios"]:
                group["scenarios"].append(scenario)
    means = geomeans(report)
    return {"rows": rows, "families": list(families.values()), "geomeans": [
        {"text": fmt.ratio(r.geomean_ratio), "note": f"over {r.benchmarks} of {r.of}"}
        for r in means.itertuples()]}


def _headline_cell(report: Report, key: str, name: str | None, scenario: str) -> dict[str, Any]:
    cell = report.cell(key, name) if name else None
    quantity = report.run.quantities.get((key, name or ""))
    if cell is not None and cell["status"] == Status.OK and quantity is not None:
        unit = report.run.unit(name or "")
        return {"kind": "quantity", "median": fmt.quantity(quantity.median(), unit),
                "n": f"{quantity.get_nvalue()} values", "note": f"in {unit}s, not a time: no "
                "ratio (see its family's section)"}
    if cell is None or is_missing(cell.get("median_ns")):
        status, detail = report.why_no_number(key, name or "", scenario)
        return {"kind": "status", "status": status, "detail": detail}
    out = {"kind": "value", "median": fmt.ns(cell["median_ns"]),
           "median_ns": repr(float(cell["median_ns"])), "warnings": cell["warnings"] or "",
           "iqr": fmt.ns(cell["iqr_ns"]),
           "n": f"{int(cell['n_processes'])} processes, {int(cell['n_values'])} values",
           "ratio": "", "interval": "", "verdict": ""}
    if is_missing(cell.get("ratio")):
        out["verdict"] = "no baseline value"
    elif cell["key"] == cell["baseline"]:
        out["verdict"] = "baseline"
    else:
        out["ratio"] = fmt.ratio(cell["ratio"])
        out["interval"] = fmt.interval(cell["ratio_low"], cell["ratio_high"])
        out["verdict"] = ("no interval: fewer than 2 processes" if is_missing(cell["ratio_low"])
                          else "significant" if cell["significant"] else "not significant")
    return out


# --- provenance ----------------------------------------------------------------------------

def provenance(report: Report) -> dict[str, Any]:
    run, m = report.run, report.run.manifest
    pyperf_meta: dict[str, str] = {}
    versions: dict[str, str] = {}
    for (key, _), bench in run.benchmarks.items():
        meta = bench.get_metadata()
        for name in PYPERF_SYSTEM:
            if name in meta:
                pyperf_meta.setdefault(name, str(meta[name]))
        versions.setdefault(RunKey.parse(key).interpreter, str(meta.get("python_version", "")))
    runtimes = []
    for key, entry in m.runtimes.items():
        info = entry.info
        runtimes.append({"key": key, "package": info.get("runtime_package", ""),
                         "version": info.get("runtime_version", ""),
                         "compiler": info.get("compiler", ""), "binding": info.get("binding", ""),
                         "capabilities": ", ".join(info.get("capabilities", []))})
    not_run = [{"what": f"runtime {name}", "status": Status.UNAVAILABLE, "detail": reason}
               for name, reason in m.unavailable.items()]
    scen = run.cells[run.cells["benchmark"].isna() & ~run.cells["key"].isin(list(m.unavailable))]
    not_run += [{"what": f"{r.key}: scenario {r.scenario}", "status": r.status,
                 "detail": r.detail} for r in scen.itertuples()]
    untimed = run.cells[run.cells["benchmark"].notna() & (run.cells["status"] != Status.OK)]
    not_run += [{"what": f"{r.key}: {r.benchmark}", "status": r.status, "detail": r.detail}
                for r in untimed.itertuples()]
    interpreters = [{**i, "version": versions.get(i.get("label", ""), "")}
                    for i in m.interpreters]
    return {"machine": m.machine, "pyperf": pyperf_meta, "runtimes": runtimes,
            "interpreters": interpreters, "guests": m.guests, "not_run": not_run,
            "pyperf_args": " ".join(m.pyperf_args) or "(pyperf defaults)",
            "options": m.options.to_dict()}


# --- the page and its files ----------------------------------------------------------------

def page(report: Report, rendered: list[RenderedSection]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    m = report.run.manifest
    baseline = (report.label(report.baseline) if report.baseline
                else "the fastest runtime of each benchmark")
    return env.get_template("report.html.j2").render(
        run=report.run, manifest=m, labels=[report.label(k) for k in report.keys],
        keys=report.keys, baseline=baseline, headline=headline(report),
        before=[s for s in rendered if s.order < HEADLINE_ORDER],
        sections=[s for s in rendered if s.order >= HEADLINE_ORDER],
        provenance=provenance(report), csv_files=(VALUES_CSV, SUMMARY_CSV))


def summary_frame(report: Report) -> pd.DataFrame:
    """``Report.cells`` as exported: one row per runtime and benchmark, statuses included."""
    return report.cells.assign(run=report.run.run_id, label=report.cells["key"].map(
        report.label))


def write(report: Report, out_dir: Path, debug: bool = False) -> Path:
    """Write the report into ``out_dir``; return the path of index.html."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create the report folder {out_dir} "
                          f"({exc.strerror or exc})") from None
    rendered, images = render_sections(report, debug)
    html = page(report, rendered)
    try:
        for name, data in images.items():
            atomic_write(out_dir / name, data)
        atomic_write(out_dir / VALUES_CSV, report.run.values.to_csv(index=False))
        atomic_write(out_dir / SUMMARY_CSV, summary_frame(report).to_csv(index=False))
        atomic_write(out_dir / INDEX, html)
    except OSError as exc:
        raise ReportError(f"cannot write the report into {out_dir} "
                          f"({exc.strerror or exc})") from None
    return out_dir / INDEX
