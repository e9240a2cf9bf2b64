"""The framework's conformance suite, run against this plugin's runtime."""

from runtimes.conformance import ConformanceSuite


class TestWasmtimeUnoptimized(ConformanceSuite):
    runtime_name = "example-wasmtime-unoptimized"
