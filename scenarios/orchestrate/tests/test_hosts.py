"""Which interpreter runs which runtime."""

from __future__ import annotations

import sys

from scenarios.orchestrate import hosts
from scenarios.orchestrate.hosts import Host


def _host(label: str, **available: bool) -> Host:
    return Host(f"/py/{label}", label, {
        name.replace("_", "-"): {"available": ok, "reason": "" if ok else f"no {name} here"}
        for name, ok in available.items()})


PY311 = _host("cpython-3.11.7", wasmtime=True, python=True, wasmer_cranelift=False)
PY310 = _host("cpython-3.10.13", wasmtime=True, python=True, wasmer_cranelift=True)
NAMES = ["wasmtime", "wasmer-cranelift", "python"]


def test_one_interpreter_hosts_everything_when_it_can() -> None:
    pairs, skipped = hosts.plan(NAMES, [PY311, PY310])
    assert [(a.runtime, a.host.label) for a in pairs] == [
        ("wasmtime", "cpython-3.10.13"), ("wasmer-cranelift", "cpython-3.10.13"),
        ("python", "cpython-3.10.13")]
    assert skipped == {}
    assert pairs[0].key == "wasmtime@cpython-3.10.13"


def test_split_across_interpreters_runs_the_baseline_on_each() -> None:
    only_wasmer = _host("cpython-3.9.1", wasmtime=False, python=True, wasmer_cranelift=True)
    pairs, _ = hosts.plan(NAMES, [PY311, only_wasmer])
    got = sorted((a.runtime, a.host.label) for a in pairs)
    assert got == [("python", "cpython-3.11.7"), ("python", "cpython-3.9.1"),
                   ("wasmer-cranelift", "cpython-3.9.1"), ("wasmtime", "cpython-3.11.7")]


def test_every_interpreter_mode() -> None:
    pairs, _ = hosts.plan(NAMES, [PY311, PY310], every_interpreter=True)
    assert len(pairs) == 5  # wasmtime and python twice, wasmer once


def test_unavailable_everywhere_is_reported_with_reasons() -> None:
    pairs, skipped = hosts.plan(["wasmer-cranelift", "python"], [PY311])
    assert [a.runtime for a in pairs] == ["python"]
    assert skipped == {"wasmer-cranelift": "cpython-3.11.7: no wasmer_cranelift here"}


def test_an_unusable_interpreter_hosts_nothing() -> None:
    broken = Host("/py/broken", "", {}, problem="no pyperf")
    pairs, _ = hosts.plan(["python"], [broken, PY311])
    assert [a.host.label for a in pairs] == ["cpython-3.11.7"]


def test_probe_reports_this_interpreter() -> None:
    host = hosts.probe(sys.executable, ["python", "no-such-runtime"])
    assert host.has("python") and not host.problem
    assert host.label.startswith("cpython-")
    assert "unknown runtime" in host.runtimes["no-such-runtime"]["reason"]


def test_probe_of_a_missing_interpreter_is_a_problem_not_a_crash() -> None:
    host = hosts.probe("/nonexistent/python", ["python"])
    assert host.problem and not host.has("python")
