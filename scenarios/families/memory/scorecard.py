"""The memory family's scorecard column: RSS per live instance (the section's slope), with
instances per GiB beside it."""

from __future__ import annotations

from scenarios.families.memory import figures
from scenarios.families.memory import report as memory_section
from scenarios.reporting import fmt
from scenarios.reporting.model import Report
from scenarios.reporting.sections.scorecard import Column, Score, column, why


def per_instance(report: Report, key: str) -> Score:
    """The median slope over fresh processes, its spread, and instances per GiB."""
    m = memory_section.memory_figures(report).get(key)
    if m is None or m.per_instance is None:
        return why(report, key, figures.PER_INSTANCE[-1], "memory")
    per_gib = m.instances_per_gib
    note = "none measurable" if per_gib is None else f"{fmt.number(per_gib)} per GiB"
    if m.stopped:
        note += f"; {m.stopped}"
    return Score(m.per_instance, fmt.size(m.per_instance),
                 memory_section.spread(m.per_instance_values), note)


column(Column("memory", "memory per instance", "slope of RSS against N live instances, "
              f"{' or '.join(figures.PER_INSTANCE)} (bytes, fresh processes)", "memory",
              "memory", per_instance, order=33))
