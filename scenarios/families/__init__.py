"""Scenario families: one package each, owning its workloads, its derived figures and its
report section, so that adding a family touches one folder.

In a family package every module registers scenarios when imported (its workloads), except
``figures`` (figures derived from a finished run), ``report`` (its report sections, which
import pandas and matplotlib) and ``scorecard`` (its columns of the report's scorecard):
benchmark processes import the workloads only, the reporter the other two
(``report_modules``).
"""

from __future__ import annotations

import importlib
import pkgutil

NOT_WORKLOADS = frozenset({"figures", "report", "scorecard", "tests"})


def _modules(family: str) -> list[str]:
    package = importlib.import_module(f"{__name__}.{family}")
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__))


def names() -> list[str]:
    """Every family, in name order."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg)


def workload_modules() -> list[str]:
    """The modules that register scenarios, family by family (the order of ``--scenario
    all``)."""
    return [f"{__name__}.{family}.{module}" for family in names()
            for module in _modules(family) if module not in NOT_WORKLOADS]


def report_modules() -> list[str]:
    """The families' report sections and scorecard columns."""
    return [f"{__name__}.{family}.{module}" for family in names()
            for module in ("report", "scorecard") if module in _modules(family)]
