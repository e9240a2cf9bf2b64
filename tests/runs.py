"""Helpers to make small real runs (``python -m scenarios.run``) for the reporter tests."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.orchestrate import hosts
from tests import fakes

# Short but real: 3 worker processes x 3 values, so intervals exist (pyperf's --fast is 10x2).
SHORT = ("-p", "3", "-n", "3", "--min-time", "0.01", "--no-provision")
# One value per benchmark: for runs whose operations take long (compiling modules) and whose
# tests check what is shown, not the statistics.
SINGLE = ("--debug-single-value", "--no-provision")
FAKES = {"WASM_INTEROP_RUNTIMES": fakes.REGISTRATION}


@dataclass(frozen=True)
class MadeRun:
    path: Path
    manifest: dict[str, Any]
    stdout: str


def run_cli(module: str, *argv: str, env: dict[str, str] | None = None, timeout: float = 900
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *argv], capture_output=True, text=True,
                          env={**hosts.child_env(), **(env or {})}, cwd=hosts.PROJECT_ROOT,
                          timeout=timeout)


def make_run(results: Path, *argv: str, env: dict[str, str] | None = None,
             pyperf_args: tuple[str, ...] = SHORT) -> MadeRun:
    proc = run_cli("scenarios.run", "--profile", "full", *argv, *pyperf_args, "--results-dir",
                   str(results), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run_dir,) = [p for p in results.iterdir() if p.is_dir()]
    return MadeRun(run_dir, json.loads((run_dir / "manifest.json").read_text()), proc.stdout)
