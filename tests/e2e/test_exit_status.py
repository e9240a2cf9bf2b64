"""The run command's exit status through the real command, so a pipeline can gate on it: 0 when
everything asked for was measured or honestly declined, 1 when a benchmark could not be
measured (unless --allow-failures), the run finished and kept either way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scenarios.orchestrate.execute import PROG
from tests.runs import FAKES, SINGLE, only_run, run_cli

pytestmark = pytest.mark.e2e

CHECKSUM = Path(__file__).parents[2] / "examples" / "modules" / "checksum.wasm"
# checksum.wasm's add(20, 22): --expect decides whether the answer is right
OWN_MODULE = ("--module", str(CHECKSUM), "--export", "add", "--args", "20,22")


def _run(tmp_path: Path, *argv: str) -> tuple[int, str, dict[str, str]]:
    """Exit status, stdout's last line, and 'runtime benchmark' -> status of a tiny run."""
    proc = run_cli("scenarios.run", *argv, *SINGLE, "--no-report",
                   "--results-dir", str(tmp_path), env=FAKES, timeout=600)
    assert "Traceback" not in proc.stdout + proc.stderr
    _, manifest = only_run(tmp_path)
    assert manifest["complete"]
    statuses = {f"{entry['runtime']} {name}": bench["status"]
                for entry in manifest["runtimes"].values()
                for cell in entry["scenarios"].values()
                for name, bench in cell["benchmarks"].items()}
    return proc.returncode, proc.stdout.rstrip().splitlines()[-1], statuses


def test_a_measured_run_exits_0(tmp_path: Path) -> None:
    code, last, statuses = _run(tmp_path, "--runtime", "python", "--scenario", "no_op")
    assert (code, statuses) == (0, {"python no_op": "ok"})
    assert last.startswith("Results: ")


def test_a_run_with_only_unsupported_cells_exits_0(tmp_path: Path) -> None:
    """The python baseline runs only this project's guests: a user's module it declines."""
    code, _, statuses = _run(tmp_path, "--runtime", "python", *OWN_MODULE, "--expect", "42")
    assert (code, set(statuses.values())) == (0, {"unsupported"})


def test_a_wrong_answer_exits_1_and_the_last_line_says_which(tmp_path: Path) -> None:
    code, last, statuses = _run(tmp_path, "--runtime", "wrong-answer,python",
                                "--scenario", "no_op,add_numbers")
    assert statuses == {"wrong-answer no_op": "ok", "wrong-answer add_numbers": "invalid",
                        "python no_op": "ok", "python add_numbers": "ok"}  # all kept
    assert code == 1
    assert last == (f"{PROG}: 1 benchmark not measured: wrong-answer@"
                    + last.split("wrong-answer@")[1].split(" ")[0]
                    + " add_numbers invalid (exit status 1; --allow-failures to accept them)")


def test_allow_failures_exits_0_and_still_names_them(tmp_path: Path) -> None:
    code, last, statuses = _run(tmp_path, "--runtime", "wrong-answer", "--scenario",
                                "add_numbers", "--allow-failures")
    assert (code, statuses) == (0, {"wrong-answer add_numbers": "invalid"})
    assert last.endswith(" add_numbers invalid (exit status 0: --allow-failures)")


def test_a_wrong_expectation_on_a_users_module_exits_1(tmp_path: Path) -> None:
    code, last, statuses = _run(tmp_path, "--runtime", "wasmtime", *OWN_MODULE, "--expect", "43")
    assert (code, statuses) == (1, {"wasmtime checksum.add": "invalid"})
    assert "1 benchmark not measured: wasmtime@" in last


def test_resuming_a_complete_run_exits_as_the_run_did(tmp_path: Path) -> None:
    """The committed small run has a wrong-answer runtime: resuming it does nothing and
    says so with the run's own status, so a pipeline that resumes still gates on it."""
    run_dir = tmp_path / "small"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "runs" / "small", run_dir)
    before = (run_dir / "manifest.json").read_bytes()
    proc = run_cli("scenarios.run", "--resume", str(run_dir))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "already complete" in proc.stdout and "wrong-answer" in proc.stdout
    accepted = run_cli("scenarios.run", "--resume", str(run_dir), "--allow-failures")
    assert accepted.returncode == 0 and "--allow-failures" in accepted.stdout
    assert (run_dir / "manifest.json").read_bytes() == before
