"""Data out of the guest and argument marshalling into it.

``return_buffer/N``: the host writes N bytes, the guest allocates and fills an upper-cased
copy and returns where it is (offset and length packed in one i64), the host unpacks it,
reads the copy and gives it back with ``deallocate``: a full round trip of a result the guest
owns. ``arg_shapes/<type>x<count>``: one call with 0 to 16 parameters of one type, each
function returning an i32 checksum of its arguments, so per-argument cost can be fitted
(``scenarios.families.interop.figures.fit_per_argument``) from the ``arg_type`` and ``arg_count``
recorded with every value.
"""

from __future__ import annotations

from runtimes.base import Capability
from runtimes.wasm_binary import signature
from scenarios.catalog import Benchmark, Scenario, Session, Workload, reference, register
from scenarios.families.article.workloads import STRING_SIZES

GUEST = "exchange"
U32 = 0xFFFF_FFFF
ARG_SHAPES = (("none", 0), ("i32", 1), ("i32", 4), ("i32", 8), ("i32", 16),
              *((kind, n) for kind in ("i64", "f32", "f64") for n in (1, 4, 16)))


def _return_buffer(size: int):
    def prepare(session: Session) -> Workload:
        inst = session.instance(GUEST)
        mem = inst.memory()
        data = reference.text(size)
        ptr = inst.export("allocate")(size)
        return Workload(
            "w(p, d); r = f(p, n); q = r >> 32 & u; k = r & u; o = rd(q, k); free(q, k)",
            {"w": mem.write, "rd": mem.read, "f": inst.export("upper_copy"),
             "free": inst.export("deallocate"), "p": ptr, "n": size, "d": data, "u": U32},
            result="o", expect=reference.ascii_upper(data))
    return prepare


def _export(kind: str, count: int) -> str:
    return "args_none" if count == 0 else f"args_{kind}x{count}"


def _arg_shape(kind: str, count: int):
    def prepare(session: Session) -> Workload:
        inst = session.instance(GUEST)
        if count == 0:
            return Workload("r = f()", {"f": inst.export(_export(kind, count))}, result="r",
                            expect=reference.arg_checksum(kind, []))
        values = reference.arg_values(kind, count)
        args = {f"a{i}": v for i, v in enumerate(values)}  # locals: no tuple unpacking timed
        return Workload(f"r = f({', '.join(args)})",
                        {"f": inst.export(_export(kind, count)), **args},
                        result="r", expect=reference.arg_checksum(kind, values))
    return prepare


ALLOC = {"memory": "memory", "allocate": "(i32) -> i32", "deallocate": "(i32, i32) -> ()"}

register(Scenario(
    "return_buffer", "the guest returns a buffer it allocated (an upper-cased copy of the "
    "input, packed i64 offset/length); the host reads and frees it",
    frozenset({Capability.MEMORY}),
    lambda: [Benchmark(f"return_buffer/{n}", "return_buffer", _return_buffer(n), n, GUEST)
             for n in STRING_SIZES], (GUEST,), {**ALLOC, "upper_copy": "(i32, i32) -> i64"}))
register(Scenario(
    "arg_shapes", "one call with 0-16 parameters of i32, i64, f32 or f64, returning an i32 "
    "checksum of them: the per-argument cost",
    frozenset(),
    lambda: [Benchmark(f"arg_shapes/{kind if n == 0 else f'{kind}x{n}'}", "arg_shapes",
                       _arg_shape(kind, n), 0, GUEST,
                       metadata={"arg_type": kind, "arg_count": n})
             for kind, n in ARG_SHAPES], (GUEST,),
    {_export(kind, n): signature((kind,) * n, ("i32",)) for kind, n in ARG_SHAPES}))
