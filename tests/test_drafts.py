"""The messages to the users, drafted from the plan's calendar: one of each kind per group and
phase, in the plan's language, with what the users do, the privacy statement where personal
devices take part, where to get help; the organisation's wording in their place; files that a
mail client and an unzipper read back."""

from __future__ import annotations

import email
import io
import re
import zipfile
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
import yaml

from advisor.evaluate.engine import Engine
from advisor.model.facts import Assessment, parse_assessment
from advisor.model.plan import Plan
from advisor.model.vocabulary import LANGUAGES, MESSAGE_KINDS, Language, day_name, term
from advisor.output.drafts import (
    HELP_PLACEHOLDER,
    drafts,
    eml_name,
    orphaned,
    to_eml,
    to_markdown,
    to_zip,
)
from advisor.output.user_steps import PRIVACY_SOURCE
from advisor.planning.planner import make_plan
from tests.conftest import RULES

# Scenarios whose rounds the drafts must describe for what they are: apps protected only, shared
# devices, devices erased, a group split by platform, a group spread over months, tech fairs.
SCENARIOS = (
    "byod-consultancy-app-protection",
    "android-shared-terminals-dedicated",
    "shared-ipads-more-users-than-devices",
    "windows-shared-pcs-self-deploying",
    "iphones-in-use-reset-accepted",
    "platform-split",
    "one-approach-across-months",
    "drivers-tech-fair-per-site",
    "elected-officials-personal-iphones",
)


def _scenario(name: str) -> Assessment:
    data = yaml.safe_load((RULES / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8"))
    return parse_assessment(data["assessment"])


def _for_users(body: str) -> str:
    """The body less what is not addressed to the user: the methods' names in the parentheses
    meant for the helpdesk, and links."""
    return re.sub(r"\((for the helpdesk|för supporten): [^\n]*\)|https://\S+", "", body)


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


def test_the_users_steps_are_their_methods_in_the_second_person_each_with_its_platform(
    engine: Engine, contoso: Assessment
) -> None:
    plan = _plan(engine, contoso, "en")
    it = next(d for d in drafts(plan, contoso, "en") if d.group == "it" and d.kind == "instructions")
    # Each kind of device with its steps; the method named only for the helpdesk.
    assert (
        "Windows, devices the organisation owns (for the helpdesk: Windows Autopilot, user-driven):\n"
        in it.body
    )
    assert "1. Unpack the PC, plug it in and switch it on.\n" in it.body
    assert "Connect to the network" in it.body
    assert "1. On your PC, open Settings > Accounts > Access work or school.\n" in it.body
    assert "Open Settings > General > VPN & Device Management." in it.body  # iOS user enrollment
    assert "Install Intune Company Portal from Google Play." in it.body  # Android work profile
    assert "Download Company Portal for Mac" in it.body
    for choice in plan.group("it").methods:
        assert f"(for the helpdesk: {term(choice.method, 'en')}):" in it.body
    sv = _plan(engine, contoso, "sv")
    svenska = next(d for d in drafts(sv, contoso, "sv") if d.group == "it" and d.kind == "instructions")
    assert "Hej" in svenska.body
    assert "juli 2027" in svenska.body
    assert "1. Packa upp datorn, anslut strömmen och slå på den.\n" in svenska.body
    assert "Inställningar > Allmänt > VPN och enhetshantering" in svenska.body


@pytest.mark.parametrize("name", ["contoso", *SCENARIOS])
def test_no_draft_speaks_of_the_user_in_the_third_person_or_shows_an_internal_phase_name(
    engine: Engine, contoso: Assessment, name: str
) -> None:
    for language in LANGUAGES:
        assessment = contoso if name == "contoso" else _scenario(name)
        plan = _plan(engine, assessment, language)
        titles = {phase.title for phase in plan.phases}
        for draft in drafts(plan, assessment, language):
            text = _for_users(draft.subject + "\n" + draft.body)
            assert "the user " not in text.lower()
            assert "användaren" not in text.lower()
            assert not any(title in text for title in titles), (draft.group, draft.kind)
            if language == "sv":
                # One term per concept: registrera (not registrera sig), arbets- (not jobb-).
                assert "jobb" not in text.lower()
                assert "registrerar sig" not in text
                assert "distributionsfas" not in text


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


def test_what_it_can_and_cannot_see_reads_as_microsoft_says_per_method(
    engine: Engine, contoso: Assessment
) -> None:
    plan = _plan(engine, contoso, "en")
    found = drafts(plan, contoso, "en")
    it = next(d for d in found if d.group == "it" and d.kind == "announce")
    paragraphs = it.body.split("\n\n")
    for word in ("photos", "browsing history", "text messages", "where the device is"):
        assert word in it.body
    listed = next(p for p in paragraphs if "serial number and IMEI" in p)
    # Personal Windows, Android and Macs show serial number, IMEI and the phone number's last digits.
    assert listed.startswith("On your own Windows, Android and macOS devices")
    assert "on a phone the last four digits of its number" in listed
    # Apple's user enrollment: Intune collects no serial number, IMEI or phone number.
    assert "iOS/iPadOS" not in listed
    apple = next(p for p in paragraphs if p.startswith("On your own iOS/iPadOS devices, where you sign in"))
    assert "does not collect the device's serial number, IMEI or phone number" in apple
    # Removing only work data: a fact where only the work part is managed, a commitment elsewhere.
    assert "On your own iOS/iPadOS and Android devices, IT can remove only the work part" in it.body
    assert (
        "On your own Windows and macOS devices, Intune would let IT erase the whole device, but " in it.body
    )
    assert "Contoso commits to removing only its own apps and data" in it.body
    sales = next(d for d in found if d.group == "sales-marketing" and d.kind == "announce")
    assert "only the work apps are protected: IT does not manage the device itself" in sales.body
    assert "IT can remove the organisation's data from the work apps, and nothing else" in sales.body
    assert "serial number" not in sales.body  # its personal devices only protect apps


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


def test_a_subject_holding_a_line_separator_is_one_header_line(engine: Engine, contoso: Assessment) -> None:
    """Free text may hold U+2028 and U+2029; a header may not break: they read as spaces."""
    edit = {
        "group": "hr",
        "phase": {"phase": "production", "number": 3},
        "kind": "announce",
        "language": "en",
        "subject": "First line\u2028second\u2029third",
        "body": "Hello.\n",
    }
    edited = _with(contoso, messages=[edit])
    found = drafts(_plan(engine, edited, "en"), edited, "en")
    draft = next(d for d in found if d.group == "hr" and d.kind == "announce")
    message = email.message_from_bytes(to_eml(draft), policy=default)
    assert message["Subject"] == "First line second third"
    assert zipfile.ZipFile(io.BytesIO(to_zip(found))).testzip() is None  # every other draft with it


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


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_app_protection_group_is_never_told_to_enroll(engine: Engine, language: Language) -> None:
    assessment = _scenario("byod-consultancy-app-protection")
    plan = _plan(engine, assessment, language)
    mine = [d for d in drafts(plan, assessment, language) if d.group == "consultants"]
    assert [d.kind for d in mine] == list(MESSAGE_KINDS)
    verb = "enrol" if language == "en" else "registrer"
    for draft in mine:
        text = _for_users(draft.subject + "\n" + draft.body).lower()
        assert verb not in text, (draft.kind, text)
        assert "manages the devices" not in text
    announce = mine[0].body
    if language == "en":
        assert "you sign in to the work apps, such as Outlook, Teams and Microsoft Edge" in announce
        assert "Your device itself is not managed" in announce
        instructions = mine[1].body
        assert "Install Microsoft Authenticator from the App Store" in instructions  # iOS: the broker
        assert "Install Intune Company Portal from Google Play: it must be on the phone" in instructions
        assert "Open Microsoft Edge and sign in to it with your work account" in instructions
        assert "Thank you to everyone who did it" in mine[3].body
    else:
        assert "Själva enheten hanteras inte" in announce


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("android-shared-terminals-dedicated", "line"),
        ("shared-ipads-more-users-than-devices", "pupils"),
        ("windows-shared-pcs-self-deploying", "branches"),
    ],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_users_of_shared_devices_are_told_what_changes_never_to_enroll_or_bring_a_device(
    engine: Engine, name: str, group: str, language: Language
) -> None:
    assessment = _scenario(name)
    plan = _plan(engine, assessment, language)
    assert all(not m.user_affinity for m in plan.group(group).methods)
    mine = [d for d in drafts(plan, assessment, language) if d.group == group]
    # Nothing to remind them of: announce, what changes when they pick one up, and the follow-up.
    assert [d.kind for d in mine] == ["announce", "instructions", "follow_up"]
    verb = "enrol" if language == "en" else "registrer"
    for draft in mine:
        text = _for_users(draft.subject + "\n" + draft.body).lower()
        assert verb not in text
        assert "bring" not in text
        assert "ta med" not in text
    setup = "IT sets up" if language == "en" else "IT installerar"
    assert all(setup in d.body for d in mine[:2])


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_group_whose_devices_are_erased_is_told_so_and_to_back_up_first(
    engine: Engine, language: Language
) -> None:
    assessment = _scenario("iphones-in-use-reset-accepted")
    plan = _plan(engine, assessment, language)
    assert any(m.reset_required and m.devices for m in plan.group("traffic-controllers").methods)
    mine = {d.kind: d for d in drafts(plan, assessment, language) if d.group == "traffic-controllers"}
    start = next(
        e.date for e in plan.calendar if e.group == "traffic-controllers" and e.kind == "enrollment_start"
    )
    for kind in ("announce", "instructions"):
        body = mine[kind].body
        if language == "en":
            assert "(iPhone or iPad) will be erased and set up again from the start" in body
            assert f"Before {day_name(start, 'en')}, back up what you want to keep" in body
            assert "Erase All Content and Settings" in body  # self-service: they erase it themselves
        else:
            assert "(iPhone eller iPad) raderas och installeras om från början" in body
            assert "Säkerhetskopiera det du vill behålla före den" in body
    # A group whose devices are new is told nothing of the kind.
    contoso_like = _scenario("platform-split")
    other = _plan(engine, contoso_like, language)
    field = [d for d in drafts(other, contoso_like, language) if d.group == "field"]
    assert field
    assert not any("will be erased" in d.body or "raderas och installeras om" in d.body for d in field)


def test_an_assisted_round_hands_the_device_in_to_be_erased(engine: Engine, contoso: Assessment) -> None:
    plan = _plan(engine, contoso, "en")
    executives = next(
        d for d in drafts(plan, contoso, "en") if d.group == "executives" and d.kind == "announce"
    )
    assert "will be erased" in executives.body
    assert (
        "Bring it with you, backed up: IT erases it and sets it up again with you there." in executives.body
    )
    assert "erase the device yourself" not in executives.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_group_split_by_platform_hears_of_each_platform_in_its_own_round(
    engine: Engine, language: Language
) -> None:
    assessment = _scenario("platform-split")
    plan = _plan(engine, assessment, language)
    sales = [d for d in drafts(plan, assessment, language) if d.group == "sales"]
    first = [d for d in sales if d.number == 1]
    third = [d for d in sales if d.number == 3]
    assert first
    assert third
    for draft in first:
        assert "Android" not in draft.body, draft.kind
        if draft.kind != "follow_up":
            assert "iOS/iPadOS" in draft.body, draft.kind
    for draft in third:
        assert "iOS/iPadOS" not in draft.body, draft.kind
        assert "iPhone" not in draft.body, draft.kind
        if draft.kind != "follow_up":
            assert "Android" in draft.body, draft.kind
    announce = next(d for d in first if d.kind == "announce")
    later = next(
        e.date for e in plan.calendar if (e.group, e.number, e.kind) == ("sales", 3, "enrollment_start")
    )
    if language == "en":
        assert (
            "This message is for everyone in Sales, for your iPhone or iPad only: round 1 of 2."
            in announce.body
        )
        assert f"have their turn later, from {day_name(later, 'en')}" in announce.body
    else:
        assert "alla i Sales, bara för din iPhone eller iPad: omgång 1 av 2." in announce.body
    last = next(d for d in third if d.kind == "announce")
    assert ("round 2 of 2" if language == "en" else "omgång 2 av 2") in last.body


def test_a_group_spread_over_months_names_each_rounds_share(engine: Engine) -> None:
    assessment = _scenario("one-approach-across-months")
    plan = _plan(engine, assessment, "en")
    announcements = [
        d for d in drafts(plan, assessment, "en") if d.group == "warehouse" and d.kind == "announce"
    ]
    assert [d.number for d in announcements] == [1, 2, 3]
    shares = [p.users for p in plan.group("warehouse").placements]
    for index, (draft, users) in enumerate(zip(announcements, shares, strict=True), 1):
        assert (
            f"This message is for {users} of the 800 people in Warehouse: round {index} of 3." in draft.body
        )
        # Only the users tell the rounds apart: the organisation says who, where the draft marks it.
        assert "[who is in this round: a team, a shift or a list of names]" in draft.body
    assert "have their turn later" in announcements[0].body
    assert "have their turn later" not in announcements[2].body


def test_a_reminder_never_repeats_a_tech_fair_day_already_past(engine: Engine) -> None:
    assessment = _scenario("one-approach-across-months")
    plan = _plan(engine, assessment, "en")
    found = drafts(plan, assessment, "en")
    for number in (1, 2, 3):
        fairs = [
            e for e in plan.calendar if (e.group, e.number, e.kind) == ("warehouse", number, "tech_fair")
        ]
        reminder = next(d for d in found if (d.group, d.number, d.kind) == ("warehouse", number, "reminder"))
        instructions = next(
            d for d in found if (d.group, d.number, d.kind) == ("warehouse", number, "instructions")
        )
        assert fairs
        for fair in fairs:
            assert day_name(fair.date, "en") in instructions.body
            if fair.date <= reminder.send_on:
                assert day_name(fair.date, "en") not in reminder.body
        if all(fair.date <= reminder.send_on for fair in fairs):
            assert "The IT tech fair days are over" in reminder.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_follow_up_asks_for_feedback_and_says_where_to_get_help(
    engine: Engine, contoso: Assessment, language: Language
) -> None:
    plan = _plan(engine, contoso, language)
    survey = "[link to the feedback survey]" if language == "en" else "[länk till enkäten]"
    help_ = "[where to get help]" if language == "en" else "[var du får hjälp]"
    follow_ups = [d for d in drafts(plan, contoso, language) if d.kind == "follow_up"]
    assert follow_ups
    assert all(survey in d.body and help_ in d.body for d in follow_ups)


def test_a_pilot_is_told_it_is_among_the_first(engine: Engine, contoso: Assessment) -> None:
    plan = _plan(engine, contoso, "en")
    found = drafts(plan, contoso, "en")
    pilots = [d for d in found if d.kind == "announce" and d.phase != "production"]
    production = [d for d in found if d.kind == "announce" and d.phase == "production"]
    assert pilots
    assert production
    assert all("You are among the first at Contoso" in d.body for d in pilots)
    assert not any("among the first" in d.body for d in production)


def test_the_swedish_privacy_statement_says_the_same_per_method(engine: Engine, contoso: Assessment) -> None:
    plan = _plan(engine, contoso, "sv")
    it = next(d for d in drafts(plan, contoso, "sv") if d.group == "it" and d.kind == "announce")
    paragraphs = it.body.split("\n\n")
    listed = next(p for p in paragraphs if "serienummer och IMEI" in p)
    assert listed.startswith("På dina egna enheter med Windows, Android och macOS kan IT se")
    apple = next(
        p for p in paragraphs if p.startswith("På dina egna enheter med iOS/iPadOS, där du loggar in")
    )
    assert "Intune samlar inte in enhetens serienummer, IMEI eller telefonnummer" in apple
    assert "Contoso åtar sig att bara ta bort sina egna appar och data" in it.body
