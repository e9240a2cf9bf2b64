"""Report sections: every module in this package is imported and registers its sections.

A section is a function ``Report -> list[Block]`` registered with ``@section``. It decides for
itself whether it has something to say about the loaded run: return ``[]`` and it is left
out. ``scenarios=`` is a shortcut: the section runs only when one of those scenarios was
attempted. Blocks are data, not HTML: the renderer saves figures as PNG (beside the page and
embedded in it), writes tables with the page's styling and escapes text. See docs/reporting.md.

    from scenarios.reporting.sections import Figure, Table, Text, section

    @section("Compile time", order=50, scenarios=("compile",))
    def compile_time(report):
        ...
        return [Text("..."), Figure(fig, "sizes", "Compile time against module size"),
                Table(frame, "Per-runtime fit")]

Modules are imported in name order; sections are shown in ``order``, then by name. Sections
ordered below ``render.HEADLINE_ORDER`` (the scorecard, 0) come before the headline table, the
others after it, and the provenance after them all.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import matplotlib
import pandas as pd
from matplotlib.figure import Figure as MplFigure

from scenarios.reporting.model import Report

matplotlib.use("Agg")  # for sections that use pyplot: no display is needed or wanted


@dataclass(frozen=True)
class Figure:
    """A matplotlib figure; saved as ``<section>-<name>.png`` and embedded with ``caption``."""

    figure: MplFigure
    name: str
    caption: str
    alt: str = ""  # what the plot shows, for readers without images (default: caption)


@dataclass(frozen=True)
class Table:
    """A table; cells are shown as text (escaped), NaN/None as a dash, the index is dropped."""

    frame: pd.DataFrame
    caption: str = ""


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text (escaped)."""

    text: str


@dataclass(frozen=True)
class Html:
    """Markup inserted as is: only for what the other blocks cannot say. No scripts."""

    markup: str


Block = Figure | Table | Text | Html
Render = Callable[[Report], Iterable[Block]]


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    order: int
    render: Render
    scenarios: tuple[str, ...] = ()

    def applies(self, report: Report) -> bool:
        return not self.scenarios or report.has_scenario(*self.scenarios)


SECTIONS: dict[str, Section] = {}


def section(title: str, *, order: int = 50, scenarios: Iterable[str] = (),
            name: str | None = None) -> Callable[[Render], Render]:
    """Register the decorated function as a report section titled ``title``.

    ``order``: position on the page (generic sections use 10-40; put new ones at 50+).
    ``scenarios``: only run when one of these scenarios is in the run.
    ``name``: unique id, used for the anchor and PNG names (default: the function's name).
    """
    def register(fn: Render) -> Render:
        sid = (name or fn.__name__).replace("_", "-")
        known = SECTIONS.get(sid)
        if known is not None and known.render is not fn:
            raise ValueError(f"report section {sid!r} is registered twice")
        SECTIONS[sid] = Section(sid, title, order, fn, tuple(scenarios))
        return fn
    return register


def discover() -> list[Section]:
    """Import every module of this package (the generic sections) and every family's
    ``report`` module (each registers its sections); return them sorted."""
    from scenarios import families

    generic = [f"{__name__}.{m.name}"
               for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)]
    for name in [*generic, *families.report_modules()]:
        importlib.import_module(name)
    return sorted(SECTIONS.values(), key=lambda s: (s.order, s.name))
