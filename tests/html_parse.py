"""A small HTML reader for report tests: tables by id/class, sections, inline figures."""

from __future__ import annotations

from html.parser import HTMLParser

SVG, PNG = "data:image/svg+xml;base64,", "data:image/png;base64,"


class ReportPage(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.tables: list[dict] = []  # {"id", "class", "rows": [[cell text, ...], ...]}
        self.svg_count = 0  # SVG figures, as <img> data URIs (an inline <svg> could run script)
        self.png_count = 0
        self.inline_svg = 0
        self.scripts = 0
        self.external: list[str] = []
        self._table: dict | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(value)
        if tag == "section":
            self.sections.append(attributes.get("id", ""))
        elif tag == "svg":
            self.inline_svg += 1
        elif tag == "script":
            self.scripts += 1
        elif tag == "img" and (attributes.get("src") or "").startswith(SVG):
            self.svg_count += 1
        elif tag == "img" and (attributes.get("src") or "").startswith(PNG):
            self.png_count += 1
        elif tag == "table":
            self._table = {"id": attributes.get("id"), "class": attributes.get("class"), "rows": []}
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def table(self, key: str) -> list[list[str]]:
        """Rows of the first table whose id or class is ``key``."""
        for table in self.tables:
            if key in (table["id"], table["class"]):
                return table["rows"]
        raise KeyError(key)
