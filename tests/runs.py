"""The real command for the tests (one ``run_cli``), and the small real runs the report tests
read: committed once under ``tests/fixtures/runs`` (``python -m tests.fixtures`` remakes them),
so reading a report costs no benchmark run."""

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
FIXTURES = Path(__file__).with_name("fixtures") / "runs"


@dataclass(frozen=True)
class MadeRun:
    path: Path
    manifest: dict[str, Any]
    stdout: str = ""


def run_cli(module: str, *argv: str, env: dict[str, str] | None = None, timeout: float = 1200
            ) -> subprocess.CompletedProcess[str]:
    """``python -m module argv`` from the project root, as a user types it. ``scenarios.run``
    runs the whole catalogue of the scenarios named (``--profile full``) unless argv names a
    profile. The timeout only keeps a hang from blocking the suite."""
    if module == "scenarios.run" and "--profile" not in argv:
        argv = ("--profile", "full", *argv)
    return subprocess.run([sys.executable, "-m", module, *argv], capture_output=True, text=True,
                          env={**hosts.child_env(), **(env or {})}, cwd=hosts.PROJECT_ROOT,
                          timeout=timeout)


def by_runtime(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each runtime's entry that ran every scenario: its row on the equal-terms interpreter
    (or its only one), not its further row on its newest interpreter (``only``)."""
    return {e["runtime"]: e for e in manifest["runtimes"].values() if e.get("only") is None}


def only_run(results: Path) -> tuple[Path, dict[str, Any]]:
    """The one run folder under ``results`` and its manifest."""
    (run_dir,) = [p for p in results.iterdir() if p.is_dir()]
    return run_dir, json.loads((run_dir / "manifest.json").read_text())


def make_run(results: Path, *argv: str, env: dict[str, str] | None = None,
             pyperf_args: tuple[str, ...] = SHORT) -> MadeRun:
    """A real run of ``scenarios.run argv`` into ``results``; it must succeed."""
    proc = run_cli("scenarios.run", *argv, *pyperf_args, "--results-dir", str(results), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir, manifest = only_run(results)
    return MadeRun(run_dir, manifest, proc.stdout)


def committed(name: str) -> MadeRun:
    """The committed run ``name`` (see ``tests.fixtures``); tests copy it before changing it."""
    path = FIXTURES / name
    return MadeRun(path, json.loads((path / "manifest.json").read_text()))
