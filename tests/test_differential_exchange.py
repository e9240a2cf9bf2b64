"""Differential correctness of the two-way paths: random inputs through every available
runtime == the reference (returned buffers of arbitrary bytes, every argument shape over its
type's whole range, callbacks that read guest memory). Returned buffers are cut to a runtime's
declared ``max_payload_bytes`` (the payloads it is ever given)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import guest
import runtimes
from runtimes.base import Capability, HostFunction, Instance, NotSupported, Runtime
from runtimes.conformance import available_runtime
from scenarios.catalog import reference
from scenarios.families.interop.exchange import ARG_SHAPES

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
VALUES = {
    "i32": st.integers(reference.I32_MIN, reference.I32_MAX),
    "i64": st.integers(-(2**63), 2**63 - 1),
    "f32": st.floats(width=32, allow_nan=False),  # NaN payloads may be canonicalised
    "f64": st.floats(allow_nan=False),
}


@pytest.fixture(scope="module", params=runtimes.names())
def runtime(request: pytest.FixtureRequest) -> Runtime:
    return available_runtime(request.param)()


@pytest.fixture(scope="module")
def exchange(runtime: Runtime) -> Instance:
    """One instance per runtime, reused across examples as a host program would."""
    return runtime.load(guest.get("exchange").wasm)


@SETTINGS
@given(data=st.one_of(st.binary(max_size=300), st.builds(
    lambda size, seed: random.Random(seed).randbytes(size),
    st.one_of(st.sampled_from([0, 65535, 65536, 65537]), st.integers(0, 1 << 18)),
    st.integers(0, 2**32))))
def test_returned_buffer_matches_reference(runtime: Runtime, exchange: Instance,
                                           data: bytes) -> None:
    if Capability.MEMORY not in runtime.capabilities:
        pytest.skip(f"{runtime.name} has no host access to linear memory")
    try:
        upper_copy = exchange.export("upper_copy")
    except NotSupported as exc:  # native: the packed result holds 32-bit offsets
        pytest.skip(str(exc))
    limit = runtime.max_payload_bytes
    data = data if limit is None else data[:limit]
    mem = exchange.memory()
    ptr = exchange.export("allocate")(max(len(data), 1))
    mem.write(ptr, data)
    packed = upper_copy(ptr, len(data))
    out, length = packed >> 32 & 0xFFFF_FFFF, packed & 0xFFFF_FFFF
    assert length == len(data)
    assert bytes(mem.read(out, length)) == reference.ascii_upper(data)
    exchange.export("deallocate")(out, length)
    exchange.export("deallocate")(ptr, max(len(data), 1))


@SETTINGS
@given(shape=st.sampled_from([s for s in ARG_SHAPES if s[1]]), data=st.data())
def test_every_argument_shape_matches_reference(exchange: Instance, shape: tuple[str, int],
                                                data: st.DataObject) -> None:
    kind, count = shape
    values = data.draw(st.lists(VALUES[kind], min_size=count, max_size=count))
    got = exchange.export(f"args_{kind}x{count}")(*values)
    assert got == reference.arg_checksum(kind, values)


@SETTINGS
@given(payload=st.binary(min_size=1, max_size=2048), calls=st.integers(0, 50))
def test_callbacks_deliver_every_call_and_the_bytes(runtime: Runtime, payload: bytes,
                                                    calls: int) -> None:
    if not runtime.supports(frozenset({Capability.HOST_IMPORTS, Capability.MEMORY})):
        pytest.skip(f"{runtime.name} cannot call the host")
    received: list[bytes] = []
    inst = runtime.load(guest.get("callbacks").wasm, {"env": {
        "host_noop": HostFunction(lambda: None),
        "host_add": HostFunction(lambda a, b: a + b, ("i32", "i32"), ("i32",)),
        "host_log": HostFunction(lambda p, n: received.append(bytes(mem.read(p, n))),
                                 ("i32", "i32")),
    }})
    mem = inst.memory()
    ptr = inst.export("allocate")(len(payload))
    mem.write(ptr, payload)
    assert inst.export("loop_log_import")(ptr, len(payload), calls) == reference.loop_sum(calls)
    assert received == [payload] * calls
    assert inst.export("loop_add_import")(calls) == reference.loop_sum(calls)

