"""What the memory scenarios' bytes mean, per runtime: the figures the report section and the
scorecard column both show (``figures(run)``), so the two never disagree.

* memory per instance: the median over fresh processes of the fitted slope of RSS against N
  live instances (the largest N series that has values); instances per GiB is 2^30 over it;
  the instance's linear memory (its declared size) is shown apart, and "beyond linear memory"
  is the slope minus it (negative where the runtime leaves untouched pages uncommitted);
* engine and module: medians of their readings;
* the forgetful host: bytes of linear memory per call never freed (median), with the curve
  and the ending seen by the validating process; create-and-drop: RSS with the instances live
  and after dropping them, and the share given back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from scenarios.families.memory.workloads import FULL_COUNTS, QUICK_COUNTS
from scenarios.reporting.load import Run

GIB = 1 << 30
# the larger fit first: the figure is its median where it has values
PER_INSTANCE = tuple(f"memory/per_instance/{c[-1]}" for c in (FULL_COUNTS, QUICK_COUNTS))
LEAKS = ("forgetful_host/allocate", "forgetful_host/returned_buffer")
DROP = "forgetful_host/drop_instances"


@dataclass
class RuntimeMemory:
    key: str
    per_instance: float | None = None  # bytes, median slope
    per_instance_values: list[float] = field(default_factory=list)
    per_instance_benchmark: str = ""
    points: list[list[int]] = field(default_factory=list)
    linear_memory: int | None = None
    stopped: str = ""
    engine: float | None = None
    module: float | None = None
    leaks: dict[str, dict[str, Any]] = field(default_factory=dict)
    drop: dict[str, Any] | None = None

    @property
    def instances_per_gib(self) -> float | None:
        if self.per_instance is None or self.per_instance <= 1:
            return None
        return GIB / self.per_instance

    @property
    def beyond_linear(self) -> float | None:
        if self.per_instance is None or self.linear_memory is None:
            return None
        return self.per_instance - self.linear_memory


def facts(run: Run, key: str, benchmark: str) -> dict[str, Any]:
    """What the validating process of ``benchmark`` observed (manifest facts), or {}."""
    entry = run.entry(key)
    scenario = benchmark.split("/", 1)[0]
    if entry is None or scenario not in entry.scenarios:
        return {}
    record = entry.scenarios[scenario].benchmarks.get(benchmark)
    return dict(record.facts or {}) if record is not None else {}


def median(run: Run, key: str, benchmark: str) -> float | None:
    bench = run.quantities.get((key, benchmark))
    return None if bench is None else float(bench.median())


def values(run: Run, key: str, benchmark: str) -> list[float]:
    bench = run.quantities.get((key, benchmark))
    return [] if bench is None else [float(v) for v in bench.get_values()]


def of_runtime(run: Run, key: str) -> RuntimeMemory:
    m = RuntimeMemory(key, engine=median(run, key, "memory/engine"),
                      module=median(run, key, "memory/module"))
    for name in PER_INSTANCE:
        value = median(run, key, name)
        if value is not None:
            seen = facts(run, key, name)
            m.per_instance, m.per_instance_benchmark = value, name
            m.per_instance_values = values(run, key, name)
            m.points = seen.get("points", [])
            m.linear_memory = seen.get("linear_memory")
            m.stopped = seen.get("stopped", "")
            break
    for name in LEAKS:
        value = median(run, key, name)
        seen = facts(run, key, name)
        if value is not None or seen:
            m.leaks[name] = {"bytes_per_call": value, **seen}
    seen = facts(run, key, DROP)
    if seen:
        live, after = seen.get("live"), seen.get("after")
        returned = (1 - after / live) if live and after is not None and live > 0 else math.nan
        m.drop = {**seen, "retained": median(run, key, DROP), "returned_share": returned}
    return m


def figures(run: Run) -> dict[str, RuntimeMemory]:
    """Every runtime of the run that has any memory figure, in run order."""
    out = {}
    for key in run.keys:
        m = of_runtime(run, key)
        if m.per_instance is not None or m.engine is not None or m.module is not None \
                or m.leaks or m.drop:
            out[key] = m
    return out
