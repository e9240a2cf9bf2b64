"""The generic payload-sweep section plots only real sweeps: one benchmark per size."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from scenarios.reporting.sections.payload_sweeps import sweep_scenarios


def test_several_benchmarks_at_one_size_are_not_a_sweep() -> None:
    cells = pd.DataFrame(
        [{"scenario": "reverse_string", "key": "k", "benchmark": f"reverse_string/{n}",
          "payload_bytes": n} for n in (16, 64, 256)]
        + [{"scenario": "memory_access", "key": "k", "benchmark": f"memory_access/{p}/read/{n}",
            "payload_bytes": n} for p in ("api", "ctypes") for n in (16, 1024)]
        + [{"scenario": "no_op", "key": "k", "benchmark": "no_op", "payload_bytes": 0}])
    report = SimpleNamespace(timed=lambda: cells, run=SimpleNamespace(
        scenarios=["no_op", "reverse_string", "memory_access"]))
    assert sweep_scenarios(report) == ["reverse_string"]
