"""The reporter's pieces: load a run, compute its statistics, render sections into HTML.

    load.py      a run folder (manifest + pyperf files) -> ``Run`` (one pandas row per value)
    stats.py     medians, IQR, bootstrap ratio intervals, geometric means, payload fits
    model.py     ``Report``: a run with its statistics, what every section receives
    plots.py     shared matplotlib helpers (colours, time axes, log decisions)
    sections/    auto-discovered report sections (see docs/reporting.md)
    render.py    runs the sections, writes PNGs, CSVs and index.html

The command-line entries are ``scenarios.report`` and ``scenarios.compare``. Nothing here is
imported by ``scenarios.harness.bench`` or pyperf's workers: pandas and matplotlib stay out of them.
"""

from __future__ import annotations


class ReportError(Exception):
    """The input cannot be reported on (not a run, corrupted or foreign file, bad option).

    The message is one line naming the thing and what to do; the CLIs exit with code 2.
    """
