"""``RunKey``: one runtime on one interpreter, written ``runtime@interpreter``.

The written form names a pair's pyperf file (``<key>.json``), its parts folder and its entry
in the manifest. A runtime that no interpreter could host has no interpreter: its key is its
bare name.
"""

from __future__ import annotations

from typing import NamedTuple

SEPARATOR = "@"


class RunKey(NamedTuple):
    runtime: str
    interpreter: str = ""

    def __str__(self) -> str:
        return f"{self.runtime}{SEPARATOR}{self.interpreter}" if self.interpreter else self.runtime

    @classmethod
    def parse(cls, text: str) -> RunKey:
        """The inverse of ``str()``: ``"wasmtime@cpython-3.10.13"`` or a bare ``"wasmtime"``."""
        runtime, _, interpreter = str(text).partition(SEPARATOR)
        return cls(runtime, interpreter)

    @property
    def file(self) -> str:
        """The name of this pair's pyperf file in a run folder."""
        return f"{self}.json"
