"""Guest modules: every runtime is handed these exact bytes, identified by their sha256.

Each guest is a Rust source under ``guest/<name>/lib.rs`` built to ``guest/<name>.wasm``
(committed, so users need no toolchain) by ``python -m guest.build``. A component guest also
has a WIT world (``guest/<name>/world.wit``): its core module is wrapped into a Component
Model component, and only runtimes declaring ``Capability.COMPONENT`` can load it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

GUEST_DIR = Path(__file__).resolve().parent


class GuestError(Exception):
    """A guest module is missing or unreadable; the message says which file and what to do."""


@dataclass(frozen=True)
class Guest:
    """One guest module: where its source and its built bytes live.

    ``file`` replaces the committed module (``--guest NAME=PATH``); such bytes are handed to
    the runtimes as they are, so each reports in its own words what is wrong with them.
    """

    name: str
    summary: str
    file: Path | None = None
    component: bool = False  # a Component Model component built from lib.rs and world.wit

    @property
    def source(self) -> Path:
        return GUEST_DIR / self.name / "lib.rs"

    @property
    def wit(self) -> Path:
        return GUEST_DIR / self.name / "world.wit"

    @property
    def path(self) -> Path:
        return self.file or GUEST_DIR / f"{self.name}.wasm"

    @cached_property
    def wasm(self) -> bytes:
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            fix = ("check the path given to --guest" if self.file else
                   "restore it from git or rebuild it with `python -m guest.build`")
            raise GuestError(f"guest module {self.path} cannot be read ({exc.strerror}); "
                             f"{fix}") from None
        if self.file is None and data[:4] != b"\0asm":
            raise GuestError(
                f"guest module {self.path} is not a wasm module (bad magic); "
                "restore it from git or rebuild it with `python -m guest.build`"
            )
        return data

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.wasm).hexdigest()


GUESTS: dict[str, Guest] = {
    g.name: g
    for g in (
        Guest("article", "the seed article's module: no_op, add_numbers, allocate, "
              "deallocate, reverse_string_in_place, sum_array"),
        Guest("callbacks", "wasm calling the host: loops calling an imported host function n "
              "times (no-op, (i32,i32)->i32, (ptr,len) log), and the same loop without it"),
        Guest("exchange", "data both ways: i32/i64/f32/f64 argument shapes, a buffer the guest "
              "allocates and returns (upper_copy), memory.grow from the guest"),
        Guest("compute", "the interruption scenarios' module: spin (never returns), "
              "churn (a long finite loop), fib (recursive)"),
        Guest("floor", "loops that stay inside the guest: call_loop/inline_loop (wasm-to-wasm "
              "call cost), reverse_repeat (the article's reverse, many times per host call)"),
        Guest("component", "the article's guest as a component (WIT world article): no-op, "
              "add-numbers, reverse (string), sum (list<s32>), reverse-bytes (list<u8>), "
              "translate (a record), loop-host-add (calls the import host-add n times)",
              component=True),
    )
}


# --guest replacements for this process; GUESTS itself always describes the committed modules.
_REPLACED: dict[str, Guest] = {}


def override(name: str, path: Path) -> Guest:
    """Use the module at ``path`` as guest ``name`` from now on (in this process)."""
    known = committed(name)
    _REPLACED[name] = Guest(name, known.summary, path.resolve(), known.component)
    return _REPLACED[name]


def get(name: str) -> Guest:
    """The guest scenarios use: the committed module, unless replaced with ``--guest``."""
    return _REPLACED.get(name) or committed(name)


def committed(name: str) -> Guest:
    try:
        return GUESTS[name]
    except KeyError:
        raise GuestError(f"unknown guest {name!r}; known: {', '.join(GUESTS)}") from None
