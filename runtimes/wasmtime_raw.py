"""wasmtime through the lowest-overhead path wasmtime-py allows: its C API's unchecked calls.

Compared with ``wasmtime`` (the shipped API), per call this skips re-reading the function's
type over FFI and building ``wasmtime_val_t`` arrays: each export gets a preallocated
``wasmtime_val_raw_t`` buffer and a small generated function that stores the arguments into
it, calls ``wasmtime_func_call_unchecked`` (through its own ctypes function object without
``argtypes``, so ctypes passes the prepared objects as they are) and reads the results back.
Host functions are defined with ``wasmtime_linker_define_func_unchecked``, reading and writing
the raw buffer directly. Memory is a zero-copy memoryview of the linear memory.

The stale-view hazard: a view of linear memory stays valid only while the memory does not
move. This runtime's engine sets ``memory_may_move = False`` (with the default 4 GiB
reservation a wasm32 memory never needs to), so the base address is fixed for the memory's
life and only its length changes. The view is cached with that length; an access past it
refreshes the view (growth only ever adds bytes), and a refresh that finds the base moved
raises rather than touch freed memory.

It reaches into wasmtime-py's private modules (``wasmtime._bindings``, ``_ffi``, and the
``_from_ptr`` constructors of ``Trap`` and ``WasmtimeError``), so it is pinned to the wasmtime
versions it was tested against (``TESTED``) and is unavailable, with that reason, elsewhere.
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, byref, c_double, c_float, c_int32, c_int64, c_size_t, c_void_p
from importlib import metadata
from pathlib import Path
from typing import Any

from runtimes.base import (
    Availability,
    CachedViewMemory,
    Capability,
    ExportNotFound,
    Imports,
    Instance,
    Memory,
    RuntimeInfo,
)
from runtimes.wasmtime_py import Wasmtime, WasmtimeInstance

# wasmtime-py releases whose private C bindings this adapter was verified against.
TESTED = ((50, 0), (51, 0))  # [from, to): 50.x

# value type -> (ctypes element type, elements per 16-byte wasmtime_val_raw_t slot)
_RAW_VIEWS = {"i32": (c_int32, 4), "i64": (c_int64, 2), "f32": (c_float, 4), "f64": (c_double, 2)}


class _Api:
    """The C functions this adapter calls, declared once per process."""

    def __init__(self) -> None:
        from wasmtime import _bindings, _ffi

        self.ffi = _ffi
        lib = ctypes.CDLL(_bindings.dll._name)  # same library, our own function objects
        self.call = lib.wasmtime_func_call_unchecked
        self.call.restype = c_void_p  # wasmtime_error_t*: None when there is none
        self.memory_data = lib.wasmtime_memory_data
        self.memory_data.restype = c_void_p
        self.memory_data_size = lib.wasmtime_memory_data_size
        self.memory_data_size.restype = c_size_t
        self.define_unchecked = lib.wasmtime_linker_define_func_unchecked
        self.define_unchecked.restype = c_void_p
        self.trap_new = lib.wasmtime_trap_new
        self.trap_new.restype = c_void_p
        self.trap_new.argtypes = [ctypes.c_char_p, c_size_t]
        # wasm_trap_t *(*)(void *env, wasmtime_caller_t *, wasmtime_val_raw_t *, size_t)
        self.callback_type = ctypes.CFUNCTYPE(c_void_p, c_void_p, c_void_p, POINTER(c_int32),
                                              c_size_t)


class RawMemory(CachedViewMemory):
    """Linear memory through one cached zero-copy view, refreshed only when it grew."""

    def __init__(self, api: _Api, store: Any, memory: Any) -> None:
        self._api, self._store = api, store  # the store keeps the memory alive
        self._ctx = store._context()
        self._ref = byref(memory._memory)
        self._refresh()

    def _refresh(self) -> None:
        base = self._api.memory_data(self._ctx, self._ref) or 0
        size = self._api.memory_data_size(self._ctx, self._ref)
        view = memoryview((ctypes.c_ubyte * size).from_address(base)).cast("B")
        self._adopt(view, base, "wasmtime moved a linear memory although memory_may_move is "
                                "off: cached views are unsafe with this wasmtime version")


# ctypes' per-argument work is most of what a call costs here, so each argument takes the
# cheapest form ctypes has: every pointer a ``byref`` object (passed as is, no conversion
# object per call), and the slot count a plain int. ctypes passes a Python int as a C int,
# which libffi widens with sign extension to the full register on x86-64 and aarch64, so the
# size_t parameter receives exactly this small non-negative count.
_CALL_TEMPLATE = """
def make(call, ctx, fn, buf, nslots, trapref, trap, fail, {views}):
    def raw_call({params}):
{stores}
        err = call(ctx, fn, buf, nslots, trapref)
        if err or trap:
            fail(err)
        return {result}
    return raw_call
"""


def _slot(types: list[str], index: int) -> str:
    """``i32[4]``: the expression for value ``index`` of ``types`` in the raw buffer."""
    kind = types[index]
    return f"{kind}[{index * _RAW_VIEWS[kind][1]}]"


class RawInstance(WasmtimeInstance):
    def __init__(self, wasmtime: Any, store: Any, instance: Any, api: _Api,
                 errors: list[BaseException], keep: list[Any]) -> None:
        super().__init__(wasmtime, store, instance)
        self._api = api
        self._errors = errors  # exceptions raised by host functions, re-raised to the caller
        self._keep = keep  # host callbacks: must outlive every call into this store
        # byref() of an object placed at the context's address passes that address, as a
        # pointer argument, more cheaply than the pointer object itself.
        address = ctypes.cast(store._context(), c_void_p).value
        self._context_ref = byref(ctypes.c_char.from_address(address))

    def export(self, name: str) -> Any:
        func = self._get(name, self._wt.Func)
        ty = func.type(self._store)
        params, results = [str(t) for t in ty.params], [str(t) for t in ty.results]
        unsupported = sorted({t for t in params + results if t not in _RAW_VIEWS})
        if unsupported:
            raise ExportNotFound(f"export {name} uses {', '.join(unsupported)}, which "
                                 "wasmtime-raw does not convert (numbers only)")
        nslots = max(len(params), len(results), 1)
        buf = (self._api.ffi.wasmtime_val_raw_t * nslots)()
        views = {kind: (elem * (per * nslots)).from_buffer(buf)
                 for kind, (elem, per) in _RAW_VIEWS.items()}
        args = [f"a{i}" for i in range(len(params))]
        stores = [f"        {_slot(params, i)} = {a}" for i, a in enumerate(args)]
        if not results:
            result = "None"
        elif len(results) == 1:
            result = _slot(results, 0)
        else:
            result = "[" + ", ".join(_slot(results, i) for i in range(len(results))) + "]"
        source = _CALL_TEMPLATE.format(views=", ".join(views), params=", ".join(args),
                                       stores="\n".join(stores) or "        pass",
                                       result=result)
        namespace: dict[str, Any] = {}
        # repr: an export name may hold a NUL, which a code object's filename may not (found by
        # scenarios.fuzz: the call raised ValueError where wasmtime returned)
        exec(compile(source, f"<wasmtime-raw {name!r}>", "exec"), namespace)
        trap = c_void_p()
        call = namespace["make"](self._api.call, self._context_ref, byref(func._func), byref(buf),
                                 nslots, byref(trap), trap, self._failure(trap),
                                 *views.values())
        call._keepalive = (self._store, self._keep, func, buf)  # what the raw pointers point at
        return call

    def _failure(self, trap: c_void_p) -> Any:
        """What a call does when wasmtime reports an error or a trap: raise it, or the host
        function's exception that caused it."""
        ffi, wt, errors = self._api.ffi, self._wt, self._errors

        def fail(err: int | None) -> None:
            if trap:
                exc: BaseException = wt.Trap._from_ptr(ctypes.cast(trap.value,
                                                                   POINTER(ffi.wasm_trap_t)))
                trap.value = None
            else:
                exc = wt.WasmtimeError._from_ptr(ctypes.cast(err, POINTER(ffi.wasmtime_error_t)))
            if errors:
                host_exc = errors.pop()
                errors.clear()
                raise host_exc
            raise exc

        return fail

    def memory(self, name: str = "memory") -> Memory:
        return RawMemory(self._api, self._store, self._get(name, self._wt.Memory))


_CALLBACK_TEMPLATE = """
def make(fn, errors, trap_new, cast, {views}):
    def callback(env, caller, raw, nslots):
        try:
{loads}
            result = fn({args})
{stores}
            return None
        except BaseException as exc:
            errors.append(exc)
            message = f"python exception: {{type(exc).__name__}}: {{exc}}".encode()
            return trap_new(message, len(message))
    return callback
"""


def _host_callback(api: _Api, fn: Any, params: tuple[str, ...], results: tuple[str, ...],
                   errors: list[BaseException]) -> Any:
    """A C callback for ``wasmtime_linker_define_func_unchecked`` that calls ``fn``."""
    kinds = sorted(set(params) | set(results))
    loads = [f"            {k} = cast(raw, POINTER_{k})" for k in kinds if k != "i32"]
    loads.append("            i32 = raw")
    args = ", ".join(_slot(list(params), i) for i in range(len(params)))
    if len(results) == 1:
        stores = [f"            {_slot(list(results), 0)} = result"]
    else:
        stores = [f"            {_slot(list(results), i)} = result[{i}]"
                  for i in range(len(results))]
    source = _CALLBACK_TEMPLATE.format(views=", ".join(f"POINTER_{k}" for k in _RAW_VIEWS),
                                       loads="\n".join(loads), args=args,
                                       stores="\n".join(stores) or "            pass")
    namespace: dict[str, Any] = {}
    exec(compile(source, "<wasmtime-raw host function>", "exec"), namespace)
    py = namespace["make"](fn, errors, api.trap_new, ctypes.cast,
                           *(POINTER(elem) for elem, _ in _RAW_VIEWS.values()))
    return api.callback_type(py)


class WasmtimeRaw(Wasmtime):
    name = "wasmtime-raw"
    summary = ("wasmtime-py's C API through ctypes, unchecked calls with preallocated raw "
               "buffers, zero-copy memory: the lowest-overhead path to wasmtime from Python")

    @classmethod
    def _check_availability(cls) -> Availability:
        version = metadata.version("wasmtime")
        parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
        if not TESTED[0] <= parts < TESTED[1]:
            return Availability(False, (
                f"wasmtime {version} is outside the versions whose private C bindings this "
                f"adapter was tested against ({TESTED[0][0]}.{TESTED[0][1]} to before "
                f"{TESTED[1][0]}.{TESTED[1][1]}); re-verify it and widen TESTED"))
        import wasmtime._bindings  # noqa: F401 - the private module must exist

        return Availability(True)

    # Stopping a guest is measured on the shipped API only: the raw call path has no
    # interruption handling of its own (its traps come back through the C API). Components
    # are called through the shipped API too: the raw path is for core functions.
    capabilities = Wasmtime.capabilities - {Capability.EPOCH_INTERRUPTION, Capability.FUEL,
                                            Capability.COMPONENT}

    def __init__(self, disk_cache: Path | None = None) -> None:
        super().__init__(disk_cache=disk_cache)
        self._api = _Api()

    def _config(self) -> Any:
        config = super()._config()
        config.memory_may_move = False  # keeps cached memory views valid (see module docstring)
        return config

    @property
    def info(self) -> RuntimeInfo:
        return RuntimeInfo(self.name, "wasmtime", metadata.version("wasmtime"), "cranelift",
                           "C API via ctypes: wasmtime_func_call_unchecked with preallocated "
                           "raw buffers; cached zero-copy memoryview (memory_may_move=false)",
                           lowest_path_of="wasmtime")

    def _define_imports(self, linker: Any, imports: Imports | None) -> dict[str, Any]:
        errors: list[BaseException] = []
        keep: list[Any] = []
        for mod_name, funcs in (imports or {}).items():
            for field_name, host in funcs.items():
                ty = self._functype(host)
                callback = _host_callback(self._api, host.fn, host.params, host.results, errors)
                keep += [callback, ty]
                module_b, field_b = mod_name.encode(), field_name.encode()
                err = self._api.define_unchecked(linker.ptr(), module_b, c_size_t(len(module_b)),
                                                 field_b, c_size_t(len(field_b)), ty.ptr(),
                                                 callback, None, None)
                if err:
                    raise self._wt.WasmtimeError._from_ptr(
                        ctypes.cast(err, POINTER(self._api.ffi.wasmtime_error_t)))
        return {"errors": errors, "keep": keep}

    def _wrap(self, store: Any, instance: Any, state: dict[str, Any]) -> Instance:
        return RawInstance(self._wt, store, instance, self._api, state["errors"], state["keep"])
