"""Every registered runtime, built-in or plugin, through the same conformance suite."""

from __future__ import annotations

import pytest

import runtimes
from runtimes.conformance import ConformanceSuite


class TestConformance(ConformanceSuite):
    @pytest.fixture(autouse=True, params=runtimes.names())
    def _select(self, request: pytest.FixtureRequest) -> None:
        self.runtime_name = request.param
