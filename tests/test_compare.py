"""``scenarios.compare`` on real runs: a run against itself, and a deliberately slowed runtime."""

from __future__ import annotations

import re

import pytest

from tests.runs import MadeRun, run_cli

pytestmark = pytest.mark.e2e


def rows(stdout: str) -> dict[tuple[str, str], str]:
    """(runtime key, benchmark) -> the rest of its line."""
    out = {}
    for line in stdout.splitlines():
        m = re.match(r"\s*(\S+@\S+)\s+(\S+)\s+(.*)$", line)
        if m:
            out[(m.group(1), m.group(2))] = m.group(3)
    return out


def test_a_run_against_itself_has_nothing_significant(small_run: MadeRun) -> None:
    proc = run_cli("scenarios.compare", str(small_run.path), str(small_run.path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = rows(proc.stdout)
    timed = [r for r in found.values() if "×" in r]
    assert len(timed) == 14, proc.stdout  # every timed benchmark of the three runtimes
    assert all(r.endswith("not significant") and "×1.00" in r for r in timed)
    # the ones never timed are listed, not compared
    wrong = next(k for k in small_run.manifest["runtimes"] if k.startswith("wrong-answer@"))
    assert found[(wrong, "add_numbers")].endswith("no comparison: invalid -> invalid "
                                                  "(wrong answer: got 31, expected 30)")
    assert "0 faster, 0 slower" in proc.stdout


def test_a_slowed_runtime_is_flagged_and_fails_the_check(sleepy_runs: tuple[MadeRun, MadeRun]
                                                         ) -> None:
    fast, slow = sleepy_runs
    proc = run_cli("scenarios.compare", str(fast.path), str(slow.path), "--threshold", "1.10")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    ((key, name), line), = rows(proc.stdout).items()
    assert key.startswith("sleepy@") and name == "no_op"
    assert line.endswith("SLOWER (beyond ×1.1)")
    ratio, low = re.search(r"×([\d.]+) \[([\d.]+),", line).groups()
    assert float(low) > 1.10 and float(ratio) > 10  # 1 ms of sleep against a plain call
    assert "1 slower, of which 1 beyond ×1.1" in proc.stdout

    back = run_cli("scenarios.compare", str(slow.path), str(fast.path))
    assert back.returncode == 0, back.stdout + back.stderr
    assert next(iter(rows(back.stdout).values())).endswith("faster")


def test_bad_input(small_run: MadeRun, tmp_path) -> None:
    proc = run_cli("scenarios.compare", str(small_run.path), str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"scenarios.compare: error: {tmp_path} is not a run folder "
                                   "(it has no manifest.json); runs are made by "
                                   "`python -m scenarios.run`")
    proc = run_cli("scenarios.compare", str(small_run.path), str(small_run.path),
                   "--threshold", "0.9")
    assert proc.returncode == 2 and "--threshold must be a ratio of at least 1" in proc.stderr
