"""Exports of a plan: CSV, XLSX (the guide's table and a rationale sheet), Markdown, PDF, JSON."""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from advisor.model.guide import section_title
from advisor.model.i18n import N_, gettext
from advisor.model.plan import Plan
from advisor.model.vocabulary import Language, month_name, term
from advisor.output.escape import Cell, looks_like_formula, spreadsheet_rows
from advisor.output.render import made_with, table_rows, to_csv, to_json, to_markdown, users, word

# The workbook's sheets and the rationale sheet's columns; the PDF's page footer.
_SHEETS: dict[str, str] = {
    "plan": N_("Plan"),
    "rationale": N_("Rationale"),
    "page": N_("Page %(page)s of %(pages)s"),
}
RATIONALE_COLUMNS = (
    N_("Group"),
    N_("Phase"),
    N_("Month"),
    N_("Users"),
    N_("Enrollment"),
    N_("Rule"),
    N_("Reason"),
    N_("Source"),
)


def page_footer(language: Language) -> str:
    """The footer ("Page 2 of 5") as CSS content: the translated sentence around the counters."""
    page, pages = "\0", "\1"  # stand-ins, replaced by the counters once translated
    sentence = _sheet("page", language, page=page, pages=pages)
    quoted = "'" + sentence.replace("'", "\\'") + "'"
    return quoted.replace(page, "' counter(page) '").replace(pages, "' counter(pages) '")


def _sheet(key: str, language: Language, **values: object) -> str:
    return gettext(_SHEETS[key], language, **values)


def _append(sheet: Any, rows: Iterable[Iterable[Cell]]) -> None:
    """Rows written as values, never as formulas: every cell made inert (spreadsheet_rows),
    every text cell typed as a string (openpyxl never reads one as a formula), and one that looks
    like a formula marked quotePrefix, so that a spreadsheet keeps it text even when the cell is
    edited, without showing an apostrophe that is not in the name."""
    for row in spreadsheet_rows(rows, prefix=False):
        sheet.append(row)
        for cell in sheet[sheet.max_row] if row else ():
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if looks_like_formula(cell.value):
                    cell.quotePrefix = True


def to_xlsx(plan: Plan) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    language = plan.language
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = _sheet("plan", language)
    header, rows = table_rows(plan)
    _append(sheet, [[word("plan_for", language, name=plan.organisation)], [], [*header]])
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    _append(sheet, [*rows, [], [made_with(plan)]])
    sheet.column_dimensions["A"].width = 46
    for index in range(2, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 34
    for cells in sheet.iter_rows(min_row=4):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B4"

    rationale = book.create_sheet(_sheet("rationale", language))
    _append(rationale, [[gettext(column, language) for column in RATIONALE_COLUMNS]])
    for cell in rationale[1]:
        cell.font = Font(bold=True)
    titles = {(p.kind, p.number, p.month): p.title for p in plan.phases}
    lines: list[list[Cell]] = []
    for group in plan.groups:
        for placement in group.placements:
            for reason in group.reasons:
                lines.append(
                    [
                        group.name,
                        titles[(placement.phase, placement.number, placement.month)],
                        placement.month,
                        placement.users,
                        term(placement.enrollment, language),
                        reason.rule,
                        reason.text,
                        reason.source,
                    ]
                )
    _append(rationale, lines)
    for letter, width in zip("ABCDEFGH", (24, 30, 10, 10, 16, 34, 90, 60), strict=True):
        rationale.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_html(plan: Plan) -> str:
    """The plan as one printable HTML document (the PDF is made from it)."""
    language = plan.language
    e = html.escape
    header, rows = table_rows(plan)
    parts = [
        f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'><style>{_CSS}"
        f"@page {{ @bottom-right {{ content: {page_footer(language)}; }} }}</style></head><body>",
        f"<h1>{e(word('plan_for', language, name=plan.organisation))}</h1>",
        f"<p>{e(word('split', language, value=term(plan.split_by.value, language)))}.</p>",
        "<table class='plan'><thead><tr>"
        + "".join(f"<th>{e(h)}</th>" for h in header)
        + "</tr></thead><tbody>",
    ]
    parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
    parts.append("</tbody></table>")
    if plan.warnings:
        parts.append(f"<h2>{e(word('warnings', language))}</h2><ul>")
        parts += [
            f"<li><b>{e(word(w.severity, language))}</b> "
            f"{e((plan.group(w.group).name + ': ') if w.group else '')}{e(w.text)}</li>"
            for w in plan.warnings
        ]
        parts.append("</ul>")
    parts.append(f"<h2>{e(word('groups', language))}</h2>")
    for group in plan.groups:
        parts.append(f"<section><h3>{e(group.name)}</h3><ul>")
        for p in group.placements:
            title = next(
                ph.title
                for ph in plan.phases
                if (ph.kind, ph.number, ph.month) == (p.phase, p.number, p.month)
            )
            parts.append(
                f"<li>{e(title)}, {e(month_name(p.month, language))}: "
                f"{e(users(p.users, language))}, <b>{e(term(p.enrollment, language))}</b></li>"
            )
        parts.append(f"</ul><p><b>{e(word('why', language))}</b></p><ul>")
        parts += [
            f"<li>{e(r.text)} <i>({e(section_title(r.source, language))}; {e(r.rule)})</i></li>"
            for r in group.reasons
        ]
        parts.append("</ul></section>")
    parts.append(f"<p class='meta'>{e(made_with(plan))}</p>")
    parts.append("</body></html>")
    return "".join(parts)


_CSS = """
@page { size: A4 landscape; margin: 14mm; }
body { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; }
h1 { font-size: 16pt; } h2 { font-size: 12pt; margin-top: 14pt; } h3 { font-size: 10pt; margin: 8pt 0 2pt; }
table.plan { border-collapse: collapse; width: 100%; }
table.plan th, table.plan td { border: 1px solid #999; padding: 3pt; vertical-align: top; }
table.plan th { background: #eee; }
section { break-inside: avoid; }
.meta { color: #555; }
"""


def to_pdf(plan: Plan) -> bytes:
    from weasyprint import HTML

    result: bytes = HTML(string=to_html(plan)).write_pdf()
    return result


@dataclass(frozen=True)
class Format:
    render: Callable[[Plan], str | bytes]
    media_type: str  # the whole Content-Type, parameters included: send it as it is
    extension: str


FORMATS: dict[str, Format] = {
    "csv": Format(lambda plan: "\ufeff" + to_csv(plan), "text/csv; charset=utf-8", "csv"),
    "xlsx": Format(to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "markdown": Format(to_markdown, "text/markdown; charset=utf-8", "md"),
    "pdf": Format(to_pdf, "application/pdf", "pdf"),
    "json": Format(to_json, "application/json", "json"),
}


def export(plan: Plan, kind: str) -> bytes:
    """The plan in one of FORMATS, as bytes (CSV with a BOM, so that Excel reads UTF-8)."""
    body = FORMATS[kind].render(plan)
    return body.encode("utf-8") if isinstance(body, str) else body
