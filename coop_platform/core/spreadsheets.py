"""Tables for spreadsheets: CSV (UTF-8 with a byte-order mark, so Excel reads the accents)
and XLSX (XlsxWriter), with every text cell neutralised against formula injection."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

import xlsxwriter

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection); the
# tab and carriage return let a formula hide behind them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# XLSX limits (Excel's): longer text is cut by Excel itself, so it is cut here visibly.
MAX_CELL = 32767
MAX_SHEET_NAME = 31
# A spreadsheet may split a CSV line on any of these (`;` is the French and most European
# default), so a formula may also start right after one inside a field.
CSV_SEPARATORS = ",;\t"
_AFTER_SEPARATOR = re.compile(
    f"([{re.escape(CSV_SEPARATORS)}])(?=[{re.escape(''.join(FORMULA_STARTS))}])")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def neutralise_csv(value: object) -> str:
    """A CSV field no spreadsheet reads as a formula, whichever separator it splits on: the
    start neutralised, and a quote put after each separator that a formula character
    follows ("annex;=cmd" becomes "annex;'=cmd")."""
    return _AFTER_SEPARATOR.sub(r"\1'", neutralise(value))


def csv_writer(buffer: TextIO) -> Any:
    """Every field quoted: a quoted field is one cell whatever separator the reader uses."""
    return csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)


@dataclass
class Chart:
    """A native bar chart of a sheet's block: categories down one column, one series per
    column of `series` (its header row gives the series' name), rows `first`..`last`."""

    title: str
    header_row: int
    first: int
    last: int
    category_column: int
    series: list[int]
    anchor: str  # the cell its top left corner sits on, "J2"


@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: list[list[object]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def _csv_field(value: object) -> str:
    # Dates as ISO 8601, which every spreadsheet reads as a date.
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise_csv(value)


def csv_bytes(sheet: Sheet) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv_writer(buffer)
    writer.writerow([neutralise_csv(h) for h in sheet.header])
    for row in sheet.rows:
        writer.writerow([_csv_field(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def _cell_text(value: object) -> str:
    text = neutralise(value)
    if len(text) > MAX_CELL:
        text = text[:MAX_CELL - 1] + "…"
    return text


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    """One workbook; numbers stay numbers, everything else is written as text (never as a
    formula or a URL, whatever it starts with)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False,
                                        "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    day = book.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "valign": "top"})
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name[:MAX_SHEET_NAME])
        for col, title in enumerate(sheet.header):
            ws.write_string(0, col, _cell_text(title), bold)
        for r, row in enumerate(sheet.rows, start=1):
            for col, value in enumerate(row):
                if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    ws.write_number(r, col, float(value))
                elif isinstance(value, datetime):  # a date cell, in UTC without its zone
                    ws.write_datetime(r, col, value.replace(tzinfo=None), moment)
                elif isinstance(value, date):
                    ws.write_datetime(r, col, value, day)
                elif value not in (None, ""):
                    ws.write_string(r, col, _cell_text(value), wrap)
        for chart in sheet.charts:
            _add_chart(book, ws, chart)
        ws.freeze_panes(1, 0)
        widths = [max([len(str(h))] + [min(len(str(row[c])), 60) for row in sheet.rows[:200]
                                       if c < len(row) and row[c] is not None])
                  for c, h in enumerate(sheet.header)]
        for col, width in enumerate(widths):
            ws.set_column(col, col, min(max(width, 8), 60) + 2)
    book.close()
    return buffer.getvalue()


def _add_chart(book: Any, ws: Any, chart: Chart) -> None:
    """A stacked bar chart: one bar per category, one segment per series, each labelled
    with its value (so it reads without colour)."""
    drawn = book.add_chart({"type": "bar", "subtype": "stacked"})
    name = ws.get_name()
    for column in chart.series:
        drawn.add_series({
            "name": [name, chart.header_row, column],
            "categories": [name, chart.first, chart.category_column, chart.last,
                           chart.category_column],
            "values": [name, chart.first, column, chart.last, column],
            "data_labels": {"value": True},
        })
    drawn.set_title({"name": chart.title[:255], "name_font": {"size": 11}})
    drawn.set_y_axis({"reverse": True})
    drawn.set_legend({"position": "bottom"})
    drawn.set_size({"width": 640, "height": 90 + 28 * (chart.last - chart.first + 1)})
    ws.insert_chart(chart.anchor, drawn)
