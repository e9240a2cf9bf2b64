from __future__ import annotations

import time

import pytest

from scenarios.harness.timing import compile_workload, refreshed


class _Clock:
    """Stands in for ``time.perf_counter``: it moves only when a test says, so what the timer
    counted is exact, however fast or busy the machine."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(time, "perf_counter", fake)  # compile_workload's timer
    return fake


def test_once_runs_the_statement_once_and_returns_the_result() -> None:
    calls: list[int] = []
    once, _ = compile_workload("r = f(a)", {"f": lambda x: calls.append(x) or x * 2, "a": 21},
                               "r", inner_loops=10)
    assert once() == 42
    assert calls == [21]


def test_timed_runs_loops_times_inner_loops_and_returns_seconds() -> None:
    calls: list[None] = []
    _, timed = compile_workload("f(None)", {"f": calls.append}, "None", inner_loops=7)
    elapsed = timed(3)
    assert len(calls) == 21
    assert isinstance(elapsed, float) and elapsed > 0


def test_statements_with_several_steps_share_locals() -> None:
    once, timed = compile_workload("x = g(); y = h(x)", {"g": lambda: 2, "h": lambda v: v + 1},
                                   "(x, y)", inner_loops=2)
    assert once() == (2, 3)
    assert timed(1) > 0


@pytest.mark.parametrize("bad", ["loops", "_timer", "class", "not-an-identifier"])
def test_names_that_cannot_be_locals_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot be bound"):
        compile_workload("pass", {bad: 1}, "None", inner_loops=1)


def test_inner_loops_must_be_positive() -> None:
    with pytest.raises(ValueError):
        compile_workload("pass", {}, "None", inner_loops=0)


def test_setup_runs_before_validation_only() -> None:
    calls: list[str] = []
    once, timed = compile_workload("f('stmt')", {"f": calls.append, "c": calls}, "len(c)",
                                   inner_loops=2,
                                   setup="f('setup')")
    once_result = once()
    assert calls == ["setup", "stmt"] and once_result == 2
    calls.clear()
    timed(3)
    assert calls == ["stmt"] * 6


def test_refreshed_runs_chunks_with_fresh_names_outside_the_timer() -> None:
    used: list[int] = []
    fresh = iter(range(100, 200))
    _, timed = compile_workload("f(x)", {"f": used.append, "x": 0}, "None", inner_loops=2)
    run = refreshed(timed, lambda: {"x": next(fresh)}, every=3)
    assert run(7) > 0
    # 7 loops in chunks of 3, 3, 1 loops, each chunk with a new x, 2 statements per loop
    assert used == [100] * 6 + [101] * 6 + [102] * 2
    with pytest.raises(ValueError):
        refreshed(timed, dict, every=0)


def test_refresh_time_is_not_counted(clock: _Clock) -> None:
    def slow_refresh() -> dict[str, int]:
        clock.advance(50.0)
        return {}

    _, timed = compile_workload("tick()", {"tick": lambda: clock.advance(1.0)}, "None",
                                inner_loops=1)
    # the four 1 s statements; not the 200 s spent refreshing
    assert refreshed(timed, slow_refresh, every=1)(4) == 4.0


def test_last_is_the_result_after_the_last_timed_statement() -> None:
    counter = iter(range(100))
    _, timed = compile_workload("r = f()", {"f": lambda: next(counter)}, "r", inner_loops=5)
    timed(2)
    assert timed.last() == 9  # type: ignore[attr-defined]


def test_before_each_runs_untimed_before_every_statement(clock: _Clock) -> None:
    log: list[str] = []

    def f(x: int) -> int:
        clock.advance(1.0)
        log.append(f"f{x}")
        return x

    once, timed = compile_workload(
        "r = f(x)", {"f": f, "s": lambda: log.append("s") or 1,
                     "slow": lambda: clock.advance(20.0)},
        "r", inner_loops=2, before_each="x = s(); slow()")
    assert once() == 1 and log == ["s", "f1"]
    log.clear()
    elapsed = timed(3)
    assert log == ["s", "f1"] * 6
    assert elapsed == 6.0  # the six 1 s statements; the six untimed 20 s (120 s) are not in it
