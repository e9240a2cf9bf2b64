"""Scenarios declared as data: a user's own module and export, from a TOML file or the CLI.

One TOML file declares one scenario (see docs/workloads-as-data.md)::

    name = "fnv1a"                         # default: the file's stem
    summary = "FNV-1a hash of a payload in guest memory"
    module = "modules/checksum.wasm"       # relative to this file
    export = "fnv1a"
    reference = "checksum_ref:fnv1a"       # module:function from this file's folder, or an
                                           # expression; or a constant: expect = 7
    [payload]                              # leave out for a call with fixed `args = [3, 4]`
    generator = "text"                     # text | bytes | i32 | module:function (size -> bytes)
    sizes = [16, 1024, 65536]              # payload bytes, one benchmark each
    allocate = "allocate"                  # export (size) -> pointer; or address = 1024
    args = ["ptr", "len"]                  # ptr, len (bytes), count (items), or numbers
    result = "return"                      # or "memory": the payload's bytes after the call

``export = "_start"`` declares a WASI command instead: ``args`` are its arguments, ``expect``
its stdout (trailing newlines ignored), and one operation is instantiate + run.

``python -m scenarios.run --module app.wasm --export add --args 3,4 --expect 7`` builds the
same ``Declaration``. Everything is checked against the module before anything runs
(``check``); the orchestrator hands the resolved declaration to every benchmark process as
JSON, so pyperf's workers measure exactly what the main process validated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import random
import re
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtimes.base import Capability, WasiResult
from runtimes.wasm_binary import MalformedModule, ModuleSummary, summarize
from scenarios.catalog import Benchmark, Scenario, Session, Workload, describe_mismatch, reference

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10
    import tomli as tomllib

FROM_OPTIONS = "the command line"  # the source of a --module declaration
WASI_EXPORT = "_start"
WASI_MODULE = "wasi_snapshot_preview1"
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_REF_FUNCTION = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_PLACEHOLDERS = {"ptr": "p", "len": "n", "count": "c"}
_INT_RANGE = {"i32": 32, "i64": 64}
# The keys of a file (and of its [payload] table) with the TOML types they take.
_KEYS = {"name": str, "summary": str, "module": str, "export": str, "args": list,
         "expect": object, "reference": str, "payload": dict}
_PAYLOAD_KEYS = {"generator": str, "sizes": list, "allocate": str, "address": int,
                 "args": list, "result": str}


class DeclarationError(ValueError):
    """A declared scenario that cannot run; the message names the file and what to fix."""


@dataclass(frozen=True)
class Payload:
    generator: str = "text"
    sizes: tuple[int, ...] = ()
    allocate: str | None = "allocate"
    address: int | None = None
    args: tuple[str | int, ...] = ("ptr", "len")
    result: str = "return"  # "return" | "memory"

    @property
    def item_bytes(self) -> int:
        return 4 if self.generator == "i32" else 1


@dataclass(frozen=True)
class Declaration:
    """One user scenario, with every path absolute (benchmark processes run elsewhere)."""

    name: str
    module: str
    export: str
    summary: str = ""
    args: tuple[Any, ...] = ()
    expect: Any = None
    has_expect: bool = False
    reference: str | None = None
    payload: Payload | None = None
    base_dir: str = ""  # where module:function references are imported from
    source: str = FROM_OPTIONS

    # -- serialisation (to the benchmark processes) --------------------------------------
    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Declaration:
        data = json.loads(text)
        payload = data.pop("payload")
        if payload is not None:
            payload = Payload(**{k: tuple(v) if isinstance(v, list) else v
                                 for k, v in payload.items()})
        return cls(**{k: tuple(v) if k == "args" else v for k, v in data.items()},
                   payload=payload)

    # -- what it is ----------------------------------------------------------------------
    @property
    def wasi(self) -> bool:
        return self.export == WASI_EXPORT

    @property
    def requires(self) -> frozenset[Capability]:
        needed = {Capability.ANY_MODULE}
        if self.wasi:
            needed.add(Capability.WASI)
        if self.payload is not None:
            needed.add(Capability.MEMORY)
        return frozenset(needed)

    def fail(self, problem: str) -> DeclarationError:
        return DeclarationError(problem if self.source == FROM_OPTIONS
                                else f"{self.source}: {problem}")

    def wasm(self) -> bytes:
        try:
            return Path(self.module).read_bytes()
        except FileNotFoundError:
            raise self.fail(f"module {self.module} not found") from None
        except OSError as exc:
            raise self.fail(f"module {self.module} cannot be read ({exc.strerror})") from None

    # -- checks before anything runs ------------------------------------------------------
    def load(self) -> tuple[bytes, ModuleSummary]:
        wasm = self.wasm()
        try:
            return wasm, summarize(wasm)
        except MalformedModule as exc:
            raise self.fail(f"{self.module}: {exc}") from None

    def check(self) -> None:
        """Check the declaration against its module, computing every reference answer."""
        _, summary = self.load()
        self._check_export(summary)
        self._check_imports(summary)
        if self.payload is not None:
            self._check_payload(summary)
        elif not self.wasi:
            self.call_args(summary)
        for size in self.sizes():
            self.expected(summary, self.payload_data(size) if self.payload else b"")

    def _check_export(self, summary: ModuleSummary) -> None:
        funcs = sorted(n for n, k in summary.exports.items() if k == "func")
        kind = summary.exports.get(self.export)
        if kind is None:
            raise self.fail(f"{Path(self.module).name} has no export {self.export!r} "
                            f"(its function exports: {', '.join(funcs) or 'none'})")
        if kind != "func":
            raise self.fail(f"export {self.export!r} of {Path(self.module).name} is a {kind}, "
                            "not a function")
        params, results = self.signature(summary)
        if self.wasi and (params or results):
            raise self.fail(f"{WASI_EXPORT} must take and return nothing (a WASI command), "
                            f"but it is {_show(params, results)}")
        if len(results) > 1:
            raise self.fail(f"export {self.export!r} returns {len(results)} values "
                            f"{_show(params, results)}; only one result can be checked")
        unsupported = [t for t in (*params, *results) if t not in ("i32", "i64", "f32", "f64")]
        if unsupported:
            raise self.fail(f"export {self.export!r} is {_show(params, results)}; "
                            f"{unsupported[0]} values cannot be passed or checked by the harness")

    def _check_imports(self, summary: ModuleSummary) -> None:
        for mod, name, kind in summary.imports:
            if self.wasi and mod == WASI_MODULE and kind == "func":
                continue
            provided = (f"only {WASI_MODULE} functions, to a command run through {WASI_EXPORT}"
                        if self.wasi else
                        f"no imports (WASI only to a command module run as --export "
                        f"{WASI_EXPORT})")
            raise self.fail(f"{Path(self.module).name} imports {mod}.{name} ({kind}), which the "
                            f"host cannot provide: it offers {provided}")

    def _check_payload(self, summary: ModuleSummary) -> None:
        pay = self.payload
        assert pay is not None
        if not pay.sizes or any(not isinstance(s, int) or s <= 0 for s in pay.sizes):
            raise self.fail(f"payload sizes must be positive integers, got {list(pay.sizes)}")
        if pay.generator == "i32" and any(s % 4 for s in pay.sizes):
            raise self.fail("payload sizes of the i32 generator must be multiples of 4")
        if pay.result not in ("return", "memory"):
            raise self.fail(f"payload result must be 'return' or 'memory', got {pay.result!r}")
        if pay.address is None:
            if summary.exports.get(pay.allocate or "") != "func":
                raise self.fail(f"payload allocate export {pay.allocate!r} not found in "
                                f"{Path(self.module).name} (or give address = N)")
            if len(self.signature(summary, pay.allocate)[0]) != 1:
                raise self.fail(f"allocate export {pay.allocate!r} must take one size argument")
        if "memory" not in summary.exports.values():
            raise self.fail(f"{Path(self.module).name} exports no memory to write a payload to")
        params = self.signature(summary)[0]
        if len(pay.args) != len(params):
            raise self.fail(f"export {self.export!r} takes {len(params)} arguments "
                            f"{_show(params, ())}, payload args are {list(pay.args)}")
        for a in pay.args:
            number = isinstance(a, int) and not isinstance(a, bool)
            if not (number or (isinstance(a, str) and a in _PLACEHOLDERS)):
                raise self.fail(f"payload argument {a!r} is not a number or one of "
                                f"{', '.join(_PLACEHOLDERS)}")

    def signature(self, summary: ModuleSummary, export: str | None = None
                  ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return summary.signatures.get(export or self.export, ((), ()))

    def call_args(self, summary: ModuleSummary) -> list[int | float]:
        """The scalar arguments, converted to the export's parameter types (or an error)."""
        params = self.signature(summary)[0]
        if len(self.args) != len(params):
            raise self.fail(f"export {self.export!r} takes {len(params)} argument"
                            f"{'s' if len(params) != 1 else ''} {_show(params, ())}, "
                            f"{len(self.args)} given")
        return [self._value(v, t, f"argument {i + 1}") for i, (v, t) in
                enumerate(zip(self.args, params, strict=True))]

    def _value(self, value: Any, ty: str, what: str) -> int | float:
        if ty in _INT_RANGE:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(f"{what} ({value!r}) must be an integer for {ty}")
            bits = _INT_RANGE[ty]
            if not -(2 ** (bits - 1)) <= value < 2**bits:
                raise self.fail(f"{what} ({value}) does not fit in {ty}")
            return value - 2**bits if value >= 2 ** (bits - 1) else value  # unsigned -> signed
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{what} ({value!r}) must be a number for {ty}")
        return struct.unpack("<f", struct.pack("<f", value))[0] if ty == "f32" else float(value)

    # -- values --------------------------------------------------------------------------
    def sizes(self) -> tuple[int, ...]:
        return self.payload.sizes if self.payload else (0,)

    def payload_data(self, size: int) -> bytes:
        pay = self.payload
        assert pay is not None
        if pay.generator == "text":
            return reference.text(size)
        if pay.generator == "bytes":
            return random.Random(size).randbytes(size)
        if pay.generator == "i32":
            values = reference.i32_array(size // 4)
            return struct.pack(f"<{len(values)}i", *values)
        if not _REF_FUNCTION.match(pay.generator):
            raise self.fail(f"unknown payload generator {pay.generator!r} "
                            "(text, bytes, i32 or module:function)")
        data = self._call(pay.generator, size)
        if not isinstance(data, (bytes, bytearray)) or len(data) != size:
            raise self.fail(f"payload generator {pay.generator} must return {size} bytes for "
                            f"size {size}, got {type(data).__name__}")
        return bytes(data)

    def expected(self, summary: ModuleSummary, data: bytes) -> Any:
        """The reference answer for one benchmark (``data``: its payload, if any)."""
        results = self.signature(summary)[1]
        if self.has_expect:
            value = self.expect
        elif self.reference:
            value = self._reference(summary, data)
        elif not results and not self.wasi and (self.payload is None
                                                or self.payload.result == "return"):
            value = None  # nothing comes back: the call must simply succeed
        else:
            raise self.fail("give the expected answer (expect = ...) or a reference "
                            "(reference = ...): every answer is checked before it is timed")
        if self.wasi:
            return str(value)
        if self.payload is not None and self.payload.result == "memory":
            if not isinstance(value, (bytes, bytearray)):
                raise self.fail(f"result = 'memory' needs bytes as the answer (a reference "
                                f"giving bytes), got {type(value).__name__}")
            return bytes(value)
        if not results:
            if value is not None:
                raise self.fail(f"export {self.export!r} returns nothing, expected {value!r}")
            return None
        return self._value(value, results[0], "the expected result")

    def _reference(self, summary: ModuleSummary, data: bytes) -> Any:
        """Evaluate ``reference``: a function gets the payload, the arguments or the argv."""
        assert self.reference is not None
        if self.wasi:
            argv = [str(a) for a in self.args]
            call_with, names = [argv], {"argv": argv}
        elif self.payload is not None:
            call_with, names = [data], {"data": data, "size": len(data)}
        else:
            call_with = self.call_args(summary)
            names = {"args": call_with, **{f"a{i}": v for i, v in enumerate(call_with)}}
        if _REF_FUNCTION.match(self.reference):
            return self._call(self.reference, *call_with)
        namespace = {**{k: v for k, v in vars(reference).items() if not k.startswith("_")},
                     "struct": struct, "zlib": zlib, "hashlib": hashlib, **names}
        try:
            return eval(compile(self.reference, "<reference>", "eval"), namespace)
        except Exception as exc:
            raise self.fail(f"reference {self.reference!r} failed: "
                            f"{type(exc).__name__}: {exc}") from None

    def _call(self, target: str, *args: Any) -> Any:
        """Import ``module:function`` (from ``base_dir`` first) and call it."""
        module_name, _, attr = target.partition(":")
        sys.path.insert(0, self.base_dir)
        try:
            fn = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise self.fail(f"cannot load {target} ({type(exc).__name__}: {exc})") from None
        finally:
            sys.path.remove(self.base_dir)
        try:
            return fn(*args)
        except Exception as exc:
            raise self.fail(f"{target} failed: {type(exc).__name__}: {exc}") from None

    # -- the scenario --------------------------------------------------------------------
    def scenario(self) -> Scenario:
        """The runnable scenario (``check`` first: this only re-reads the module)."""
        wasm, summary = self.load()
        sha = hashlib.sha256(wasm).hexdigest()

        def benchmarks() -> list[Benchmark]:
            if self.payload is None:
                return [Benchmark(self.name, self.name, self._prepare(wasm, summary, 0))]
            return [Benchmark(f"{self.name}/{size}", self.name,
                              self._prepare(wasm, summary, size), size)
                    for size in self.payload.sizes]

        kind = ("WASI command, instantiate + run" if self.wasi else
                "payload in linear memory" if self.payload else "call")
        return Scenario(self.name, self.summary or f"{self.export} of {Path(self.module).name} "
                        f"({kind}; {self.source})", self.requires, benchmarks,
                        metadata={"module": self.module, "module_sha256": sha})

    def _prepare(self, wasm: bytes, summary: ModuleSummary, size: int
                 ) -> Callable[[Session], Workload]:
        def prepare(session: Session) -> Workload:
            module = session.compiled(wasm)
            if self.wasi:
                return self._wasi_workload(session, module, summary)
            inst = session.runtime.instantiate(module)
            f = inst.export(self.export)
            if self.payload is None:
                values = self.call_args(summary)
                names = {f"a{i}": v for i, v in enumerate(values)}
                return Workload(f"r = f({', '.join(names)})", {"f": f, **names}, result="r",
                                expect=self.expected(summary, b""))
            pay = self.payload
            data = self.payload_data(size)
            mem = inst.memory()
            ptr = pay.address if pay.address is not None else inst.export(pay.allocate)(size)
            call = f"f({', '.join(_PLACEHOLDERS.get(a, repr(a)) for a in pay.args)})"
            names = {"f": f, "w": mem.write, "rd": mem.read, "d": data, "p": ptr,
                     "n": size, "c": size // pay.item_bytes}
            stmt = (f"w(p, d); {call}; r = rd(p, n)" if pay.result == "memory"
                    else f"w(p, d); r = {call}")
            return Workload(stmt, names, result="r", expect=self.expected(summary, data))
        return prepare

    def _wasi_workload(self, session: Session, module: Any, summary: ModuleSummary
                       ) -> Workload:
        argv = [Path(self.module).name, *(str(a) for a in self.args)]
        want = self.expected(summary, b"").rstrip("\n")

        def check(result: Any) -> str | None:
            if not isinstance(result, WasiResult):
                return f"got {result!r:.80}, expected a WasiResult"
            if result.exit_code != 0:
                return f"exited with code {result.exit_code} (stdout {result.stdout[:60]!r})"
            got = result.stdout.decode("utf-8", errors="replace").rstrip("\n")
            return None if got == want else f"stdout: {describe_mismatch(got, want)}"

        return Workload("r = run(m, argv)",
                        {"run": session.runtime.run_wasi, "m": module, "argv": argv},
                        result="r", check=check)


def _show(params: tuple[str, ...], results: tuple[str, ...]) -> str:
    out = f"({', '.join(params)})"
    return f"{out} -> {', '.join(results)}" if results else out


# -- reading declarations -----------------------------------------------------------------

def load_file(path: Path) -> Declaration:
    """The declaration in one TOML file (relative paths resolved against its folder)."""
    path = path.resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeclarationError(f"{path}: cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DeclarationError(f"{path}: not valid TOML ({exc})") from None
    where = str(path)
    _check_keys(data, _KEYS, where, "")
    for key in ("module", "export"):
        if not data.get(key):
            raise DeclarationError(f"{where}: {key} = \"...\" is required")
    payload = None
    if "payload" in data:
        _check_keys(data["payload"], _PAYLOAD_KEYS, where, "payload ")
        payload = Payload(**{k: tuple(v) if isinstance(v, list) else v
                             for k, v in data["payload"].items()})
    args = data.get("args", [])
    return _declaration(
        name=data.get("name", path.stem), module=str((path.parent / data["module"]).resolve()),
        export=data["export"], summary=str(data.get("summary", "")), args=tuple(args),
        expect=data.get("expect"), has_expect="expect" in data,
        reference=data.get("reference"), payload=payload, base_dir=str(path.parent),
        source=where)


def _check_keys(table: dict[str, Any], known: dict[str, type], where: str, what: str) -> None:
    for key, value in table.items():
        if key not in known:
            raise DeclarationError(f"{where}: unknown {what}key {key!r} "
                                   f"(known: {', '.join(sorted(known))})")
        if not isinstance(value, known[key]) or (isinstance(value, bool) and known[key] is int):
            kind = {str: "a string", list: "a list", int: "an integer", dict: "a table"}
            raise DeclarationError(f"{where}: {what}{key} must be {kind[known[key]]}")


def load_dir(folder: Path) -> list[Declaration]:
    """Every ``*.toml`` in ``folder``, in name order."""
    if not folder.is_dir():
        raise DeclarationError(f"scenarios folder {folder} not found")
    found = [load_file(p) for p in sorted(folder.glob("*.toml"))]
    if not found:
        raise DeclarationError(f"no *.toml scenario files in {folder}")
    return found


def from_options(module: str, export: str, args: str | None, expect: str | None,
                 reference_: str | None, name: str | None) -> Declaration:
    """The declaration ``--module/--export/--args/--expect/--reference`` describe."""
    wasi = export == WASI_EXPORT
    values = [a for a in (args or "").split(",") if a.strip()]
    parsed = tuple(values) if wasi else tuple(_number(v, f"--args value {v!r}") for v in values)
    path = Path(module).resolve()
    default = f"{path.stem}.{export.strip('_')}"
    return _declaration(
        name=name or default, module=str(path), export=export, args=parsed,
        expect=(expect if wasi or expect is None else _number(expect, f"--expect {expect!r}")),
        has_expect=expect is not None, reference=reference_, base_dir=str(Path.cwd()))


def _declaration(**fields: Any) -> Declaration:
    decl = Declaration(**fields)
    if not isinstance(decl.name, str) or not _NAME.match(decl.name):
        raise decl.fail(f"scenario name {decl.name!r} must be letters, digits, '_', '.' or '-'")
    if decl.has_expect and decl.reference:
        raise decl.fail("give either expect or reference, not both")
    if decl.wasi and decl.payload is not None:
        raise decl.fail(f"a WASI command ({WASI_EXPORT}) takes no payload")
    if decl.payload is not None and decl.args:
        raise decl.fail("a payload scenario's arguments go in [payload] args = [...]")
    return decl


def _number(text: str, what: str) -> int | float:
    text = text.strip()
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise DeclarationError(f"{what} is not a number") from None
