"""A provisioned interpreter installs only ``pyproject.toml``'s dependencies (not the
``orchestrator`` extra): a benchmark process must run without pandas, matplotlib, scipy,
jinja2 or tqdm, so importing everything it imports must not pull them in."""

from __future__ import annotations

import json
import subprocess
import sys

from scenarios.orchestrate import hosts

ORCHESTRATOR_ONLY = ("pandas", "numpy", "scipy", "matplotlib", "jinja2", "tqdm")


def test_a_benchmark_process_imports_none_of_the_orchestrators_packages() -> None:
    code = ("import json, sys; import scenarios.harness.bench, runtimes.probe; "
            "from scenarios import catalog; catalog.all_scenarios(); "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=hosts.child_env(), cwd=hosts.PROJECT_ROOT, timeout=300, check=True)
    imported = set(json.loads(proc.stdout))
    assert "pyperf" in imported and "scenarios" in imported  # it did import the harness
    assert not imported & set(ORCHESTRATOR_ONLY), sorted(imported & set(ORCHESTRATOR_ONLY))
