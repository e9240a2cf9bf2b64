"""``Report``: a loaded run plus its statistics; the one object every report section receives.

``Report.cells`` has one row per runtime (``key`` = runtime@interpreter) and benchmark:
status and reason from the manifest, pyperf's median/IQR/min/process and value counts and
stability warnings, and the ratio to the baseline of that benchmark with its bootstrap
interval. A cell whose status is not "ok" has no numbers at all (NaN), so nothing downstream
can show it as one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from scenarios.record.manifest import Manifest
from scenarios.record.status import Status
from scenarios.reporting import ReportError, fmt, stats
from scenarios.reporting.load import Run

STAT_COLUMNS = ("median_ns", "q1_ns", "q3_ns", "iqr_ns", "min_ns", "n_processes", "n_values",
                "warnings", "baseline", "ratio", "ratio_low", "ratio_high", "significant")
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")


@dataclass
class Report:
    """A run with its statistics. ``baseline`` is a key, or None for the fastest per benchmark."""

    run: Run
    baseline: str | None
    cells: pd.DataFrame
    labels: dict[str, str]
    colors: dict[str, str]
    _summaries: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    # ``cells`` rows by (key, benchmark) and, for rows naming no benchmark, by (key, scenario):
    # built on first use (a report looks cells up thousands of times; ``cells`` is not changed)
    _rows: tuple[dict, dict] | None = field(default=None, init=False, repr=False)

    # --- what sections usually need ------------------------------------------------------

    def summary(self, name: str, derive: Callable[[Path, Manifest], Any]) -> Any:
        """The run summary ``name`` (``catalog.register_summary``) as the run wrote it beside
        its manifest, or ``derive``d again from the folder by the same function when the file
        is absent; read once per report, however many sections use it."""
        if name not in self._summaries:
            listed = (self.run.manifest.summaries or {}).get(name)
            path = self.run.path / listed if isinstance(listed, str) else None
            self._summaries[name] = (
                json.loads(path.read_text(encoding="utf-8")) if path and path.is_file()
                else derive(self.run.path, self.run.manifest))
        return self._summaries[name]

    @property
    def keys(self) -> list[str]:
        """Runtime keys (runtime@interpreter) in run order."""
        return self.run.keys

    def label(self, key: str) -> str:
        return self.labels.get(key, key)

    def color(self, key: str) -> str:
        return self.colors.get(key, "#333333")

    def has_scenario(self, *names: str) -> bool:
        """Whether any of ``names`` was attempted in this run (timed or not)."""
        return bool(self.cells["scenario"].isin(names).any())

    def values(self, scenario: str | None = None, benchmark: str | None = None) -> pd.DataFrame:
        """The tidy per-value table (see ``load.VALUE_COLUMNS``), optionally filtered."""
        df = self.run.values
        if scenario is not None:
            df = df[df["scenario"] == scenario]
        if benchmark is not None:
            df = df[df["benchmark"] == benchmark]
        return df

    def timed(self, scenario: str | None = None) -> pd.DataFrame:
        """The cells that have numbers (status ok and timed), in benchmark order."""
        df = self.cells[self.cells["median_ns"].notna()]
        return df if scenario is None else df[df["scenario"] == scenario]

    def benchmarks(self, scenario: str | None = None) -> list[str]:
        """Benchmark names in report order (scenario order, then natural size order)."""
        names = self.run.benchmark_order
        if scenario is None:
            return names
        mine = set(self.cells.loc[self.cells["scenario"] == scenario, "benchmark"].dropna())
        return [n for n in names if n in mine]

    def _lookup(self) -> tuple[dict, dict]:
        if self._rows is None:
            by_benchmark: dict[tuple[str, str], dict[str, Any]] = {}
            by_scenario: dict[tuple[str, str], dict[str, Any]] = {}
            for row in self.cells.to_dict("records"):
                if isinstance(row["benchmark"], str):
                    by_benchmark.setdefault((row["key"], row["benchmark"]), row)
                else:
                    by_scenario.setdefault((row["key"], row["scenario"]), row)
            self._rows = by_benchmark, by_scenario
        return self._rows

    def cell(self, key: str, benchmark: str) -> dict[str, Any] | None:
        row = self._lookup()[0].get((key, benchmark))
        return None if row is None else dict(row)

    def why_no_number(self, key: str, benchmark: str, scenario: str) -> tuple[str, str]:
        """(status, reason) of a cell without a number, from the benchmark or its scenario."""
        cell = self.cell(key, benchmark)
        if cell is None:  # the scenario as a whole: unsupported, unavailable, not run, ...
            row = self._lookup()[1].get((key, scenario))
            if row is None:
                return "absent", "not attempted in this run"
            return row["status"], row["detail"]
        return cell["status"], cell["detail"]

    def value_text(self, key: str, benchmark: str, scenario: str) -> str:
        """The median as text, or the status word: what a table cell shows."""
        cell = self.cell(key, benchmark)
        if cell is not None and not is_missing(cell["median_ns"]):
            return fmt.ns(cell["median_ns"])
        return self.why_no_number(key, benchmark, scenario)[0]


def is_missing(x: Any) -> bool:
    """None or NaN: a statistic that does not exist (the cell has no number)."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def resolve_baseline(run: Run, name: str | None) -> str | None:
    """The key named by ``name`` (a key, or a runtime that ran on one interpreter)."""
    if name is None:
        return None
    if name in run.keys:
        return name
    matches = [k for k in run.keys if run.runtime_of(k) == name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ReportError(f"runtime {name!r} ran on {len(matches)} interpreters; name one of: "
                          f"{', '.join(matches)}")
    raise ReportError(f"baseline {name!r} is not a runtime of run {run.run_id} "
                      f"(it has: {', '.join(run.keys) or 'none'})")


def build(run: Run, baseline: str | None = None) -> Report:
    """Compute every cell's statistics and ratios; ``baseline`` as for ``resolve_baseline``."""
    base_key = resolve_baseline(run, baseline)
    cells = run.cells.copy()
    summaries: dict[tuple[str, str], stats.Summary] = {}
    for (key, name), bench in run.benchmarks.items():
        summaries[(key, name)] = stats.describe(bench)
    rows = []
    for cell in cells.itertuples(index=False):
        s = summaries.get((cell.key, cell.benchmark)) if cell.status == Status.OK else None
        rows.append({} if s is None else {
            "median_ns": s.median_ns, "q1_ns": s.q1_ns, "q3_ns": s.q3_ns, "iqr_ns": s.iqr_ns,
            "min_ns": s.min_ns, "n_processes": s.n_processes, "n_values": s.n_values,
            "warnings": "; ".join(s.warnings)})
    extra = pd.DataFrame(rows, columns=list(STAT_COLUMNS), index=cells.index)
    for name in ("warnings", "baseline", "significant"):
        extra[name] = extra[name].astype(object)
    cells = pd.concat([cells, extra], axis=1)
    matrices = {k: stats.process_matrix(b) for k, b in run.benchmarks.items()}
    for name, group in cells[cells["median_ns"].notna()].groupby("benchmark", sort=False):
        if base_key is not None:
            ref = base_key if (group["key"] == base_key).any() else None
        else:
            ref = group.loc[group["median_ns"].idxmin(), "key"]
        if ref is None:
            continue
        for idx, key in group["key"].items():
            cells.at[idx, "baseline"] = ref
            if key == ref:  # ratio 1 by definition, no interval, neither significant nor not
                cells.at[idx, "ratio"] = 1.0
                continue
            r = stats.ratio_ci(matrices[(key, name)], matrices[(ref, name)])
            cells.loc[idx, ["ratio", "ratio_low", "ratio_high"]] = [r.value, r.low, r.high]
            cells.at[idx, "significant"] = r.significant
    names = [run.runtime_of(k) for k in run.keys]
    labels = {k: (run.runtime_of(k) if names.count(run.runtime_of(k)) == 1 else k)
              for k in run.keys}
    colors = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(run.keys)}
    return Report(run, base_key, cells, labels, colors)


def geomeans(report: Report) -> pd.DataFrame:
    """Per runtime: geometric mean of its ratios to the baseline, over the benchmarks it has."""
    total = len([n for n in report.benchmarks() if report.run.unit(n) == "second"])
    rows = []
    for key in report.keys:
        mine = report.cells[(report.cells["key"] == key) & report.cells["ratio"].notna()]
        rows.append({"key": key, "runtime": report.label(key),
                     "geomean_ratio": stats.geomean(mine["ratio"].tolist()),
                     "benchmarks": len(mine), "of": total})
    return pd.DataFrame(rows)
