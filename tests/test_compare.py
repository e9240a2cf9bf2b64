"""``scenarios.compare`` on real runs (committed, ``tests.fixtures``): a run against itself,
and a deliberately slowed runtime."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scenarios import compare
from tests.runs import MadeRun


def rows(stdout: str) -> dict[tuple[str, str], str]:
    """(runtime key, benchmark) -> the rest of its line."""
    out = {}
    for line in stdout.splitlines():
        m = re.match(r"\s*(\S+@\S+)\s+(\S+)\s+(.*)$", line)
        if m:
            out[(m.group(1), m.group(2))] = m.group(3)
    return out


def run_compare(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``python -m scenarios.compare argv``: its exit code, stdout and stderr."""
    try:
        code = compare.main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_a_run_against_itself_has_nothing_significant(small_run: MadeRun,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_compare(capsys, str(small_run.path), str(small_run.path))
    assert code == 0, out + err
    found = rows(out)
    timed = [r for r in found.values() if "×" in r]
    assert len(timed) == 14, out  # every timed benchmark of the three runtimes
    assert all(r.endswith("not significant") and "×1.00" in r for r in timed)
    # the ones never timed are listed, not compared
    wrong = next(k for k in small_run.manifest["runtimes"] if k.startswith("wrong-answer@"))
    assert found[(wrong, "add_numbers")].endswith("no comparison: invalid -> invalid "
                                                  "(wrong answer: got 31, expected 30)")
    assert "0 faster, 0 slower" in out


def test_a_slowed_runtime_is_flagged_and_fails_the_check(sleepy_runs: tuple[MadeRun, MadeRun],
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    fast, slow = sleepy_runs
    code, out, err = run_compare(capsys, str(fast.path), str(slow.path), "--threshold", "1.10")
    assert code == 1, out + err
    ((key, name), line), = rows(out).items()
    assert key.startswith("sleepy@") and name == "no_op"
    assert line.endswith("SLOWER (beyond ×1.1)")
    ratio, low = re.search(r"×([\d.]+) \[([\d.]+),", line).groups()
    assert float(low) > 1.10 and float(ratio) > 10  # 1 ms of sleep against a plain call
    assert "1 slower, of which 1 beyond ×1.1" in out

    code, out, err = run_compare(capsys, str(slow.path), str(fast.path))
    assert code == 0, out + err
    assert next(iter(rows(out).values())).endswith("faster")


def test_bad_input(small_run: MadeRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                   ) -> None:
    code, _, err = run_compare(capsys, str(small_run.path), str(tmp_path))
    assert code == 2
    assert err.strip() == (f"scenarios.compare: error: {tmp_path} is not a run folder "
                           "(it has no manifest.json); runs are made by "
                           "`python -m scenarios.run`")
    code, _, err = run_compare(capsys, str(small_run.path), str(small_run.path),
                               "--threshold", "0.9")
    assert code == 2 and "--threshold must be a ratio of at least 1" in err
