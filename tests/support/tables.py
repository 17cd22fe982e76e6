"""Reading a page's tables and elements as a person would, without a browser."""

from __future__ import annotations

import base64
import csv
from html.parser import HTMLParser
from pathlib import Path

STATES_FILE = Path(__file__).resolve().parents[2] / "coop_platform/states/data/states_parties.tsv"


class _Tables(HTMLParser):
    """Every table of a page with the given class, as rows of cell texts (th and td)."""

    def __init__(self, css_class: str) -> None:
        super().__init__()
        self.css_class = css_class
        self.tables: list[list[list[str]]] = []
        self._depth = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and (self._depth or self.css_class in classes):
            if not self._depth:
                self.tables.append([])
            self._depth += 1
        elif self._depth and tag == "tr":
            self._row = []
        elif self._depth and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self._depth:
            self._depth -= 1
        elif self._depth and tag in ("th", "td") and self._cell is not None:
            assert self._row is not None
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif self._depth and tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str, css_class: str) -> list[list[list[str]]]:
    parser = _Tables(css_class)
    parser.feed(html)
    return parser.tables


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs).get("src") or "")


def svg_images(html: str) -> list[str]:
    """The SVG documents of a page's data: images, decoded."""
    parser = _Images()
    parser.feed(html)
    prefix = "data:image/svg+xml;base64,"
    return [base64.b64decode(src[len(prefix):]).decode() for src in parser.sources
            if src.startswith(prefix)]


def states_by_group(withdrawn: bool = False) -> dict[str, list[str]]:
    """{regional group name: ISO3 codes of the States Parties}, from the data file the
    platform loads; those that withdrew only with `withdrawn` (the Secretariat sees them)."""
    groups: dict[str, list[str]] = {}
    with STATES_FILE.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["status"] == "party" or withdrawn:
                groups.setdefault(row["regional_group"], []).append(row["iso3"])
    return groups
