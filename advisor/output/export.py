"""The plan as files with a layout: XLSX (the guide's table and a rationale sheet) and PDF. Every
export format, these and the text ones of render.py, is registered in formats.py."""

from __future__ import annotations

import html
import io

from advisor.model.guide import section_title
from advisor.model.plan import Plan
from advisor.model.vocabulary import Language, month_name, term
from advisor.output.escape import Cell, append_to_sheet
from advisor.output.render import table_rows, word

_SHEETS: dict[str, dict[Language, str]] = {
    "plan": {"en": "Plan", "sv": "Plan"},
    "rationale": {"en": "Rationale", "sv": "Motivering"},
    "columns": {
        "en": "Group|Phase|Month|Users|Enrollment|Rule|Reason|Source",
        "sv": "Grupp|Fas|Månad|Användare|Registrering|Regel|Motivering|Källa",
    },
    "page": {"en": "Page", "sv": "Sida"},
    "of": {"en": "of", "sv": "av"},
}


def to_xlsx(plan: Plan) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    language = plan.language
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = _SHEETS["plan"][language]
    header, rows = table_rows(plan)
    append_to_sheet(sheet, [[word("plan_for", language, name=plan.organisation)], [], [*header]])
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    made_with = word("rulebook", language, version=plan.rulebook.version, rules=plan.rulebook.rules)
    append_to_sheet(sheet, [*rows, [], [made_with]])
    sheet.column_dimensions["A"].width = 46
    for index in range(2, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 34
    for cells in sheet.iter_rows(min_row=4):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B4"

    rationale = book.create_sheet(_SHEETS["rationale"][language])
    append_to_sheet(rationale, [list(_SHEETS["columns"][language].split("|"))])
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
    append_to_sheet(rationale, lines)
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
        f"@page {{ @bottom-right {{ content: '{_SHEETS['page'][language]} ' counter(page) "
        f"' {_SHEETS['of'][language]} ' counter(pages); }} }}</style></head><body>",
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
                f"{e(term('users', language, count=p.users))}, <b>{e(term(p.enrollment, language))}</b></li>"
            )
        parts.append(f"</ul><p><b>{e(word('why', language))}</b></p><ul>")
        parts += [
            f"<li>{e(r.text)} <i>({e(section_title(r.source, language))}; {e(r.rule)})</i></li>"
            for r in group.reasons
        ]
        parts.append("</ul></section>")
    made_with = word("rulebook", language, version=plan.rulebook.version, rules=plan.rulebook.rules)
    parts.append(f"<p class='meta'>{e(made_with)}</p>")
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
