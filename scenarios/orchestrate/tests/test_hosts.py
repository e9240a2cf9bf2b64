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


def _rows(pairs: list[hosts.Assignment]) -> list[tuple[str, str, bool]]:
    return [(a.runtime, a.host.label, a.newest_only) for a in pairs]


def test_one_interpreter_hosts_everything_when_it_can() -> None:
    only310 = [PY310, _host("cpython-3.9.1", wasmtime=True, python=True)]
    pairs, skipped = hosts.plan(NAMES, only310)
    assert _rows(pairs) == [("wasmtime", "cpython-3.10.13", False),
                            ("wasmer-cranelift", "cpython-3.10.13", False),
                            ("python", "cpython-3.10.13", False)]
    assert skipped == {}
    assert pairs[0].key == "wasmtime@cpython-3.10.13"


def test_equal_terms_rows_then_each_runtime_on_its_newest_interpreter() -> None:
    pairs, _ = hosts.plan(NAMES, [PY311, PY310])
    assert _rows(pairs) == [
        ("wasmtime", "cpython-3.10.13", False), ("wasmtime", "cpython-3.11.7", True),
        ("wasmer-cranelift", "cpython-3.10.13", False),  # 3.10 is its newest
        ("python", "cpython-3.10.13", False), ("python", "cpython-3.11.7", True)]


def test_a_runtime_the_equal_terms_interpreter_lacks_runs_everything_on_its_newest() -> None:
    names = [*NAMES, "wasmer-singlepass", "pywasm"]
    py313 = _host("cpython-3.13.0", wasmtime=True, python=True, pywasm=True)
    py311 = _host("cpython-3.11.7", wasmtime=True, python=True, pywasm=True)
    py310 = _host("cpython-3.10.13", wasmtime=True, python=True, wasmer_cranelift=True,
                  wasmer_singlepass=True)  # hosts the most: the equal-terms interpreter
    pairs, _ = hosts.plan(names, [py311, py310, py313])
    rows = _rows(pairs)
    assert ("pywasm", "cpython-3.13.0", False) in rows
    assert not any(r[0] == "pywasm" and r[1] != "cpython-3.13.0" for r in rows)
    # the baseline runs everything on the equal-terms interpreter only, its per-call
    # scenarios on the others: interpreter speed apart from binding work
    assert ("python", "cpython-3.10.13", False) in rows
    assert ("python", "cpython-3.13.0", True) in rows
    assert ("wasmtime", "cpython-3.13.0", True) in rows
    assert not any(r[1] == "cpython-3.11.7" for r in rows)  # neither equal terms nor newest


def test_the_version_comes_from_the_label() -> None:
    assert PY310.version == (3, 10, 13) and PY310.is_version("3.10")
    assert not PY310.is_version("3.1") and Host("/py/x").version == ()


def test_split_across_interpreters_runs_the_baseline_on_each() -> None:
    only_wasmer = _host("cpython-3.9.1", wasmtime=False, python=True, wasmer_cranelift=True)
    pairs, _ = hosts.plan(NAMES, [PY311, only_wasmer])
    got = sorted((a.runtime, a.host.label) for a in pairs)
    assert got == [("python", "cpython-3.11.7"), ("python", "cpython-3.9.1"),
                   ("wasmer-cranelift", "cpython-3.9.1"), ("wasmtime", "cpython-3.11.7")]


def test_every_interpreter_mode() -> None:
    pairs, _ = hosts.plan(NAMES, [PY311, PY310], every_interpreter=True)
    assert len(pairs) == 5  # wasmtime and python twice, wasmer once
    assert not any(a.newest_only for a in pairs)  # every scenario on every interpreter


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


def test_a_runtime_is_provisioned_for_only_where_it_declares_it_loads() -> None:
    assert hosts.loads_on("wasmer-cranelift", "3.10")
    assert not hosts.loads_on("wasmer-llvm", "3.11")  # nothing newer is tried for it
    assert not hosts.loads_on("pywasm", "3.10") and hosts.loads_on("pywasm", "3.13")
    assert hosts.loads_on("wasmtime", "3.12")  # declares nothing: any
