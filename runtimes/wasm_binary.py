"""Just enough of the wasm binary format to list a module's exports, imports and memory.

Used by the python baseline (which runs no wasm, but must refuse what is not a module and
know which exports the guest declares), by adapters whose binding cannot list imports, and
by the checks on a user's module (an export's signature) that name what a module lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
_VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
             0x70: "funcref", 0x6F: "externref"}
PAGE = 65536

Signature = tuple[tuple[str, ...], tuple[str, ...]]  # (params, results)


def signature(params: tuple[str, ...], results: tuple[str, ...]) -> str:
    """``(i32, i32) -> i32``: how a function type is written in every message."""
    res = ", ".join(results)
    return f"({', '.join(params)}) -> {res if len(results) == 1 else f'({res})'}"


class MalformedModule(ValueError):
    """The bytes are not a (complete) wasm module."""


@dataclass
class ModuleSummary:
    exports: dict[str, str] = field(default_factory=dict)  # name -> kind
    imports: list[tuple[str, str, str]] = field(default_factory=list)  # (module, name, kind)
    memory_pages: int | None = None  # initial pages of the first defined memory
    signatures: dict[str, Signature] = field(default_factory=dict)  # exported func -> type


class _Reader:
    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise MalformedModule(f"unexpected end of module at offset {self.pos}")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise MalformedModule(f"integer too long at offset {self.pos}")

    def name(self) -> str:
        n = self.uleb()
        if self.pos + n > self.end:
            raise MalformedModule(f"name runs past the end of its section at offset {self.pos}")
        raw = self.data[self.pos:self.pos + n]
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def valtypes(self) -> tuple[str, ...]:
        return tuple(_VALTYPES.get(self.byte(), "?") for _ in range(self.uleb()))

    def limits(self) -> int:
        flags = self.byte()
        minimum = self.uleb()
        if flags & 1:
            self.uleb()
        return minimum


def is_component(data: bytes) -> bool:
    """Whether ``data`` claims to be a Component Model component (its preamble's layer is 1)."""
    return len(data) >= 8 and data[:4] == b"\0asm" and data[6:8] == b"\x01\x00"


def summarize(data: bytes) -> ModuleSummary:
    """Read exports, imports and initial memory; raise ``MalformedModule`` on bad bytes."""
    if len(data) < 8 or data[:4] != b"\0asm":
        raise MalformedModule("not a wasm module (missing \\0asm magic)")
    if is_component(data):
        raise MalformedModule("a Component Model component, not a core module")
    if data[4:8] != b"\x01\0\0\0":
        raise MalformedModule(f"unsupported wasm binary version {data[4:8].hex()}")
    out = ModuleSummary()
    types: list[Signature] = []
    func_types: list[int] = []  # type index of every function, imported ones first
    exported_funcs: dict[str, int] = {}
    r = _Reader(data, 8)
    while r.pos < len(data):
        section = r.byte()
        size = r.uleb()
        end = r.pos + size
        if end > len(data):
            raise MalformedModule(f"section {section} runs past the end of the module (truncated?)")
        s = _Reader(data, r.pos, end)
        if section == 1:
            for _ in range(s.uleb()):
                if s.byte() != 0x60:
                    raise MalformedModule(f"unknown type form at offset {s.pos - 1}")
                types.append((s.valtypes(), s.valtypes()))
        elif section == 2:
            for _ in range(s.uleb()):
                mod, name, kind = s.name(), s.name(), s.byte()
                out.imports.append((mod, name, _KINDS.get(kind, str(kind))))
                if kind == 0:
                    func_types.append(s.uleb())
                elif kind == 1:
                    s.byte()
                    s.limits()
                elif kind == 2:
                    s.limits()
                elif kind == 3:
                    s.byte()
                    s.byte()
                else:
                    s.byte()
                    s.uleb()
        elif section == 3:
            func_types.extend(s.uleb() for _ in range(s.uleb()))
        elif section == 5:
            count = s.uleb()
            if count and out.memory_pages is None:
                out.memory_pages = s.limits()
        elif section == 7:
            for _ in range(s.uleb()):
                name, kind = s.name(), s.byte()
                index = s.uleb()
                out.exports[name] = _KINDS.get(kind, str(kind))
                if kind == 0:
                    exported_funcs[name] = index
        r.pos = end
    for name, index in exported_funcs.items():
        if index < len(func_types) and func_types[index] < len(types):
            out.signatures[name] = types[func_types[index]]
    return out
