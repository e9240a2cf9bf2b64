"""``Report.summary``: a run summary as the run wrote it, else derived again, read once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scenarios.families.layers.tests.test_figures import write_run
from scenarios.reporting import load, model


def report_of(folder: Path, summaries: dict[str, Any] | None = None) -> model.Report:
    write_run(folder, {"python": {"no_op": 50}}, {})
    if summaries is not None:
        manifest = json.loads((folder / "manifest.json").read_text())
        (folder / "manifest.json").write_text(json.dumps({**manifest, "summaries": summaries}))
    return model.build(load.load_run(folder))


def test_the_file_the_run_wrote_is_read_once(tmp_path: Path) -> None:
    report = report_of(tmp_path, {"thing": "thing.json"})
    (tmp_path / "thing.json").write_text(json.dumps({"from": "file"}))

    def derive(_: Path, __: dict[str, Any]) -> Any:
        raise AssertionError("derived although the run wrote the file")

    assert report.summary("thing", derive) == {"from": "file"}
    (tmp_path / "thing.json").unlink()  # a second section gets the same, without reading again
    assert report.summary("thing", derive) == {"from": "file"}


def test_without_the_file_it_is_derived_once_from_the_folder(tmp_path: Path) -> None:
    report = report_of(tmp_path, {"thing": {"error": "KeyError: 'x'"}})  # its summary failed
    calls: list[tuple[Path, dict[str, Any]]] = []

    def derive(run_dir: Path, manifest: dict[str, Any]) -> Any:
        calls.append((run_dir, manifest))
        return {"from": "derive"}

    assert report.summary("thing", derive) == {"from": "derive"}
    assert report.summary("thing", derive) == {"from": "derive"}
    assert calls == [(tmp_path, report.run.manifest)]
    assert report_of(tmp_path / "other").summary("thing", derive) == {"from": "derive"}
