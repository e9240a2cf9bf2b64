"""Generated modules: valid, deterministic, the size asked for, and answering as the reference."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import runtimes
from guest import generated
from runtimes.base import Capability, HostFunction
from runtimes.wasm_binary import summarize

SMALL = 10 * 1024
# Pinned: if the generator's output changes, bump GENERATOR_VERSION (it keys the cache) and
# update these. A stale cache would otherwise hand old bytes to new code.
PINNED = {(SMALL, 0): "968d401518d3cd7d65154b9bff37a9952cfcd1d30b0a552952423f60731e47c9"}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(generated.CACHE_ENV, str(tmp_path))
    return tmp_path


def test_bytes_are_pinned_for_the_generator_version() -> None:
    for (size, imports), sha in PINNED.items():
        _, wasm = generated.build(size, imports)
        assert hashlib.sha256(wasm).hexdigest() == sha, (
            f"generated module {size}/{imports} changed: bump GENERATOR_VERSION and the pin")


@pytest.mark.parametrize("size", [4096, SMALL, 100 * 1024])
def test_size_is_close_to_and_never_above_the_target(size: int) -> None:
    program, wasm = generated.build(size)
    assert 0.9 * size <= len(wasm) <= size
    assert len(program.functions) > size // 1000  # many functions, not one big blob


def test_module_is_code_not_data() -> None:
    program, wasm = generated.build(100 * 1024)
    assert len(program.data) <= 256
    summary = summarize(wasm)
    assert summary.exports == {"run": "func", "memory": "memory"}
    assert summary.signatures["run"] == (("i32",), ("i32",))


def test_imports_are_host_functions_run_calls() -> None:
    _, wasm = generated.build(SMALL, imports=3)
    assert summarize(wasm).imports == [("env", f"h{k}", "func") for k in range(3)]


@pytest.mark.parametrize("imports", [0, 4])
def test_wabt_validates_the_module(imports: int, tmp_path: Path) -> None:
    tool = shutil.which("wasm-validate")
    if tool is None:
        pytest.skip("wabt's wasm-validate is not installed (apt-get install wabt)")
    path = tmp_path / "m.wasm"
    path.write_bytes(generated.build(SMALL, imports)[1])
    proc = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("name", runtimes.names())
def test_every_runtime_gives_the_reference_answer(name: str) -> None:
    cls = runtimes.get(name)
    if not cls.availability().available:
        pytest.skip(cls.availability().reason)
    if not {Capability.ANY_MODULE, Capability.HOST_IMPORTS} <= cls.capabilities:
        pytest.skip(f"{name} runs only this project's guests")
    rt = cls()
    for imports in (0, 3):
        program, wasm = generated.build(SMALL, imports)
        host = {"env": {f"h{k}": HostFunction(generated.host_function(k), ("i32",), ("i32",))
                        for k in range(imports)}}
        run = rt.load(wasm, host).export("run")
        for x in (0, 7, -123_456, 2**31 - 1):
            assert run(x) == generated.evaluate(program, x), (imports, x)


def test_cache_builds_once_and_records_what_results_need(cache: Path) -> None:
    m = generated.module(SMALL)
    again = generated.module(SMALL)
    assert again.path == m.path and m.path.parent == cache
    assert m.sha256 == hashlib.sha256(m.wasm).hexdigest()
    program, wasm = generated.build(SMALL)
    assert m.wasm == wasm
    assert m.functions == len(program.functions) + 1
    assert m.expected(7) == generated.evaluate(program, 7)
    assert m.describe()["module_bytes"] == len(wasm)
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]


def test_concurrent_processes_build_one_complete_module(cache: Path) -> None:
    code = ("import sys; from guest import generated; "
            "m = generated.module(50000); print(m.sha256)")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              cwd=Path(generated.__file__).parents[1]) for _ in range(4)]
    shas = {p.communicate(timeout=300)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(shas) == 1 and "" not in shas
    assert sorted(p.suffix for p in cache.iterdir() if not p.name.startswith(".")) == [
        ".json", ".wasm"]


@pytest.mark.parametrize(("text", "size"), [("10K", 10240), ("8M", 8 << 20), ("1.5MiB", 1572864),
                                            ("4096", 4096), ("50mb", 50 << 20)])
def test_sizes_are_read_in_binary_units(text: str, size: int) -> None:
    assert generated.parse_size(text) == size


@pytest.mark.parametrize("bad", ["", "ten", "5X", "-1"])
def test_bad_sizes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="size"):
        generated.parse_size(bad)
