"""The plan as people read it: why-not sentences, a split group's numbers, the guide's links,
and what the exports say about the plan's review and its warnings."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from advisor.evaluate.engine import Engine
from advisor.evaluate.oracle import OracleEvaluator
from advisor.model.facts import Assessment, parse_assessment
from advisor.model.guide import CURRENT_GUIDE_URL, GUIDE_URL, source_links
from advisor.model.plan import Plan, Standing
from advisor.model.vocabulary import Language
from advisor.output.export import to_html, to_xlsx
from advisor.output.formats import content_disposition, download_names, export
from advisor.output.render import to_csv, to_markdown
from advisor.planning.planner import make_plan
from advisor.rulebook import load_rulebook
from tests.conftest import RULES

SIGNED = Standing(status="signed_off", version=3, signed_version=3, signed_by="lead", signed_on="2026-11-20")
SIGNED_LINE = {
    "en": "Status: signed off by lead on 20 November 2026, version 3.",
    "sv": "Status: godkänd av lead den 20 november 2026, version 3.",
}


def _plan(contoso: Assessment, engine: Engine, language: Language = "en") -> Plan:
    with engine.version() as compiled:
        return make_plan(contoso, compiled, language)


def _why_nots(plan: Plan) -> list[str]:
    texts = [r.text for g in plan.groups for a in g.alternatives for r in a.why_not]
    texts += [r.text for g in plan.groups for m in g.methods for a in m.alternatives for r in a.why_not]
    return texts


@pytest.mark.parametrize("language", ["en", "sv"])
def test_why_not_reads_as_sentences_without_priorities_or_rule_ids(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    plan = _plan(contoso, engine, language)
    texts = _why_nots(plan)
    assert texts
    rules = {r.rule for g in plan.groups for a in g.alternatives for r in a.why_not}
    for text in texts:
        assert not re.search(r"\(here:|\(här:|^Needs |^Kräver |priority|prioritet|\d+ over \d+", text), text
        assert not any(rule in text for rule in rules), text
        assert (text[0].isupper() and text.endswith((".", "!"))) or ": " in text, text
    executives = plan.group("executives")
    self_service = next(a for a in executives.alternatives if a.enrollment == "self_service")
    assisted = next(r for r in executives.reasons if r.rule == "assisted-for-executives")
    expected = {
        "en": "This rule applies here too, but another rule that applies weighs more and decides instead: ",
        "sv": "Regeln gäller också här, men en annan regel som gäller väger tyngre och avgör i stället: ",
    }[language]
    # Outweighed: the sentence quotes the rule that decided, in words.
    assert self_service.why_not[0].text == expected + assisted.text
    hr = next(a for a in plan.group("hr").alternatives if a.enrollment == "tech_fair")
    needs = {
        "en": "This rule applies only when the group needs a lot of help to enroll, but the group needs some help to enroll.",
        "sv": (
            "Regeln gäller bara när gruppen behöver mycket hjälp med registreringen, men gruppen behöver en "
            "del hjälp med registreringen."
        ),
    }[language]
    assert needs in [r.text for r in hr.why_not]
    # A yes/no answer reads as what it says about the group, not as "executives or VIP users: no".
    not_executives = {
        "en": "This rule applies only when the group consists of executives or VIP users, but the group has "
        "no executives or VIP users.",
        "sv": "Regeln gäller bara när gruppen består av företagsledare eller VIP-användare, men gruppen består "
        "inte av företagsledare eller VIP-användare.",
    }[language]
    assert not_executives in [r.text for g in plan.groups for a in g.alternatives for r in a.why_not]


def _split_plan(language: Language = "en") -> Plan:
    """IT split over the pilots (50 users in the limited one, 250 in the expanded one), and a
    group of its own that a cache keyed on the wrong facts would quote IT's numbers for."""
    answers: dict[str, Any] = {
        "version": 1,
        "organisation": {"name": "T", "rollout_start": "2027-03", "language": language},
        "groups": [
            {
                "id": "it",
                "name": "IT",
                "users": 300,
                "platforms": ["windows"],
                "it_department": True,
                "feedback": True,
                "needs_help": "high",
                "change_readiness": "high",
                "business_risk": "low",
                "locations": ["HQ"],
            },
            {"id": "ops", "name": "Ops", "users": 600, "platforms": ["windows"], "needs_help": "high"},
        ],
    }
    return make_plan(parse_assessment(answers), OracleEvaluator(load_rulebook(RULES)), language)


def test_a_split_groups_reasons_quote_each_parts_numbers() -> None:
    plan = _split_plan()
    it = plan.group("it")
    assert [(p.phase, p.users, p.enrollment) for p in it.placements] == [
        ("limited_pilot", 50, "assisted"),
        ("expanded_pilot", 250, "tech_fair"),
    ]
    texts = [r.text for r in it.reasons]
    # Each part's reason names its part and quotes its users, never the group's 300.
    assert any(t.startswith("Limited pilot, 50 users: ") and "(50)" in t for t in texts)
    assert any(t.startswith("Expanded pilot, 250 users: 250 users need a lot of help") for t in texts)
    assert not any("300" in t for t in texts)
    # Why not self-service: each part outweighed by its own rule, with its own numbers.
    why_not = [r.text for a in it.alternatives if a.enrollment == "self_service" for r in a.why_not]
    assert [t.split(": ", 1)[0] for t in why_not] == ["Limited pilot, 50 users", "Expanded pilot, 250 users"]
    assert "(50)" in why_not[0]
    assert "250 users need" in why_not[1]
    # A group decided as a whole reads as before, with its own numbers.
    ops = plan.group("ops")
    ops_why_not = [r.text for a in ops.alternatives if a.enrollment == "self_service" for r in a.why_not]
    assert ops_why_not
    assert all("600 users need" in t and "250" not in t for t in ops_why_not)
    assert all(not r.text.startswith("Production") for r in ops.reasons)


def test_a_split_group_in_swedish() -> None:
    texts = [r.text for r in _split_plan("sv").group("it").reasons]
    assert any(t.startswith("Begränsat pilottest, 50 användare: ") for t in texts)
    assert any(t.startswith("Utökat pilottest, 250 användare: 250 användare") for t in texts)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_reason_on_the_guide_links_the_2016_article_and_the_current_page(language: Language) -> None:
    links = source_links(f"{GUIDE_URL}#pilot", language)
    assert len(links) == 2
    (old_text, old), (new_text, new) = links
    assert old.startswith("https://docs.microsoft.com/")
    assert old.endswith("intune/planning-guide-rollout-plan#pilot")
    assert "2016" in old_text
    assert new.startswith("https://learn.microsoft.com/")
    assert new.endswith(CURRENT_GUIDE_URL.rsplit("/", 1)[1])
    assert "Microsoft Learn" in new_text
    current = "https://learn.microsoft.com/autopilot/user-driven"
    assert [url for _, url in source_links(current, language)] == [current]
    assert source_links("", language) == []


def test_no_reason_in_the_exports_links_only_to_the_retired_address(
    contoso: Assessment, engine: Engine
) -> None:
    plan = _plan(contoso, engine)
    markdown, page = to_markdown(plan), to_html(plan)
    for shown in (markdown, page):
        retired = shown.count("https://docs.microsoft.com/intune/planning-guide-rollout-plan#")
        assert retired > 0
        assert shown.count(CURRENT_GUIDE_URL) >= retired  # each beside its successor
        assert "https://learn.microsoft.com/autopilot/user-driven" in shown  # a current_practice rule's page


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_pdf_has_the_guide_links_the_why_not_and_capitalised_warnings(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    plan = _plan(contoso, engine, language)
    page = to_html(plan)
    assert (
        f'<a href="{CURRENT_GUIDE_URL if language == "en" else CURRENT_GUIDE_URL.replace(".com/", ".com/sv-se/")}">'
        in page
    )
    heading = {"en": "Why not self-service", "sv": "Varför inte självbetjäning"}[language]
    assert f"<b>{heading}" in page  # the group's alternatives, as on the plan page
    for text in _why_nots(plan)[:5]:
        assert str(text.split(":")[0]) in page.replace("&#34;", '"').replace("&#39;", "'")
    label = {"en": ("Warning", "Note"), "sv": ("Varning", "Notering")}[language]
    for shown in (page, to_markdown(plan)):
        assert f"<b>{label[0]}</b>" in shown or f"**{label[0]}**" in shown
        assert f"**{label[0].lower()}**" not in shown
        assert f"<b>{label[0].lower()}</b>" not in shown


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_signed_off_plans_exports_say_who_signed_it_off_when_and_the_version(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    from openpyxl import load_workbook

    plan = _plan(contoso, engine, language)
    line = SIGNED_LINE[language]
    assert f"**{line}**" in to_markdown(plan, SIGNED)
    assert f'<p class="status">{line}</p>' in to_html(plan, SIGNED)
    book = load_workbook(io.BytesIO(to_xlsx(plan, SIGNED)))
    assert book.worksheets[0]["A2"].value == line
    # Through the registry, as the site downloads them; the command line's have no status.
    assert line.encode() in export(plan, "markdown", SIGNED)
    assert b"Status:" not in export(plan, "markdown")
    draft = Standing(status="in_review", version=4)
    assert {"en": "Status: Waiting for review, version 4.", "sv": "Status: Väntar på granskning, version 4."}[
        language
    ] in to_markdown(plan, draft)
    replanned = SIGNED.model_copy(update={"version": 5})
    assert "version 3" in to_markdown(plan, replanned)
    assert "version 5" in to_markdown(plan, replanned)


def test_the_spreadsheets_hold_the_warnings_and_only_the_csv_their_codes(
    contoso: Assessment, engine: Engine
) -> None:
    from openpyxl import load_workbook

    plan = _plan(contoso, engine)
    assert plan.warnings
    rows = list(csv.DictReader(io.StringIO(to_csv(plan))))
    warned = [row for row in rows if row["row"] == "warning"]
    assert [(row["text"], row["code"]) for row in warned] == [(w.text, w.code) for w in plan.warnings]
    assert {row["kind"] for row in warned} <= {"Warning", "Tension", "Note"}
    sheet = load_workbook(io.BytesIO(to_xlsx(plan))).worksheets[2]
    texts = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert texts == [w.text for w in plan.warnings]
    codes = {w.code for w in plan.warnings}
    shown = to_markdown(plan) + to_html(plan)
    assert not [code for code in codes if re.search(rf"(?<![\w/#-]){re.escape(code)}(?![\w-])", shown)]


def test_file_names_carry_the_organisation_and_the_day() -> None:
    assert download_names("Contoso", "2026-11-25", "pdf") == ("rollout-plan-contoso-2026-11-25.pdf", None)
    assert download_names("Vård & Omsorg AB", "2026-11-25", "md") == (
        "rollout-plan-vard-omsorg-ab-2026-11-25.md",
        "rollout-plan-vård-omsorg-ab-2026-11-25.md",
    )
    assert content_disposition("Vård", "2026-11-25", "csv") == (
        'attachment; filename="rollout-plan-vard-2026-11-25.csv"; '
        "filename*=UTF-8''rollout-plan-v%C3%A5rd-2026-11-25.csv"
    )
    # Nothing of a hostile name reaches the header but letters and digits.
    assert content_disposition('a"; x=1\r\n', "2026-11-25", "pdf") == (
        'attachment; filename="rollout-plan-a-x-1-2026-11-25.pdf"'
    )
    assert download_names("東京", "2026-11-25", "ics")[0] == "rollout-plan-2026-11-25.ics"
