"""What the runtimes that build code on first use share (``native``, ``native-fastcall``,
``wasm2c``): a lock on their cache folder, so that concurrent processes build an artifact
once, and loading a built CPython extension from its file."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.machinery
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (a ``.lock`` file in it) for the block."""
    with open(folder / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load_extension(path: Path, name: str) -> ModuleType:
    """The extension module ``name`` built into ``path`` (not put in ``sys.modules``)."""
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
