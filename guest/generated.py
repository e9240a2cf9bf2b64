"""Generated guest modules of any size, for compile/cache/instantiate scenarios.

A compile benchmark needs modules from ~10 KB to tens of MB that look like real code to a
compiler: many functions with locals, loops, branches, memory traffic and calls (direct and
through a table), not one giant data segment. ``program`` draws such a module from a seeded
generator (splitmix64, so the same parameters give the same bytes on every Python), ``encode``
writes it straight to the wasm binary format (an 8 MB module as WAT text would be far larger
and slow to assemble) and ``evaluate`` computes in Python what its ``run`` export returns,
so every runtime's answer is checked against an independent reference.

Modules are built on demand into a git-ignored cache keyed by the parameters and
``GENERATOR_VERSION`` (``module``); several processes may ask at once (a lock and an atomic
rename). ``python -m guest.generated SIZE ...`` builds and describes modules.

The module (``imports`` = K, N generated functions)::

    (import "env" "h0" .. "h{K-1}" (func (param i32) (result i32)))   ; host functions
    (table N' funcref)  (elem (i32.const 0) f0 .. f{N'-1})            ; N' = min(N, 1024)
    (memory (export "memory") 1)  (data (i32.const 0) <256 bytes>)
    (func $f{i} (param $x i32) (param $depth i32) (result i32) ...)   ; i = 0 .. N-1
    (func (export "run") (param i32) (result i32) ...)                ; calls 16 of the f{i}

Each ``f{i}``: ``acc = x*a + b``, then a loop of L iterations of a few rounds of
xor/shift/rotate/add, a load from the data table, a store to scratch memory read back, an
if/else; then, while ``depth > 0``, a direct call and a ``call_indirect`` to earlier
functions (and a call to a host function when the module has imports).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

# Bump whenever the bytes produced for given parameters change (the cache is keyed by it;
# guest/tests/test_generated.py pins the sha256 of a small module to catch a forgotten bump).
GENERATOR_VERSION = 1
CACHE_ENV = "WASM_INTEROP_MODULE_CACHE"
DEFAULT_CACHE = Path(__file__).resolve().parents[1] / ".cache" / "modules"
DEFAULT_SEED = 2026
ENTRIES = 16  # functions ``run`` calls, spread evenly over the module
ENTRY_DEPTH = 2  # call depth below each entry: 1 + 2 + 4 evaluations per entry
TABLE_MAX = 1024  # functions placed in the table (the call_indirect targets)
DATA_BYTES = 256  # the constant table at address 0, read by every function
SCRATCH = 256  # scratch words start here (never overlapping the constant table)
MASK32 = 0xFFFF_FFFF
_UMASK = os.umask(0)
os.umask(_UMASK)

# Type indices.
T_FUNC = 0  # (i32 x, i32 depth) -> i32
T_UNARY = 1  # (i32) -> i32: run and the host imports


class _Rng:
    """splitmix64: tiny, and stable across Python versions (unlike ``random``'s methods)."""

    def __init__(self, seed: int) -> None:
        self.state = seed & 0xFFFF_FFFF_FFFF_FFFF

    def next(self) -> int:
        self.state = (self.state + 0x9E37_79B9_7F4A_7C15) & 0xFFFF_FFFF_FFFF_FFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9) & 0xFFFF_FFFF_FFFF_FFFF
        z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & 0xFFFF_FFFF_FFFF_FFFF
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next() % n

    def i32(self) -> int:
        return _signed(self.next() & MASK32)


def _signed(x: int) -> int:
    x &= MASK32
    return x - (1 << 32) if x >= 1 << 31 else x


def host_function(k: int) -> Callable[[int], int]:
    """What host import ``h{k}`` computes: the host passes this; the reference calls it."""
    def h(x: int) -> int:
        return _signed(x * (2 * k + 3) + k)
    return h


@dataclass(frozen=True)
class Round:
    shift: int  # 1..31: acc ^= acc >>> shift
    rotate: int  # 1..31: acc = rotl(acc, rotate)
    step: int  # acc += j * step
    xor: int  # acc = load(store(acc)) ^ xor
    odd_add: int  # if acc is odd: acc += odd_add, else acc *= 7


@dataclass(frozen=True)
class Function:
    mul: int
    add: int
    rounds: tuple[Round, ...]
    iterations: int  # loop trip count, >= 1
    scratch: int  # address of this function's scratch word
    direct: int | None  # callee of the direct call (an earlier function), if any
    indirect: int | None  # table slot of the call_indirect callee, if any
    host: int | None  # host import called, if any


@dataclass(frozen=True)
class Program:
    """A generated module before encoding: everything ``encode`` and ``evaluate`` read."""

    functions: tuple[Function, ...]
    imports: int
    data: bytes

    @property
    def table_size(self) -> int:
        return min(len(self.functions), TABLE_MAX)

    @property
    def entries(self) -> tuple[int, ...]:
        n = len(self.functions)
        return tuple(sorted({(n - 1) * e // max(ENTRIES - 1, 1) for e in range(ENTRIES)}))


def _function(rng: _Rng, index: int, imports: int) -> Function:
    rounds = tuple(Round(1 + rng.below(31), 1 + rng.below(31), rng.i32(), rng.i32(), rng.i32())
                   for _ in range(1 + rng.below(3)))
    earlier = min(index, 64)
    return Function(
        mul=rng.i32() | 1, add=rng.i32(), rounds=rounds, iterations=2 + rng.below(5),
        scratch=SCRATCH + 4 * (index % 4096),
        direct=index - 1 - rng.below(earlier) if earlier else None,
        indirect=rng.below(min(index, TABLE_MAX)) if index else None,
        host=index % imports if imports else None)


def functions(seed: int, imports: int) -> Iterator[Function]:
    """The endless stream of functions a module of any size takes its prefix from."""
    rng = _Rng(seed)
    index = 0
    while True:
        yield _function(rng, index, imports)
        index += 1


# --- encoding ------------------------------------------------------------------------------

def _uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _vec(items: Sequence[bytes]) -> bytes:
    return _uleb(len(items)) + b"".join(items)


def _section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + _uleb(len(payload)) + payload


def _name(text: str) -> bytes:
    raw = text.encode()
    return _uleb(len(raw)) + raw


# Opcodes used (wasm 1.0 MVP only, so every runtime takes them).
BLOCK_VOID, LOOP, IF, ELSE, END, BR_IF = 0x40, 0x03, 0x04, 0x05, 0x0B, 0x0D
CALL, CALL_INDIRECT = 0x10, 0x11
LOCAL_GET, LOCAL_SET, LOCAL_TEE = 0x20, 0x21, 0x22
I32_LOAD, I32_STORE, I32_CONST = 0x28, 0x36, 0x41
I32_LT_U, I32_ADD, I32_SUB, I32_MUL, I32_AND, I32_XOR = 0x49, 0x6A, 0x6B, 0x6C, 0x71, 0x73
I32_SHL, I32_SHR_U, I32_ROTL = 0x74, 0x76, 0x77
X, DEPTH, ACC, J = 0, 1, 2, 3  # locals of every f{i}
MEMARG = b"\x02\x00"  # align 4, offset 0


def _const(v: int) -> bytes:
    return bytes([I32_CONST]) + _sleb(_signed(v))


def _get(i: int) -> bytes:
    return bytes([LOCAL_GET, i])


def _set(i: int) -> bytes:
    return bytes([LOCAL_SET, i])


def _body(f: Function, imports: int) -> bytes:
    """The code-section entry of one generated function (its locals and instructions)."""
    code = bytearray(_uleb(1) + _uleb(2) + b"\x7f")  # two more i32 locals: acc, j
    code += _get(X) + _const(f.mul) + bytes([I32_MUL]) + _const(f.add) + bytes([I32_ADD])
    code += _set(ACC)
    code += bytes([LOOP, BLOCK_VOID])
    for r in f.rounds:
        code += _get(ACC) + _get(ACC) + _const(r.shift) + bytes([I32_SHR_U, I32_XOR])
        code += _const(r.rotate) + bytes([I32_ROTL])
        code += _get(J) + _const(r.step) + bytes([I32_MUL, I32_ADD]) + _set(ACC)
        # acc += data[acc & 252]
        code += _get(ACC) + _get(ACC) + _const(DATA_BYTES - 4) + bytes([I32_AND, I32_LOAD])
        code += MEMARG + bytes([I32_ADD]) + _set(ACC)
        # scratch = acc; acc = scratch ^ xor
        code += _const(f.scratch) + _get(ACC) + bytes([I32_STORE]) + MEMARG
        code += _const(f.scratch) + bytes([I32_LOAD]) + MEMARG + _const(r.xor)
        code += bytes([I32_XOR]) + _set(ACC)
        # if acc & 1: acc += odd_add else: acc = (acc << 3) - acc
        code += _get(ACC) + _const(1) + bytes([I32_AND, IF, BLOCK_VOID])
        code += _get(ACC) + _const(r.odd_add) + bytes([I32_ADD]) + _set(ACC)
        code += bytes([ELSE]) + _get(ACC) + _const(3) + bytes([I32_SHL]) + _get(ACC)
        code += bytes([I32_SUB]) + _set(ACC) + bytes([END])
    code += _get(J) + _const(1) + bytes([I32_ADD, LOCAL_TEE, J]) + _const(f.iterations)
    code += bytes([I32_LT_U, BR_IF, 0, END])
    if f.direct is not None or f.host is not None:
        code += _get(DEPTH) + bytes([IF, BLOCK_VOID])
        if f.direct is not None:
            # acc += f{direct}(acc, depth - 1)
            code += _get(ACC) + _get(ACC) + _get(DEPTH) + _const(1) + bytes([I32_SUB])
            code += bytes([CALL]) + _uleb(imports + f.direct) + bytes([I32_ADD]) + _set(ACC)
        if f.indirect is not None:
            # acc ^= table[indirect](acc & 0xffff, depth - 1)
            code += _get(ACC) + _get(ACC) + _const(0xFFFF) + bytes([I32_AND])
            code += _get(DEPTH) + _const(1) + bytes([I32_SUB]) + _const(f.indirect)
            code += bytes([CALL_INDIRECT]) + _uleb(T_FUNC) + b"\x00" + bytes([I32_XOR])
            code += _set(ACC)
        if f.host is not None:
            # acc += h{host}(acc)
            code += _get(ACC) + _get(ACC) + bytes([CALL]) + _uleb(f.host) + bytes([I32_ADD])
            code += _set(ACC)
        code += bytes([END])
    code += _get(ACC) + bytes([END])
    return _uleb(len(code)) + bytes(code)


def _run_body(program: Program) -> bytes:
    """``run(x)``: acc = x; for each entry e: acc += f{e}(acc, ENTRY_DEPTH); return acc."""
    code = bytearray(_uleb(0))
    for e in program.entries:
        code += _get(0) + _get(0) + _const(ENTRY_DEPTH) + bytes([CALL])
        code += _uleb(program.imports + e) + bytes([I32_ADD]) + _set(0)
    code += _get(0) + bytes([END])
    return _uleb(len(code)) + bytes(code)


def _data(seed: int) -> bytes:
    rng = _Rng(seed ^ 0xDA7A)
    return b"".join((rng.next() & MASK32).to_bytes(4, "little") for _ in range(DATA_BYTES // 4))


def encode(program: Program, bodies: Sequence[bytes] | None = None) -> bytes:
    """The module's bytes (``bodies``: the functions' encoded bodies, when already at hand)."""
    n, k = len(program.functions), program.imports
    if bodies is None:
        bodies = [_body(f, k) for f in program.functions]
    i32 = 0x7F
    types = _vec([bytes([0x60, 2, i32, i32, 1, i32]), bytes([0x60, 1, i32, 1, i32])])
    imports = _vec([_name("env") + _name(f"h{h}") + b"\x00" + _uleb(T_UNARY) for h in range(k)])
    funcs = _uleb(n + 1) + bytes([T_FUNC]) * n + bytes([T_UNARY])
    table = _vec([b"\x70\x01" + _uleb(program.table_size) * 2])
    memory = _vec([b"\x00\x01"])
    exports = _vec([_name("run") + b"\x00" + _uleb(k + n), _name("memory") + b"\x02\x00"])
    elem = _vec([b"\x00" + _const(0) + bytes([END])
                 + _vec([_uleb(k + i) for i in range(program.table_size)])])
    code = _uleb(n + 1) + b"".join(bodies) + _run_body(program)
    data = _vec([b"\x00" + _const(0) + bytes([END]) + _uleb(len(program.data)) + program.data])
    return b"".join([
        b"\0asm\x01\0\0\0", _section(1, types), *([_section(2, imports)] if k else []),
        _section(3, funcs), _section(4, table), _section(5, memory), _section(7, exports),
        _section(9, elem), _section(10, code), _section(11, data)])


def build(size: int, imports: int = 0, seed: int = DEFAULT_SEED) -> tuple[Program, bytes]:
    """The largest module of this family that is at most ``size`` bytes (at least 1 function)."""
    data = _data(seed)
    stream = functions(seed, imports)
    chosen: list[Function] = []
    bodies: list[bytes] = []

    def take() -> None:
        f = next(stream)
        chosen.append(f)
        bodies.append(_body(f, imports))

    # Fill by an estimate that errs high (fixed part + each function's bytes), then encode and
    # adjust by whole functions: the estimate is within a few functions of the exact size.
    take()
    estimate = 300 + 12 * imports + len(data) + 8 * ENTRIES + len(bodies[0])
    while True:
        take()
        estimate += len(bodies[-1]) + 1 + (3 if len(chosen) <= TABLE_MAX else 0)
        if estimate > size:
            chosen.pop()
            bodies.pop()
            break
    wasm = encode(Program(tuple(chosen), imports, data), bodies)
    while len(wasm) > size and len(chosen) > 1:
        chosen.pop()
        bodies.pop()
        wasm = encode(Program(tuple(chosen), imports, data), bodies)
    while len(wasm) <= size:  # room left: grow while the exact size allows
        take()
        bigger = encode(Program(tuple(chosen), imports, data), bodies)
        if len(bigger) > size:
            chosen.pop()
            bodies.pop()
            break
        wasm = bigger
    return Program(tuple(chosen), imports, data), wasm


# --- the Python reference ------------------------------------------------------------------

def evaluate(program: Program, x: int) -> int:
    """What ``run(x)`` returns, computed from the program in Python (the reference answer)."""
    fns, table = program.functions, program.table_size
    data = program.data
    hosts = [host_function(k) for k in range(program.imports)]

    def call(i: int, x: int, depth: int) -> int:
        f = fns[i]
        acc = (x * f.mul + f.add) & MASK32
        for j in range(f.iterations):
            for r in f.rounds:
                acc ^= acc >> r.shift
                acc = ((acc << r.rotate) | (acc >> (32 - r.rotate))) & MASK32
                acc = (acc + j * (r.step & MASK32)) & MASK32
                at = acc & (DATA_BYTES - 4)
                acc = (acc + int.from_bytes(data[at:at + 4], "little")) & MASK32
                acc ^= r.xor & MASK32  # stored to scratch and read back unchanged
                acc = (acc + r.odd_add) & MASK32 if acc & 1 else (acc * 7) & MASK32
        if depth:
            if f.direct is not None:
                acc = (acc + call(f.direct, acc, depth - 1)) & MASK32
            if f.indirect is not None:
                assert f.indirect < table
                acc ^= call(f.indirect, acc & 0xFFFF, depth - 1) & MASK32
            if f.host is not None:
                acc = (acc + hosts[f.host](_signed(acc))) & MASK32
        return acc

    acc = x & MASK32
    for e in program.entries:
        acc = (acc + call(e, acc, ENTRY_DEPTH)) & MASK32
    return _signed(acc)


# --- the on-disk cache ---------------------------------------------------------------------

def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE)


@dataclass(frozen=True)
class GeneratedModule:
    """One generated module on disk, with what the results record about it."""

    size: int  # the size asked for (an upper bound of ``len(wasm)``)
    imports: int
    seed: int
    path: Path

    @cached_property
    def wasm(self) -> bytes:
        return self.path.read_bytes()

    @cached_property
    def meta(self) -> dict:
        return json.loads(self.path.with_suffix(".json").read_text())

    @property
    def sha256(self) -> str:
        return str(self.meta["sha256"])

    @property
    def functions(self) -> int:
        """Functions defined in the module (the generated ones and ``run``; imports excluded)."""
        return int(self.meta["functions"])

    def expected(self, x: int) -> int:
        """The reference answer of ``run(x)`` for the inputs the scenarios use."""
        return int(self.meta["expected"][str(x)])

    def describe(self) -> dict[str, str | int]:
        """Metadata for every result measured on this module."""
        return {"module_bytes": len(self.wasm), "module_functions": self.functions,
                "module_sha256": self.sha256, "module_imports": self.imports,
                "module_generator": f"guest.generated v{GENERATOR_VERSION} seed {self.seed}"}


INPUTS = (7, -123_456)  # the run(x) inputs whose reference answers are stored with a module


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _atomic_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp's 0600 would keep the cache from other users
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def module(size: int, imports: int = 0, seed: int = DEFAULT_SEED,
           folder: Path | None = None) -> GeneratedModule:
    """The generated module for these parameters, built into the cache the first time.

    The ``.json`` beside each ``.wasm`` is written last (both by rename), so a module counts
    as cached only once both are complete; the lock makes concurrent callers build it once.
    """
    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"gen-v{GENERATOR_VERSION}-{size}-i{imports}-s{seed}"
    found = GeneratedModule(size, imports, seed, folder / f"{stem}.wasm")
    meta = found.path.with_suffix(".json")
    if meta.exists():
        return found
    with _locked(folder / f".{stem}.lock"):
        if not meta.exists():
            program, wasm = build(size, imports, seed)
            _atomic_bytes(found.path, wasm)
            info = {"generator_version": GENERATOR_VERSION, "size": size, "imports": imports,
                    "seed": seed, "bytes": len(wasm), "sha256": hashlib.sha256(wasm).hexdigest(),
                    "functions": len(program.functions) + 1,
                    "expected": {str(x): evaluate(program, x) for x in INPUTS}}
            _atomic_bytes(meta, (json.dumps(info, indent=1) + "\n").encode())
    return found


# The sizes the compile and cache scenarios sweep, unless ``--module-sizes`` (which the
# orchestrator hands to every benchmark process through SIZES_ENV) says otherwise.
DEFAULT_SIZES = (10 << 10, 100 << 10, 1 << 20, 8 << 20)
SIZES_ENV = "WASM_INTEROP_MODULE_SIZES"


def sizes() -> tuple[int, ...]:
    """The module sizes of this run, smallest first."""
    text = os.environ.get(SIZES_ENV)
    return parse_sizes(text) if text else DEFAULT_SIZES


def use_sizes(text: str) -> tuple[int, ...]:
    """Make ``text`` (e.g. ``10K,1M,50M``) the sizes of this process and its children."""
    chosen = parse_sizes(text)
    os.environ[SIZES_ENV] = ",".join(str(n) for n in chosen)
    return chosen


def parse_sizes(text: str) -> tuple[int, ...]:
    found = sorted({parse_size(part) for part in text.split(",") if part.strip()})
    if not found:
        raise ValueError(f"no sizes in {text!r}")
    return tuple(found)


def size_label(size: int) -> str:
    """``10K``, ``8M``: a size in the units ``parse_size`` reads."""
    for unit, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if size % scale == 0:
            return f"{size // scale}{unit}"
    return str(size)


def parse_size(text: str) -> int:
    """``10K``, ``1M``, ``8M``, ``50M`` (binary units) or a plain number of bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    clean = text.strip().upper().removesuffix("IB").removesuffix("B")
    try:
        size = (int(float(clean[:-1]) * units[clean[-1]]) if clean and clean[-1] in units
                else int(clean))
    except ValueError:
        size = 0
    if size <= 0:
        raise ValueError(f"not a size: {text!r} (use bytes or 10K, 1M, 8M, ...)")
    return size


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m guest.generated",
                                description=__doc__.split("\n")[0])
    p.add_argument("sizes", nargs="+", help="module sizes: bytes, or 10K, 1M, 8M, 50M")
    p.add_argument("--imports", type=int, default=0, help="host functions imported")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = p.parse_args(argv)
    try:
        sizes = [parse_size(s) for s in args.sizes]
    except ValueError as exc:
        p.error(str(exc))
    for size in sizes:
        m = module(size, args.imports, args.seed)
        print(f"{m.path}  {len(m.wasm)} bytes  {m.functions} functions  sha256 {m.sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
