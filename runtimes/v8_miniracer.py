"""V8 (Chrome's and Node's engine) through PyPI's mini-racer 0.14.1, which embeds V8 14.4.

mini-racer runs V8 on a thread of its own and reaches it through an asyncio loop on another:
every operation, a wasm call included, is a task posted from Python to V8's thread and a
result posted back, so a call costs two thread hops whatever the guest does. The binding
offers two ways to call a function; read from its source (``_objects.py``, ``_context.py``):
calling the ``JSFunction`` it hands back runs three tasks or more (``eval("[]")`` for the
argument array, one ``array_push`` per argument, then the call), while ``MiniRacer.eval`` of a
call expression runs one. Exports here are therefore that: a small Python closure that writes
the call with its arguments into JavaScript source (integers as literals, i64 as BigInt
literals, floats exactly) and evaluates it; results come back as values (an i32 as an int, an
f64 as a float), except i64 and multiple results, which V8 would return as BigInt (a value
mini-racer cannot convert: it leaves the call hanging), so those are returned as text and
parsed. That closure is the only wrapping, and it is this binding's cheapest path.

What else the binding does, verified on 0.14.1:
- Python bytes cannot be passed into V8; an ``ArrayBuffer`` made in JavaScript comes back as a
  writable ``memoryview`` of its backing store, so ``compile`` copies the module into one and
  compiles it there (``new WebAssembly.Module``: Liftoff first, TurboFan for hot functions).
- A wasm memory's ``buffer`` comes back the same way, a zero-copy view: V8 reserves a wasm
  memory's whole address range up front (inside its sandbox) and grows it in place, so a view
  stays valid after ``memory.grow`` (it keeps its old length); ``CachedViewMemory`` checks the
  base address on every refresh anyway.
- Python functions reach JavaScript only as async functions (each call a task on the asyncio
  loop, its result a Promise). A guest can still call Python synchronously from its own point
  of view through JSPI, which V8 14.4 ships: an import is ``new WebAssembly.Suspending(fn)``
  and the exports of an instance that has imports are ``WebAssembly.promising``, so the guest
  is suspended until Python answers and the call from Python awaits the export's Promise. That
  is how ``HOST_IMPORTS`` works here: several thread hops per callback, and the host function
  runs on mini-racer's loop thread, not the caller's.
- Traps and errors come back as ``JSEvalException`` (``JSPromiseError`` through JSPI) carrying
  V8's message (``RuntimeError: unreachable``, ``CompileError: ...``, ``LinkError: ...``).
- A running guest can be stopped from another thread: cancelling the task that runs it makes
  mini-racer call V8's ``TerminateExecution`` (what ``eval(..., timeout_sec=)`` does), and the
  context, the instance included, keeps working. That is ``EPOCH_INTERRUPTION`` here: on the
  sibling from ``with_interruption``, calls go through ``MiniRacer.eval_cancelable`` on
  mini-racer's loop (the same task ``eval`` runs), and ``increment_epoch`` cancels the running
  call once its instance's deadline is reached; control returns to Python only after V8 has
  ended it. V8 checks for termination in every loop whether or not anyone may ask, so the
  sibling runs the same machine code as the plain runtime. There is no fuel.
- No serialized modules, no on-disk cache, no WASI, no components (V8 refuses their bytes).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import json
import math
import re
import weakref
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from runtimes.base import (
    Availability,
    CachedViewMemory,
    Capability,
    CompileError,
    ExportNotFound,
    HostFunction,
    Imports,
    Instance,
    LinkError,
    Memory,
    NotSupported,
    Runtime,
    RuntimeInfo,
    Trap,
    WasmError,
)
from runtimes.wasm_binary import MalformedModule, ModuleSummary, summarize

PACKAGE = "mini-racer"
# Installed once per context: tables of modules and instances by id (JavaScript values cannot
# be named in eval'd source otherwise), and the conversions V8's BigInt needs.
PRELUDE = r"""
var __wib = {
  buf: null, mods: {}, insts: {}, next: 1,
  compile() {
    const module = new WebAssembly.Module(this.buf);
    this.buf = null;
    this.mods[this.next] = module;
    return this.next++;
  },
  instantiate(mid, imports, jspi) {
    const instance = new WebAssembly.Instance(this.mods[mid], imports);
    const e = {};
    for (const [name, value] of Object.entries(instance.exports)) {
      e[name] = jspi && typeof value === 'function' ? WebAssembly.promising(value) : value;
    }
    this.insts[this.next] = {e, x: instance.exports};
    return this.next++;
  },
  free(mods, insts) {
    for (const id of mods) delete this.mods[id];
    for (const id of insts) delete this.insts[id];
  },
  grow(memory, pages) {
    try { return memory.grow(pages); }
    catch (e) { if (e instanceof RangeError) return -1; throw e; }
  },
  text(r) {
    const one = v => Object.is(v, -0) ? '-0' : String(v);
    return Array.isArray(r) ? r.map(one).join(',') : one(r);
  },
  host(fn, params, results) {
    const big = params.map(t => t === 'i64');
    return new WebAssembly.Suspending(async (...args) => {
      const r = await fn(...args.map((v, i) => big[i] ? String(v) : v));
      return results.length === 1 && results[0] === 'i64' ? BigInt(r) : r;
    });
  },
};
0
"""
_ERROR = re.compile(r"\b(CompileError|LinkError|RuntimeError|TypeError|RangeError): ([^\n]*)")
_HOST_RAISED = "Error running Python function"
_SIMPLE_RESULTS = ((), ("i32",), ("f32",), ("f64",))
FAR_EPOCH_TICKS = 1 << 62
TERMINATED = "TERMINATED"  # the trap code of a call ended by TerminateExecution


class Terminated(Exception):
    """A call stopped by V8's TerminateExecution when its epoch deadline was reached."""


def _literal(kind: str) -> Callable[[Any], str]:
    """How an argument of wasm type ``kind`` is written into JavaScript source, exactly."""
    if kind == "i64":
        return lambda v: f"{int(v)}n"
    if kind in ("f32", "f64"):
        return _float_literal
    return str


def _float_literal(v: Any) -> str:
    v = float(v)
    if math.isfinite(v):
        return repr(v)  # the shortest text that reads back as the same double
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def _parse(kind: str, text: str) -> int | float:
    return int(text) if kind in ("i32", "i64") else float(text)


class V8Module:
    """What ``compile`` returns: an id in the context's module table, and what the bytes
    declare (signatures decide how arguments are written and results read)."""

    def __init__(self, runtime: V8, mid: int, summary: ModuleSummary | None) -> None:
        self.runtime = runtime
        self.id = mid
        self.summary = summary
        weakref.finalize(self, runtime._dropped_modules.append, mid).atexit = False


class V8Memory(CachedViewMemory):
    """An exported memory through one ``memoryview`` of its ``ArrayBuffer``, taken again (one
    eval) only when an access runs past it; the view is zero-copy and V8 grows in place."""

    def __init__(self, instance: V8Instance, name: str) -> None:
        self._instance = instance  # keeps the wasm instance, and so the backing store, alive
        self._expr = f"__wib.insts[{instance.id}].x[{json.dumps(name)}]"
        self._eval = instance.runtime.racer.eval
        self._refresh()

    def _refresh(self) -> None:
        view = self._eval(f"{self._expr}.buffer")
        self._adopt(view, ctypes.addressof(view.obj),
                    "V8 moved a wasm memory when it grew: a kept view would be stale")

    def view(self) -> memoryview:
        return self._eval(f"{self._expr}.buffer")

    def grow(self, pages: int) -> int:
        if pages < 0:
            raise ValueError("cannot grow memory by a negative number of pages")
        return int(self._eval(f"__wib.grow({self._expr}, {int(pages)})"))


class V8Instance(Instance):
    def __init__(self, runtime: V8, module: V8Module, iid: int, jspi: bool,
                 keep: Sequence[Any]) -> None:
        self.runtime = runtime
        self.id = iid
        self._module = module
        self._jspi = jspi
        self._keep = keep  # the host functions' wrappers, alive as long as the instance
        self.deadline = runtime.epoch + FAR_EPOCH_TICKS
        weakref.finalize(self, runtime._dropped_instances.append, iid).atexit = False

    def _kind(self, name: str, kind: str) -> None:
        summary = self._module.summary
        if summary is None:  # bytes V8 accepts but our reader does not: ask V8
            found = self.runtime.racer.eval(
                f"(v => v === undefined ? '' : v instanceof WebAssembly.Memory ? 'memory' : "
                f"typeof v === 'function' ? 'func' : 'other')"
                f"(__wib.insts[{self.id}].x[{json.dumps(name)}])")
        else:
            found = summary.exports.get(name, "")
        if not found:
            raise ExportNotFound(f"export not found: {name}")
        if found != kind:
            raise ExportNotFound(f"export {name} is a {found}, not a {kind}")

    def export(self, name: str) -> Callable[..., Any]:
        self._kind(name, "func")
        summary = self._module.summary
        params, results = (summary.signatures.get(name, ((), ())) if summary is not None
                           else (None, None))
        return _caller(self, f"__wib.insts[{self.id}].e[{json.dumps(name)}](", params,
                       results, self._jspi)

    def memory(self, name: str = "memory") -> Memory:
        self._kind(name, "memory")
        return V8Memory(self, name)

    def set_epoch_deadline(self, ticks: int) -> None:
        if self.runtime.interruption is not Capability.EPOCH_INTERRUPTION:
            super().set_epoch_deadline(ticks)  # raises: not the interruptible sibling
        self.deadline = self.runtime.epoch + ticks


def _caller(instance: V8Instance, head: str, params: tuple[str, ...] | None,
            results: tuple[str, ...] | None, jspi: bool) -> Callable[..., Any]:
    """The export as a Python callable: its call written as source and evaluated.

    The common case (arguments all i32 or all floats, at most one i32/f32/f64 result, no
    JSPI) is one f-string and one ``eval``; i64 and multiple results are read back as text,
    and a JSPI export's Promise is awaited.
    """
    runtime = instance.runtime
    if runtime.interruption is Capability.EPOCH_INTERRUPTION:
        def ev(source: str) -> Any:
            return runtime.run_interruptible(instance, source)
    else:
        ev = runtime.racer.eval
    write = _uniform_literal(params)
    if write is not None and results in _SIMPLE_RESULTS and not jspi:
        if results == ():
            def call_void(*args: Any, _keep: V8Instance = instance) -> None:
                ev(f"{head}{','.join(map(write, args))})??null")
            return call_void
        if results == ("i32",):
            def call_i32(*args: Any, _keep: V8Instance = instance) -> Any:
                return ev(f"{head}{','.join(map(write, args))})")
            return call_i32

        def call_float(*args: Any, _keep: V8Instance = instance) -> float:
            return float(ev(f"{head}{','.join(map(write, args))})"))  # type: ignore[arg-type]
        return call_float

    fmt = None if params is None else [_literal(k) for k in params]

    def call(*args: Any, _keep: V8Instance = instance) -> Any:
        written = (map(_generic_literal, args) if fmt is None
                   else (f(a) for f, a in zip(fmt, args, strict=False)))
        source = f"{head}{','.join(written)})"
        if jspi:
            source += ".then(r => r === undefined ? null : __wib.text(r))"
            text = ev(source).get()  # type: ignore[union-attr]
        elif results == ():
            ev(f"{source}??null")
            return None
        else:
            text = ev(f"(r => r === undefined ? null : __wib.text(r))({source})")
        if text is None:
            return None
        parts = str(text).split(",")
        kinds = results if results is not None else tuple(
            "i64" if re.fullmatch(r"-?\d+", p) else "f64" for p in parts)
        values = [_parse(k, p) for k, p in zip(kinds, parts, strict=False)]
        return values[0] if len(values) == 1 else values

    return call


def _drain(queue: list[int]) -> list[int]:
    """Empty a queue of dropped ids in place: finalizers hold its ``append``, so a new list
    in its stead would leave every object made before the swap queueing into the old one
    (and, in V8, alive: half the instances of a create-and-drop loop were)."""
    taken = []
    while queue:
        taken.append(queue.pop())  # atomic: a finalizer may append meanwhile, on any thread
    return taken


def _uniform_literal(params: tuple[str, ...] | None) -> Callable[[Any], str] | None:
    """One way to write every argument, when the parameters allow it (not i64: BigInt)."""
    if params is None:
        return None
    if set(params) <= {"i32"}:
        return str
    if set(params) <= {"f32", "f64"}:
        return _float_literal
    return None


def _generic_literal(v: Any) -> str:
    return str(int(v)) if isinstance(v, int) else _float_literal(v)


class V8(Runtime):
    name = "v8"
    summary = ("V8 14.4 via mini-racer (eval of a call expression on V8's thread, "
               "ArrayBuffer memoryviews, JSPI for host imports)")
    capabilities = frozenset({Capability.ANY_MODULE, Capability.MEMORY,
                              Capability.ISOLATED_MEMORY, Capability.HOST_IMPORTS,
                              Capability.EPOCH_INTERRUPTION})

    @classmethod
    def _check_availability(cls) -> Availability:
        try:
            from py_mini_racer import init_mini_racer
        except ImportError as exc:
            return Availability(False, f"mini-racer is not installed here ({exc}): "
                                       "pip install mini-racer==0.14.1")
        init_mini_racer(ignore_duplicate_init=True)  # loads the bundled libmini_racer
        return Availability(True)

    def __init__(self, interruption: Capability | None = None) -> None:
        super().__init__()
        from py_mini_racer import MiniRacer

        self.racer = MiniRacer()
        # Closed when this runtime goes or, at the latest, at exit (atexit): left to
        # MiniRacer.__del__ during the interpreter's finalization, closing joins its event-loop
        # thread, a daemon thread CPython 3.13 no longer runs then, and the process never ends.
        weakref.finalize(self, self.racer.close)
        self.racer.eval(PRELUDE)
        # mini-racer's asyncio loop (private: the binding names it nowhere else), where host
        # function wrappers are entered and interruptible calls are run as cancelable tasks.
        self._loop = self.racer._ctx.event_loop
        self._dropped_modules: list[int] = []
        self._dropped_instances: list[int] = []
        self.interruption = interruption
        self.epoch = 0
        self._running: tuple[V8Instance, concurrent.futures.Future[Any]] | None = None

    def with_interruption(self, mechanism: Capability) -> Runtime:
        if mechanism is not Capability.EPOCH_INTERRUPTION:
            return super().with_interruption(mechanism)
        return type(self)(interruption=mechanism)

    def increment_epoch(self) -> None:
        if self.interruption is not Capability.EPOCH_INTERRUPTION:
            super().increment_epoch()  # raises: this runtime has no epoch interruption
        self.epoch += 1
        running = self._running
        if running is not None and self.epoch >= running[0].deadline:
            running[1].cancel()  # mini-racer cancels the task: V8's TerminateExecution

    def run_interruptible(self, instance: V8Instance, source: str) -> Any:
        """Evaluate ``source`` as a cancelable task, ended by V8 if the epoch reaches the
        instance's deadline meanwhile (or had already reached it)."""
        if self.epoch >= instance.deadline:
            raise Terminated("the epoch deadline had passed before the call")
        future = asyncio.run_coroutine_threadsafe(self.racer.eval_cancelable(source),
                                                  self._loop)
        self._running = (instance, future)
        try:
            if self.epoch >= instance.deadline:  # reached between the check and now
                future.cancel()
            return future.result()
        except concurrent.futures.CancelledError:
            self.racer.eval("0")  # answers once V8 has ended the terminated call
            raise Terminated("V8 terminated the call at its epoch deadline") from None
        finally:
            self._running = None

    @property
    def info(self) -> RuntimeInfo:
        return RuntimeInfo(self.name, PACKAGE, metadata.version(PACKAGE),
                           f"V8 {self.racer.v8_version} (Liftoff, then TurboFan)",
                           "MiniRacer.eval of a call expression (one task on V8's thread per "
                           "call), ArrayBuffer memoryview; JSPI for imports"
                           + ("; epoch_interruption on (eval_cancelable, TerminateExecution)"
                              if self.interruption is not None else ""))

    def _free_dropped(self) -> None:
        """Forget, in V8, the modules and instances Python dropped (finalizers only queue
        them: they may run on any thread, mid-call)."""
        if self._dropped_modules or self._dropped_instances:
            mods, insts = _drain(self._dropped_modules), _drain(self._dropped_instances)
            self.racer.eval(f"__wib.free({mods}, {insts}); 0")

    def compile(self, wasm: bytes) -> V8Module:
        wasm = bytes(wasm)
        self._free_dropped()
        if wasm:
            buffer = self.racer.eval(f"__wib.buf = new ArrayBuffer({len(wasm)})")
            buffer[:] = wasm  # type: ignore[index]
        else:
            self.racer.eval("__wib.buf = new ArrayBuffer(0); 0")
        try:
            mid = int(self.racer.eval("__wib.compile()"))  # type: ignore[arg-type]
        except Exception as exc:
            raise self._error(exc, CompileError) from None
        try:
            summary: ModuleSummary | None = summarize(wasm)
        except MalformedModule:
            summary = None  # valid for V8, beyond our reader: exports are asked of V8
        return V8Module(self, mid, summary)

    def instantiate(self, module: V8Module, imports: Imports | None = None) -> Instance:
        imports = imports or {}
        self._free_dropped()
        wanted = module.summary.imports if module.summary is not None else []
        for mod, name, kind in wanted:
            if kind != "func":
                raise LinkError(f"import {mod}.{name} is a {kind}; this adapter links "
                                "functions only")
            if name not in imports.get(mod, {}):
                raise LinkError(f"unknown import: {mod}.{name} was not provided")
        keep: list[Any] = []
        jspi = any(kind == "func" for _, _, kind in wanted)
        if jspi and self.interruption is not None:
            raise NotSupported("v8's interruptible sibling cannot stop a JSPI call (a guest "
                               "with imports): it instantiates modules without imports only")
        if jspi:
            self._host_table(imports, keep)
        table = "__wib.imports" if jspi else "{}"
        source = f"__wib.instantiate({module.id}, {table}, {json.dumps(jspi)})"
        try:
            iid = int(self.racer.eval(source))  # type: ignore[arg-type]
        except Exception as exc:
            raise self._error(exc, LinkError) from None
        finally:
            if jspi:
                self.racer.eval("delete __wib.imports; 0")
        return V8Instance(self, module, iid, jspi, keep)

    def _host_table(self, imports: Imports, keep: list[Any]) -> None:
        """Put ``__wib.imports`` in place: every host function as a JSPI ``Suspending``
        import around mini-racer's async wrapper of it."""
        # The wrapper is an async context manager entered on mini-racer's own loop; the loop
        # closes it (its async-generator finalizer) once the instance is dropped.
        loop = self._loop
        self.racer.eval("__wib.imports = {}; 0")
        setter = self.racer.eval(
            "(mod, name, fn, params, results) => { (__wib.imports[mod] ??= {})[name] = "
            "__wib.host(fn, JSON.parse(params), JSON.parse(results)); }")
        for mod, funcs in imports.items():
            for name, host in funcs.items():
                if len(host.results) > 1:
                    raise LinkError(f"import {mod}.{name} returns {len(host.results)} values; "
                                    "a Python function can return only one to V8")
                manager = self.racer.wrap_py_function(_async_host(host))
                fn = asyncio.run_coroutine_threadsafe(manager.__aenter__(), loop).result()
                keep.append((manager, fn))
                setter(mod, name, fn, json.dumps(list(host.params)),  # type: ignore[operator]
                       json.dumps(list(host.results)))

    def explain(self, exc: BaseException) -> WasmError:
        if isinstance(exc, Terminated):
            return Trap(f"trap {TERMINATED}: {exc}", code=TERMINATED,
                        interrupted_by=Capability.EPOCH_INTERRUPTION)
        return self._error(exc, Trap)

    def _error(self, exc: BaseException, default: type[WasmError]) -> WasmError:
        """V8's error, by its JavaScript class: CompileError, LinkError, RuntimeError (a trap)."""
        if isinstance(exc, WasmError):
            return exc
        text = str(exc)
        if _HOST_RAISED in text:  # a host function raised: its traceback's last line
            lines = [line for line in text.splitlines() if line.strip()
                     and not line.lstrip().startswith("at ")]
            return Trap(f"trap: host function raised {lines[-1].strip()}")
        found = _ERROR.search(text)
        if found is None:
            return default(f"{type(exc).__name__}: {text.strip()}")
        cls, message = found.groups()
        kind = {"CompileError": CompileError, "LinkError": LinkError}.get(cls, default)
        if cls == "RuntimeError":
            kind = Trap
        return kind(message.strip())


def _async_host(host: HostFunction) -> Callable[..., Any]:
    """mini-racer calls Python only as an async function; i64 values cross as text."""
    fn = host.fn
    big = [i for i, t in enumerate(host.params) if t == "i64"]
    text_result = host.results == ("i64",)

    async def call(*args: Any) -> Any:
        if big:
            args = tuple(int(a) if i in big else a for i, a in enumerate(args))
        result = fn(*args)
        return str(int(result)) if text_result else result

    return call
