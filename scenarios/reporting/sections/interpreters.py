"""Generic: how each runtime's per-call costs move from one CPython to another.

Most of what a binding costs is Python code (argument conversion, type look-ups), which each
interpreter runs at its own speed, and not monotonically. A run measures the scenarios whose
cost is mostly Python (``Scenario.per_interpreter``) on each runtime's newest interpreter as
well as on the equal-terms one; this section sets the rows of one runtime side by side, with
the plain-Python baseline's own move, so a reader can tell the interpreter's speed (the
baseline moves as much) from the binding's (it moves more, or the other way). The figures are
the scorecard's own columns for those scenarios, computed by the same functions.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator

import runtimes
from runtimes.base import Role
from scenarios import catalog
from scenarios.reporting import fmt, plots
from scenarios.reporting.model import Report
from scenarios.reporting.sections import Block, Figure, Table, Text, scorecard, section

NAME = "interpreters"


def equal_terms(report: Report) -> str:
    """The interpreter that ran the most pairs with every scenario (not a per-call row)."""
    full = Counter(p.interpreter for p in report.run.manifest.plan if p.only is None)
    return full.most_common(1)[0][0] if full else ""


def moved(report: Report) -> dict[str, list[str]]:
    """Per runtime measured on more than one interpreter, its keys, equal-terms first."""
    rows: dict[str, list[str]] = {}
    for key in report.keys:
        entry = report.run.entry(key)
        if entry is not None:
            rows.setdefault(entry.runtime, []).append(key)
    home = equal_terms(report)
    return {runtime: sorted(keys, key=lambda k: (report.run.entry(k).interpreter != home,
                                                 report.run.entry(k).interpreter))
            for runtime, keys in rows.items() if len(keys) > 1}


def per_interpreter_columns(report: Report) -> list[scorecard.Column]:
    """The scorecard's columns whose scenario is measured on every interpreter."""
    return [c for c in scorecard.columns(report)
            if c.scenario in catalog.all_scenarios()
            and catalog.get(c.scenario).per_interpreter]


def table(report: Report) -> pd.DataFrame:
    """A row per runtime and interpreter: each column's figure, and its ratio to the runtime's
    first (equal-terms) row."""
    cols = per_interpreter_columns(report)
    out = []
    for runtime, keys in moved(report).items():
        first = {c.id: c.compute(report, keys[0]) for c in cols}
        for key in keys:
            row = {"runtime": runtime, "interpreter": report.run.entry(key).interpreter}
            for c in cols:
                score = first[c.id] if key == keys[0] else c.compute(report, key)
                row[c.title] = score.text
                base = first[c.id].value
                row[f"{c.title}: ×"] = (score.value / base if score.value is not None and base
                                        else math.nan)
            out.append(row)
    return pd.DataFrame(out)


@section("Across interpreters", order=5, name=NAME)
def across_interpreters(report: Report) -> list[Block]:
    rows = moved(report)
    cols = per_interpreter_columns(report)
    if not rows or not cols:
        return []
    frame = table(report)
    shown = frame.copy()
    for c in cols:
        ratio = shown.pop(f"{c.title}: ×")
        shown[c.title] = [text if math.isnan(r) or r == 1 else f"{text} ({fmt.ratio(r)})"
                          for text, r in zip(shown[c.title], ratio, strict=True)]
    baseline = next((n for n in rows if n in _baselines()), None)
    blocks: list[Block] = [Text(
        f"Each runtime ran every scenario on {equal_terms(report) or 'one interpreter'} (the "
        "equal-terms rows of the scorecard) and its per-call scenarios on the newest "
        "interpreter it installs on too. In brackets: the figure over the runtime's first row. "
        + (f"The {baseline} rows are the same work in plain Python: a runtime whose ratio is "
           "close to theirs moved with the interpreter; one that moved further, or the other "
           "way, moved with its binding's Python code." if baseline else ""))]
    blocks.append(Table(shown, "The per-call figures per interpreter (medians of the "
                               "scorecard's columns; their intervals are in the scorecard)"))
    blocks.append(_plot(report, frame, cols))
    return blocks


def _baselines() -> set[str]:
    return set(runtimes.with_role(Role.BASELINE))


def _plot(report: Report, frame: pd.DataFrame, cols: list[scorecard.Column]) -> Figure:
    """One panel per column with a figure: for each runtime, its ratio on each further
    interpreter, drawn from 1 on a log axis (faster below, slower above)."""
    later = frame.groupby("runtime", sort=False).nth(slice(1, None))
    cols = [c for c in cols if later[f"{c.title}: ×"].notna().any()]
    labels = [f"{r.runtime}\n{r.interpreter.removeprefix('cpython-')}"
              for r in later.itertuples()]
    fig = plots.figure(2.0 + 0.5 * len(labels) * len(cols), 3.8)
    axes = fig.subplots(1, len(cols), sharey=True, squeeze=False)[0]
    baselines = _baselines()
    for ax, c in zip(axes, cols, strict=True):
        ratios = later[f"{c.title}: ×"].to_numpy(dtype=float)
        x = np.arange(len(labels))
        shown = np.isfinite(ratios)
        colors = ["#999999" if r in baselines else "#3a6ea5" for r in later["runtime"]]
        ax.bar(x[shown], ratios[shown] - 1.0, bottom=1.0,
               color=[k for k, ok in zip(colors, shown, strict=True) if ok])
        for i in x[shown]:
            ax.annotate(fmt.ratio(ratios[i]), (i, ratios[i]), ha="center", fontsize=7,
                        va="bottom" if ratios[i] >= 1 else "top")
        ax.set_yscale("log")
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
        ax.set_title(c.title, fontsize=9)
    axes[0].yaxis.set_major_locator(LogLocator(base=2))
    axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt.ratio(v)))
    axes[0].yaxis.set_minor_formatter(FuncFormatter(lambda _v, _pos: ""))
    axes[0].set_ylabel("over the equal-terms interpreter (log)")
    return Figure(fig, "ratios", "Each runtime's per-call figures on its newest interpreter, "
                  "over the same figures on the equal-terms interpreter (grey: plain Python; "
                  "below 1: faster)",
                  alt="Bar charts, one per per-call figure: a bar per runtime and further "
                      "interpreter, from 1 to its ratio to the equal-terms interpreter's "
                      "figure, on a log axis.")
