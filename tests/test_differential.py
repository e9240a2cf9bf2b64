"""Differential correctness: random inputs through every available runtime == the reference.

Payloads go from 0 bytes to 1 MiB of arbitrary bytes (not just text), arrays cover the whole
i32 range so sums overflow; both are cut to a runtime's declared ``max_payload_bytes`` (the
payloads it is ever given: pywasm's interpreter would spend minutes per MiB); any
disagreement with scenarios.catalog.reference is a failure.
"""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import guest
import runtimes
from runtimes.base import Capability, Instance, Runtime
from runtimes.conformance import available_runtime
from scenarios.catalog import reference

MIB = 1 << 20
EDGES = [0, 1, 2, 3, 4095, 4096, 4097, 65535, 65536, 65537, MIB - 1, MIB]
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


payloads = st.one_of(
    st.binary(max_size=256),
    st.builds(_payload, st.one_of(st.sampled_from(EDGES), st.integers(0, MIB)),
              st.integers(0, 2**32)),
)
i32 = st.integers(reference.I32_MIN, reference.I32_MAX)
arrays = st.one_of(
    st.lists(i32, max_size=300),
    st.builds(lambda n, seed: list(struct.unpack(f"<{n}i", _payload(4 * n, seed))),
              st.one_of(st.sampled_from([0, 1, 10_000, MIB // 4]), st.integers(0, MIB // 4)),
              st.integers(0, 2**32)),
)


@pytest.fixture(scope="module", params=runtimes.names())
def runtime(request: pytest.FixtureRequest) -> Runtime:
    runtime = available_runtime(request.param)()
    if Capability.MEMORY not in runtime.capabilities:
        pytest.skip(f"{request.param} has no host access to linear memory")
    return runtime


@pytest.fixture(scope="module")
def instance(runtime: Runtime) -> Instance:
    """One instance per runtime, reused across examples as a host program would."""
    return runtime.load(guest.get("article").wasm)


def within_limit(runtime: Runtime, data: bytes) -> bytes:
    """``data`` cut to the runtime's declared payload limit, if it has one."""
    limit = runtime.max_payload_bytes
    return data if limit is None else data[:limit]


def _with_buffer(inst: Instance, size: int) -> int:
    ptr = inst.export("allocate")(size)
    assert ptr > 0 and ptr + size <= inst.memory().size()
    return ptr


@SETTINGS
@given(data=payloads)
def test_reverse_matches_reference(runtime: Runtime, instance: Instance, data: bytes) -> None:
    data = within_limit(runtime, data)
    ptr = _with_buffer(instance, len(data))
    mem = instance.memory()
    mem.write(ptr, data)
    instance.export("reverse_string_in_place")(ptr, len(data))
    assert bytes(mem.read(ptr, len(data))) == reference.reverse_bytes(data)
    instance.export("deallocate")(ptr, len(data))


@SETTINGS
@given(values=arrays)
def test_sum_matches_reference(runtime: Runtime, instance: Instance, values: list[int]) -> None:
    raw = within_limit(runtime, struct.pack(f"<{len(values)}i", *values))
    values = values[:len(raw) // 4]
    ptr = _with_buffer(instance, len(raw))
    instance.memory().write(ptr, raw)
    assert instance.export("sum_array")(ptr, len(values)) == reference.sum_i32(values)
    instance.export("deallocate")(ptr, len(raw))


@SETTINGS
@given(a=i32, b=i32)
def test_add_matches_reference(instance: Instance, a: int, b: int) -> None:
    assert instance.export("add_numbers")(a, b) == reference.add_i32(a, b)
