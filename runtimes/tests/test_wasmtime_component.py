"""wasmtime's component capability beyond the conformance suite: every WIT function of the
component guest against the Python reference, the host import called from the guest's loop,
errors, and interruption on a component."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import guest
import runtimes
from runtimes.base import (
    Capability,
    CompileError,
    ExportNotFound,
    HostFunction,
    LinkError,
    Runtime,
    Trap,
)
from runtimes.conformance import available_runtime
from scenarios.catalog import reference

SIZES = [0, 1, 16, 1024, 16384]


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return available_runtime("wasmtime")()


class Host:
    """The component's import, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def add(self, a: int, b: int) -> int:
        self.calls += 1
        return reference.add_i32(a, b)

    def imports(self) -> dict[str, dict[str, HostFunction]]:
        return {"": {"host-add": HostFunction(self.add)}}


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
def component(runtime: Runtime, host: Host) -> Any:
    return runtime.load(guest.get("component").wasm, host.imports())


def test_wasmtime_declares_components_and_its_raw_path_does_not() -> None:
    assert Capability.COMPONENT in runtimes.get("wasmtime").capabilities
    assert Capability.COMPONENT not in runtimes.get("wasmtime-raw").capabilities


def test_no_op_and_two_i32_in_one_out(component: Any) -> None:
    assert component.export("no-op")() is None
    add = component.export("add-numbers")
    assert add(10, 20) == reference.add_i32(10, 20)
    assert add(2**31 - 1, 1) == reference.add_i32(2**31 - 1, 1)
    assert add(-7, 3) == -4


@pytest.mark.parametrize("size", SIZES)
def test_reverse_string_matches_the_reference(component: Any, size: int) -> None:
    text = reference.text(size)
    reverse = component.export("reverse")
    for _ in range(3):  # repeated calls: each result's buffer is freed by the post-return
        assert reverse(text.decode("ascii")) == reference.reverse_bytes(text).decode("ascii")


@pytest.mark.parametrize("count", [0, 1, 4, 256, 10_000])
def test_sum_list_s32_matches_the_reference(component: Any, count: int) -> None:
    values = reference.i32_array(count)
    assert component.export("sum")(values) == reference.sum_i32(values)


@pytest.mark.parametrize("size", SIZES)
def test_reverse_list_u8_matches_the_reference(component: Any, size: int) -> None:
    data = reference.byte_pattern(size)
    reverse = component.export("reverse-bytes")
    for _ in range(3):
        out = reverse(data)
        assert isinstance(out, bytes) and out == reference.reverse_bytes(data)


def test_a_record_goes_in_and_comes_out(component: Any) -> None:
    p = component.export("translate")(SimpleNamespace(x=2**31 - 1, y=-5), 1, 7)
    assert (p.x, p.y) == (reference.add_i32(2**31 - 1, 1), reference.add_i32(-5, 7))


@pytest.mark.parametrize("n", [0, 1, 5, 1000])
def test_the_guest_calls_the_host_import_in_a_loop(component: Any, host: Host, n: int) -> None:
    assert component.export("loop-host-add")(n) == reference.loop_sum(n)
    assert host.calls == n


def test_a_host_exception_reaches_the_caller(runtime: Runtime) -> None:
    def refuse(a: int, b: int) -> int:
        raise ValueError("host refuses")

    inst = runtime.load(guest.get("component").wasm, {"": {"host-add": HostFunction(refuse)}})
    with pytest.raises(ValueError, match="host refuses") as info:
        inst.export("loop-host-add")(3)
    assert "host refuses" in str(runtime.explain(info.value))


def test_reversed_non_ascii_text_is_not_utf8_and_lifting_it_fails(component: Any,
                                                                   runtime: Runtime) -> None:
    """The article reverses bytes, not characters: 'é' reversed is not UTF-8, and the
    canonical ABI refuses to lift it into a string (where the core path returns the bytes)."""
    with pytest.raises(Exception) as info:
        component.export("reverse")("é")
    err = runtime.explain(info.value)
    assert isinstance(err, Trap) and "utf" in str(err).lower()


def test_missing_import_is_a_link_error_naming_it(runtime: Runtime) -> None:
    with pytest.raises(LinkError, match="host-add"):
        runtime.load(guest.get("component").wasm)


def test_missing_exports_and_the_absent_memory_are_named(component: Any) -> None:
    with pytest.raises(ExportNotFound, match="reverse_string"):
        component.export("reverse_string")
    with pytest.raises(ExportNotFound, match="component exports no memory"):
        component.memory()


def test_wasmtime_raw_refuses_a_component_by_name() -> None:
    raw = available_runtime("wasmtime-raw")()
    with pytest.raises(CompileError, match="Component Model component"):
        raw.compile(guest.get("component").wasm)


def test_a_bad_component_is_a_compile_error(runtime: Runtime) -> None:
    wasm = guest.get("component").wasm
    with pytest.raises(CompileError):
        runtime.compile(wasm[: len(wasm) // 2])


def test_epoch_deadline_stops_a_component_call(runtime: Runtime) -> None:
    """The host advances the epoch from inside the guest's loop: the next check traps."""
    sibling = runtime.with_interruption(Capability.EPOCH_INTERRUPTION)
    host = Host()

    def add(a: int, b: int) -> int:
        total = host.add(a, b)
        if host.calls == 10:
            sibling.increment_epoch()
        return total

    inst = sibling.load(guest.get("component").wasm, {"": {"host-add": HostFunction(add)}})
    inst.set_epoch_deadline(1)
    with pytest.raises(Exception) as info:
        inst.export("loop-host-add")(1_000_000)
    err = sibling.explain(info.value)
    assert isinstance(err, Trap) and err.interrupted_by is Capability.EPOCH_INTERRUPTION
    assert 10 <= host.calls < 1_000_000


def test_fuel_stops_a_component_call(runtime: Runtime, host: Host) -> None:
    sibling = runtime.with_interruption(Capability.FUEL)
    inst = sibling.load(guest.get("component").wasm, host.imports())
    assert inst.export("loop-host-add")(100) == reference.loop_sum(100)  # ample fuel at first
    inst = sibling.load(guest.get("component").wasm, host.imports())
    inst.set_fuel(10_000)
    with pytest.raises(Exception) as info:
        inst.export("loop-host-add")(1_000_000)
    err = sibling.explain(info.value)
    assert isinstance(err, Trap) and err.interrupted_by is Capability.FUEL
