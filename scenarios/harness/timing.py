"""Turn a workload's statement into the function that validates it and the one that times it.

Like ``timeit``/``pyperf timeit``, the statement is compiled into a loop, unrolled
``inner_loops`` times, with every name it uses bound as a fast local: so a value is the cost
of the statement itself, not of a Python closure wrapped around it. Validation runs the
*same* statement text once, so what is checked is exactly what is timed.

A workload whose every operation needs fresh untimed state (a new instance before a first
call, an empty cache folder before a miss) gives a ``before_each`` statement: it runs before
each statement, and only the statement between two timer reads is counted.
"""

from __future__ import annotations

import itertools
import keyword
import time
from collections.abc import Callable
from typing import Any

_RESERVED = {"loops", "_timer", "_repeat", "_it", "_t0", "_", "_total", "_last"}


def _check_names(names: dict[str, Any]) -> None:
    for name in names:
        if not name.isidentifier() or keyword.iskeyword(name) or name in _RESERVED:
            raise ValueError(f"workload name {name!r} cannot be bound as a local")


def compile_workload(stmt: str, names: dict[str, Any], result: str, inner_loops: int,
                     setup: str = "pass", before_each: str | None = None
                     ) -> tuple[Callable[..., Any], Callable[..., float]]:
    """Return ``(once, timed)``.

    ``once()`` runs ``setup``, ``before_each`` and ``stmt`` one time and returns the value of
    ``result``; ``timed(loops)`` runs it ``loops * inner_loops`` times and returns the elapsed
    seconds measured with ``time.perf_counter`` around the loop only (around each ``stmt``
    only, when there is a ``before_each``). ``timed.last()`` is the value of ``result`` after
    the last timed statement (evaluated after the clock stopped), so what was timed can be
    validated without running it again.
    """
    if inner_loops < 1:
        raise ValueError("inner_loops must be >= 1")
    _check_names(names)
    params = "".join(f", {n}={n}" for n in names)
    if before_each is None:
        prologue, epilogue = "    _t0 = _timer()\n", "    _total = _timer() - _t0\n"
        body = "\n".join(f"        {stmt}" for _ in range(inner_loops))
    else:
        prologue, epilogue = "    _total = 0.0\n", ""
        body = "\n".join(f"        {before_each}\n        _t0 = _timer()\n        {stmt}\n"
                         f"        _total += _timer() - _t0" for _ in range(inner_loops))
    source = (
        f"def once(_unused=None{params}):\n"
        f"    {setup}\n"
        f"    {before_each or 'pass'}\n"
        f"    {stmt}\n"
        f"    return {result}\n"
        f"\n"
        f"def timed(loops{params}, _timer=_timer, _repeat=_repeat):\n"
        f"    _it = _repeat(None, loops)\n"
        f"{prologue}"
        f"    for _ in _it:\n"
        f"{body}\n"
        f"{epilogue}"
        f"    _last[0] = {result}\n"
        f"    return _total\n"
    )
    last: list[Any] = [None]
    namespace: dict[str, Any] = dict(names, _timer=time.perf_counter, _repeat=itertools.repeat,
                                     _last=last)
    exec(compile(source, "<workload>", "exec"), namespace)
    timed = namespace["timed"]
    timed.last = lambda: last[0]
    return namespace["once"], timed


def refreshed(timed: Callable[..., float], refresh: Callable[[], dict[str, Any]], every: int
              ) -> Callable[[int], float]:
    """``timed`` run in chunks of at most ``every`` loops, each with fresh names from
    ``refresh()`` (called outside the timer); returns the summed time of the chunks."""
    if every < 1:
        raise ValueError("refresh_every must be >= 1")

    def run(loops: int) -> float:
        total, left = 0.0, loops
        while left > 0:
            chunk = min(left, every)
            total += timed(chunk, **refresh())
            left -= chunk
        return total

    return run
