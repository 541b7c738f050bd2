"""The plan and its downloads are in the assessment's language, the page around it in the
reader's; the files are named after the organisation and the day, say their charset once and,
once signed off, who signed them off."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
import yaml
from flask import Flask

from advisor.store.accounts import create_token, user_by_name
from tests.conftest import ROOT
from tests.web.conftest import Browser, make_user
from tests.web.helpers import fill
from web.extensions import services

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
# What the plan says, and what the page around it says, in each language.
PLAN = {"en": ("Rollout plan", "Why, group by group"), "sv": ("Distributionsplan", "Varför, grupp för grupp")}
CHROME = {"en": "Download the plan", "sv": "Ladda ned planen"}
MARKDOWN_TITLE = {"en": "# Rollout plan for ", "sv": "# Distributionsplan för "}
CSV_HEADER = {"en": "row,phase,number", "sv": "rad,fas,nummer"}
CALENDAR = {"en": "X-WR-CALNAME:Rollout plan for", "sv": "X-WR-CALNAME:Distributionsplan för"}
DAY = r"\d{4}-\d{2}-\d{2}"


def _answers(language: str, name: str = "Contoso") -> dict[str, Any]:
    return {**CONTOSO, "organisation": {**CONTOSO["organisation"], "language": language, "name": name}}


@pytest.mark.parametrize(("plan", "interface"), [("sv", "en"), ("en", "sv")])
def test_the_plan_and_its_downloads_follow_the_assessment_the_page_the_reader(
    anna: Browser, plan: str, interface: str
) -> None:
    assessment_id = fill(anna, _answers(plan))
    anna.post("/language", {"language": interface, "next": "/"})
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert f'<html lang="{interface}"' in page
    assert f'<div class="plan-body" lang="{plan}">' in page
    body = page.split('<div class="plan-body"', 1)[1]
    for text in PLAN[plan]:
        assert text in body
    assert PLAN[interface][1] not in page
    assert CHROME[interface] in page
    assert CHROME[plan] not in page
    # The methods table's headings and the "Why not" summaries are the plan's too.
    assert {"en": "Why not the other methods?", "sv": "Varför inte de andra metoderna?"}[plan] in body

    markdown = anna.get(f"/assessments/{assessment_id}/plan.markdown").get_data(as_text=True)
    assert markdown.startswith(MARKDOWN_TITLE[plan])
    table = anna.get(f"/assessments/{assessment_id}/plan.csv").get_data(as_text=True)
    assert table.lstrip("\ufeff").startswith(CSV_HEADER[plan])
    calendar = anna.get(f"/assessments/{assessment_id}/plan.ics").get_data(as_text=True)
    assert CALENDAR[plan] in calendar
    stored = anna.get(f"/assessments/{assessment_id}/plan.json").get_data(as_text=True)
    assert f'"language": "{plan}"' in stored
    messages = anna.get(f"/assessments/{assessment_id}/messages.md").get_data(as_text=True)
    other = {"en": "Distributionsplan", "sv": "Rollout plan"}[plan]
    assert other not in messages


def test_messages_follow_the_plan_when_the_assessment_leaves_its_language_out(anna: Browser) -> None:
    organisation = {k: v for k, v in CONTOSO["organisation"].items() if k != "language"}
    assessment_id = fill(anna, {**CONTOSO, "organisation": organisation})
    anna.post("/language", {"language": "sv", "next": "/"})
    messages = anna.get(f"/assessments/{assessment_id}/messages.md").get_data(as_text=True)
    assert "Rollout plan" in messages or "Your devices for work move to Microsoft Intune" in messages
    assert "Distributionsplan" not in messages
    assert "Dina enheter för arbetet" not in messages


def test_downloads_are_named_after_the_organisation_and_say_their_charset_once(
    app: Flask, anna: Browser
) -> None:
    assessment_id = fill(anna, _answers("sv", "Vård & Omsorg"))
    with services(app).store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        token = {"Authorization": f"Bearer {create_token(db, user, 'tests')}"}
    responses = {
        kind: anna.get(f"/assessments/{assessment_id}/plan.{kind}")
        for kind in ("pdf", "xlsx", "csv", "markdown", "ics", "json")
    }
    responses["api-csv"] = anna.client.get(f"/api/v1/assessments/{assessment_id}/export/csv", headers=token)
    responses["answers"] = anna.get(f"/assessments/{assessment_id}/export.yaml")
    responses["messages"] = anna.get(f"/assessments/{assessment_id}/messages.md")
    for kind, response in responses.items():
        assert response.status_code == 200, kind
        assert response.headers["Content-Type"].count("charset") <= 1, kind
    for kind, extension in (
        ("pdf", "pdf"),
        ("xlsx", "xlsx"),
        ("csv", "csv"),
        ("markdown", "md"),
        ("api-csv", "csv"),
    ):
        disposition = responses[kind].headers["Content-Disposition"]
        assert re.fullmatch(
            rf'attachment; filename="rollout-plan-vard-omsorg-{DAY}\.{extension}"; '
            rf"filename\*=UTF-8''rollout-plan-v%C3%A5rd-omsorg-{DAY}\.{extension}",
            disposition,
        ), disposition
    # The answers and the messages are named the same way, never by the assessment's number.
    for kind, name in (("answers", "assessment"), ("messages", "messages-sv")):
        disposition = responses[kind].headers["Content-Disposition"]
        assert re.fullmatch(
            rf'attachment; filename="{name}-vard-omsorg-{DAY}\.(yaml|md)"; filename\*=.+', disposition
        )
    assert responses["csv"].headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_signed_off_plan_downloads_with_who_signed_it_off_when_and_the_version(
    app: Flask, anna: Browser
) -> None:
    from openpyxl import load_workbook

    assessment_id = fill(anna, _answers("sv"))
    before = anna.get(f"/assessments/{assessment_id}/plan.markdown").get_data(as_text=True)
    assert re.search(r"\*\*Status: Utkast, version \d+\.\*\*", before)
    make_user(app, "lead", "reviewer")
    lead = Browser(app.test_client())
    lead.login("lead")
    anna.post(f"/assessments/{assessment_id}/review/submit")
    lead.post(f"/assessments/{assessment_id}/review/sign_off", data={"confirm": "1"})
    markdown = lead.get(f"/assessments/{assessment_id}/plan.markdown").get_data(as_text=True)
    found = re.search(r"\*\*Status: godkänd av lead den \d+ \w+ \d{4}, version (\d+)\.\*\*", markdown)
    assert found, markdown[:300]
    book = load_workbook(io.BytesIO(lead.get(f"/assessments/{assessment_id}/plan.xlsx").data))
    assert str(book.worksheets[0]["A2"].value).startswith("Status: godkänd av lead den ")
    pdf = lead.get(f"/assessments/{assessment_id}/plan.pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    # The CSV holds the warnings, each with its sentence and (for machines) its code.
    rows = list(
        csv.reader(
            io.StringIO(
                lead.get(f"/assessments/{assessment_id}/plan.csv").get_data(as_text=True).lstrip("\ufeff")
            )
        )
    )
    assert any(row[0] == "varning" and row[-1] == "country-assumed" for row in rows)


def test_a_plan_difference_shows_warnings_as_sentences_never_codes(app: Flask) -> None:
    from advisor.model.facts import parse_assessment
    from advisor.planning.planner import make_plan
    from advisor.quality.diff import plan_diff

    before = {**CONTOSO, "organisation": {**CONTOSO["organisation"], "support_capacity": 100_000}}
    after = {**CONTOSO, "organisation": {**CONTOSO["organisation"], "support_capacity": 300}}
    with services(app).engine.version() as compiled:
        old, new = (make_plan(parse_assessment(a), compiled) for a in (before, after))
    diff = plan_diff(old, new)
    assert diff.warnings_added
    with app.test_request_context("/"):
        shown = app.jinja_env.get_template("_diff.html").module.plan_difference(diff, "en")  # type: ignore[attr-defined]  # a template's macros are its module's attributes
    for warning in diff.warnings_added:
        assert warning.text.split(":")[0].replace("'", "&#39;") in shown
        assert warning.code not in shown
    for group in {w.group for w in diff.warnings_added if w.group is not None}:
        assert f"<strong>{new.group(group).name}</strong>: " in shown
