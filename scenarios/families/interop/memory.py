"""Linear memory from the host: every access path a runtime offers, and growing it.

``memory_access/<path>/<read|write>/<size>``: copy ``size`` bytes out of (or into) guest
memory by one named path. The paths are the ones adapters offer through
``Memory.access_paths()``; a runtime without one reads "not supported" for its benchmarks.

    api                the adapter's Memory.read/write (the binding's documented calls)
    memoryview         a fresh zero-copy memoryview of the memory per access, sliced
    memoryview_cached  one memoryview taken before timing: cheapest, but stale once the
                       memory grows (see the conformance suite's stale-view test)
    ctypes             the raw address, per access, with ctypes.string_at / memmove
    typed_view         the binding's typed array view (wasmer's uint8_view)

A read yields a new bytes-like copy (what a host needs to keep the data), a write copies a
``bytes`` object in. ``memory_grow/{host,guest}``: grow by one page through
``Memory.grow`` or the guest's ``memory.grow``; the instance is replaced with a fresh one,
outside the timer, every ``GROWS_PER_INSTANCE`` grows so memory stays small (17 to ~1,000
pages).
"""

from __future__ import annotations

from typing import Any

from runtimes.base import Capability, NotSupported
from runtimes.wasm_binary import PAGE
from scenarios.catalog import Benchmark, Scenario, Session, Workload, reference, register

GUEST = "exchange"
NEEDS_MEMORY = frozenset({Capability.MEMORY})
ACCESS_PATHS = ("api", "memoryview", "memoryview_cached", "ctypes", "typed_view")
ACCESS_SIZES = (16, 1024, 64 * 1024, 1024 * 1024)
GROW_INNER_LOOPS = 10
GROWS_PER_INSTANCE = 1000


def _access(path_name: str, direction: str, size: int):
    def prepare(session: Session) -> Workload:
        inst = session.instance(GUEST)
        mem = inst.memory()
        ptr = inst.export("allocate")(size)  # may grow memory: paths are taken after it
        paths = mem.access_paths()
        if path_name not in paths:
            raise NotSupported(f"{session.runtime.name} offers no '{path_name}' memory path "
                               f"(it has {', '.join(paths)})")
        path = paths[path_name]
        data = reference.byte_pattern(size)
        if direction == "read":
            mem.write(ptr, data)
            return Workload("r = rd(p, n)", {"rd": path.read, "p": ptr, "n": size},
                            result="r", expect=data)
        # write: validation zeroes the block first and reads it back through the api path
        return Workload("wr(p, d)", {"wr": path.write, "p": ptr, "d": data, "n": size,
                                     "clear": mem.write, "zeros": bytes(size), "chk": mem.read},
                        setup="clear(p, zeros)", result="chk(p, n)", expect=data)
    return prepare


def _access_benchmarks() -> list[Benchmark]:
    return [Benchmark(f"memory_access/{path}/{direction}/{size}", "memory_access",
                      _access(path, direction, size), size, GUEST,
                      metadata={"memory_path": path, "memory_direction": direction,
                                "memory_cached": int(path.endswith("_cached"))})
            for path in ACCESS_PATHS for direction in ("read", "write") for size in ACCESS_SIZES]


def _grow(side: str):
    def grower(session: Session) -> dict[str, Any]:
        inst = session.instance(GUEST)
        mem = inst.memory()
        grow = mem.grow if side == "host" else inst.export("grow_memory")
        return {"g": grow, "pages": lambda: mem.size() // PAGE}

    def grew_one_page(value: tuple[int, int]) -> str | None:
        old, now = value
        if isinstance(old, int) and old > 0 and now == old + 1:
            return None
        return f"grow(1) returned {old!r} and left {now} pages"

    def prepare(session: Session) -> Workload:
        return Workload("r = g(1)", grower(session), result="(r, pages())",
                        check=grew_one_page, refresh=lambda: {"g": grower(session)["g"]},
                        refresh_every=GROWS_PER_INSTANCE // GROW_INNER_LOOPS)
    return prepare


register(Scenario(
    "memory_access", "read/write 16 B-1 MiB of linear memory by every path the runtime "
    "offers (api, memoryview, cached memoryview, ctypes, typed views)",
    NEEDS_MEMORY, _access_benchmarks, (GUEST,), {"memory": "memory", "allocate": "(i32) -> i32"}))
register(Scenario(
    "memory_grow", "grow linear memory by one page, from the host (Memory.grow) and from the "
    "guest (memory.grow)", NEEDS_MEMORY,
    lambda: [Benchmark(f"memory_grow/{side}", "memory_grow", _grow(side), 0, GUEST,
                       inner_loops=GROW_INNER_LOOPS,
                       metadata={"grow_from": side, "grow_pages": 1,
                                 "grows_per_instance": GROWS_PER_INSTANCE})
             for side in ("host", "guest")], (GUEST,),
    {"memory": "memory", "grow_memory": "(i32) -> i32"}))
