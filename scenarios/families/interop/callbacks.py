"""Wasm calling Python: the guest loops ``N_CALLS`` times over an imported host function.

``host_call/none`` is the guest's loop without the import call; every other benchmark is the
same loop calling one import per iteration, so

    per-callback cost = (host_call/<import> - host_call/none) / n_calls

(both values per guest call; ``scenarios.families.interop.figures.per_callback_ns`` computes
it). The entry call into the guest is in both and cancels out. With the no-op import this is the
floor for a guest-to-host crossing through each binding; ``add`` adds two i32 in and one out;
``log`` hands the host (ptr, len) and the host copies those bytes out of guest memory, the
pattern of a guest logging through its host. Every host function counts its calls, and
validation checks the count, the guest's sum and (for ``log``) the bytes the host received.
"""

from __future__ import annotations

from typing import Any

from runtimes.base import Capability, HostFunction, Instance
from scenarios.catalog import Benchmark, Scenario, Session, Workload, named, reference, register

GUEST = "callbacks"
N_CALLS = 1000  # callbacks per guest call: the entry call is amortised and subtracted anyway
LOG_SIZES = (16, 1024)
NO_IMPORT = "host_call/none"


class Host:
    """The host side of the guest's imports: what a Python program would register."""

    def __init__(self) -> None:
        self.calls = 0
        self.received: Any = None
        self.read: Any = None  # the instance's Memory.read, set once it exists

    def noop(self) -> None:
        self.calls += 1

    def add(self, a: int, b: int) -> int:
        self.calls += 1
        return a + b

    def log(self, ptr: int, length: int) -> None:
        self.calls += 1
        self.received = self.read(ptr, length)


def instantiate(session: Session) -> tuple[Instance, Host]:
    """A callbacks-guest instance wired to a fresh ``Host``."""
    host = Host()
    inst = session.instance(GUEST, {"env": {
        "host_noop": HostFunction(host.noop),
        "host_add": HostFunction(host.add, ("i32", "i32"), ("i32",)),
        "host_log": HostFunction(host.log, ("i32", "i32"), ()),
    }})
    host.read = inst.memory().read
    return inst, host


def _loop(export: str, calls: int):
    def prepare(session: Session) -> Workload:
        inst, host = instantiate(session)
        return Workload("r = f(n)", {"f": inst.export(export), "n": N_CALLS, "h": host},
                        setup="h.calls = 0", result="(r, h.calls)",
                        expect=(reference.loop_sum(N_CALLS), calls))
    return prepare


def _log(size: int):
    def prepare(session: Session) -> Workload:
        inst, host = instantiate(session)
        data = reference.text(size)
        ptr = inst.export("allocate")(size)
        inst.memory().write(ptr, data)
        return Workload("r = f(p, m, n)",
                        {"f": inst.export("loop_log_import"), "p": ptr, "m": size, "n": N_CALLS,
                         "h": host},
                        setup="h.calls = 0; h.received = None",
                        result="(r, h.calls, h.received)",
                        expect=(reference.loop_sum(N_CALLS), N_CALLS, data))
    return prepare


def _bench(name: str, prepare: Any, host_import: str, bytes_per_callback: int = 0
           ) -> Benchmark:
    # payload_bytes: what one timed guest call hands the host, over all its callbacks
    return Benchmark(name, "host_call", prepare, bytes_per_callback * N_CALLS, GUEST,
                     inner_loops=1,
                     metadata={"n_calls": N_CALLS, "host_import": host_import,
                               "baseline_benchmark": NO_IMPORT,
                               "bytes_per_callback": bytes_per_callback})


def _benchmarks() -> list[Benchmark]:
    return [
        _bench(NO_IMPORT, _loop("loop_no_import", 0), "none"),
        _bench("host_call/noop", _loop("loop_noop_import", N_CALLS), "noop"),
        _bench("host_call/add", _loop("loop_add_import", N_CALLS), "add"),
        *(_bench(f"host_call/log/{n}", _log(n), "log", n) for n in LOG_SIZES),
    ]


EXPORTS = {"memory": "memory", "allocate": "(i32) -> i32",
           **dict.fromkeys(("loop_no_import", "loop_noop_import", "loop_add_import"),
                           "(i32) -> i32"),
           "loop_log_import": "(i32, i32, i32) -> i32"}

register(Scenario(
    "host_call", f"the guest calls a host import {N_CALLS} times (no-op, add, log) vs the same "
    "loop without it: the cost of one callback",
    frozenset({Capability.HOST_IMPORTS, Capability.MEMORY}), _benchmarks, (GUEST,), EXPORTS,
    headline=named("host_call/none", "host_call/noop"), per_interpreter=True))
