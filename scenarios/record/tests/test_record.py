"""The run's contract: words that read as plain strings, keys that round-trip, a manifest that
writes what it reads and reads what older runs wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scenarios.record import manifest as record
from scenarios.record.key import RunKey
from scenarios.record.manifest import BenchmarkRecord, CellRecord, Manifest, ManifestError
from scenarios.record.status import VERDICTS, Event, Status

FIXTURE = Path(__file__).parents[2] / "reporting" / "tests" / "fixtures" / "scorecard-run"


def test_a_status_is_its_word_everywhere() -> None:
    assert Status.NOT_RUN == "not run" and {"ok": 1}[Status.OK] == 1
    assert f"{Status.TIMEOUT}: x" == "timeout: x" and str(Event.NOT_SUPPORTED) == "not_supported"
    assert json.dumps({Status.OK: [Event.DONE]}) == '{"ok": ["done"]}'
    assert Status.UNAVAILABLE.declined and not Status.FAILED.declined
    assert VERDICTS[Event("invalid")] is Status.INVALID


@pytest.mark.parametrize("text", ["wasmtime@cpython-3.10.13", "python", "a-b@pypy-7.3"])
def test_run_key_round_trips(text: str) -> None:
    key = RunKey.parse(text)
    assert str(key) == text and RunKey.parse(str(key)) == key
    assert key.file == f"{text}.json"


def test_run_key_parts() -> None:
    assert RunKey.parse("wasmer@cpython-3.10.13") == ("wasmer", "cpython-3.10.13")
    assert RunKey.parse("wasmer").interpreter == ""


def test_a_committed_run_reads_and_writes_back_unchanged(tmp_path: Path) -> None:
    """The fixture was written by an older orchestrator (no profile): read, upgraded and
    written again, every key it had keeps its value."""
    m = record.read(FIXTURE)
    assert m.profile is None and m.options.profile is None and m.complete
    entry = m.runtimes["native@cpython-3.11.7"]
    assert entry.key == RunKey("native", "cpython-3.11.7") and entry.file == entry.key.file
    assert all(isinstance(b.status, Status) for c in entry.scenarios.values()
               for b in c.benchmarks.values())
    original = json.loads((FIXTURE / "manifest.json").read_text(encoding="utf-8"))
    written = m.to_dict()
    assert {k: v for k, v in written.items() if k in original} == original
    shutil.copytree(FIXTURE, tmp_path / "run")
    record.write(tmp_path / "run", m)
    assert record.read(tmp_path / "run") == m


def test_a_minimal_old_manifest_reads_with_defaults() -> None:
    m = Manifest.from_dict({"schema": 1, "runtimes": {}, "options": {"scenarios": ["no_op", 3]},
                            "unavailable": {"wasmer": "no wheel"}})
    assert m.plan == [] and m.options.scenarios == ["no_op"] and m.finished is None
    assert m.left() == [] and m.unavailable == {"wasmer": "no wheel"}


def test_guests_of_runs_from_before_guest_replacement_read() -> None:
    m = Manifest.from_dict({"schema": 1, "runtimes": {}, "options": {}, "unavailable": {},
                            "guests": {"article": {"sha256": "ab", "bytes": 3,
                                                   "path": "guest/article.wasm"}}})
    assert m.guests["article"] == record.GuestRecord("ab", 3, "guest/article.wasm", False)


def test_optional_keys_are_written_only_when_set() -> None:
    m = Manifest("r1", options=record.Options(scenarios=["no_op", "add_numbers"]),
                 plan=[record.PlanEntry("python", "cpython-3.11.7", "/bin/python")])
    assert "missing" not in m.to_dict() and "profile" not in m.to_dict()
    entry = m.start(m.plan[0])
    assert m.start(m.plan[0]) is entry and entry.file == "python@cpython-3.11.7.json"
    entry.scenarios["no_op"] = CellRecord(Status.OK, "", {"no_op": BenchmarkRecord(Status.OK)})
    m.missing = m.left()
    assert m.to_dict()["missing"] == ["python@cpython-3.11.7: add_numbers"]
    assert list(m.to_dict())[-1] == "missing"
    assert m.to_dict()["runtimes"]["python@cpython-3.11.7"]["scenarios"]["no_op"] == {
        "status": "ok", "detail": "", "benchmarks": {"no_op": {"status": "ok", "detail": ""}}}


def test_a_row_on_a_further_interpreter_owes_only_its_scenarios() -> None:
    m = Manifest("r1", options=record.Options(scenarios=["no_op", "compile", "add_numbers"]),
                 plan=[record.PlanEntry("python", "cpython-3.10.13", "/bin/a"),
                       record.PlanEntry("python", "cpython-3.13.0", "/bin/b",
                                        only=["add_numbers", "no_op"])])
    assert m.scenarios_of(m.plan[1]) == ["no_op", "add_numbers"]  # in the run's order
    assert m.left()[3:] == ["python@cpython-3.13.0: no_op", "python@cpython-3.13.0: add_numbers"]
    again = Manifest.from_dict(json.loads(json.dumps(m.to_dict())))
    assert again.plan == m.plan and "only" not in m.to_dict()["plan"][0]
    assert m.start(m.plan[1]).only == ["add_numbers", "no_op"]


def test_unknown_keys_survive_a_round_trip() -> None:
    data = {"schema": 1, "runtimes": {}, "options": {}, "unavailable": {}, "later": [1]}
    assert Manifest.from_dict(data).to_dict()["later"] == [1]


@pytest.mark.parametrize(("data", "why"), [
    ([], "a JSON list, not an object"),
    ({"schema": 2, "runtimes": {}, "options": {}, "unavailable": {}}, "schema 2, expected 1"),
    ({"schema": 1, "options": {}, "unavailable": {}}, "no 'runtimes' object"),
    ({"schema": 1, "options": {}, "unavailable": {}, "runtimes": {"k": {"runtime": "r"}}},
     "runtime entry 'k' has no 'interpreter'"),
    ({"schema": 1, "options": {}, "unavailable": {}, "runtimes": {"k": {
        "runtime": "r", "interpreter": "i", "file": "f", "scenarios": {"s": {"status": "meh"}}}}},
     "unknown status 'meh'"),
])
def test_what_is_not_a_manifest_says_why(data: object, why: str) -> None:
    with pytest.raises(ManifestError, match=why):
        Manifest.from_dict(data)


def test_reading_a_damaged_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"has no manifest\.json"):
        record.read(tmp_path)
    (tmp_path / "manifest.json").write_text('{"schema": 1, "runt')
    with pytest.raises(ManifestError, match="is corrupted: not valid JSON"):
        record.read(tmp_path)
    (tmp_path / "manifest.json").write_text('{"name": "some other tool"}')
    with pytest.raises(ManifestError, match="is not a wasm-interop-bench manifest"):
        record.read(tmp_path)
