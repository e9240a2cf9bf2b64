"""How numbers are written in tables, plots and the console (three significant digits).

A run of ``--measure instructions`` holds instruction counts where a timing run holds
nanoseconds; while ``measuring("instructions")`` is in force, ``ns`` writes its figures as
counts (``74.0 k instr``), so every table and plot of that report says what it shows.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

_TIME_UNITS = ((1.0, "ns"), (1e3, "µs"), (1e6, "ms"), (1e9, "s"))
_COUNT_UNITS = ((1.0, "instr"), (1e3, "k instr"), (1e6, "M instr"), (1e9, "G instr"))
_measure = ["time"]


@contextlib.contextmanager
def measuring(measure: str) -> Iterator[None]:
    """Within: ``ns`` formats the figures of ``measure`` ('time' or 'instructions')."""
    _measure.append(measure)
    try:
        yield
    finally:
        _measure.pop()


def count(value: float, compact: bool = False) -> str:
    """An instruction count: ``372 instr``, ``74.0 k instr``, ``1.20 M instr``."""
    return _scaled(value, _COUNT_UNITS, compact)


def sig3(x: float) -> str:
    x = float(f"{x:.3g}")
    if x == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:.{digits}f}"


def ns(value: float, compact: bool = False) -> str:
    """A duration given in nanoseconds: ``812 ns``, ``12.3 µs``, ``1.05 ms``.

    ``compact`` drops trailing zeros (``5 µs`` rather than ``5.00 µs``), for axis ticks.
    """
    if _measure[-1] == "instructions":
        return count(value, compact)
    return _scaled(value, _TIME_UNITS, compact)


def _scaled(value: float, units: tuple[tuple[float, str], ...], compact: bool) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if abs(value) < 1e-3:  # below a thousandth of the smallest unit: a fit's zero, say
        return f"0 {units[0][1]}"
    for scale, unit in units:
        shown = sig3(value / scale)
        if compact and "." in shown:
            shown = shown.rstrip("0").rstrip(".")
        if abs(float(shown)) < 1000 or unit == units[-1][1]:  # 999.6 µs rounds to 1000: ms
            return f"{shown} {unit}"
    raise AssertionError("unreachable")


def ratio(value: float) -> str:
    return "—" if value is None or not math.isfinite(value) else f"×{sig3(value)}"


def interval(low: float, high: float) -> str:
    if any(v is None or not math.isfinite(v) for v in (low, high)):
        return "no interval"
    return f"[{sig3(low)}, {sig3(high)}]"


def nbytes(n: float) -> str:
    """``16 B``, ``4 KiB``, ``1 MiB``; exact sizes that are not powers of 1024 stay in bytes."""
    n = int(n)
    for shift, unit in ((20, "MiB"), (10, "KiB")):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n:,} B"


def number(x: float) -> str:
    """Three significant digits, thousands separated: ``0.0123``, ``45.6``, ``12,300``."""
    if x is None or not math.isfinite(x):
        return "—"
    if x != 0 and abs(x) < 1e-3:
        return f"{x:.2e}"
    return f"{float(sig3(x)):,.0f}" if abs(x) >= 1000 else sig3(x)


def size(n: float) -> str:
    """An amount of memory, three significant digits: ``812 B``, ``15.1 KiB``, ``1.15 MiB``."""
    if n is None or not math.isfinite(n):
        return "—"
    for shift, unit in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if abs(n) >= 1 << shift:
            return f"{sig3(n / (1 << shift))} {unit}"
    return f"{sig3(n)} B"


def quantity(value: float, unit: str) -> str:
    """A pyperf value in its unit: seconds as a duration, bytes as a size, else a number."""
    if unit == "second":
        return ns(value * 1e9)
    return size(value) if unit == "byte" else number(value)
