"""The messages to the users, drafted from the plan's calendar: one of each kind per group and
phase, in the plan's language, with what the users do, the privacy statement where personal
devices take part, where to get help; the organisation's wording in their place; files that a
mail client and an unzipper read back."""

from __future__ import annotations

import email
import io
import zipfile
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest

from advisor.evaluate.engine import Engine
from advisor.model.facts import Assessment, parse_assessment
from advisor.model.plan import Plan
from advisor.model.vocabulary import LANGUAGES, MESSAGE_KINDS, Language, day_name
from advisor.output.drafts import (
    HELP_PLACEHOLDER,
    PRIVACY_SOURCE,
    drafts,
    eml_name,
    orphaned,
    to_eml,
    to_markdown,
    to_zip,
)
from advisor.planning.planner import make_plan


def _plan(engine: Engine, assessment: Assessment, language: Language) -> Plan:
    with engine.version() as compiled:
        return make_plan(assessment, compiled, language)


def _with(contoso: Assessment, **changes: Any) -> Assessment:
    data = contoso.model_dump(mode="json")
    for key, value in changes.items():
        if key == "organisation":
            data["organisation"].update(value)
        else:
            data[key] = value
    return parse_assessment(data)


def _enrolled(plan: Plan) -> set[tuple[str, str, int | None]]:
    return {(e.group, e.phase, e.number) for e in plan.calendar if e.group is not None}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_group_and_phase_has_its_four_messages_on_the_calendars_days(
    engine: Engine, contoso: Assessment, language: Language
) -> None:
    plan = _plan(engine, contoso, language)
    found = drafts(plan, contoso, language)
    enrolled = _enrolled(plan)
    assert len(enrolled) == 8  # IT in both pilots, IT executives, and the five production groups
    for group, phase, number in enrolled:
        mine = [d for d in found if (d.group, d.phase, d.number) == (group, phase, number)]
        assert [d.kind for d in mine] == list(MESSAGE_KINDS)  # in the order they go out
        events = [e for e in plan.calendar if (e.group, e.phase, e.number) == (group, phase, number)]
        first = {kind: next(e.date for e in events if e.kind == kind) for kind in MESSAGE_KINDS}
        assert {d.kind: d.send_on for d in mine} == first  # the first announcement's day
        start = next(e.date for e in events if e.kind == "enrollment_start")
        assert all(d.language == language and d.subject and d.body for d in mine)
        window = [d for d in mine if d.kind in ("announce", "instructions")]
        assert all(str(int(start[8:])) in d.body for d in window)  # the window's first day, written out
    assert [d.send_on for d in found] == sorted(d.send_on for d in found)


def test_the_users_steps_are_their_methods_each_with_its_platform(
    engine: Engine, contoso: Assessment
) -> None:
    plan = _plan(engine, contoso, "en")
    it = next(d for d in drafts(plan, contoso, "en") if d.group == "it" and d.kind == "instructions")
    for choice in plan.group("it").methods:
        assert choice.experience in it.body
    assert "- Windows, devices the organisation owns: Windows Autopilot, user-driven." in it.body
    assert "- iOS/iPadOS, your own devices: Account-driven user enrollment (iOS/iPadOS)." in it.body
    sv = _plan(engine, contoso, "sv")
    svenska = next(d for d in drafts(sv, contoso, "sv") if d.group == "it" and d.kind == "instructions")
    assert "Hej" in svenska.body
    assert "juli 2027" in svenska.body
    assert all(choice.experience in svenska.body for choice in sv.group("it").methods)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_privacy_statement_is_there_exactly_for_groups_with_personal_devices(
    engine: Engine, contoso: Assessment, language: Language
) -> None:
    plan = _plan(engine, contoso, language)
    personal = {g.id for g in plan.groups if any(m.ownership == "personal" for m in g.methods)}
    assert personal == {"it", "sales-marketing"}  # IT enrolls them; Sales protects the apps only
    for draft in drafts(plan, contoso, language):
        stated = PRIVACY_SOURCE in draft.body
        if draft.kind in ("announce", "instructions"):
            assert stated == (draft.group in personal), (draft.group, draft.kind)
        else:
            assert not stated
    sales = next(d for d in drafts(plan, contoso, language) if d.group == "sales-marketing")
    it = next(d for d in drafts(plan, contoso, language) if d.group == "it")
    assert sales.body != it.body


def test_what_it_can_and_cannot_see_reads_as_microsoft_says(engine: Engine, contoso: Assessment) -> None:
    plan = _plan(engine, contoso, "en")
    found = drafts(plan, contoso, "en")
    it = next(d for d in found if d.group == "it" and d.kind == "announce")
    for word in ("photos", "browsing history", "model", "serial number", "operating system"):
        assert word in it.body
    sales = next(d for d in found if d.group == "sales-marketing" and d.kind == "announce")
    assert "app protection" in sales.body
    assert "not enrolled" in sales.body
    assert "When you enroll a device of your own" not in sales.body  # its personal devices only protect apps


@pytest.mark.parametrize("language", LANGUAGES)
def test_where_to_get_help_is_the_support_contact_or_a_marked_placeholder(
    engine: Engine, contoso: Assessment, language: Language
) -> None:
    plan = _plan(engine, contoso, language)
    placeholder = drafts(plan, contoso, language)
    marked = "[where to get help]" if language == "en" else "[var du får hjälp]"
    assert HELP_PLACEHOLDER == "[where to get help]"
    assert all(marked in d.body for d in placeholder)
    contact = "Servicedesk, 010-123 45 00, servicedesk@contoso.com"
    helped = _with(contoso, organisation={"support_contact": contact})
    found = drafts(_plan(engine, helped, language), helped, language)
    assert all(contact in d.body and marked not in d.body for d in found)


def test_assisted_groups_get_appointments_and_a_tech_fair_its_days_and_site(
    engine: Engine, contoso: Assessment
) -> None:
    data = contoso.model_dump(mode="json")
    data["groups"][2]["needs_help"] = "high"  # 2,000 users of Sales and marketing at one site
    fair = parse_assessment(data)
    plan = _plan(engine, fair, "en")
    assert plan.group("sales-marketing").placements[0].enrollment == "tech_fair"
    found = drafts(plan, fair, "en")
    days = [e for e in plan.calendar if e.kind == "tech_fair" and e.group == "sales-marketing"]
    assert days
    instructions = next(d for d in found if d.group == "sales-marketing" and d.kind == "instructions")
    assert "IT tech fair" in instructions.body
    for event in days:
        assert day_name(event.date, "en") in instructions.body
        assert (event.location or "") in instructions.body
    executives = next(d for d in found if d.group == "executives" and d.kind == "instructions")
    assert "appointment" in executives.body


def test_an_edit_replaces_the_draft_and_is_marked_and_an_orphan_is_reported(
    engine: Engine, contoso: Assessment
) -> None:
    edit = {
        "group": "retail",
        "phase": {"phase": "production", "number": 2},
        "kind": "reminder",
        "language": "sv",
        "subject": "Påminnelse: registrera din enhet före fredag",
        "body": "Hej!\n\nSista dagen är på fredag. Åäö.\n",
    }
    gone = {**edit, "group": "warehouse", "language": "en"}
    other_phase = {**edit, "phase": {"phase": "production", "number": 9}}
    edited = _with(contoso, messages=[edit, gone, other_phase])
    sv = drafts(_plan(engine, edited, "sv"), edited, "sv")
    mine = next(d for d in sv if (d.group, d.kind) == ("retail", "reminder"))
    assert (mine.subject, mine.body, mine.edited) == (edit["subject"], edit["body"], True)
    assert sum(d.edited for d in sv) == 1
    en = drafts(_plan(engine, edited, "en"), edited, "en")
    assert not any(d.edited for d in en)  # the Swedish wording is not the English message
    lost = orphaned(_plan(engine, edited, "en"), edited)
    assert [(o.group, o.phase.number) for o in lost] == [("warehouse", 2), ("retail", 9)]


def test_a_plan_in_another_language_is_refused(engine: Engine, contoso: Assessment) -> None:
    with pytest.raises(ValueError, match="not 'sv'"):
        drafts(_plan(engine, contoso, "en"), contoso, "sv")


def test_markdown_lists_every_message_by_phase_and_group(engine: Engine, contoso: Assessment) -> None:
    plan = _plan(engine, contoso, "sv")
    found = drafts(plan, contoso, "sv")
    text = to_markdown(found, "Contoso", "sv")
    assert text.startswith("# ")
    assert text.count("\n#### ") == len(found)
    assert text.index("## Begränsat pilottest") < text.index("## Utökat pilottest")
    assert all(d.subject in text for d in found)


def test_an_eml_reads_back_with_its_subject_body_and_day_as_an_unsent_draft(
    engine: Engine, contoso: Assessment
) -> None:
    edit = {
        "group": "hr",
        "phase": {"phase": "production", "number": 3},
        "kind": "announce",
        "language": "sv",
        "subject": "Nu flyttar våra datorer till Intune – läs här, Åsa och Örjan",
        "body": "Hej!\n\nFrån 1 oktober hanterar vi era enheter med Intune. Åäö ÅÄÖ é.\n",
    }
    edited = _with(contoso, messages=[edit])
    draft = next(
        d
        for d in drafts(_plan(engine, edited, "sv"), edited, "sv")
        if d.group == "hr" and d.kind == "announce"
    )
    raw = to_eml(draft, "IT <it@contoso.com>")
    message = email.message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == edit["subject"]
    assert message["X-Unsent"] == "1"
    assert message["To"] is None  # the organisation adds the group's address list
    assert message["From"] == "IT <it@contoso.com>"
    assert message["Date"].datetime.date().isoformat() == draft.send_on
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == edit["body"]  # lines end in CRLF, as RFC 5322 says
    assert raw.isascii()  # encoded for any mail system: the Swedish is in the encoding, not the bytes


def test_the_zip_holds_every_message_under_a_safe_name(engine: Engine, contoso: Assessment) -> None:
    plan = _plan(engine, contoso, "sv")
    found = drafts(plan, contoso, "sv")
    with zipfile.ZipFile(io.BytesIO(to_zip(found))) as archive:
        names = archive.namelist()
        assert len(names) == len(set(names)) == len(found)
        assert names == [eml_name(d) for d in found]
        assert all(name.replace("-", "").replace(".", "").isalnum() for name in names)
        first = email.message_from_bytes(archive.read(names[0]), policy=default)
    assert first["Subject"] == found[0].subject
