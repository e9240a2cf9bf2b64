"""Count instructions under valgrind's callgrind (``--measure instructions``).

A worker process runs under ``valgrind --tool=callgrind --collect-atstart=no``; around the
counted region it switches collection on and off with callgrind's client requests and dumps
the count, once after N statements and once after 2N. The per-operation figure is the
difference divided by N: what the region costs apart from the statements (the client
requests, the loop's set-up) cancels out.

Client requests are a magic instruction sequence valgrind recognises (valgrind.h); Python
cannot emit it, so a few bytes of x86-64 machine code are placed in an executable page and
called through ctypes: the same bytes ``VALGRIND_DO_CLIENT_REQUEST`` compiles to, without
needing a C compiler or valgrind's headers where the benchmark runs. Natively (no valgrind)
the sequence does nothing and returns its default, which is how ``running()`` tells.
"""

from __future__ import annotations

import ctypes
import mmap
import platform
import re
import shutil
from collections.abc import Callable
from pathlib import Path

# valgrind.h: VG_USERREQ__RUNNING_ON_VALGRIND; callgrind.h: VG_USERREQ_TOOL_BASE('C','T') + n
RUNNING_ON_VALGRIND = 0x1001
_CT = (ord("C") << 24) | (ord("T") << 16)
DUMP_STATS_AT = _CT + 3
TOGGLE_COLLECT = _CT + 2
ZERO_STATS = _CT + 1
START_INSTRUMENTATION = _CT + 4
STOP_INSTRUMENTATION = _CT + 5

# rax = args (rdi), rdx = default (rsi); the preamble (rol rdi by 3, 13, 61, 51: 128 bits,
# rdi unchanged) then xchg rbx,rbx asks valgrind to answer in rdx; return rdx.
_CODE = bytes.fromhex(
    "4889f8"      # mov rax, rdi
    "4889f2"      # mov rdx, rsi
    "48c1c703"    # rol rdi, 3
    "48c1c70d"    # rol rdi, 13
    "48c1c73d"    # rol rdi, 61
    "48c1c733"    # rol rdi, 51
    "4887db"      # xchg rbx, rbx
    "4889d0"      # mov rax, rdx
    "c3")         # ret

UNAVAILABLE_NO_VALGRIND = "valgrind not installed"
# How much longer anything may take under valgrind: the harness's watchdogs and worker
# timeouts, and the orchestrator's wait for a cell's next event, are multiplied by it.
SLOWDOWN = 5


def unavailable_reason() -> str | None:
    """Why instruction counts cannot be taken on this machine, or None."""
    if shutil.which("valgrind") is None:
        return UNAVAILABLE_NO_VALGRIND
    if platform.machine() not in ("x86_64", "AMD64"):
        return f"instruction counts need x86-64 (this is {platform.machine()})"
    return None


def command(out_file: Path) -> list[str]:
    """The valgrind command line a counting worker is started under."""
    # --instr-atstart=no: the interpreter's start, imports, compilation and validation run
    # under valgrind's core alone (several times faster than with callgrind's instrumentation)
    return [shutil.which("valgrind") or "valgrind", "--tool=callgrind", "--instr-atstart=no",
            "--collect-atstart=no",
            "--dump-instr=no", "--compress-strings=no", "--compress-pos=no",
            f"--callgrind-out-file={out_file}"]


class Requests:
    """Callgrind's client requests from Python (x86-64 only)."""

    def __init__(self) -> None:
        self._page = mmap.mmap(-1, mmap.PAGESIZE,
                               prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        self._page.write(_CODE)
        address = ctypes.addressof(ctypes.c_char.from_buffer(self._page))
        self._call: Callable[[ctypes.Array, int], int] = ctypes.CFUNCTYPE(
            ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t)(address)
        self._args = (ctypes.c_size_t * 6)()
        self._keep: list[ctypes.Array] = []

    def request(self, code: int, arg: int = 0) -> int:
        self._args[0], self._args[1] = code, arg
        return int(self._call(self._args, 0))

    def running(self) -> bool:
        """True under valgrind (natively the request is a no-op returning 0)."""
        return self.request(RUNNING_ON_VALGRIND) > 0

    def toggle(self) -> None:
        self.request(TOGGLE_COLLECT)

    def instrument(self, on: bool) -> None:
        """Switch callgrind's instrumentation on or off (each switch flushes valgrind's
        translations: for whole phases, not around a counted region)."""
        self.request(START_INSTRUMENTATION if on else STOP_INSTRUMENTATION)

    def zero(self) -> None:
        self.request(ZERO_STATS)

    def dump(self, label: str) -> None:
        """Write the counts so far to a new dump file marked ``label``, and zero them."""
        text = ctypes.create_string_buffer(label.encode())
        self._keep.append(text)
        self.request(DUMP_STATS_AT, ctypes.addressof(text))


def count(requests: Requests, run: Callable[[int], object], loops: int, label: str) -> None:
    """Dump, as ``label``, the instructions of ``run(loops)`` alone (collection on around it)."""
    requests.zero()
    requests.toggle()
    run(loops)
    requests.toggle()
    requests.dump(label)


_TRIGGER = re.compile(r"^desc: Trigger: Client Request: (.+)$", re.M)
_TOTALS = re.compile(r"^(?:totals|summary): (\d+)", re.M)


def read_dumps(paths: list[Path]) -> dict[str, int]:
    """Instructions per dump label, from callgrind's output files (Ir, its first event)."""
    found: dict[str, int] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        trigger, total = _TRIGGER.search(text), _TOTALS.search(text)
        if trigger and total:
            found[trigger[1].strip()] = int(total[1])
    return found


def per_operation(n: int, two_n: int, loops: int, ops_per_loop: int) -> float:
    """Instructions per operation from the counts of ``loops`` and ``2 * loops`` loops."""
    return (two_n - n) / (loops * ops_per_loop)
