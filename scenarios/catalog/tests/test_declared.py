"""Scenarios declared as data (TOML files, --module): checked before they run, on real runtimes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import runtimes
from runtimes.base import Capability
from runtimes.wasm_binary import summarize
from scenarios import run
from scenarios.catalog import Session, ValidationError, declared
from scenarios.catalog.declared import Declaration, DeclarationError
from scenarios.harness.bench import check
from scenarios.orchestrate import hosts

EXAMPLES = hosts.PROJECT_ROOT / "examples"
CHECKSUM = EXAMPLES / "modules" / "checksum.wasm"
WASI_SUM = EXAMPLES / "modules" / "wasi_sum.wasm"


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        run.main(["--no-provision", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err.removeprefix("run.py: error: ").removeprefix("scenarios.run: error: ")


def _write(folder: Path, text: str, name: str = "mine.toml") -> Path:
    path = folder / name
    path.write_text(text)
    shutil.copy(CHECKSUM, folder / "checksum.wasm")
    return path


def _validate(decl: Declaration, runtime_name: str) -> list[str]:
    """Validate every benchmark of ``decl`` on a real runtime; return their names."""
    decl.check()
    scenario = decl.scenario()
    runtime = runtimes.get(runtime_name)()
    session = Session(runtime)
    names = []
    for bench in scenario.benchmarks():
        if runtime.refuses_payload(bench.payload_bytes):
            continue
        _, timed, recheck = check(runtime, bench, session)
        assert timed(1) > 0
        recheck()
        names.append(bench.name)
    return names


def test_signatures_of_exports_are_read_from_the_module() -> None:
    summary = summarize(CHECKSUM.read_bytes())
    assert summary.signatures["add"] == (("i32", "i32"), ("i32",))
    assert summary.signatures["to_upper"] == (("i32", "i32"), ())
    assert summarize(WASI_SUM.read_bytes()).signatures["_start"] == ((), ())


def test_the_example_folder_declares_every_form() -> None:
    decls = {d.name: d for d in declared.load_dir(EXAMPLES / "scenarios")}
    assert list(decls) == ["add", "fnv1a", "upper", "wasi_sum"]
    assert decls["add"].args == (3, 4) and decls["add"].expect == 7
    assert decls["fnv1a"].payload is not None and decls["fnv1a"].payload.sizes == (16, 1024, 65536)
    assert decls["upper"].payload is not None and decls["upper"].payload.result == "memory"
    assert decls["wasi_sum"].wasi and decls["wasi_sum"].requires == {
        Capability.ANY_MODULE, Capability.WASI}
    for d in decls.values():
        assert Path(d.module).is_absolute() and Path(d.module).exists()
        assert Declaration.from_json(d.to_json()) == d  # what the workers get is the same


@pytest.mark.parametrize("runtime_name", ["wasmtime", "pywasm3"])
def test_example_scenarios_validate_on_real_runtimes(runtime_name: str) -> None:
    for decl in declared.load_dir(EXAMPLES / "scenarios"):
        if decl.wasi and Capability.WASI not in runtimes.get(runtime_name).capabilities:
            continue
        names = _validate(decl, runtime_name)
        assert names == [b.name for b in decl.scenario().benchmarks()]


def test_a_wrong_expectation_fails_validation(tmp_path: Path) -> None:
    path = _write(tmp_path, 'module = "checksum.wasm"\nexport = "add"\nargs = [3, 4]\nexpect = 8\n')
    decl = declared.load_file(path)
    runtime = runtimes.get("wasmtime")()
    (bench,) = decl.scenario().benchmarks()
    with pytest.raises(ValidationError, match="got 7, expected 8"):
        check(runtime, bench, Session(runtime))


def test_unsigned_i32_values_are_passed_as_the_signed_ones(tmp_path: Path) -> None:
    path = _write(tmp_path, 'module = "checksum.wasm"\nexport = "add"\n'
                            'args = [0xFFFFFFFF, 2]\nexpect = 1\n')
    assert _validate(declared.load_file(path), "pywasm3") == ["mine"]


def test_a_reference_expression_sees_the_arguments(tmp_path: Path) -> None:
    path = _write(tmp_path, 'module = "checksum.wasm"\nexport = "add"\nargs = [2147483647, 1]\n'
                            'reference = "wrap_i32(a0 + a1)"\n')
    decl = declared.load_file(path)
    assert decl.expected(summarize(CHECKSUM.read_bytes()), b"") == -(2**31)
    assert _validate(decl, "wasmtime") == ["mine"]


def test_the_python_baseline_does_not_run_user_modules() -> None:
    decl = declared.from_options(str(CHECKSUM), "add", "3,4", "7", None, None)
    assert not runtimes.get("python")().supports(decl.scenario().requires)


@pytest.mark.parametrize(("toml", "problem"), [
    ('module = "checksum.wasm"\nexport = "add"\nargs = [3, 4]\nexpect = 7\ncolour = 1\n',
     "unknown key 'colour'"),
    ('export = "add"\n', 'module = "..." is required'),
    ('module = "checksum.wasm"\nexport = "add"\nargs = [3\n', "not valid TOML"),
    ('module = "missing.wasm"\nexport = "add"\nargs = [3, 4]\nexpect = 7\n', "not found"),
    ('module = "checksum.wasm"\nexport = "sub"\nargs = [3, 4]\nexpect = 7\n',
     "has no export 'sub' (its function exports: add, allocate, fnv1a, to_upper)"),
    ('module = "checksum.wasm"\nexport = "add"\nargs = [3]\nexpect = 7\n',
     "takes 2 arguments (i32, i32), 1 given"),
    ('module = "checksum.wasm"\nexport = "add"\nargs = [3, "four"]\nexpect = 7\n',
     "argument 2 ('four') must be an integer for i32"),
    ('module = "checksum.wasm"\nexport = "add"\nargs = [3, 4]\n', "give the expected answer"),
    ('module = "checksum.wasm"\nexport = "add"\nargs = [3, 4]\nreference = "nope(a0)"\n',
     "reference 'nope(a0)' failed: NameError"),
    ('module = "checksum.wasm"\nexport = "fnv1a"\nreference = "data"\n[payload]\nsizes = [8]\n'
     'result = "memory"\nargs = ["ptr"]\n', "takes 2 arguments (i32, i32), payload args are"),
    ('module = "checksum.wasm"\nexport = "fnv1a"\nreference = "m:f"\n[payload]\nsizes = [8]\n',
     "cannot load m:f"),
    ('module = "checksum.wasm"\nexport = "fnv1a"\nexpect = 1\n[payload]\nsizes = [8]\n'
     'generator = "words"\n', "unknown payload generator 'words'"),
    ('module = "checksum.wasm"\nexport = "fnv1a"\nexpect = 1\n[payload]\nsizes = [8]\n'
     'allocate = "malloc"\n', "allocate export 'malloc' not found"),
    ('name = "no op"\nmodule = "checksum.wasm"\nexport = "add"\nargs = [3, 4]\nexpect = 7\n',
     "must be letters, digits"),
    ('module = "checksum.wasm"\nexport = "fnv1a"\nexpect = 1\n[payload]\nsizes = 16\n',
     "payload sizes must be a list"),
    ('module = "checksum.wasm"\nexport = "fnv1a"\nexpect = 1\n[payload]\nsizes = [16]\n'
     'args = [[1], "len"]\n', "payload argument [1] is not a number or one of ptr, len, count"),
    ('module = "checksum.wasm"\nexport = "to_upper"\nexpect = "ABC"\n[payload]\nsizes = [3]\n'
     'result = "memory"\n', "result = 'memory' needs bytes as the answer"),
])
def test_declaration_errors_name_the_file_and_the_problem(tmp_path: Path, toml: str,
                                                          problem: str) -> None:
    path = _write(tmp_path, toml)
    with pytest.raises(DeclarationError) as info:
        declared.load_file(path).check()
    assert str(info.value).startswith(f"{path}: ")
    assert problem in str(info.value)


def test_an_empty_or_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DeclarationError, match=r"no \*\.toml scenario files"):
        declared.load_dir(tmp_path)
    with pytest.raises(DeclarationError, match="not found"):
        declared.load_dir(tmp_path / "nope")


# -- the command line ---------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "problem"), [
    (["--module", "nope.wasm", "--export", "add", "--args", "3,4", "--expect", "7"],
     "nope.wasm not found"),
    (["--module", "README.md", "--export", "add", "--expect", "7"],
     "README.md: not a wasm module (missing \\0asm magic)"),
    (["--module", str(CHECKSUM), "--export", "ad", "--args", "3,4", "--expect", "7"],
     "checksum.wasm has no export 'ad'"),
    (["--module", str(CHECKSUM), "--export", "memory", "--expect", "7"],
     "export 'memory' of checksum.wasm is a memory, not a function"),
    (["--module", str(CHECKSUM), "--export", "add", "--args", "3", "--expect", "7"],
     "export 'add' takes 2 arguments (i32, i32), 1 given"),
    (["--module", str(CHECKSUM), "--export", "add", "--args", "3,x", "--expect", "7"],
     "--args value 'x' is not a number"),
    (["--module", str(CHECKSUM), "--export", "add", "--args", "3,4.5", "--expect", "7"],
     "argument 2 (4.5) must be an integer for i32"),
    (["--module", str(CHECKSUM), "--export", "add", "--args", "3,4"],
     "give the expected answer"),
    (["--module", str(WASI_SUM), "--export", "main", "--args", "1,2", "--expect", "3"],
     "imports wasi_snapshot_preview1.args_get (func), which the host cannot provide"),
    (["--module", str(CHECKSUM), "--export", "add"], "takes 2 arguments (i32, i32), 0 given"),
    (["--module", str(CHECKSUM)], "--module needs --export NAME"),
    (["--export", "add"], "describe a module: give it with --module PATH"),
    (["--module", str(CHECKSUM), "--export", "add", "--args", "1,2", "--expect", "3",
      "--name", "no_op"], "scenario name 'no_op' is already taken"),
    (["--scenarios-dir", "no/such/dir"], "scenarios folder no/such/dir not found"),
])
def test_a_module_that_does_not_fit_gets_one_line_and_exit_2(
        capsys: pytest.CaptureFixture[str], argv: list[str], problem: str) -> None:
    assert problem in _fails(capsys, argv)


def test_a_runtime_that_cannot_link_a_module_says_so(tmp_path: Path) -> None:
    """Imports the framework does not offer are refused before anything runs."""
    import wasmtime

    module = tmp_path / "needs_host.wasm"
    module.write_bytes(bytes(wasmtime.wat2wasm(
        '(module (import "env" "log" (func (param i32))) (func (export "f")))')))
    decl = declared.from_options(str(module), "f", None, None, None, None)
    with pytest.raises(DeclarationError, match=r"imports env\.log \(func\), which the host"):
        decl.check()
