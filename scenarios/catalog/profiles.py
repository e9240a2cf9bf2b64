"""Run profiles: how much of the catalogue a run measures, and how hard.

``quick`` (the default) answers every question of the report's scorecard in minutes: every
runtime on the equal-terms interpreter and its per-call scenarios on its newest (see
``hosts.plan``), every scenario family with its headline benchmarks (a few payload sizes, a
1 MiB generated module for the cache question, the 10 ms deadline; the layer breakdown is the
full profile's), 3 fresh worker processes per benchmark, values of at least 10 ms (a tenth of
pyperf's default: the spread between processes, not within a value, limits a figure's
interval). ``full`` is the whole catalogue with values of at least 20 ms, fewer processes
for the lifecycle's fresh-instance and fresh-process scenarios and no 100 KiB module (it ended
within 45 minutes on a 2-core machine before the JavaScriptCore, V8 and newest-interpreter
rows; with them it took 73, see the README); ``rigorous`` the whole catalogue with pyperf's
own default of 20 processes per benchmark and every module size.

A profile's pyperf settings are defaults: a scenario's or a benchmark's own declared
defaults (``Scenario.defaults``, ``Benchmark.defaults``) come before them, and any pyperf
option given on the command line before everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    # pyperf Runner defaults: processes, values, warmups, min_time
    pyperf: Mapping[str, int | float] = field(default_factory=dict)
    # generated module sizes for compile and cache (``--module-sizes`` syntax)
    module_sizes: str = "10K,100K,1M,8M"
    # only each scenario's ``headline`` benchmarks, and only scenarios that have one
    headline_only: bool = False


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("quick", "every runtime and scenario family, headline benchmarks only, "
            "modules of 10 KiB and 1 MiB; 3 processes x 3 values of at least 10 ms per "
            "benchmark", {"processes": 3, "values": 3, "min_time": 0.01}, "10K,1M",
            headline_only=True),
    Profile("full", "every scenario and benchmark, payloads up to 1 MiB, modules of 10 KiB, "
            "1 MiB and 8 MiB; 3 processes x 3 values of at least 20 ms per benchmark",
            {"processes": 3, "values": 3, "min_time": 0.02}, "10K,1M,8M"),
    Profile("rigorous", "the full catalogue with pyperf's default of 20 processes x 3 values",
            {"processes": 20, "values": 3}, "10K,100K,1M,8M"),
)}
DEFAULT = "quick"


def get(name: str) -> Profile:
    if name not in PROFILES:
        raise LookupError(f"unknown profile {name!r} (known: {', '.join(PROFILES)})")
    return PROFILES[name]
