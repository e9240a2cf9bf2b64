"""A run's folder under results/: one pyperf JSON per runtime and interpreter, plus a manifest.

    results/<run-id>/manifest.json                 what ran, where, with what, and how it ended
    results/<run-id>/<runtime>@<interpreter>.json  pyperf BenchmarkSuite of that pair
    results/<run-id>/parts/<runtime>@<interp>/     per-scenario pyperf output, events and logs

Every file is written to a temporary name and renamed, so a killed run never leaves a
half-written result or manifest. The manifest itself is read and written by
``scenarios.record.manifest`` only.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

import pyperf

from scenarios.record.files import atomic_write, atomic_write_json
from scenarios.record.paths import MANIFEST

__all__ = ["MANIFEST", "atomic_write", "atomic_write_json", "check_writable", "machine",
           "merge_suites", "new_run_dir", "now"]


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def new_run_dir(root: Path) -> Path:
    """Create a fresh, never-reused folder ``root/<timestamp>``."""
    root.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%dT%H-%M-%S")
    for n in range(1000):
        path = root / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"cannot create a new run folder under {root}")


def check_writable(root: Path) -> str | None:
    """Why results cannot be written under ``root``, or None when they can."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".write-test-"):
            pass
    except OSError as exc:
        return f"results folder {root} is not writable ({exc.strerror or exc})"
    return None


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "system": platform.system(), "machine": platform.machine(),
            "hostname": platform.node()}


def merge_suites(parts: list[Path], out: Path) -> list[str]:
    """Merge the pyperf files ``parts`` into one suite at ``out``; return its benchmark names.

    A part that cannot be loaded (a process killed while pyperf wrote it) is skipped: its
    benchmarks are reported missing by the caller, never half-merged.
    """
    benchmarks: dict[str, pyperf.Benchmark] = {}
    for part in parts:
        try:
            suite = pyperf.BenchmarkSuite.load(str(part))
        except Exception:
            continue
        for bench in suite.get_benchmarks():
            benchmarks[bench.get_name()] = bench
    if not benchmarks:
        return []
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    os.unlink(tmp)  # pyperf refuses to overwrite; it creates the file itself
    try:
        pyperf.BenchmarkSuite(list(benchmarks.values())).dump(tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return list(benchmarks)

