"""Memory: what an engine, a module and an instance cost, and what a forgetful host leaks.

The seed's fourth cost is memory lifetime: the host's garbage collector does not manage
linear memory. Every figure here is bytes, not time, read in a fresh process
(``scenarios.families.memory.probe``) per pyperf value, recorded with pyperf's unit
``byte``: resident memory (RSS) after ``gc.collect()``. Nothing is timed.

``memory`` answers "how many instances fit in a GiB": the engine (runtime imported, engine
made) over a bare interpreter, one compiled article module, and the slope of RSS against N
live instances (each answering ``add_numbers`` first); ``forgetful_host`` (the full profile)
is a host that gets the allocate/deallocate protocol wrong: allocate without deallocate, the
returned buffer never freed, and 1,000 instances created and dropped.

pyperf keeps only values above zero: a figure at or below zero (a slope lost in RSS noise,
memory returned by a drop) is recorded as 1 B, and the signed figure of the validating process
is in the benchmark's facts.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import guest
from runtimes.base import Capability
from scenarios.catalog import (
    Benchmark,
    Scenario,
    Session,
    ValidationError,
    Workload,
    named,
    register,
)
from scenarios.orchestrate import hosts

GUEST = "article"
LEAK_GUEST = "exchange"  # its upper_copy returns a buffer the host must free
ARTICLE = {"add_numbers": "(i32, i32) -> i32"}
QUICK_COUNTS = (1, 10, 50)  # the quick profile's per-instance fit
FULL_COUNTS = (1, 10, 100, 1000)
RSS_CAP = 384 << 20  # a loop of instances stops once RSS has grown this much
# ... or once it has run this long: V8 (mini-racer) makes each instance past about 250 live
# ones pay several full collections (its wasm address-space budget is spent), and 1,000 of
# them would outlive PROBE_TIMEOUT_S on a busy machine.
INSTANCES_SECONDS = 60
DROP_COUNT = 1000
DROP_COUNT_KEEPING = 100  # for a runtime declaring that it never frees instances
LEAK_SIZE = 64 << 10  # bytes per forgotten allocation: a page
LEAK = {"memory_cap": 128 << 20, "calls": 4096, "seconds": 30, "every": 64}
PROBE_TIMEOUT_S = 300
# The plan's guess of the wall time of one cell's readings (fresh processes: an interpreter,
# the runtime imported, the guest compiled, a few instances; several at a time): about 1.5 s
# on an idle 2-core machine. A forgetful host's loop runs up to its caps (30 s at most).
PROBE_S = 1.5
LEAK_S = 3.0
READINGS = 3  # fresh processes per benchmark and cell, read once into the cell's shared folder
UNIT = {"unit": "byte"}
# Each value is one fresh process's reading (``READINGS`` of them, read by the cell's first
# process): one worker, loops=1 and no warm-up (a reading is not warmed up).
DEFAULTS = {"processes": 1, "values": READINGS, "warmups": 0, "loops": 1, "call_timeout": 900}


def probe(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the probe in a fresh process of this interpreter; its JSON answer."""
    cmd = [sys.executable, "-m", "scenarios.families.memory.probe", json.dumps(spec)]
    try:
        out = hosts.run_fresh(cmd, timeout=PROBE_TIMEOUT_S)
    except hosts.FreshProcessFailed as exc:
        raise ValidationError(str(exc)[:300]) from None
    return json.loads(out.strip().splitlines()[-1])


def positive(value: float) -> float:
    """pyperf's values must be above zero: a figure at or below it is recorded as 1 B."""
    return value if value >= 1 else 1.0


def readings(spec: dict[str, Any], count: int, parallel: int) -> list[dict[str, Any]]:
    """``count`` answers of the probe, each from its own fresh process, up to ``parallel`` at
    a time (a reading of bytes does not suffer from a neighbour the way a time would; the
    large loops run one at a time so that their caps add up to no more than one)."""
    if parallel <= 1:
        return [probe(spec) for _ in range(count)]
    with ThreadPoolExecutor(min(parallel, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda _: probe(spec), range(count)))


def measured(label: str, spec: Callable[[Session], dict[str, Any]],
             facts_of: Callable[[dict], dict], parallel: int = 1, count: int = READINGS
             ) -> Callable[[Session], Workload]:
    """A workload whose operations are fresh processes' readings.

    The cell's first process (its validation) takes ``count`` readings into the cell's
    shared folder (``Session.made``); any reading failing validation (the probe exits
    non-zero on a wrong answer) makes the benchmark invalid. A worker's validation looks at
    the first without using it up; its values are those readings in turn, then new ones (when
    more values are asked for than were read). The facts are the first reading's."""
    def prepare(session: Session) -> Workload:
        ask = spec(session)
        work = Workload("", {})
        state: dict[str, Any] = {}

        def take(path: Path) -> None:
            path.write_text(json.dumps(readings(ask, count, parallel)), encoding="utf-8")

        def measure(n: int) -> float:
            if "pending" not in state:  # the first call in this process: a validation
                answers = json.loads(session.made(f"memory-{label}.json", take).read_text(
                    encoding="utf-8"))
                work.facts.update(facts_of(answers[0]))
                state["pending"] = [positive(a["value"]) for a in answers]
                return n * state["pending"][0]
            pending: list[float] = state["pending"]
            return sum(pending.pop(0) if pending else positive(probe(ask)["value"])
                       for _ in range(n))

        work.measure = measure
        return work
    return prepare


def _base(session: Session, kind: str, name: str = GUEST) -> dict[str, Any]:
    return {"kind": kind, "runtime": session.runtime.name, "guest": str(guest.get(name).path)}


def _engine(session: Session) -> dict[str, Any]:
    return _base(session, "engine")


def _module(session: Session) -> dict[str, Any]:
    return _base(session, "module")


def _instances(counts: tuple[int, ...]) -> Callable[[Session], dict[str, Any]]:
    return lambda session: {**_base(session, "instances"), "counts": list(counts),
                            "rss_cap": RSS_CAP, "seconds": INSTANCES_SECONDS}


def _signed(answer: dict) -> dict:
    return {"bytes": answer["value"]}


def _fit(answer: dict) -> dict:
    return {"bytes_per_instance": answer["value"], "points": answer["points"],
            "linear_memory": answer["linear_memory"], "stopped": answer["stopped"]}


def _memory_benchmarks() -> list[Benchmark]:
    return [
        Benchmark("memory/engine", "memory", measured("engine", _engine, _signed, READINGS),
                  guest=GUEST, inner_loops=1, metadata=dict(UNIT), validation_s=PROBE_S),
        Benchmark("memory/module", "memory", measured("module", _module, _signed, READINGS),
                  guest=GUEST, inner_loops=1, metadata=dict(UNIT), validation_s=PROBE_S),
        *(Benchmark(f"memory/per_instance/{counts[-1]}", "memory",
                    measured(f"per_instance-{counts[-1]}", _instances(counts), _fit,
                             READINGS if counts == QUICK_COUNTS else 1),
                    validation_s=PROBE_S * (1 if counts == QUICK_COUNTS else READINGS),
                    guest=GUEST, inner_loops=1, metadata={**UNIT, "instance_counts": ",".join(
                        map(str, counts))})
          for counts in (QUICK_COUNTS, FULL_COUNTS)),
    ]


HEADLINE = f"memory/per_instance/{QUICK_COUNTS[-1]}"

register(Scenario(
    "memory", "resident memory (bytes, fresh processes): an engine over a bare interpreter, "
    "one compiled article module, and per live instance (slope over N instances)",
    frozenset(), _memory_benchmarks, (GUEST,), ARTICLE, defaults=DEFAULTS,
    headline=named(HEADLINE)))


# --- the forgetful host ----------------------------------------------------------------------

def _leak(path: str) -> Callable[[Session], dict[str, Any]]:
    return lambda session: {**_base(session, "leak", LEAK_GUEST), "path": path,
                            "size": LEAK_SIZE, **LEAK}


def _drop(session: Session) -> dict[str, Any]:
    keeps = not session.runtime.frees_instances
    return {**_base(session, "drop"), "count": DROP_COUNT_KEEPING if keeps else DROP_COUNT,
            "rss_cap": RSS_CAP, "seconds": INSTANCES_SECONDS}


def _curve(answer: dict) -> dict:
    return {"bytes_per_call": answer["value"], "curve": answer["curve"],
            "calls": answer["calls"], "ending": answer["ending"], "size": answer["size"]}


def _dropped(session_free: bool) -> Callable[[dict], dict]:
    return lambda answer: {"instances": answer["instances"], "live": answer["live"],
                           "after": answer["after"], "stopped": answer["stopped"],
                           "frees_instances": session_free}


def _drop_workload(session: Session) -> Workload:
    rt = session.runtime
    work = measured("drop", _drop, _dropped(rt.frees_instances), count=1)(session)
    if not rt.frees_instances:
        work.facts["keeps_instances"] = rt.keeps_instances_reason
    return work


# the figure is the guest's own linear memory per call: a native library has none
MEMORY = frozenset({Capability.MEMORY, Capability.ISOLATED_MEMORY})

register(Scenario(
    "forgetful_host", "a host that never frees: allocate without deallocate, the returned "
    "buffer never freed (linear memory per call until refused or capped), and 1,000 "
    "instances created and dropped (RSS retained)",
    frozenset(),
    lambda: [Benchmark("forgetful_host/allocate", "forgetful_host",
                       measured("allocate", _leak("allocate"), _curve, count=1), guest=LEAK_GUEST,
                       inner_loops=1, requires=MEMORY,
                       metadata={**UNIT, "allocation_bytes": LEAK_SIZE},
                       validation_s=LEAK_S),
             Benchmark("forgetful_host/returned_buffer", "forgetful_host",
                       measured("returned", _leak("returned"), _curve, count=1), guest=LEAK_GUEST,
                       inner_loops=1, requires=MEMORY,
                       metadata={**UNIT, "allocation_bytes": LEAK_SIZE},
                       validation_s=LEAK_S),
             Benchmark("forgetful_host/drop_instances", "forgetful_host", _drop_workload,
                       guest=GUEST, inner_loops=1, metadata=dict(UNIT),
                       validation_s=PROBE_S * 2)],
    (GUEST, LEAK_GUEST), {**ARTICLE, "allocate": "(i32) -> i32",
                          "upper_copy": "(i32, i32) -> i64"},
    # one reading each: a curve and a drop, not a figure that needs a spread
    defaults={**DEFAULTS, "values": 1}))
