"""Reading a report page the way a reader sees it: per ``<section id>``, its tables and images."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd


class Sections(HTMLParser):
    """Per section id: its tables (DataFrames of the cells' whitespace-folded text, the first
    row as header) and its images (their attributes); ``order`` lists the section ids as they
    appear and ``links`` every in-page link target (``#id``) in the page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.order: list[str] = []
        self.links: list[str] = []
        self.tables: dict[str, list[pd.DataFrame]] = {}
        self.images: dict[str, list[dict[str, str]]] = {}
        self._section: str | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
        if tag == "section":
            self._section = a.get("id", "")
            self.order.append(self._section)
        elif self._section is None:
            return
        elif tag == "table":
            self._rows = []
        elif self._rows is not None and tag == "tr":
            self._rows.append([])
        elif self._rows is not None and tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.setdefault(self._section, []).append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._rows is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._section is not None and self._rows is not None:
            header, *body = self._rows
            self.tables.setdefault(self._section, []).append(pd.DataFrame(body, columns=header))
            self._rows = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
