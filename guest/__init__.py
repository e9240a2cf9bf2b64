"""Guest modules: every runtime is handed these exact bytes, identified by their sha256.

Each guest is a Rust source under ``guest/<name>/lib.rs`` built to ``guest/<name>.wasm``
(committed, so users need no toolchain) by ``python -m guest.build``.
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
    """One guest module: where its source and its built bytes live."""

    name: str
    summary: str

    @property
    def source(self) -> Path:
        return GUEST_DIR / self.name / "lib.rs"

    @property
    def path(self) -> Path:
        return GUEST_DIR / f"{self.name}.wasm"

    @cached_property
    def wasm(self) -> bytes:
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise GuestError(
                f"guest module {self.path} cannot be read ({exc.strerror}); "
                "restore it from git or rebuild it with `python -m guest.build`"
            ) from None
        if data[:4] != b"\0asm":
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
    )
}


def get(name: str) -> Guest:
    try:
        return GUESTS[name]
    except KeyError:
        raise GuestError(f"unknown guest {name!r}; known: {', '.join(GUESTS)}") from None
