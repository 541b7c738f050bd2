"""The calendar, the gates and the helpdesk's weekly load in the exports: the .ics read back by the
iCalendar library, the Markdown, the text table and the workbook's sheets, in English and Swedish."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from markdown_it import MarkdownIt

from advisor.evaluate.engine import Engine
from advisor.model.facts import Assessment, parse_assessment
from advisor.model.i18n import gettext
from advisor.model.plan import Plan
from advisor.model.vocabulary import Language, day_name, event_name
from advisor.output.export import CALENDAR_COLUMNS, GATE_COLUMNS, to_xlsx
from advisor.output.formats import FORMATS, export
from advisor.output.ics import to_ics
from advisor.output.render import SUPPORT_LOAD_COLUMNS, to_csv, to_markdown, to_table
from advisor.planning.planner import make_plan
from advisor.quality.scenarios import load_scenario
from tests.conftest import RULES

CALENDAR = {"en": "Calendar", "sv": "Kalender"}
GATES = {"en": "Go/no-go gates", "sv": "Beslutspunkter (go/no-go)"}
LOAD = {"en": "Helpdesk load per week", "sv": "Supportens belastning per vecka"}
SHEETS = {
    "en": ["Calendar", "Gates", "Support load"],
    "sv": ["Kalender", "Beslutspunkter", "Supportbelastning"],
}
PHASE = {"en": "Phase", "sv": "Fas"}
GROUP = {"en": "Group", "sv": "Grupp"}


def _plan(assessment: Assessment, engine: Engine, language: Language = "en") -> Plan:
    with engine.version() as compiled:
        return make_plan(assessment, compiled, language)


def _with(contoso: Assessment, **changes: Any) -> Assessment:
    data = contoso.model_dump(mode="json")
    data.update(changes)
    return parse_assessment(data)


def _events(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def _tech_fairs() -> Assessment:
    """Drivers at three sites, two of them with a tech fair (a scenario of the shipped rules)."""
    scenario = load_scenario(RULES / "scenarios" / "drivers-tech-fair-per-site.yaml")
    return parse_assessment(scenario.assessment)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_ics_holds_every_event_of_the_calendar(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    plan = _plan(contoso, engine, language)
    assert len(plan.calendar) > 40
    data = to_ics(plan)
    calendar = Calendar.from_ical(data)
    assert str(calendar["version"]) == "2.0"
    assert "Rollout Advisor" in str(calendar["prodid"])
    assert str(calendar["x-wr-calname"]) == (
        "Rollout plan for Contoso" if language == "en" else "Distributionsplan för Contoso"
    )
    events = _events(data)
    assert len(events) == len(plan.calendar)
    for read, event in zip(events, plan.calendar, strict=True):
        start, end = read.decoded("dtstart"), read.decoded("dtend")
        assert type(start) is date  # all day: a DATE, not a DATE-TIME
        assert start.isoformat() == event.date
        assert end == start + timedelta(days=1)
        assert str(read["summary"]) == event.title
        description = str(read["description"])
        assert description.startswith(event.text + "\n\n")
        phase = next(p.title for p in plan.phases if (p.kind, p.number) == (event.phase, event.number))
        assert f"\n{PHASE[language]}: {phase}" in description
        if event.group is not None:
            assert f"\n{GROUP[language]}: {plan.group(event.group).name}" in description
        assert [str(c) for c in read.get("categories").cats] == [event_name(event.kind, language)]
        assert "location" not in read  # contoso has no tech fair
        assert read.decoded("dtstamp").tzinfo is not None
    uids = [str(read["uid"]) for read in events]
    assert len(set(uids)) == len(uids)
    gate = next(read for read, event in zip(events, plan.calendar, strict=True) if event.kind == "gate")
    assert plan.gates[0].criteria[0].text in str(gate["description"])


def test_a_tech_fair_is_an_event_at_its_site(engine: Engine) -> None:
    plan = _plan(_tech_fairs(), engine)
    fairs = [e for e in plan.calendar if e.location]
    assert {e.location for e in fairs} >= {"Stockholm", "Oslo"}
    events = _events(to_ics(plan))
    located = [(str(read["summary"]), str(read["location"])) for read in events if "location" in read]
    assert located == [(e.title, e.location) for e in fairs]


def test_the_same_plan_exported_again_keeps_every_uid(contoso: Assessment, engine: Engine) -> None:
    """So that a calendar updates what it imported before instead of holding each event twice; a
    no-go moves the later events, which keep their UIDs too."""
    plan = _plan(contoso, engine)
    uids = [str(read["uid"]) for read in _events(to_ics(plan))]
    assert [str(read["uid"]) for read in _events(to_ics(_plan(contoso, engine)))] == uids
    held = _with(
        contoso,
        gate_decisions=[
            {
                "after": {"phase": "limited_pilot", "number": None},
                "outcome": "no_go",
                "by": "Anna",
                "date": plan.gates[0].date,
            }
        ],
    )
    moved = _plan(held, engine)
    assert [e.date for e in moved.calendar] != [e.date for e in plan.calendar]
    again = {str(read["uid"]): read.decoded("dtstart").isoformat() for read in _events(to_ics(moved))}
    assert set(again) == set(uids)
    later = [e for e in plan.calendar if e.phase == "production"]
    assert any(again[uid] != e.date for uid, e in zip(uids, plan.calendar, strict=True) if e in later)
    other = [
        str(read["uid"]) for read in _events(to_ics(plan.model_copy(update={"organisation": "Fabrikam"})))
    ]
    assert set(other).isdisjoint(uids)  # another organisation's rollout is another calendar


@pytest.mark.parametrize(
    "name",
    [
        "Sales; North, South",
        "Ünïcødé ✓ 販売 — Åsa's team \\ backslash",
        "Field service " + "ÅÄÖ långt namn " * 12 + "end",  # near the longest name allowed (200)
        '=HYPERLINK("http://evil.example")',
    ],
)
def test_any_group_name_gives_a_valid_file(contoso: Assessment, engine: Engine, name: str) -> None:
    data = contoso.model_dump(mode="json")
    data["groups"][1]["name"] = name  # in the expanded pilot: in titles, texts and descriptions
    plan = _plan(parse_assessment(data), engine)
    written = to_ics(plan)
    assert all(len(line) <= 75 for line in written.split(b"\r\n"))  # folded, as RFC 5545 wants
    written.decode("utf-8")  # no character cut in two by a fold
    events = _events(written)
    named = [e for e in plan.calendar if e.group == contoso.groups[1].id]
    assert named
    summaries = [str(read["summary"]) for read in events]
    assert summaries == [e.title for e in plan.calendar]
    assert any(name in summary for summary in summaries)
    assert [str(read["description"]).split("\n\n")[0] for read in events] == [e.text for e in plan.calendar]


def test_stored_control_characters_are_replaced_not_written(contoso: Assessment, engine: Engine) -> None:
    """A plan saved before control characters were refused still exports a file others can read."""
    plan = _plan(contoso, engine)
    calendar = [
        e.model_copy(update={"title": f"A\x00B\x1bC\x7f {e.title}", "text": f"one\r\ntwo\rthree {e.text}"})
        for e in plan.calendar
    ]
    written = to_ics(plan.model_copy(update={"calendar": calendar}))
    assert not any(byte < 0x20 and byte not in (0x0A, 0x0D) for byte in written)
    assert b"\x7f" not in written
    events = _events(written)
    assert str(events[0]["summary"]).startswith("A\ufffdB\ufffdC\ufffd ")
    assert str(events[0]["description"]).startswith("one\ntwo\nthree ")


def test_a_plan_saved_before_the_calendar_exports_an_empty_one(contoso: Assessment, engine: Engine) -> None:
    saved = _plan(contoso, engine).model_dump(mode="json")
    for key in ("calendar", "gates", "support_load"):
        del saved[key]
    old = Plan.model_validate(saved)
    assert _events(to_ics(old)) == []
    assert CALENDAR["en"] not in to_markdown(old)
    assert "Calendar:" not in to_table(old)
    assert to_xlsx(old).startswith(b"PK")


def test_the_registry_writes_the_same_bytes_as_the_library(contoso: Assessment, engine: Engine) -> None:
    """The registry writes text (it prints to a terminal); encoded again it is the library's file."""
    plan = _plan(contoso, engine)
    spec = FORMATS["ics"]
    assert (spec.media_type, spec.extension, spec.binary) == ("text/calendar; charset=utf-8", "ics", False)
    written = export(plan, "ics")

    def without_stamps(data: bytes) -> list[bytes]:
        return [line for line in data.split(b"\r\n") if not line.startswith(b"DTSTAMP:")]

    assert without_stamps(written) == without_stamps(to_ics(plan))
    assert written.endswith(b"END:VCALENDAR\r\n")


@pytest.mark.parametrize("language", ["en", "sv"])
def test_markdown_has_the_calendar_the_gates_and_the_load(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    held = _with(
        contoso,
        gate_decisions=[
            {
                "after": {"phase": "limited_pilot", "number": None},
                "outcome": "no_go",
                "by": "Anna <anna@example.com>",
                "date": "2027-07-14",
                "note": "Enrollment *failed* for 9% | see ticket",
            }
        ],
    )
    plan = _plan(held, engine, language)
    markdown = to_markdown(plan)
    calendar = markdown.split(f"\n## {CALENDAR[language]}\n")[1].split("\n## ")[0]
    gates = markdown.split(f"\n## {GATES[language]}\n")[1].split("\n## ")[0]
    load = markdown.split(f"\n## {LOAD[language]}\n")[1].split("\n## ")[0]
    assert markdown.index(CALENDAR[language]) < markdown.index(f"### {plan.groups[0].name}")
    rows = [line for line in calendar.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(plan.calendar)
    assert rows[1].startswith(f"| {day_name(plan.calendar[0].date, language)} | {plan.calendar[0].title} |")
    assert gates.count("\n### ") == len(plan.gates)
    for gate in plan.gates:
        for criterion in gate.criteria:
            assert f"- {criterion.text}" in gates
    first = gates.split("\n### ")[1]
    decision = "no-go, decided by" if language == "en" else "no-go, beslutat av"
    assert f"- {decision} Anna \\<anna@example.com\\> " in first
    assert "Enrollment \\*failed\\* for 9% \\| see ticket" in first
    assert ("No decision recorded yet." if language == "en" else "Inget beslut registrerat ännu.") in gates
    weeks = [line for line in load.splitlines() if line.startswith("| ")]
    assert len(weeks) == 1 + len(plan.support_load)
    assert weeks[0] == "| " + " | ".join(gettext(c, language) for c in SUPPORT_LOAD_COLUMNS) + " |"
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert html.count("<table>") == 3  # the plan's, the calendar's, the load's
    assert "<em>" not in html


def test_the_text_table_lists_the_calendar_after_the_phases(contoso: Assessment, engine: Engine) -> None:
    plan = _plan(contoso, engine)
    text = to_table(plan)
    table, rest = text.split("\n\nCalendar:\n")
    assert "Production phase 3" in table
    listing = rest.split("\n\nWarnings:\n")[0].splitlines()
    assert listing == [f"{e.date}  {e.title}" for e in plan.calendar]


def test_the_csv_stays_the_plans_table(contoso: Assessment, engine: Engine) -> None:
    """The calendar fits none of the CSV's rows (no kind, no title): the .ics and the workbook's
    Calendar sheet hold it."""
    plan = _plan(contoso, engine)
    assert plan.calendar[0].title not in to_csv(plan)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_workbook_has_a_calendar_a_gates_and_a_support_load_sheet(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    from openpyxl import load_workbook

    held = _with(
        contoso,
        gate_decisions=[
            {
                "after": {"phase": "expanded_pilot", "number": None},
                "outcome": "go",
                "by": "Anna",
                "date": "2027-07-29",
                "note": "All well",
            }
        ],
    )
    plan = _plan(held, engine, language)
    book = load_workbook(io.BytesIO(to_xlsx(plan)))
    assert book.sheetnames[5:] == SHEETS[language]

    def rows(index: int) -> list[list[Any]]:
        return [list(row) for row in book.worksheets[index].iter_rows(values_only=True)]

    header, *events = rows(5)
    assert header == [gettext(c, language) for c in CALENDAR_COLUMNS]
    assert [(r[0], r[5], r[6]) for r in events] == [(e.date, e.title, e.text) for e in plan.calendar]
    announce = next(r for r, e in zip(events, plan.calendar, strict=True) if e.kind == "announce")
    assert announce[1] == event_name("announce", language)
    assert announce[3] == "IT"

    header, *items = rows(6)
    assert header == [gettext(c, language) for c in GATE_COLUMNS]
    column = {c: i for i, c in enumerate(GATE_COLUMNS)}
    criteria = [r for r in items if r[column["Code"]] == "enrollment_success"]
    assert len(criteria) == len(plan.gates)
    assert criteria[0][column["Threshold"]] == 95
    assert criteria[0][column["Limit"]] == ("at least" if language == "en" else "minst")
    rollback = [r for r in items if r[column["Code"]] == "stop-new-enrollments"]
    assert rollback[1][column["Groups"]] == "IT, IT executives"
    (decision,) = [r for r in items if r[column["Outcome"]]]
    assert decision[column["After"]] == plan.phases[1].title
    assert [decision[column[c]] for c in ("Text", "Outcome", "Decided by", "Decided on")] == [
        "All well",
        "go",
        "Anna",
        "2027-07-29",
    ]

    header, *weeks = rows(7)
    assert header == [gettext(c, language) for c in SUPPORT_LOAD_COLUMNS]
    assert [r[0] for r in weeks] == [w.week for w in plan.support_load]
    busiest = max(plan.support_load, key=lambda w: w.load)
    row = next(r for r in weeks if r[0] == busiest.week)
    assert row[1] == round(busiest.load, 1)
    assert busiest.capacity is not None
    assert row[3] == round(100 * busiest.load / busiest.capacity)
    assert row[4].split(", ")[0] == plan.group(busiest.groups[0]).name
