"""jsc beyond the conformance suite: the backend it is pinned to, how it says why it is
unavailable, and the errors whose wording is JavaScriptCore's own."""

from __future__ import annotations

import sys

import pytest

import guest
import runtimes
from runtimes.base import HostFunction, LinkError, NotSupported, Runtime, Trap
from runtimes.conformance import available_runtime, wat
from runtimes.jsc import Jsc


@pytest.fixture
def runtime() -> Runtime:
    return available_runtime("jsc")()


def test_it_is_javascriptcore_whatever_wasmhost_would_pick(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """wasmhost's automatic pick prefers wasmtime (installed here) and its variable chooses
    another backend: neither may reach this runtime, and exports are wasmhost's own objects."""
    monkeypatch.setenv("WASMHOST_BACKEND", "wasmtime")
    fresh = runtimes.get("jsc")()
    for rt in (runtime, fresh):
        inst = rt.load(guest.get("article").wasm)
        add = inst.export("add_numbers")
        assert type(add).__name__ == "Function" and add._backend.name == "jsc"
        assert add(10, 20) == 30
    assert fresh._backend is not runtime._backend  # a JavaScriptCore context per runtime
    assert runtime.info.compiler.startswith("JavaScriptCore ")


def test_unavailable_without_javascriptcore_names_the_debian_package(
        monkeypatch: pytest.MonkeyPatch) -> None:
    wasmhost = pytest.importorskip("wasmhost")

    def missing() -> None:
        raise OSError("no JavaScriptCore library found")

    class Unloaded(Jsc):  # its own availability cache: the real adapter's is left alone
        pass

    monkeypatch.setattr(wasmhost._jsc, "load_library", missing)
    avail = Unloaded.availability()
    assert not avail.available
    assert "libjavascriptcoregtk-4.1-0" in avail.reason and "make bench" in avail.reason


def test_unavailable_without_the_package_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wasmhost", None)  # import wasmhost -> ImportError

    class Uninstalled(Jsc):
        pass

    avail = Uninstalled.availability()
    assert not avail.available and "pip install wasmhost" in avail.reason


def test_deep_recursion_is_a_trap_not_an_index_error(runtime: Runtime) -> None:
    """JavaScriptCore throws a RangeError, which wasmhost turns into IndexError (its word for
    an access out of bounds): from a call it is the stack, and reads as a trap."""
    inst = runtime.load(wat('(module (func $f (export "f") call $f))'))
    with pytest.raises(IndexError) as info:
        inst.export("f")()
    err = runtime.explain(info.value)
    assert isinstance(err, Trap) and err.code == "stack_overflow"
    assert "call stack exhausted" in str(err) and "evaluating" not in str(err)


def test_a_value_type_wasmhost_cannot_pass_is_not_supported(runtime: Runtime) -> None:
    inst = runtime.load(wat('(module (func (export "v") (param v128)))'))
    with pytest.raises(NotImplementedError) as info:
        inst.export("v")(0)
    assert isinstance(runtime.explain(info.value), NotSupported)


def test_a_mistyped_host_function_is_a_link_error(runtime: Runtime) -> None:
    """The engine would call it with whatever the module says; the adapter refuses it first,
    as the other engines do."""
    module = runtime.compile(wat('(module (import "env" "f" (func (param i32) (result i32))))'))
    with pytest.raises(LinkError, match=r"env\.f"):
        runtime.instantiate(module, {"env": {"f": HostFunction(lambda: 1, (), ("i32",))}})
    good = {"env": {"f": HostFunction(lambda x: x, ("i32",), ("i32",))}}
    assert runtime.instantiate(module, good) is not None


def test_a_trapping_start_function_is_a_trap(runtime: Runtime) -> None:
    module = runtime.compile(wat("(module (func $s unreachable) (start $s))"))
    with pytest.raises(Trap, match=r"(?i)unreachable"):
        runtime.instantiate(module)
