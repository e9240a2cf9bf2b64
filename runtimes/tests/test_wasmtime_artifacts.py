"""wasmtime artifacts made under another engine configuration are refused, never run.

A serialized module carries the configuration that compiled it; loading it into an engine
configured otherwise must raise ``ArtifactRejected`` (not crash, not run wrong code), and the
on-disk cache must key its entries by configuration so such an engine misses instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import guest
from runtimes.base import ArtifactRejected

pytest.importorskip("wasmtime")

from runtimes.wasmtime_py import Wasmtime


class FuelWasmtime(Wasmtime):
    """wasmtime with fuel metering on: a different engine configuration."""

    def _config(self) -> Any:
        config = super()._config()
        config.consume_fuel = True
        return config


def article() -> bytes:
    return guest.get("article").wasm


def test_an_artifact_from_another_configuration_is_rejected_with_the_reason() -> None:
    blob = FuelWasmtime().serialize(FuelWasmtime().compile(article()))
    with pytest.raises(ArtifactRejected, match="fuel") as info:
        Wasmtime().deserialize(blob)
    assert info.value.describe().startswith("rejected: ")


def test_an_artifact_file_from_another_configuration_is_rejected(tmp_path: Path) -> None:
    plain = Wasmtime()
    path = tmp_path / "plain.artifact"
    path.write_bytes(plain.serialize(plain.compile(article())))
    with pytest.raises(ArtifactRejected, match="fuel"):
        FuelWasmtime().deserialize_file(path)


def test_the_disk_cache_misses_for_another_configuration(tmp_path: Path) -> None:
    def entries() -> set[Path]:
        return {p for p in (tmp_path / "entries").rglob("*") if p.is_file()
                and not p.name.endswith(".stats")}

    Wasmtime().with_disk_cache(tmp_path).compile(article())
    first = entries()
    assert first
    fuel = FuelWasmtime().with_disk_cache(tmp_path)
    inst = fuel.instantiate(fuel.compile(article()))
    assert entries() - first, "an engine with fuel on was served the plain engine's entry"
    with pytest.raises(Exception, match="fuel"):  # a new store has no fuel: it really metered
        inst.export("add_numbers")(10, 20)
