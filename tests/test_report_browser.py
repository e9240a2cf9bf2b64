"""The report in a real browser (Debian's chromium, driven by playwright): it loads cleanly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags that work headless on a root container without a display, a bus or a network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# playwright gives up after 30 s by default (launch, load, screenshot); only a hang may stop
# the test, not a slow or busy machine
HANG_GUARD_MS = 600_000


def screenshot(index: Path, out: Path, width: int = 1300) -> list[str]:
    """Load ``index`` in headless chromium, save a full-page screenshot; return the problems."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS,
                                     timeout=HANG_GUARD_MS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_default_timeout(HANG_GUARD_MS)
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}"))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.goto(index.resolve().as_uri(), wait_until="load")
            broken = page.evaluate(
                "[...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
                ".map(i => i.alt)")
            problems += [f"image not shown: {alt}" for alt in broken]
            for what in ("table.scorecard", "img"):  # the headline tables are folded
                if not page.locator(what).first.is_visible():
                    problems.append(f"{what} not visible")
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()
    return problems


def test_the_report_loads_in_chromium_without_errors(small_report: Path, tmp_path: Path
                                                     ) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs Debian's chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency")
    index = small_report / "index.html"
    shot = tmp_path / "report.png"
    assert screenshot(index, shot) == []
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 1300 and height > 3000  # the table, five plots and the provenance
