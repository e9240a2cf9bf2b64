"""``manifest.json``: what a run attempted, where, with what, and how each part ended.

This module is the only reader and writer of the file. ``Manifest`` and the records it holds
are dataclasses; ``read`` checks a file is one of ours and upgrades what older versions of
the orchestrator wrote (see ``_upgrade``), ``write`` writes it atomically. The JSON layout is
the one every run since schema 1 has written, key for key, so older folders and tools that
read the JSON keep working.

    Manifest.runtimes[key]               RuntimeEntry: one runtime on one interpreter
        .scenarios[name]                 CellRecord: one scenario of that pair
            .benchmarks[name]            BenchmarkRecord: one benchmark's status and detail
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.record.files import atomic_write_json
from scenarios.record.key import RunKey
from scenarios.record.paths import MANIFEST
from scenarios.record.status import Status

SCHEMA = 1


class ManifestError(ValueError):
    """A folder or file that is not a readable run manifest; the message is one line."""


def _status(value: Any, where: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        raise ManifestError(f"{where} has an unknown status {value!r}") from None


@dataclass
class BenchmarkRecord:
    """How one benchmark of a cell ended; ``facts`` are what validation observed,
    ``metadata`` what the benchmark declares about itself (``Benchmark.metadata``)."""

    status: Status
    detail: str = ""
    facts: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "detail": self.detail}
        if self.facts is not None:
            out["facts"] = self.facts
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> BenchmarkRecord:
        return cls(_status(data.get("status", Status.FAILED), where),
                   str(data.get("detail", "")), data.get("facts"), data.get("metadata"))


@dataclass
class CellRecord:
    """One scenario on one runtime and interpreter: its status summarises its benchmarks'
    (``settle``), leaving out those the runtime cannot run."""

    status: Status = Status.OK  # ok | partial | failed | unsupported | unavailable
    detail: str = ""
    benchmarks: dict[str, BenchmarkRecord] = field(default_factory=dict)

    @classmethod
    def declined(cls, names: list[str], reason: str) -> CellRecord:
        """A scenario the runtime cannot run at all: every benchmark says so, with why."""
        return cls(Status.UNSUPPORTED, reason,
                   {n: BenchmarkRecord(Status.UNSUPPORTED, reason) for n in names})

    def settle(self) -> None:
        """Set the cell's status (and a detail when not ok) from its benchmarks'."""
        if self.status.declined:
            return
        refused = [b for b in self.benchmarks.values() if b.status == Status.UNSUPPORTED]
        states = [b.status for b in self.benchmarks.values() if b.status != Status.UNSUPPORTED]
        if refused and not states:
            self.status, self.detail = Status.UNSUPPORTED, refused[0].detail
            return
        if not states:
            self.status = Status.FAILED
            self.detail = self.detail or "no benchmark ran"
        elif all(s == Status.OK for s in states):
            self.status = Status.OK
        elif any(s == Status.OK for s in states):
            self.status = Status.PARTIAL
        else:
            self.status = Status.FAILED
        if not self.detail and self.status != Status.OK:
            bad = next(b for b in self.benchmarks.values()
                       if b.status not in (Status.OK, Status.UNSUPPORTED))
            self.detail = f"{bad.status}: {bad.detail}"

    def not_supported(self) -> str:
        """'not supported: <reason>' when the runtime declined some benchmarks, else ''."""
        refused = [b for b in self.benchmarks.values() if b.status == Status.UNSUPPORTED]
        if not refused or self.status == Status.UNSUPPORTED:
            return ""
        return f"not supported: {refused[0].detail}"

    def tally(self) -> str:
        """'ok/total' over the benchmarks that ran, plus ', N n/s' for those declined."""
        states = [b.status for b in self.benchmarks.values()]
        refused = states.count(Status.UNSUPPORTED)
        declined = f", {refused} n/s" if refused else ""
        return f"{states.count(Status.OK)}/{len(states) - refused}{declined}"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "detail": self.detail,
                "benchmarks": {n: b.to_dict() for n, b in self.benchmarks.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> CellRecord:
        return cls(_status(data.get("status", Status.FAILED), where), str(data.get("detail", "")),
                   {n: BenchmarkRecord.from_dict(b, f"benchmark {n!r} of {where}")
                    for n, b in data.get("benchmarks", {}).items()})


@dataclass
class PlanEntry:
    """A runtime/interpreter pair the run planned, with what the probe said about it."""

    runtime: str
    interpreter: str
    python: str
    info: dict[str, Any] = field(default_factory=dict)
    # The run's scenarios this pair runs when not all of them: a runtime's row on a further
    # interpreter (its newest, beside its equal-terms row) runs the per-interpreter ones only.
    only: list[str] | None = None

    @property
    def key(self) -> RunKey:
        return RunKey(self.runtime, self.interpreter)

    def to_dict(self) -> dict[str, Any]:
        out = {"runtime": self.runtime, "interpreter": self.interpreter, "python": self.python,
               "info": self.info}
        return out if self.only is None else {**out, "only": self.only}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanEntry:
        only = data.get("only")
        return cls(str(data.get("runtime")), str(data.get("interpreter")),
                   str(data.get("python", "")), dict(data.get("info") or {}),
                   [str(s) for s in only] if isinstance(only, list) else None)


@dataclass
class RuntimeEntry(PlanEntry):
    """A pair that started: its pyperf file and its cells, by scenario name."""

    file: str = ""
    scenarios: dict[str, CellRecord] = field(default_factory=dict)

    @classmethod
    def start(cls, plan: PlanEntry) -> RuntimeEntry:
        return cls(plan.runtime, plan.interpreter, plan.python, plan.info, plan.only,
                   file=plan.key.file)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "file": self.file,
                "scenarios": {n: c.to_dict() for n, c in self.scenarios.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuntimeEntry:
        plan = PlanEntry.from_dict(data)
        where = f"{plan.key}"
        return cls(plan.runtime, plan.interpreter, plan.python, plan.info, plan.only,
                   str(data["file"]),
                   {n: CellRecord.from_dict(c, f"scenario {n!r} of {where!r}")
                    for n, c in data["scenarios"].items()})


@dataclass
class Options:
    """The run's settings as given (or defaulted) on the command line."""

    runtimes: list[str] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)
    max_bytes: int | None = None
    call_timeout: float | None = None
    module_sizes: str | None = None  # None: a run from before profiles (the defaults of then)
    profile: str | None = None  # None: a run from before profiles (it ran everything)
    measure: str = "time"  # or "instructions" (callgrind's count per operation)

    def to_dict(self) -> dict[str, Any]:
        """As written; the two settings older runs lacked are left out when unknown, and the
        measure when it is time (the default, as in runs from before it was a choice)."""
        return {k: v for k, v in self.__dict__.items()
                if (v is not None or k not in ("module_sizes", "profile"))
                and (k != "measure" or v != "time")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Options:
        def names(key: str) -> list[str]:
            value = data.get(key)
            return [s for s in value if isinstance(s, str)] if isinstance(value, list) else []
        return cls(names("runtimes"), names("scenarios"), data.get("max_bytes"),
                   data.get("call_timeout"), data.get("module_sizes"), data.get("profile"),
                   data.get("measure") if data.get("measure") == "instructions" else "time")


@dataclass
class GuestRecord:
    """A guest module the run used, identified by its bytes."""

    sha256: str
    bytes: int
    path: str
    replaced: bool = False  # given with --guest NAME=PATH instead of the committed build

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GuestRecord:
        """(Runs from before --guest recorded no ``replaced``, and a path relative to the
        project.)"""
        return cls(str(data.get("sha256", "")), int(data.get("bytes", 0)),
                   str(data.get("path", "")), data.get("replaced") is True)


@dataclass
class DeclaredRecord:
    """A scenario declared in TOML or with --module, kept whole so --resume can rebuild it."""

    source: str
    module: str
    sha256: str
    declaration: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# Keys written only when set, after every other one (in this order).
_OPTIONAL = ("resumed", "stopped", "missing", "summaries")


@dataclass
class Manifest:
    """A run folder's manifest. ``runtimes`` holds the pairs that started, keyed by
    ``str(RunKey)``; ``unavailable`` the runtimes no interpreter could host, with why."""

    run_id: str
    command: str = ""
    started: str | None = None
    finished: str | None = None
    complete: bool = False
    machine: dict[str, Any] = field(default_factory=dict)
    orchestrator: dict[str, Any] = field(default_factory=dict)
    pyperf_args: list[str] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    profile: dict[str, Any] | None = None  # None: a run from before profiles
    scenario_defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    guests: dict[str, GuestRecord] = field(default_factory=dict)
    declared: dict[str, DeclaredRecord] = field(default_factory=dict)
    interpreters: list[dict[str, Any]] = field(default_factory=list)
    plan: list[PlanEntry] = field(default_factory=list)  # empty: a run from before plans
    runtimes: dict[str, RuntimeEntry] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    resumed: list[dict[str, str]] | None = None  # {command, at} per --resume
    stopped: dict[str, str] | None = None  # {signal, at} when a signal stopped the run
    missing: list[str] | None = None  # "runtime@interpreter: scenario" left when stopped
    summaries: dict[str, Any] | None = None  # name -> file name, or {"error": ...}
    schema: int = SCHEMA
    extra: dict[str, Any] = field(default_factory=dict)  # keys of a newer writer, kept as read

    def entry(self, key: RunKey | str) -> RuntimeEntry | None:
        return self.runtimes.get(str(key))

    def start(self, plan: PlanEntry) -> RuntimeEntry:
        """The entry of ``plan``'s pair, created when it first runs."""
        key = str(plan.key)
        if key not in self.runtimes:
            self.runtimes[key] = RuntimeEntry.start(plan)
        return self.runtimes[key]

    def done(self, key: RunKey | str) -> dict[str, CellRecord]:
        """The cells recorded so far for ``key`` (none when it never started)."""
        entry = self.entry(key)
        return entry.scenarios if entry is not None else {}

    def scenarios_of(self, pair: PlanEntry) -> list[str]:
        """The scenarios ``pair`` runs, in run order: the run's, or its ``only`` ones."""
        return [s for s in self.options.scenarios if pair.only is None or s in pair.only]

    def left(self) -> list[str]:
        """``runtime@interpreter: scenario`` for every planned cell not recorded yet."""
        return [f"{p.key}: {s}" for p in self.plan for s in self.scenarios_of(p)
                if s not in self.done(p.key)]

    def failures(self, failed: frozenset[Status]) -> list[str]:
        """``runtime@interpreter benchmark status`` for every benchmark recorded with a status
        in ``failed``, in run order; a cell that failed before naming its benchmarks counts as
        one, under its scenario's name."""
        out = []
        for key, entry in self.runtimes.items():
            for scenario, cell in entry.scenarios.items():
                if not cell.benchmarks and cell.status in failed:
                    out.append(f"{key} {scenario} {cell.status}")
                out += [f"{key} {name} {b.status}" for name, b in cell.benchmarks.items()
                        if b.status in failed]
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": self.schema, "run_id": self.run_id, "command": self.command,
            "started": self.started, "finished": self.finished, "complete": self.complete,
            "machine": self.machine, "orchestrator": self.orchestrator,
            "pyperf_args": self.pyperf_args, "options": self.options.to_dict()}
        if self.profile is not None:
            out["profile"] = self.profile
        out.update({
            "scenario_defaults": self.scenario_defaults,
            "guests": {n: g.to_dict() for n, g in self.guests.items()},
            "declared": {n: d.to_dict() for n, d in self.declared.items()},
            "interpreters": self.interpreters,
            "plan": [p.to_dict() for p in self.plan],
            "runtimes": {k: e.to_dict() for k, e in self.runtimes.items()},
            "unavailable": self.unavailable})
        for name in _OPTIONAL:
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        """Check ``data`` is a manifest of ours, upgrade it, and build the records.

        Raises ``ManifestError`` saying what is wrong (e.g. "schema 2, expected 1").
        """
        problem = _problem(data)
        if problem:
            raise ManifestError(problem)
        data = _upgrade(dict(data))
        known = {*cls.__dataclass_fields__, "schema"} - {"extra"}
        try:
            return cls(
                run_id=str(data["run_id"]), command=str(data["command"]),
                started=data["started"], finished=data["finished"],
                complete=data["complete"] is True, machine=data["machine"],
                orchestrator=data["orchestrator"], pyperf_args=list(data["pyperf_args"]),
                options=Options.from_dict(data["options"]), profile=data.get("profile"),
                scenario_defaults=data["scenario_defaults"],
                guests={n: GuestRecord.from_dict(g) for n, g in data["guests"].items()},
                declared={n: DeclaredRecord(**d) for n, d in data["declared"].items()},
                interpreters=[i for i in data["interpreters"] if isinstance(i, dict)],
                plan=[PlanEntry.from_dict(p) for p in data["plan"] if isinstance(p, dict)],
                runtimes={k: RuntimeEntry.from_dict(e) for k, e in data["runtimes"].items()},
                unavailable={str(n): str(r) for n, r in data["unavailable"].items()},
                resumed=data.get("resumed"), stopped=data.get("stopped"),
                missing=data.get("missing"), summaries=data.get("summaries"),
                schema=data["schema"], extra={k: v for k, v in data.items() if k not in known})
        except (TypeError, AttributeError, KeyError) as exc:
            raise ManifestError(f"malformed ({type(exc).__name__}: {exc})") from None


def _problem(data: Any) -> str | None:
    """Why ``data`` is not a manifest this reader understands, or None."""
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    if data.get("schema") != SCHEMA:
        return f"schema {data.get('schema')!r}, expected {SCHEMA}"
    for name, kind in (("runtimes", dict), ("options", dict), ("unavailable", dict)):
        if not isinstance(data.get(name), kind):
            return f"no {name!r} object"
    for key, entry in data["runtimes"].items():
        if not isinstance(entry, dict):
            return f"runtime entry {key!r} is not an object"
        for name in ("runtime", "interpreter", "file", "scenarios"):
            if name not in entry:
                return f"runtime entry {key!r} has no {name!r}"
        if not isinstance(entry["scenarios"], dict):
            return f"runtime entry {key!r} has no scenarios object"
        for sc_name, sc in entry["scenarios"].items():
            if not isinstance(sc, dict) or not isinstance(sc.get("benchmarks", {}), dict):
                return f"scenario {sc_name!r} of {key!r} is malformed"
    return None


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Fill in what older writers of schema 1 left out, so every reader sees one shape.

    Runs from before profiles have no ``profile`` (nor options' ``profile`` and
    ``module_sizes``: read as None); runs from before plans have no ``plan`` (read as
    empty: the reporter then infers what never started from the requested runtimes); any
    other key absent from a hand-made or truncated file reads as empty. A run stopped by a
    signal said so under ``interrupted`` before the word was kept for guests (``stopped``).
    """
    if "interrupted" in data and "stopped" not in data:
        data["stopped"] = data.pop("interrupted")
    defaults: dict[str, Any] = {
        "run_id": "", "command": "", "started": None, "finished": None, "complete": False,
        "machine": {}, "orchestrator": {}, "pyperf_args": [], "scenario_defaults": {},
        "guests": {}, "declared": {}, "interpreters": [], "plan": []}
    for name, default in defaults.items():
        data.setdefault(name, default)
    for name in ("plan", "interpreters", "pyperf_args"):
        if not isinstance(data[name], list):
            data[name] = []
    return data


def read(run_dir: Path) -> Manifest:
    """The manifest of ``run_dir``; raises ``ManifestError`` with a one-line reason when the
    folder is not a run or the file is damaged or someone else's."""
    if not run_dir.is_dir():
        raise ManifestError(f"{run_dir} is not a folder; name a run folder under results/")
    path = run_dir / MANIFEST
    if not path.is_file():
        raise ManifestError(f"{run_dir} is not a run folder (it has no {MANIFEST}); "
                            "runs are made by `python -m scenarios.run`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ManifestError(f"{path} is not a text file; is the run folder corrupted?") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path} is corrupted: not valid JSON ({exc.msg} at line "
                            f"{exc.lineno})") from None
    try:
        return Manifest.from_dict(data)
    except ManifestError as exc:
        raise ManifestError(f"{path} is not a wasm-interop-bench manifest ({exc})") from None


def write(run_dir: Path, manifest: Manifest) -> None:
    """Write ``manifest`` into ``run_dir`` (atomically: a killed run keeps the last one)."""
    atomic_write_json(run_dir / MANIFEST, manifest.to_dict())
