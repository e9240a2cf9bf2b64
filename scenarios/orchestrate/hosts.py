"""Interpreters that host runtimes: find them, provision them, plan a run.

A runtime may only exist on some interpreters (wasmer-python has wheels up to CPython 3.10
only, pywasm needs 3.11), and most of a binding's cost is Python code, which each interpreter
runs at its own speed. The orchestrator probes every candidate interpreter (``python -m
runtimes.probe``) and provisions a virtual environment under ``.venvs/`` from an installed
CPython when a requested runtime is available nowhere yet, when the newest installed CPython
is not among them, or for every installed one (``--every-interpreter``). The plan then gives
each runtime a row on the equal-terms interpreter (the one hosting the most of them, so they
are compared on one interpreter) and, where another one is newer, a row on its newest
interpreter that runs the per-interpreter scenarios only (what it costs a user on a current
Python); a runtime the equal-terms interpreter lacks runs everything on its newest. The python
baseline runs on every interpreter used, to tell the interpreter's speed from the binding's.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import runtimes
from runtimes.base import Role
from scenarios.record.key import RunKey
from scenarios.record.paths import PROJECT_ROOT, VENVS

# CPython versions a venv can be provisioned from (and whose venvs a run uses), oldest first;
# WASM_INTEROP_PYTHONS narrows them (the tests use 3.10 only, so what a run plans does not
# depend on which venvs an earlier run left behind).
PROVISION_VERSIONS = tuple(os.environ.get("WASM_INTEROP_PYTHONS", "3.10,3.11,3.12,3.13")
                           .replace(" ", "").split(","))


class HostError(Exception):
    """An interpreter could not be probed or provisioned; the message says what to do."""


@dataclass
class Host:
    """One interpreter and what it can run."""

    python: str
    label: str = ""
    runtimes: dict[str, dict] = field(default_factory=dict)
    problem: str = ""  # why this interpreter cannot run benchmarks at all

    def has(self, runtime: str) -> bool:
        return not self.problem and self.runtimes.get(runtime, {}).get("available", False)

    @property
    def version(self) -> tuple[int, ...]:
        """(3, 13, 0) from the label ``cpython-3.13.0``; () when unknown."""
        digits = self.label.rpartition("-")[2].split(".")
        return tuple(int(d) for d in digits) if all(d.isdigit() for d in digits) else ()

    def is_version(self, version: str) -> bool:
        """Whether this is CPython ``version`` ("3.13"), whatever its patch level."""
        return not self.problem and self.label.startswith(f"cpython-{version}.")


def child_env() -> dict[str, str]:
    """Environment for probes and benchmarks: the project importable even when not installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


class FreshProcessFailed(RuntimeError):
    """A fresh process (``run_fresh``) ended other than with status 0."""


def run_fresh(cmd: list[str], timeout: float) -> str:
    """Run ``cmd``, a fresh process that imports this project, and return its stdout; raise
    ``FreshProcessFailed`` saying how it ended (an exit status or the signal that killed it,
    the kernel's OOM killer say) and the last line of its stderr."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(),
                          cwd=PROJECT_ROOT, timeout=timeout)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [""])[-1]
        how = (f"was killed by signal {-proc.returncode}" if proc.returncode < 0
               else f"exited with {proc.returncode}")
        raise FreshProcessFailed(f"the fresh process {how}: {last}")
    return proc.stdout


def probe(python: str, names: list[str]) -> Host:
    """Ask ``python`` which of ``names`` it can host (in a child: a binding may crash it)."""
    # Importing the benchmark entry point checks the whole harness (pyperf and every module a
    # benchmark process needs) is importable there, not just the adapters.
    cmd = [python, "-c", "import scenarios.harness.bench, runtimes.probe as p, json, sys; "
           "json.dump(p.probe(sys.argv[1:]), sys.stdout)", *names]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=child_env(),
                              cwd=PROJECT_ROOT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Host(python, problem=f"cannot run {python}: {exc}")
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        return Host(python, problem=f"{python} cannot run the harness ({last})")
    data = json.loads(proc.stdout)
    return Host(data["executable"], data["interpreter"], data["runtimes"])


def find_interpreter(version: str) -> str | None:
    """An installed CPython ``version`` (e.g. "3.10"): on PATH or under pyenv."""
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"),
                         reverse=True)
    for cand in filter(None, candidates):
        try:
            ok = subprocess.run([cand, "-c", "import venv"], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if ok.returncode == 0:  # a pyenv shim for an inactive version fails here
            return cand
    return None


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def provisioned() -> list[str]:
    """Interpreters of venvs this project provisioned earlier."""
    return [str(venv_python(v)) for v in sorted(VENVS.glob("cpython-*"))
            if venv_python(v).exists() and v.name.removeprefix("cpython-") in PROVISION_VERSIONS]


def _stamp() -> str:
    """Identifies the dependency set a provisioned venv was built for."""
    return hashlib.sha256((PROJECT_ROOT / "pyproject.toml").read_bytes()).hexdigest()


def stale(python: str) -> str | None:
    """The version of a provisioned venv built for another pyproject.toml, if ``python`` is one."""
    venv = Path(python).parent.parent
    if venv.parent != VENVS or not venv.name.startswith("cpython-"):
        return None
    marker = venv / ".provisioned"
    fresh = marker.exists() and marker.read_text().strip() == _stamp()
    return None if fresh else venv.name.removeprefix("cpython-")


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    VENVS.mkdir(parents=True, exist_ok=True)
    with open(VENVS / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def provision(version: str, log: Callable[[str], None]) -> str:
    """Create ``.venvs/cpython-<version>`` with this project installed; return its python."""
    base = find_interpreter(version)
    if base is None:
        raise HostError(f"no CPython {version} found on PATH or under pyenv; install one "
                        f"(e.g. `pyenv install {version}`) or pass --python PATH")
    venv = VENVS / f"cpython-{version}"
    stamp = _stamp()
    with _lock():
        marker = venv / ".provisioned"
        if marker.exists() and marker.read_text().strip() == stamp:
            return str(venv_python(venv))
        fresh = not venv_python(venv).exists()
        log(f"provisioning {venv.relative_to(PROJECT_ROOT)} from {base} (one-time: "
            f"{'creates a venv and ' if fresh else ''}pip-installs this project's dependencies)")
        started = time.monotonic()
        logfile = VENVS / f"cpython-{version}.log"
        python = str(venv_python(venv))
        # uv (the orchestrator's, when installed) does in seconds what pip does in a minute
        uv = [sys.executable, "-m", "uv"] if importlib.util.find_spec("uv") else None
        steps = [[*uv, "pip", "install", "--quiet", "--python", python, "-e", str(PROJECT_ROOT)]
                 if uv else [python, "-m", "pip", "install", "--quiet",
                             "--disable-pip-version-check", "-e", str(PROJECT_ROOT)]]
        if fresh:
            steps.insert(0, [*uv, "venv", "--quiet", "--python", base, str(venv)] if uv
                         else [base, "-m", "venv", str(venv)])
        with open(logfile, "w") as out:
            for step in steps:
                if subprocess.run(step, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                    raise HostError(f"provisioning {venv} failed at `{' '.join(step[:4])} ...`; "
                                    f"see {logfile}")
        marker.write_text(stamp + "\n")
        log(f"provisioned {venv.relative_to(PROJECT_ROOT)} in {time.monotonic() - started:.0f} s")
    return str(venv_python(venv))


def discover(names: list[str], extra: list[str], allow_provision: bool,
             log: Callable[[str], None], every_interpreter: bool = False, newest: bool = True
             ) -> list[Host]:
    """Probe this interpreter, ``extra`` ones and provisioned venvs; then provision, if
    allowed, what a run needs: the oldest CPython that hosts a runtime available nowhere yet,
    the ``newest`` installed CPython, and with ``every_interpreter`` every installed one."""
    seen: set[str] = set()
    hosts: list[Host] = []
    for python in [sys.executable, *extra, *provisioned()]:
        version = stale(python)
        if version and allow_provision:  # built for older dependencies: bring it up to date
            try:
                python = provision(version, log)
            except HostError as exc:
                log(f"note: {exc}")
        host = probe(python, names)
        key = os.path.realpath(host.python)
        if key not in seen and not any(host.label and h.label == host.label for h in hosts):
            seen.add(key)  # one host per interpreter version: the first found
            hosts.append(host)
    if not allow_provision:
        return hosts

    def add(version: str) -> None:
        if any(h.is_version(version) for h in hosts):
            return
        try:
            python = provision(version, log)
        except HostError as exc:
            log(f"note: {exc}")
            return
        hosts.append(probe(python, names))

    installed = [v for v in PROVISION_VERSIONS if find_interpreter(v)]
    for version in installed:  # the oldest that may load a runtime available nowhere yet
        missing = [n for n in names if not any(h.has(n) for h in hosts)]
        if any(loads_on(n, version) for n in missing):
            add(version)
    have = max((h.version for h in hosts if not h.problem), default=())
    for version in installed if every_interpreter else installed[-1:] if newest else []:
        if every_interpreter or have < tuple(int(d) for d in version.split(".")):
            add(version)
    return hosts


def loads_on(name: str, version: str) -> bool:
    """Whether runtime ``name`` declares it may load on CPython ``version`` ("3.12")."""
    # packaging is the orchestrator's; benchmark processes import this module without it
    from packaging.specifiers import SpecifierSet

    wanted = runtimes.get(name).python_versions
    return not wanted or SpecifierSet(wanted).contains(f"{version}.0")


@dataclass(frozen=True)
class Assignment:
    """A runtime on an interpreter; ``newest_only`` marks its further row on its newest
    interpreter, which runs the per-interpreter scenarios only."""

    runtime: str
    host: Host
    newest_only: bool = False

    @property
    def key(self) -> str:
        """``wasmtime@cpython-3.10.13``: names the result file of this pair."""
        return str(RunKey(self.runtime, self.host.label))


def plan(names: list[str], hosts: list[Host], every_interpreter: bool = False
         ) -> tuple[list[Assignment], dict[str, str]]:
    """Pair runtimes with interpreters; return the pairs (each runtime's rows together) and,
    per runtime left out, why."""
    usable = [h for h in hosts if not h.problem]
    runnable = [n for n in names if any(h.has(n) for h in usable)]
    pairs: list[Assignment] = []
    if every_interpreter:
        pairs = [Assignment(n, h) for n in runnable for h in usable if h.has(n)]
    elif usable:
        # The equal-terms interpreter hosts the most runtimes (the newest of equals).
        equal = max(usable, key=lambda h: (sum(h.has(n) for n in runnable), h.version))
        for n in runnable:
            newest = max((h for h in usable if h.has(n)), key=lambda h: h.version)
            home = equal if equal.has(n) else newest
            pairs.append(Assignment(n, home))
            if newest is not home:
                pairs.append(Assignment(n, newest, newest_only=True))
        # The baseline on every interpreter used: everything on the equal-terms one, the
        # per-interpreter scenarios elsewhere (what tells interpreter from binding speed).
        used = {id(a.host): a.host for a in pairs}
        for baseline in (b for b in runtimes.with_role(Role.BASELINE) if b in runnable):
            pairs = [a for a in pairs if a.runtime != baseline]
            pairs += [Assignment(baseline, h, newest_only=h is not equal)
                      for h in used.values() if h.has(baseline)]
        order = {n: i for i, n in enumerate(runnable)}
        pairs.sort(key=lambda a: (order[a.runtime], a.newest_only, a.host.version))
    used_hosts = [h for h in hosts if any(a.host is h for a in pairs)] or hosts
    skipped = {}
    for n in names:
        if n not in runnable:
            reasons = [f"{h.label or h.python}: {h.problem or h.runtimes.get(n, {}).get('reason')}"
                       for h in used_hosts]
            skipped[n] = "; ".join(reasons) or "no interpreter found"
    return pairs, skipped
