"""The plan as files with a layout: XLSX (the guide's table and a rationale sheet) and PDF (from a
Jinja template). Every export format, these and the text ones of render.py, is registered in formats.py."""

from __future__ import annotations

import io
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from advisor.model.guide import section_title
from advisor.model.i18n import N_, gettext
from advisor.model.plan import Plan
from advisor.model.vocabulary import Language, month_name, origin, term
from advisor.output.escape import Cell, append_to_sheet
from advisor.output.render import enrolls, made_with, platforms, table_cells, table_rows, users, word

# The workbook's sheets and the rationale sheet's columns; the PDF's page footer.
_SHEETS: dict[str, str] = {
    "plan": N_("Plan"),
    "rationale": N_("Rationale"),
    "warnings": N_("Warnings"),
    "page": N_("Page %(page)s of %(pages)s"),
}
RATIONALE_COLUMNS = (
    N_("Group"),
    N_("Phase"),
    N_("Month"),
    N_("Users"),
    N_("Enrollment"),
    N_("Platforms"),
    N_("Sites"),
    N_("Devices"),
    N_("Rule"),
    N_("Reason"),
    N_("Source"),
    N_("Provenance"),
)
WARNING_COLUMNS = (N_("Kind"), N_("Group"), N_("Warning"), N_("Source"), N_("Provenance"))


def page_footer(language: Language) -> str:
    """The footer ("Page 2 of 5") as CSS content: the translated sentence around the counters."""
    page, pages = "\0", "\1"  # stand-ins, replaced by the counters once translated
    sentence = _sheet("page", language, page=page, pages=pages)
    quoted = "'" + sentence.replace("'", "\\'") + "'"
    return quoted.replace(page, "' counter(page) '").replace(pages, "' counter(pages) '")


def _sheet(key: str, language: Language, **values: object) -> str:
    return gettext(_SHEETS[key], language, **values)


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
    append_to_sheet(sheet, [[word("plan_for", language, name=plan.organisation)], [], [*header]])
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    append_to_sheet(sheet, [*rows, [], [made_with(plan)]])
    sheet.column_dimensions["A"].width = 46
    for index in range(2, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 34
    for cells in sheet.iter_rows(min_row=4):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B4"

    rationale = book.create_sheet(_sheet("rationale", language))
    append_to_sheet(rationale, [[gettext(column, language) for column in RATIONALE_COLUMNS]])
    for cell in rationale[1]:
        cell.font = Font(bold=True)
    titles = {(p.kind, p.number, p.month): p.title for p in plan.phases}
    # The plan-wide reasons (how production is cut) first, then each group's in each phase.
    lines: list[list[Cell]] = [
        ["", "", "", "", "", "", "", "", r.rule, r.text, r.source, origin(r.provenance, language)]
        for r in plan.split_by.reasons
    ]
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
                        platforms(placement, language),
                        ", ".join(placement.locations),
                        placement.devices,
                        reason.rule,
                        reason.text,
                        reason.source,
                        origin(reason.provenance, language),
                    ]
                )
    append_to_sheet(rationale, lines)
    for letter, width in zip("ABCDEFGHIJKL", (24, 30, 10, 10, 16, 22, 24, 10, 34, 90, 60, 22), strict=True):
        rationale.column_dimensions[letter].width = width

    warnings = book.create_sheet(_sheet("warnings", language))
    append_to_sheet(warnings, [[gettext(column, language) for column in WARNING_COLUMNS]])
    for cell in warnings[1]:
        cell.font = Font(bold=True)
    append_to_sheet(
        warnings,
        [
            [
                word(w.severity, language),
                plan.group(w.group).name if w.group else "",
                w.text,
                w.source or "",
                origin(w.provenance, language),
            ]
            for w in plan.warnings
        ],
    )
    for letter, width in zip("ABCDE", (16, 24, 90, 60, 22), strict=True):
        warnings.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@cache
def _templates() -> Environment:
    """The core's own templates (no Flask here): every value escaped, a missing one an error."""
    return Environment(
        loader=PackageLoader("advisor.output", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def to_html(plan: Plan) -> str:
    """The plan as one printable HTML document (the PDF is made from it)."""
    language = plan.language
    header, rows = table_cells(plan)
    words = {
        "title": word("plan_for", language, name=plan.organisation),
        "split": word("split", language, value=term(plan.split_by.value, language)),
        "warnings": word("warnings", language),
        "groups": word("groups", language),
        "why": word("why", language),
        "made_with": made_with(plan),
        "footer": page_footer(language),
        **{severity: word(severity, language) for severity in ("warning", "tension", "info")},
    }
    template = _templates().get_template("plan.html")
    return template.render(
        plan=plan,
        header=header,
        rows=rows,
        words=words,
        titles={(p.kind, p.number, p.month): p.title for p in plan.phases},
        term=term,
        enrolls=enrolls,
        origin=origin,
        users=users,
        month_name=month_name,
        section_title=section_title,
    )


def to_pdf(plan: Plan) -> bytes:
    from weasyprint import HTML

    result: bytes = HTML(string=to_html(plan)).write_pdf()
    return result
