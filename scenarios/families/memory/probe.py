"""The fresh process every memory figure is read in (``python -m`` this module ``SPEC``).

``SPEC`` is one JSON object: ``kind`` (one of ``KINDS``), ``runtime``, ``guest`` (a module's
path) and the kind's own settings. The process prints one JSON line: the bytes measured
(``value``) and what a reader needs beside it (points, a curve, why a loop ended), or exits
non-zero with the reason on stderr. RSS is read from /proc/self/statm (``resource``'s peak
where there is no /proc) after ``gc.collect()``; nothing beyond the standard library is
imported before the first reading, so "a bare interpreter" is one.

Every loop stops itself before it can take the machine down: at ``rss_cap`` bytes of growth
(instances), or at ``memory_cap`` bytes of linear memory, ``calls`` calls or ``seconds`` of
wall time (the forgetful host), and at ``seconds`` of wall time for a loop of instances
when the spec gives it; the reason it stopped is part of the answer.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from typing import Any

KINDS = ("engine", "module", "instances", "leak", "drop")
ADD = (10, 20, 30)  # add_numbers(10, 20) must answer 30 before anything is measured
PAGE = 65536
CHECK_EVERY = 16  # instances between two readings of RSS against the cap


def rss() -> int:
    """Resident bytes of this process now, after a collection."""
    gc.collect()
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # no /proc: the peak is the best the standard library offers
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def slope(points: list[tuple[int, int]]) -> float:
    """Least-squares bytes per instance through ``(count, bytes)`` points (by hand: numpy's
    pages in this process would be counted as the runtime's)."""
    n = len(points)
    if n < 2:
        return float("nan")
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else float("nan")


def _answer(instance: Any) -> None:
    got = instance.export("add_numbers")(ADD[0], ADD[1])
    if got != ADD[2]:
        raise SystemExit(f"wrong answer: add_numbers{ADD[:2]} gave {got!r}, expected {ADD[2]}")


def _memory_bytes(instance: Any, runtime: Any) -> int | None:
    """The instance's linear memory size, or None where it has none of its own (a native
    library's "memory" is the process's address space)."""
    from runtimes.base import Capability

    if Capability.ISOLATED_MEMORY not in runtime.capabilities:
        return None
    try:
        return int(instance.memory().size())
    except Exception:
        return None


def _runtime(spec: dict[str, Any]) -> Any:
    import runtimes

    return runtimes.get(spec["runtime"])()


def engine(spec: dict[str, Any]) -> dict[str, Any]:
    bare = rss()
    rt = _runtime(spec)
    value = rss() - bare
    with open(spec["guest"], "rb") as fh:
        _answer(rt.load(fh.read()))  # validated after the reading
    return {"value": value, "bare": bare}


def module(spec: dict[str, Any]) -> dict[str, Any]:
    rt = _runtime(spec)
    with open(spec["guest"], "rb") as fh:
        wasm = fh.read()
    before = rss()
    compiled = rt.compile(wasm)
    value = rss() - before
    _answer(rt.instantiate(compiled))
    return {"value": value, "wasm_bytes": len(wasm)}


def _late(spec: dict[str, Any], start: float) -> bool:
    """Whether a loop of instances has run past its ``seconds`` (an engine whose instances
    slow down as they accumulate would otherwise outlive the probe's timeout)."""
    return "seconds" in spec and time.monotonic() - start > spec["seconds"]


def instances(spec: dict[str, Any]) -> dict[str, Any]:
    """RSS with N live instances, each answering add_numbers first; the fitted slope."""
    rt = _runtime(spec)
    with open(spec["guest"], "rb") as fh:
        compiled = rt.compile(fh.read())
    live: list[Any] = []
    base = rss()
    points: list[tuple[int, int]] = [(0, 0)]
    stopped = ""
    start = time.monotonic()
    for count in sorted(spec["counts"]):
        while len(live) < count and not stopped:
            inst = rt.instantiate(compiled)
            _answer(inst)
            live.append(inst)
            if len(live) % CHECK_EVERY == 0 and rss() - base > spec["rss_cap"]:
                stopped = (f"stopped at {len(live)} instances: RSS grew past the cap of "
                           f"{spec['rss_cap']} B")
            elif _late(spec, start):
                stopped = f"stopped at {len(live)} instances: {spec['seconds']} s of wall time"
        grown = rss() - base
        points.append((len(live), grown))
        if grown > spec["rss_cap"] and not stopped:
            stopped = (f"stopped at {len(live)} instances: RSS grew past the cap of "
                       f"{spec['rss_cap']} B")
        if stopped:
            break
    # The fit leaves out N = 0: what the first instance makes once (a store's pools, code
    # published for execution) is its intercept, not a cost per instance.
    return {"value": slope(points[1:]), "points": points, "stopped": stopped,
            "linear_memory": _memory_bytes(live[0], rt) if live else None}


def drop(spec: dict[str, Any]) -> dict[str, Any]:
    """RSS before N instances, with them live, and after dropping them all."""
    rt = _runtime(spec)
    with open(spec["guest"], "rb") as fh:
        compiled = rt.compile(fh.read())
    _answer(rt.instantiate(compiled))  # a first instance: whatever is made once, made now
    before = rss()
    live: list[Any] = []
    inst, stopped = None, ""
    start = time.monotonic()
    while len(live) < spec["count"]:
        inst = rt.instantiate(compiled)
        _answer(inst)
        live.append(inst)
        if len(live) % CHECK_EVERY == 0 and rss() - before > spec["rss_cap"]:
            stopped = f"stopped at {len(live)} instances: RSS grew past the cap"
            break
        if _late(spec, start):
            stopped = f"stopped at {len(live)} instances: {spec['seconds']} s of wall time"
            break
    made = len(live)
    with_live = rss() - before
    live.clear()
    del inst
    after = rss() - before
    return {"value": after, "instances": made, "live": with_live, "after": after,
            "stopped": stopped}


def leak(spec: dict[str, Any]) -> dict[str, Any]:
    """Call ``allocate`` (path "allocate") or ``upper_copy`` (path "returned") and never free,
    until the runtime refuses or a cap: linear memory and RSS every ``every`` calls."""
    rt = _runtime(spec)
    with open(spec["guest"], "rb") as fh:
        inst = rt.load(fh.read())
    size = int(spec["size"])
    allocate = inst.export("allocate")
    if spec["path"] == "returned":
        data = bytes(range(97, 123)) * (size // 26 + 1)
        data = data[:size]
        ptr = allocate(size)
        inst.memory().write(ptr, data)
        upper = inst.export("upper_copy")

        def call() -> int:
            packed = upper(ptr, size)
            return (packed >> 32) & 0xFFFF_FFFF
        first = upper(ptr, size)
        got = inst.memory().read((first >> 32) & 0xFFFF_FFFF, first & 0xFFFF_FFFF)
        if bytes(got) != data.upper():
            raise SystemExit("wrong answer: upper_copy did not return the upper-cased input")
    else:
        def call() -> int:
            return int(allocate(size))
    mem0 = _memory_bytes(inst, rt) or 0
    base = rss()
    curve = [(0, mem0, 0)]
    calls, ending = 0, ""
    start = time.monotonic()
    while not ending:
        try:
            if call() == 0:
                ending = "refused: the guest's allocator returned 0 (memory.grow failed)"
        except MemoryError:
            ending = "refused: MemoryError"
        except Exception as exc:
            ending = f"refused: {rt.explain(exc).describe()}"[:300]
        if ending:
            break
        calls += 1
        # the time cap is checked on every call: one call of pywasm's (pure Python) copies
        # 64 KiB for seconds, so a check every ``every`` calls came minutes late
        late = time.monotonic() - start > spec["seconds"]
        if calls % spec["every"] == 0 or late:
            mem = _memory_bytes(inst, rt) or 0
            curve.append((calls, mem, rss() - base))
            if mem >= spec["memory_cap"]:
                ending = f"cap: linear memory reached {mem} B"
            elif calls >= spec["calls"]:
                ending = f"cap: {calls} calls"
            elif late:
                ending = f"cap: {spec['seconds']} s of calls"
    mem = _memory_bytes(inst, rt) or 0
    if curve[-1][0] != calls:
        curve.append((calls, mem, rss() - base))
    return {"value": (mem - mem0) / calls if calls else 0.0, "curve": curve, "calls": calls,
            "ending": ending, "size": size}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m scenarios.families.memory.probe SPEC_JSON", file=sys.stderr)
        return 2
    spec = json.loads(argv[0])
    out = {"engine": engine, "module": module, "instances": instances, "leak": leak,
           "drop": drop}[spec["kind"]](spec)
    print(json.dumps(out))
    sys.stdout.flush()
    os._exit(0)  # no teardown: a binding's finalizers are not what is measured


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
