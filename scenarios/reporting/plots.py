"""Shared matplotlib helpers, so every section's plots look and read alike.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no global state, no display).
Time axes carry their unit on every tick (``10 µs``), payload axes too (``4 KiB``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from scenarios.reporting import fmt

LOG_SPAN = 20.0  # use a log axis when the largest value is this many times the smallest
DPI = 100


def figure(width: float, height: float) -> Figure:
    """A figure of about ``width`` x ``height`` inches (width kept between 6.5 and 16)."""
    fig = Figure(figsize=(min(max(width, 6.5), 16.0), height), dpi=DPI, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.1, h_pad=0.1)
    return fig


def wants_log(values: Iterable[float]) -> bool:
    """Whether values span orders of magnitude (then a linear axis would hide the small ones)."""
    v = [x for x in values if x > 0 and math.isfinite(x)]
    return bool(v) and max(v) / min(v) >= LOG_SPAN


def time_axis(ax: Axes, which: str = "y", log: bool = True, label: str = "time per call"
              ) -> None:
    """Label a nanosecond axis with units on each tick; log scale when ``log``."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    if log:
        (ax.set_yscale if which == "y" else ax.set_xscale)("log")
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(
        lambda v, _pos: fmt.ns(v, compact=True) if v != 0 else "0"))
    axis.set_minor_formatter(FuncFormatter(lambda _v, _pos: ""))
    (ax.set_ylabel if which == "y" else ax.set_xlabel)(
        f"{label} ({'log scale' if log else 'linear scale'})")
    if not log and which == "y":
        ax.set_ylim(bottom=0)


def bytes_axis(ax: Axes, sizes: Iterable[float] = (), label: str = "payload size (log scale)"
               ) -> None:
    """A log2 payload axis; ticks at ``sizes`` (the sizes measured) when given."""
    ax.set_xscale("log", base=2)
    ticks = sorted({float(s) for s in sizes if s > 0})
    if ticks:
        ax.set_xticks(ticks, [fmt.nbytes(s) for s in ticks], rotation=30 if len(ticks) > 6
                      else 0, ha="right" if len(ticks) > 6 else "center")
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda _v, _pos: ""))
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _pos: fmt.nbytes(v) if v >= 1 else ""))
    ax.set_xlabel(label)


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def jitter(n: int, width: float, seed: int = 0) -> np.ndarray:
    """Deterministic horizontal offsets for a strip plot."""
    return np.random.default_rng(seed).uniform(-width / 2, width / 2, n)
