"""Text from the answers and the rule files, made inert for the format it is written into.

Every cell of every tabular export goes through `spreadsheet_cell`: a CSV's rows through
`spreadsheet_rows`, an XLSX sheet's through `append_to_sheet` (every sheet, the rationale's too),
and any later tabular format through one of them. The Markdown export passes every such text
through `markdown_text`, the iCalendar export through `calendar_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

Cell = str | int | float | None

# OWASP's CSV-injection list: a cell starting with one of these is read as a formula by Excel,
# LibreOffice or Google Sheets. A leading apostrophe makes a spreadsheet show it as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The characters XML 1.0 cannot hold, so no XLSX can (openpyxl's ILLEGAL_CHARACTERS_RE). The
# contract refuses them in new answers; text stored before that is shown with U+FFFD instead.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def spreadsheet_cell(value: Cell, *, prefix: bool = True) -> Cell:
    """A cell's value that a spreadsheet shows as written and never evaluates. `prefix=False`
    for a format that marks text cells itself (XLSX: string type and quotePrefix, see
    `looks_like_formula`), so that the text keeps no visible apostrophe."""
    if not isinstance(value, str):
        return value
    text = XML_ILLEGAL.sub("\ufffd", value)
    return "'" + text if prefix and looks_like_formula(text) else text


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def spreadsheet_rows(rows: Iterable[Iterable[Cell]], *, prefix: bool = True) -> list[list[Cell]]:
    """The rows of a table, every cell made inert (see spreadsheet_cell)."""
    return [[spreadsheet_cell(value, prefix=prefix) for value in row] for row in rows]


def append_to_sheet(sheet: Any, rows: Iterable[Iterable[Cell]]) -> None:
    """Rows appended to an openpyxl worksheet as values, never as formulas: every cell made inert
    (spreadsheet_rows), every text cell typed as a string (openpyxl never reads one as a formula),
    and one that looks like a formula marked quotePrefix, so that a spreadsheet keeps it text even
    when the cell is edited, without showing an apostrophe that is not in the name. Each cell is
    made and marked before it is appended: finding an appended row again (`sheet[sheet.max_row]`)
    scans every cell of the sheet, which made a long sheet (a calendar's) quadratic."""
    from openpyxl.cell.cell import Cell as SheetCell

    for row in spreadsheet_rows(rows, prefix=False):
        cells = []
        for column, value in enumerate(row, start=1):
            cell = SheetCell(sheet, row=1, column=column, value=value)  # append() sets its row
            if isinstance(value, str):
                cell.data_type = "s"
                if looks_like_formula(value):
                    cell.quotePrefix = True
            cells.append(cell)
        sheet.append(cells)


# CommonMark's inline syntax that text could start: raw HTML and autolinks (<), links and images
# ([ ] !), emphasis (* _ ~), code (`), headings' closing #, table cells (|), and escapes (\).
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#~!])")
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")


def markdown_text(text: str) -> str:
    """Text shown as written in Markdown (one line, so that it also fits in a table cell)."""
    return _MARKDOWN.sub(r"\\\1", _LINE_BREAK.sub(" ", text))


# RFC 5545's TEXT holds no control character but the tab; a line break is escaped by the library.
_CALENDAR_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def calendar_text(text: str) -> str:
    """Text as an iCalendar TEXT value may hold it: each line break one newline (which the library
    writes as `\\n`), every other control character shown as U+FFFD, as the XLSX shows it."""
    return _CALENDAR_CONTROL.sub("\ufffd", _LINE_BREAK.sub("\n", text))
