"""A corpus of misbehaving guests: the article's module in WAT with one defect each.

Each ``BadGuest`` replaces one export of a correct WAT twin of guest/article (or mangles the
bytes), names the scenarios that reach the defect, and says what every wasm runtime must
report. The test (tests/e2e/test_bad_guests.py) runs each one through the real command with
``--guest article=<module>``; the modules are assembled at test time with wasmtime's
``wat2wasm`` (a core dependency), so only source lives in the repo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

GOOD: dict[str, str] = {
    "no_op": '(func (export "no_op"))',
    "add_numbers": """(func (export "add_numbers") (param i32 i32) (result i32)
        local.get 0 local.get 1 i32.add)""",
    # A bump allocator: enough for the scenarios, like the Rust guest's from the host's view.
    "allocate": """(func (export "allocate") (param $size i32) (result i32) (local $p i32)
        global.get $heap local.set $p
        global.get $heap local.get $size i32.add i32.const 7 i32.add i32.const -8 i32.and
        global.set $heap
        (block $fits (loop $grow
          global.get $heap memory.size i32.const 16 i32.shl i32.le_u br_if $fits
          (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
          br $grow))
        local.get $p)""",
    "deallocate": '(func (export "deallocate") (param i32 i32))',
    "reverse_string_in_place": """(func (export "reverse_string_in_place")
        (param $p i32) (param $n i32) (local $q i32) (local $t i32)
        local.get $p local.get $n i32.add i32.const 1 i32.sub local.set $q
        (block $done (loop $swap
          local.get $p local.get $q i32.ge_s br_if $done
          local.get $p i32.load8_u local.set $t
          local.get $p local.get $q i32.load8_u i32.store8
          local.get $q local.get $t i32.store8
          local.get $p i32.const 1 i32.add local.set $p
          local.get $q i32.const 1 i32.sub local.set $q
          br $swap)))""",
    "sum_array": """(func (export "sum_array") (param $p i32) (param $n i32) (result i32)
        (local $s i32)
        (block $done (loop $add
          local.get $n i32.eqz br_if $done
          local.get $s local.get $p i32.load i32.add local.set $s
          local.get $p i32.const 4 i32.add local.set $p
          local.get $n i32.const 1 i32.sub local.set $n
          br $add))
        local.get $s)""",
}


@dataclass(frozen=True)
class BadGuest:
    """One defective module, the scenarios that reach its defect and what must be reported.

    ``expect`` maps each of those scenarios to (status of every benchmark, words of which
    one must appear in the lower-cased detail) for every runtime that runs real wasm.
    """

    name: str
    defect: str
    scenarios: tuple[str, ...]
    expect: dict[str, tuple[str, tuple[str, ...]]]
    replace: dict[str, str | None] = field(default_factory=dict)  # export -> WAT, None drops it
    extra: str = ""  # more module fields (imports, data)
    memory: str = "17"  # pages: "initial" or "initial maximum"
    mangle: str = ""  # "" | "garbage" | "truncate"
    # --call-timeout for the run: None leaves the command's generous default, for guests whose
    # calls end; a short one only where no call can end (it times out however fast the machine)
    call_timeout: float | None = None

    def wat(self) -> str:
        funcs = [w for name, w in {**GOOD, **self.replace}.items() if w is not None]
        return "\n".join(["(module", self.extra, f'(memory (export "memory") {self.memory})',
                          "(global $heap (mut i32) (i32.const 65536))", *funcs, ")"])

    def build(self, folder: Path) -> Path:
        import wasmtime

        data = bytes(wasmtime.wat2wasm(self.wat()))
        if self.mangle == "garbage":
            data = b"this is not a wasm module, it only has its name\n" * 4
        elif self.mangle == "truncate":
            data = data[: len(data) // 2]
        path = folder / f"{self.name}.wasm"
        path.write_bytes(data)
        return path


TRAP = "invalid"
CORPUS: tuple[BadGuest, ...] = (
    BadGuest("infinite_loop", "no_op never returns", ("no_op",),
             {"no_op": ("timeout", ("a call ran past --call-timeout=4s",))},
             {"no_op": '(func (export "no_op") (loop $forever br $forever))'}, call_timeout=4),
    BadGuest("unreachable", "add_numbers executes `unreachable`", ("add_numbers",),
             {"add_numbers": (TRAP, ("unreachable",))},
             {"add_numbers": """(func (export "add_numbers") (param i32 i32) (result i32)
                 unreachable)"""}),
    BadGuest("divide_by_zero", "add_numbers divides by zero", ("add_numbers",),
             {"add_numbers": (TRAP, ("divide by zero", "division by zero"))},
             {"add_numbers": """(func (export "add_numbers") (param i32 i32) (result i32)
                 local.get 0 i32.const 0 i32.div_s)"""}),
    BadGuest("out_of_bounds", "reverse_string_in_place reads past the end of memory",
             ("reverse_string",), {"reverse_string": (TRAP, ("out of bounds",))},
             {"reverse_string_in_place": """(func (export "reverse_string_in_place")
                 (param i32 i32) i32.const -4 i32.load drop)"""}),
    # The declared maximum (32 pages) makes memory.grow fail after 15 pages: the point is the
    # runtime's error, not how fast a machine can grow memory towards 4 GiB (a guest that
    # exhausts memory slowly is reported as `timeout` if its call outlives --call-timeout).
    BadGuest("memory_exhausted", "allocate grows memory to its declared maximum, then beyond",
             ("alloc_dealloc",), {"alloc_dealloc": (TRAP, ("unreachable",))},
             {"allocate": """(func (export "allocate") (param i32) (result i32)
                 (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1))
                                                  (i32.const -1))))
                 unreachable)"""}, memory="17 32"),
    BadGuest("stack_overflow", "sum_array recurses without end", ("sum_array",),
             {"sum_array": (TRAP, ("stack overflow", "call stack exhausted"))},
             {"sum_array": """(func $sum (export "sum_array") (param i32 i32) (result i32)
                 local.get 0 local.get 1 call $sum i32.const 1 i32.add)"""}),
    BadGuest("garbage", "the bytes are not a wasm module", ("no_op",),
             {"no_op": (TRAP, ("compile",))}, mangle="garbage"),
    BadGuest("truncated", "a valid module cut in half", ("no_op",),
             {"no_op": (TRAP, ("compile",))}, mangle="truncate"),
    BadGuest("missing_export", "sum_array is not exported", ("sum_array", "no_op"),
             {"sum_array": (TRAP, ("export not found: sum_array",)),
              "no_op": ("ok", ())}, {"sum_array": None}),
    BadGuest("wrong_signature", "add_numbers takes and returns i64", ("add_numbers",),
             {"add_numbers": (TRAP, ("(i64, i64) -> i64, the scenario needs (i32, i32) -> i32",))},
             {"add_numbers": """(func (export "add_numbers") (param i64 i64) (result i64)
                 local.get 0 local.get 1 i64.add)"""}),
    BadGuest("missing_import", "imports a host function nobody provides", ("no_op",),
             {"no_op": (TRAP, ("link", "import"))},
             extra='(import "env" "host_log" (func (param i32)))'),
    BadGuest("large_data_segment", "a 16 MiB data segment (valid: must just work)",
             ("no_op", "reverse_string"),
             {"no_op": ("ok", ()), "reverse_string": ("ok", ())},
             extra=f'(data (i32.const 1048576) "{"ab" * (8 << 20)}")', memory="300"),
)
