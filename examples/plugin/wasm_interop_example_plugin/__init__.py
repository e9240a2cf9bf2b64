"""An example runtime plugin: wasmtime with Cranelift's optimiser switched off.

It answers a real question (how much of a call's cost is the quality of the generated
code?) with the smallest possible adapter: the built-in wasmtime adapter with another engine
configuration. A plugin for a new binding subclasses ``runtimes.base.Runtime`` instead and
implements ``_check_availability``, ``info``, ``compile``, ``instantiate`` and ``explain``
(see docs/add-a-runtime.md and runtimes/pywasm3_py.py for a complete small one).
"""

from __future__ import annotations

from typing import Any

from runtimes.base import RuntimeInfo
from runtimes.wasmtime_py import Wasmtime


class WasmtimeUnoptimized(Wasmtime):
    name = "example-wasmtime-unoptimized"  # must equal the entry point's name
    summary = "example plugin: wasmtime-py with cranelift_opt_level = 'none'"

    def _config(self) -> Any:
        config = self._wt.Config()
        config.cranelift_opt_level = "none"
        return config

    @property
    def info(self) -> RuntimeInfo:
        base = super().info
        return RuntimeInfo(self.name, base.package, base.version, "cranelift (opt level none)",
                           base.binding)
