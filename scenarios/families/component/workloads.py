"""The same operations two ways: through the Component Model's canonical ABI, and by hand.

``canonical_abi`` calls the WIT functions of ``guest/component.wasm`` (the article's guest
behind a WIT world) with Python values: the engine allocates the argument in guest memory
(``cabi_realloc``), copies it in, calls, copies the result out and frees it, and wasmtime-py
converts every value (a list element by element) on the way. ``hand_marshalled`` does the
same work on the core module ``guest/article.wasm`` the way the seed article does it, with
the allocation per call the canonical ABI also makes: allocate, write the bytes (a ``str``
encoded, a list packed with ``struct``), call, read the result back (decoded), deallocate.
Both run the article's own Rust functions on the same bytes, so the difference is the
marshalling. Payloads are 16 B, 1 KiB and 16 KiB (a ``list<s32>`` of n bytes has n / 4
elements); every benchmark is validated against the Python reference before it is timed.

The component's no-op, two-i32 call and host callback have their hand-written counterparts
already (``no_op``, ``add_numbers``, ``host_call/add``: same guest functions, same loop of
``N_CALLS`` callbacks); each ``canonical_abi`` benchmark names its counterpart in its
metadata (``core_benchmark``), so figures can pair them from the results alone.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from types import SimpleNamespace

from runtimes.base import Capability, HostFunction, Instance
from scenarios.catalog import Benchmark, Scenario, Session, Workload, named, reference, register

COMPONENT = "component"
CORE = "article"
SIZES = (16, 1024, 16 * 1024)
# The WIT types compared, by the name used in benchmark names.
TYPES = ("string", "list_s32", "list_u8")
POINT, MOVE = (2**31 - 1, -5), (1, 7)  # translate's x overflows: wrapping is checked
CANONICAL, BY_HAND = "canonical_abi", "hand_marshalled"
Prepare = Callable[[Session], Workload]
N_CALLS = 1000  # callbacks per guest call, as in host_call (interop.callbacks.N_CALLS)


class Host:
    """The component's import ``host-add``, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def add(self, a: int, b: int) -> int:
        self.calls += 1
        return a + b


def instantiate(session: Session) -> tuple[Instance, Host]:
    """A component instance wired to a fresh ``Host``."""
    host = Host()
    return session.instance(COMPONENT, {"": {"host-add": HostFunction(host.add)}}), host


def _payload(kind: str, size: int) -> tuple[object, object]:
    """(argument, expected answer) of the WIT function for ``kind`` at ``size`` bytes."""
    if kind == "string":
        text = reference.text(size)
        return text.decode("ascii"), reference.reverse_bytes(text).decode("ascii")
    if kind == "list_s32":
        values = reference.i32_array(size // 4)
        return values, reference.sum_i32(values)
    data = reference.byte_pattern(size)
    return data, reference.reverse_bytes(data)


WIT_FUNCTION = {"string": "reverse", "list_s32": "sum", "list_u8": "reverse-bytes"}


def _canonical(kind: str, size: int) -> Prepare:
    def prepare(session: Session) -> Workload:
        inst, _ = instantiate(session)
        arg, expect = _payload(kind, size)
        return Workload("r = f(v)", {"f": inst.export(WIT_FUNCTION[kind]), "v": arg},
                        result="r", expect=expect)
    return prepare


def _canonical_call(export: str, args: tuple[int, ...], expect: object) -> Prepare:
    def prepare(session: Session) -> Workload:
        inst, _ = instantiate(session)
        names = {"f": inst.export(export), **{f"a{i}": a for i, a in enumerate(args)}}
        stmt = f"r = f({', '.join(f'a{i}' for i in range(len(args)))})"
        return Workload(stmt, names, result="r", expect=expect)
    return prepare


def _canonical_translate(session: Session) -> Workload:
    inst, _ = instantiate(session)
    return Workload("r = f(p, dx, dy)",
                    {"f": inst.export("translate"), "p": SimpleNamespace(x=POINT[0], y=POINT[1]),
                     "dx": MOVE[0], "dy": MOVE[1]},
                    result="(r.x, r.y)", expect=_translated())


def _canonical_callback(session: Session) -> Workload:
    inst, host = instantiate(session)
    return Workload("r = f(n)", {"f": inst.export("loop-host-add"), "n": N_CALLS, "h": host},
                    setup="h.calls = 0", result="(r, h.calls)",
                    expect=(reference.loop_sum(N_CALLS), N_CALLS))


def _translated() -> tuple[int, int]:
    return reference.add_i32(POINT[0], MOVE[0]), reference.add_i32(POINT[1], MOVE[1])


def _by_hand(kind: str, size: int) -> Prepare:
    def prepare(session: Session) -> Workload:
        inst = session.instance(CORE)
        mem = inst.memory()
        arg, expect = _payload(kind, size)
        names = {"a": inst.export("allocate"), "d": inst.export("deallocate"), "w": mem.write,
                 "rd": mem.read, "v": arg, "m": size}
        if kind == "string":  # str in, str out: encoded and decoded here, as the ABI does
            names["f"] = inst.export("reverse_string_in_place")
            stmt = "p = a(m); w(p, v.encode()); f(p, m); r = rd(p, m).decode(); d(p, m)"
        elif kind == "list_s32":
            names.update(f=inst.export("sum_array"), c=size // 4,
                         pack=struct.Struct(f"<{size // 4}i").pack)
            stmt = "p = a(m); w(p, pack(*v)); r = f(p, c); d(p, m)"
        else:
            names["f"] = inst.export("reverse_string_in_place")
            stmt = "p = a(m); w(p, v); f(p, m); r = rd(p, m); d(p, m)"
        return Workload(stmt, names, result="r", expect=expect)
    return prepare


def _by_hand_translate(session: Session) -> Workload:
    """A two-field record by hand is its two fields: two calls of the same add."""
    f = session.instance(CORE).export("add_numbers")
    return Workload("r = (f(x, dx), f(y, dy))",
                    {"f": f, "x": POINT[0], "y": POINT[1], "dx": MOVE[0], "dy": MOVE[1]},
                    result="r", expect=_translated())


def _meta(operation: str, wit: str, core: str, elements: int = 1) -> dict[str, str | int]:
    return {"operation": operation, "wit_type": wit, "core_benchmark": core,
            "elements": elements}


WIT_TYPE = {"string": "string", "list_s32": "list<s32>", "list_u8": "list<u8>"}


def _elements(kind: str, size: int) -> int:
    return size // 4 if kind == "list_s32" else size


def _canonical_benchmarks() -> list[Benchmark]:
    def bench(op: str, prepare: Prepare, core: str, wit: str, payload: int = 0,
              elements: int = 1) -> Benchmark:
        return Benchmark(f"{CANONICAL}/{op}", CANONICAL, prepare, payload, COMPONENT,
                         metadata=_meta(op.split("/")[0], wit, core, elements))

    return [
        bench("no_op", _canonical_call("no-op", (), None), "no_op", "func()"),
        bench("add_numbers", _canonical_call("add-numbers", (10, 20), reference.add_i32(10, 20)),
              "add_numbers", "func(s32, s32) -> s32"),
        bench("record", _canonical_translate, f"{BY_HAND}/record", "record point"),
        *(bench(f"{kind}/{n}", _canonical(kind, n), f"{BY_HAND}/{kind}/{n}", WIT_TYPE[kind],
                n, _elements(kind, n))
          for kind in TYPES for n in SIZES),
        # one statement is N_CALLS callbacks, as in host_call (values per guest call)
        Benchmark(f"{CANONICAL}/callback", CANONICAL, _canonical_callback, 0, COMPONENT,
                  inner_loops=1,
                  metadata={**_meta("callback", "import func(s32, s32) -> s32", "host_call/add"),
                            "n_calls": N_CALLS}),
    ]


def _by_hand_benchmarks() -> list[Benchmark]:
    return [
        Benchmark(f"{BY_HAND}/record", BY_HAND, _by_hand_translate, 0, CORE,
                  metadata={"operation": "record", "elements": 1}),
        *(Benchmark(f"{BY_HAND}/{kind}/{n}", BY_HAND, _by_hand(kind, n), n, CORE,
                    metadata={"operation": kind, "elements": _elements(kind, n)})
          for kind in TYPES for n in SIZES),
    ]


# The closing figures issue 16 asks for: a no-op, a 1 KiB string, 256 s32, 1 KiB of bytes,
# one callback; and their hand-written counterparts.
register(Scenario(
    CANONICAL, "the article's guest as a component: each WIT function called with Python "
    "values, lowered and lifted by the canonical ABI (string, list<s32>, list<u8>, a record, "
    f"a callback loop of {N_CALLS})",
    frozenset({Capability.COMPONENT, Capability.HOST_IMPORTS}), _canonical_benchmarks,
    (COMPONENT,),
    headline=named(*(f"{CANONICAL}/{op}" for op in (
        "no_op", "string/1024", "list_s32/1024", "list_u8/1024", "callback")))))
register(Scenario(
    BY_HAND, "the component's operations done by hand on the core module: allocate, write "
    "(encode, pack), call, read back (decode), deallocate, per call",
    frozenset({Capability.MEMORY}), _by_hand_benchmarks, (CORE,),
    {"memory": "memory", "allocate": "(i32) -> i32", "deallocate": "(i32, i32) -> ()",
     "reverse_string_in_place": "(i32, i32) -> ()", "sum_array": "(i32, i32) -> i32",
     "add_numbers": "(i32, i32) -> i32"},
    # the quick profile: the string, the scorecard's comparison (the lists in the full one)
    headline=named(f"{BY_HAND}/string/1024")))
