"""Comparing the runtimes' answers on one module, and naming what differs.

Answers are compared on what the specification fixes: whether compiling and instantiating
succeeded, and per call the values returned (bit-exact, any NaN as "nan") or that it trapped
(the trap's message is kept for reading but is each runtime's own wording). A call a runtime
declares unsupported (``NotSupported``: a shape its glue lacks) is left out of the comparison,
with every call after it (they ran on a state that call did not change), as is a runtime whose
worker could not start at all. The majority answer is the reference (ties go to the group with
the runtime listed first); every runtime that answers otherwise is one finding, classified by
the first thing that differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Statuses that are not the runtime's answer about the module.
IGNORED = ("unavailable",)
_STATUS_WORDS = {
    "compile": "rejects the module",
    "instantiate": "fails to instantiate",
    "timeout": "hangs (timeout)",
    "crashed": "crashes",
    "unsupported": "declares the module unsupported",
    "error": "hit an orchestrator error",
}


def _call_key(call: dict[str, Any]) -> tuple[Any, ...]:
    if call.get("outcome") == "values":
        return ("values", tuple(call.get("values", ())))
    return (call.get("outcome", "?"),)


def _key(answer: dict[str, Any], skip: frozenset[int]) -> tuple[Any, ...]:
    status = answer.get("status", "?")
    if status != "ok":
        return (status,)
    calls = answer.get("calls", [])
    return ("ok", tuple(_call_key(c) for i, c in enumerate(calls) if i not in skip))


def _unsupported_calls(answers: dict[str, dict[str, Any]]) -> frozenset[int]:
    """The calls left out: from the first one any runtime declared unsupported on, since a
    call not made leaves state (globals, memory, smith's fuel counter) the later calls see."""
    ok = [a.get("calls", []) for a in answers.values() if a.get("status") == "ok"]
    first = min((i for calls in ok for i, c in enumerate(calls)
                 if c.get("outcome") == "unsupported"), default=None)
    return frozenset() if first is None else frozenset(range(first, max(map(len, ok))))


_VERBS = {"values": ("returns", "return"), "trap": ("traps", "trap")}


def _verb(outcome: str, plural: bool) -> str:
    """``traps``/``trap``: how a call ended, for "X traps where others return"."""
    forms = _VERBS.get(outcome, (f"fails ({outcome})", f"fail ({outcome})"))
    return forms[1] if plural else forms[0]


def _status(status: str) -> str:
    return _STATUS_WORDS.get(status, status)


def classify(answer: dict[str, Any], reference: dict[str, Any], skip: frozenset[int]) -> str:
    """How ``answer`` differs from ``reference``, in words without the runtime's name."""
    status, ref_status = str(answer.get("status")), str(reference.get("status"))
    if status != ref_status:
        if status == "ok":
            return f"runs the module where others: {_status(ref_status)}"
        if ref_status == "ok":
            return f"{_status(status)} where others run it"
        return f"{_status(status)} where others: {_status(ref_status)}"
    for i, (mine, theirs) in enumerate(zip(answer.get("calls", []), reference.get("calls", []),
                                           strict=False)):
        if i in skip or _call_key(mine) == _call_key(theirs):
            continue
        a, b = str(mine.get("outcome")), str(theirs.get("outcome"))
        if a == b == "values":
            return "returns different values"
        return f"{_verb(a, False)} where others {_verb(b, True)}"
    return "answers differently"


@dataclass
class Verdict:
    """The comparison of one module: who disagreed, and how."""

    compared: list[str] = field(default_factory=list)
    reference: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # runtime -> how it differs

    @property
    def disagrees(self) -> bool:
        return bool(self.kinds)


def compare(answers: dict[str, dict[str, Any]], order: list[str]) -> Verdict:
    """The majority answer of the runtimes in ``answers`` (ordered as ``order``) and how
    each other runtime differs from it."""
    present = [r for r in order if r in answers
               and answers[r].get("status") not in IGNORED]
    skip = _unsupported_calls(answers)
    groups: dict[tuple[Any, ...], list[str]] = {}
    for runtime in present:
        groups.setdefault(_key(answers[runtime], skip), []).append(runtime)
    if not groups:
        return Verdict()
    best = max(groups.values(), key=lambda g: (len(g), -present.index(g[0])))
    reference = answers[best[0]]
    kinds = {r: classify(answers[r], reference, skip) for r in present if r not in best}
    return Verdict(present, best, kinds)
