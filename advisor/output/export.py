"""The plan as files with a layout: XLSX (the guide's table, a rationale sheet, the methods, the
prerequisites, the calendar, the gates and the helpdesk's weekly load) and PDF (from a Jinja
template). Every export format, these and the text ones of render.py, is registered in formats.py."""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from advisor.model.guide import source_links
from advisor.model.i18n import N_, gettext
from advisor.model.plan import Plan, Standing
from advisor.model.vocabulary import Language, day_name, event_name, month_name, origin, term, unit_name
from advisor.output.charts import load_svg, timeline_svg
from advisor.output.escape import Cell, append_to_sheet
from advisor.output.render import (
    SUPPORT_LOAD_COLUMNS,
    Names,
    enrolls,
    limit,
    made_with,
    needed_by,
    platforms,
    reset_word,
    standing_line,
    table_cells,
    table_rows,
    users,
    when_and_who,
    why_not_method,
    word,
    yes_no,
)

# The workbook's sheets and the rationale sheet's columns; the PDF's page footer.
_SHEETS: dict[str, str] = {
    "plan": N_("Plan"),
    "rationale": N_("Rationale"),
    "warnings": N_("Warnings"),
    "methods": N_("Methods"),
    "prerequisites": N_("Prerequisites"),
    "calendar": N_("Calendar"),
    "gates": N_("Gates"),
    "support_load": N_("Support load"),
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
# One row per group, platform and owner: the method and why; the alternatives and why not.
METHOD_COLUMNS = (
    N_("Group"),
    N_("Platform"),
    N_("Ownership"),
    N_("Method"),
    N_("Devices"),
    N_("Reset"),
    N_("User affinity"),
    N_("What the user experiences"),
    N_("Prerequisites"),
    N_("Reasons"),
    N_("Rule"),
    N_("Provenance"),
    N_("Why not the others"),
)
PREREQUISITE_COLUMNS = (
    N_("Code"),
    N_("Prerequisite"),
    N_("Due"),
    N_("Groups"),
    N_("Provenance"),
    N_("Source"),
)

# One row per event of the calendar, by date. (The support load sheet's are render.py's
# SUPPORT_LOAD_COLUMNS, the Markdown's table: the load and capacity there rounded to a tenth.)
CALENDAR_COLUMNS = (
    N_("Date"),
    N_("Kind"),
    N_("Phase"),
    N_("Group"),
    N_("Site"),
    N_("Event"),
    N_("What happens"),
)
# One row per exit criterion, rollback step and recorded decision of each gate, the gates in the
# order of the phases; `Item` says which a row is.
GATE_ITEMS: dict[str, str] = {
    "criterion": N_("Exit criterion"),
    "rollback": N_("Rollback step"),
    "decision": N_("Decision"),
}
GATE_COLUMNS = (
    N_("Date"),
    N_("After"),
    N_("Before"),
    N_("Item"),
    N_("Code"),
    N_("Text"),
    N_("Threshold"),
    N_("Unit"),
    N_("Limit"),
    N_("Groups"),
    N_("Outcome"),
    N_("Decided by"),
    N_("Decided on"),
)


def page_footer(language: Language) -> str:
    """The footer ("Page 2 of 5") as CSS content: the translated sentence around the counters."""
    page, pages = "\0", "\1"  # stand-ins, replaced by the counters once translated
    sentence = _sheet("page", language, page=page, pages=pages)
    quoted = "'" + sentence.replace("'", "\\'") + "'"
    return quoted.replace(page, "' counter(page) '").replace(pages, "' counter(pages) '")


def _sheet(key: str, language: Language, **values: object) -> str:
    return gettext(_SHEETS[key], language, **values)


def to_xlsx(plan: Plan, standing: Standing | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    language = plan.language
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = _sheet("plan", language)
    header, rows = table_rows(plan)
    status = [standing_line(standing, language)] if standing is not None else []
    append_to_sheet(sheet, [[word("plan_for", language, name=plan.organisation)], status, [*header]])
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
    _methods_sheet(book, plan)
    _prerequisites_sheet(book, plan)
    _calendar_sheet(book, plan)
    _gates_sheet(book, plan)
    _support_load_sheet(book, plan)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _headed_sheet(
    book: Any, title: str, columns: tuple[str, ...], widths: tuple[int, ...], language: Language
) -> Any:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    append_to_sheet(sheet, [[gettext(column, language) for column in columns]])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def _methods_sheet(book: Any, plan: Plan) -> None:
    """How each group's devices enroll: one row per group, platform and owner."""
    from openpyxl.styles import Alignment

    language = plan.language
    sheet = _headed_sheet(
        book,
        _sheet("methods", language),
        METHOD_COLUMNS,
        (24, 14, 14, 40, 10, 22, 12, 60, 34, 80, 34, 22, 80),
        language,
    )
    lines: list[list[Cell]] = []
    for group in plan.groups:
        for m in group.methods:
            why_not = [
                f"{why_not_method(a, language)}: "
                + (" ".join(r.text for r in a.why_not) if a.why_not else word("no_rule", language))
                for a in m.alternatives
            ]
            lines.append(
                [
                    group.name,
                    term(m.platform, language),
                    term(m.ownership, language),
                    term(m.method, language),
                    m.devices,
                    reset_word(m, language),
                    yes_no(m.user_affinity, language),
                    m.experience,
                    ", ".join(m.prerequisites),
                    "\n".join(r.text for r in m.reasons),
                    " ".join(r.rule for r in m.reasons),
                    ", ".join(
                        dict.fromkeys(origin(r.provenance, language) for r in m.reasons if r.provenance)
                    ),
                    "\n".join(why_not),
                ]
            )
    append_to_sheet(sheet, lines)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _prerequisites_sheet(book: Any, plan: Plan) -> None:
    """What to set up, and by when, in the order it falls due."""
    language = plan.language
    sheet = _headed_sheet(
        book, _sheet("prerequisites", language), PREREQUISITE_COLUMNS, (26, 90, 16, 40, 22, 60), language
    )
    append_to_sheet(
        sheet,
        [
            [p.code, p.text, p.due, needed_by(p, plan), origin(p.provenance, language), p.source]
            for p in plan.prerequisites
        ],
    )


# The PDF's calendar, go/no-go reviews and weekly load: the plan page's headings and columns.
_CALENDAR_WORDS: dict[str, str] = {
    "calendar": N_("Calendar"),
    "date": N_("Date"),
    "what": N_("What"),
    "group": N_("Group"),
    "site": N_("Site"),
    "gates": N_("Go/no-go reviews"),
    "criteria": N_("Exit criteria"),
    "rollback": N_("Rollback steps, if the review says no-go"),
    "decisions": N_("Decisions"),
    "no_decision": N_("No decision recorded yet."),
    "load": N_("Helpdesk load"),
    "week": N_("Week of"),
    "load_users": N_("Load (users)"),
    "capacity_users": N_("Capacity (users)"),
    "groups": N_("Groups"),
    "over": N_("Over capacity"),
    "go": N_("go"),
    "no_go": N_("no-go"),
}


def gate_heading(before: str | None, after: str, language: Language) -> str:
    """Which phases a go/no-go review stands between: "After Limited pilot, before Expanded pilot"."""
    if before is None:
        return gettext("After %(after)s", language, after=after)
    return gettext("After %(after)s, before %(before)s", language, after=after, before=before)


def _wrapped(sheet: Any) -> None:
    from openpyxl.styles import Alignment

    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _calendar_sheet(book: Any, plan: Plan) -> None:
    """Every dated step of the rollout, by date (the .ics export holds the same events)."""
    language, names = plan.language, Names(plan)
    sheet = _headed_sheet(
        book, _sheet("calendar", language), CALENDAR_COLUMNS, (12, 20, 22, 24, 20, 44, 90), language
    )
    append_to_sheet(
        sheet,
        [
            [
                e.date,
                event_name(e.kind, language),
                names.phase(e.phase, e.number),
                names.group(e.group),
                e.location or "",
                e.title,
                e.text,
            ]
            for e in plan.calendar
        ],
    )
    _wrapped(sheet)


def _gates_sheet(book: Any, plan: Plan) -> None:
    """Each go/no-go gate: its exit criteria, its rollback steps and the decisions taken there."""
    language, names = plan.language, Names(plan)
    sheet = _headed_sheet(
        book,
        _sheet("gates", language),
        GATE_COLUMNS,
        (12, 22, 22, 16, 30, 80, 10, 16, 10, 30, 10, 20, 12),
        language,
    )
    item = {key: gettext(text, language) for key, text in GATE_ITEMS.items()}
    lines: list[list[Cell]] = []
    for gate in plan.gates:
        after = names.phase(gate.after.phase, gate.after.number)
        before = "" if gate.before is None else names.phase(gate.before.phase, gate.before.number)
        at = [gate.date, after, before]
        lines += [
            [
                *at,
                item["criterion"],
                c.code,
                c.text,
                c.threshold,
                unit_name(c.unit, language),
                limit(c, language),
                "",
                "",
                "",
                "",
            ]
            for c in gate.criteria
        ]
        lines += [
            [
                *at,
                item["rollback"],
                step.code,
                step.text,
                None,
                "",
                "",
                names.groups(step.groups),
                "",
                "",
                "",
            ]
            for step in gate.rollback
        ]
        lines += [
            [
                *at,
                item["decision"],
                "",
                d.note,
                None,
                "",
                "",
                "",
                term(d.outcome, language),
                d.by,
                d.date,
            ]
            for d in gate.decisions
        ]
    append_to_sheet(sheet, lines)
    _wrapped(sheet)


def _support_load_sheet(book: Any, plan: Plan) -> None:
    """The helpdesk's expected load week by week, against its capacity when the answers give it."""
    language, names = plan.language, Names(plan)
    sheet = _headed_sheet(
        book, _sheet("support_load", language), SUPPORT_LOAD_COLUMNS, (12, 14, 16, 20, 60), language
    )
    append_to_sheet(
        sheet,
        [
            [
                w.week,
                round(w.load, 1),
                None if w.capacity is None else round(w.capacity, 1),
                round(100 * w.load / w.capacity) if w.capacity else None,
                names.groups(w.groups),
            ]
            for w in plan.support_load
        ],
    )


# The PDF's methods table, as the plan page shows it: the XLSX sheet's columns from the platform to
# what the user experiences (the group is the section's heading; reasons go under each row).
_PDF_METHOD_COLUMNS = METHOD_COLUMNS[
    METHOD_COLUMNS.index(N_("Platform")) : METHOD_COLUMNS.index(N_("Prerequisites"))
]


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


def to_html(plan: Plan, standing: Standing | None = None) -> str:
    """The plan as one printable HTML document (the PDF is made from it)."""
    language = plan.language
    header, rows = table_cells(plan)
    words = {
        "title": word("plan_for", language, name=plan.organisation),
        "status": standing_line(standing, language) if standing is not None else "",
        "split": word("split", language, value=term(plan.split_by.value, language)),
        "warnings": word("warnings", language),
        "groups": word("groups", language),
        "why": word("why", language),
        "methods": word("methods", language),
        "prerequisites": word("prerequisites", language),
        "no_rule": word("no_rule", language),
        "columns": [gettext(c, language) for c in _PDF_METHOD_COLUMNS],
        "made_with": made_with(plan),
        "footer": page_footer(language),
        **{key: gettext(text, language) for key, text in _CALENDAR_WORDS.items()},
        **{severity: word(severity, language) for severity in ("warning", "tension", "info")},
    }
    phase_titles = {(p.kind, p.number): p.title for p in plan.phases}
    gates = [
        gate_heading(
            phase_titles[(g.before.phase, g.before.number)] if g.before else None,
            phase_titles[(g.after.phase, g.after.number)],
            language,
        )
        for g in plan.gates
    ]
    template = _templates().get_template("plan.html")
    return template.render(
        plan=plan,
        header=header,
        rows=rows,
        words=words,
        titles={(p.kind, p.number, p.month): p.title for p in plan.phases},
        # The pictures are SVG written with every text escaped (charts.py). A printout outlives its
        # day, so the timeline has no line for today.
        timeline=Markup(timeline_svg(plan, language, None)),  # noqa: S704 - escaped where written
        load_chart=Markup(load_svg(plan, language)),  # noqa: S704 - escaped where written
        gate_headings=gates,
        names={g.id: g.name for g in plan.groups},
        term=term,
        enrolls=enrolls,
        origin=origin,
        users=users,
        month_name=month_name,
        source_links=source_links,
        day_name=day_name,
        reset_word=reset_word,
        yes_no=yes_no,
        why_not_method=why_not_method,
        not_approach=lambda approach: word("not", language, approach=term(approach, language)),
        when_and_who=when_and_who,
    )


def to_pdf(plan: Plan, standing: Standing | None = None) -> bytes:
    from weasyprint import HTML

    result: bytes = HTML(string=to_html(plan, standing)).write_pdf()
    return result
