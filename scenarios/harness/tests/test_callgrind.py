"""Instruction counts: the client requests, the dump files, the arithmetic, the loop counts."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from scenarios.catalog import Benchmark, Session, Workload
from scenarios.harness import bench, callgrind


def _no_work(_session: Session) -> Workload:
    raise AssertionError("not prepared here")


def _dump(path: Path, label: str, total: int) -> None:
    path.write_text(f"version: 1\ncreator: callgrind-3.19.0\npid: 7\ncmd: python\npart: 1\n\n"
                    f"desc: I1 cache: \ndesc: Trigger: Client Request: {label}\n\n"
                    f"positions: line\nevents: Ir\nsummary: {total}\n\nfl=(1) x.c\nfn=(1) f\n"
                    f"0 {total}\n\ntotals: {total}\n", encoding="utf-8")


def test_dumps_are_read_by_their_label(tmp_path: Path) -> None:
    _dump(tmp_path / "cg.7.1", "no_op:8", 1_000)
    _dump(tmp_path / "cg.7.2", "no_op:16", 1_800)
    (tmp_path / "cg.7").write_text("events: Ir\nsummary: 5\n", encoding="utf-8")  # at exit
    assert callgrind.read_dumps(sorted(tmp_path.iterdir())) == {"no_op:8": 1_000,
                                                                 "no_op:16": 1_800}


def test_per_operation_is_the_difference_over_the_operations_of_n_loops() -> None:
    # 8 loops of 10 statements of 1 operation: 80 operations; what both regions share cancels
    assert callgrind.per_operation(500 + 80 * 25, 500 + 160 * 25, 8, 10) == 25.0


def test_instructions_loops_reach_the_target_in_powers_of_two() -> None:
    one = Benchmark("b", "x", _no_work, inner_loops=10)
    assert bench.instructions_loops(one) == 128  # 1280 operations >= 1000
    many = Benchmark("b", "x", _no_work, inner_loops=1, ops_per_statement=4000)
    assert bench.instructions_loops(many) == 1
    big = Benchmark("b", "x", _no_work, payload_bytes=16384, inner_loops=10)
    assert bench.instructions_loops(big) == 8  # 62 operations for 16 KiB: 80


def test_n_does_not_depend_on_the_machines_speed_unless_it_is_absurdly_slow() -> None:
    one = Benchmark("b", "x", _no_work, inner_loops=10)
    assert bench._instr_loops(lambda loops: loops * 1e-3, one) == 128  # 1280 ops in 0.13 s
    assert bench._instr_loops(lambda loops: loops * 1e-2, one) == 64  # 1.28 s: halved


def test_calibration_stops_at_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def timed(loops: int) -> float:
        seen.append(loops)
        return loops * 1e-9
    monkeypatch.setattr(bench, "MAX_LOOPS", 16)
    assert bench.calibrate(timed, 1.0) == 16
    assert seen == [1, 2, 4, 8]


def test_without_valgrind_the_mode_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(callgrind.shutil, "which", lambda _name: None)
    assert callgrind.unavailable_reason() == "valgrind not installed"


def test_the_worker_command_counts_only_what_it_is_told() -> None:
    cmd = callgrind.command(Path("out.%p"))
    assert "--tool=callgrind" in cmd and "--collect-atstart=no" in cmd
    assert "--instr-atstart=no" in cmd and cmd[-1] == "--callgrind-out-file=out.%p"


@pytest.mark.skipif(platform.machine() != "x86_64", reason="client requests are x86-64 code")
def test_natively_a_client_request_is_a_no_op() -> None:
    requests = callgrind.Requests()
    assert not requests.running()
    assert requests.request(callgrind.TOGGLE_COLLECT) == 0
