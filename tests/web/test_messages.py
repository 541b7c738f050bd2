"""The messages page: drafts by phase and group, edited by the author on the revision they saw,
refused with what was typed kept, downloaded as files a mail client and an unzipper read back,
in Swedish too; and the API's list of them."""

from __future__ import annotations

import copy
import email
import io
import re
import zipfile
from email.policy import default
from html import unescape
from typing import Any

import pytest
import yaml
from flask import Flask

from advisor.services import messages as messages_service
from advisor.services.assessments import create
from advisor.store.accounts import create_token, user_by_name
from advisor.store.tables import AssessmentRecord, ReviewStatus, VersionKind
from tests.conftest import ROOT
from tests.web.conftest import Browser, make_user
from tests.web.helpers import json_of
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
RETAIL_REMINDER = "/messages/{lang}/retail/production-2/reminder"


def _saved(app: Flask, username: str, answers: dict[str, Any] | None = None) -> int:
    svc = services(app)
    with svc.store.session() as db:
        owner = user_by_name(db, username)
    assert owner is not None
    return create(svc, owner, "Contoso", copy.deepcopy(answers or CONTOSO), VersionKind.IMPORT, "plan")


def _record(app: Flask, assessment_id: int) -> AssessmentRecord:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record


def _text(page: str) -> str:
    return unescape(" ".join(page.split()))


def test_the_page_lists_every_message_by_phase_and_group_with_its_day(app: Flask, anna: Browser) -> None:
    assessment_id = _saved(app, "anna")
    plan_page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert f'href="/assessments/{assessment_id}/messages"' in plan_page
    page = _text(anna.get(f"/assessments/{assessment_id}/messages").get_data(as_text=True))
    edits = re.findall(rf'href="/assessments/{assessment_id}/messages/en/[a-z-]+/[a-z0-9_-]+/[a-z_]+"', page)
    assert len(set(edits)) == 32  # 8 groups-in-phases, 4 messages each
    assert page.index("<h3>Limited pilot</h3>") < page.index("<h3>Production phase 3</h3>")
    assert "10 June 2027" in page  # IT's first announcement
    assert "Your devices for work move to Microsoft Intune from 1 July 2027" in page
    swedish = _text(anna.get(f"/assessments/{assessment_id}/messages?language=sv").get_data(as_text=True))
    assert "Dina enheter för arbetet flyttar till Microsoft Intune från och med den 1 juli 2027" in swedish
    assert anna.get(f"/assessments/{assessment_id}/messages?language=de").status_code == 404


def test_an_edit_is_a_version_that_replaces_the_draft_and_can_be_taken_back(
    app: Flask, anna: Browser
) -> None:
    assessment_id = _saved(app, "anna")
    path = f"/assessments/{assessment_id}" + RETAIL_REMINDER.format(lang="sv")
    form = _text(anna.get(path).get_data(as_text=True))
    assert "Påminnelse: registrera dina enheter senast" in form
    subject, body = "Sista chansen: registrera telefonen före fredag", "Hej!\r\n\r\nÅäö, nu är det dags.\r\n"
    response = anna.post(path, {"subject": subject, "body": body, "action": "save"})
    assert response.status_code == 302
    record = _record(app, assessment_id)
    anna.post(path, {"subject": subject, "body": body, "action": "save"})  # the same again: no version
    assert _record(app, assessment_id).revision == record.revision
    assert record.answers["messages"] == [
        {
            "group": "retail",
            "phase": {"phase": "production", "number": 2},
            "kind": "reminder",
            "language": "sv",
            "subject": subject,
            "body": body.replace("\r\n", "\n"),
        }
    ]
    page = _text(anna.get(f"/assessments/{assessment_id}/messages?language=sv").get_data(as_text=True))
    assert subject in page
    assert "(edited)" in page  # the page speaks the reader's language, the message its own
    history = _text(anna.get(f"/assessments/{assessment_id}/history").get_data(as_text=True))
    assert "Messages to the users edited" in history
    assert anna.post(path, {"action": "reset"}).status_code == 302
    assert "messages" not in _record(app, assessment_id).answers
    assert _record(app, assessment_id).plan == record.plan  # the wording never changes the plan


def test_a_stale_edit_is_refused_and_what_was_typed_is_kept(app: Flask, anna: Browser) -> None:
    assessment_id = _saved(app, "anna")
    path = f"/assessments/{assessment_id}" + RETAIL_REMINDER.format(lang="en")
    seen = {"revision": str(_record(app, assessment_id).revision), "version": "1"}
    anna.post(path, {"subject": "First", "body": "First body", "action": "save"})
    response = anna.post(path, {"subject": "Second thoughts", "body": "Typed on the old page", **seen})
    assert response.status_code == 409
    page = _text(response.get_data(as_text=True))
    assert "This assessment was changed by someone else meanwhile" in page
    assert 'value="Second thoughts"' in page
    assert "Typed on the old page" in page
    assert f'name="revision" value="{_record(app, assessment_id).revision}"' in page
    assert _record(app, assessment_id).answers["messages"][0]["subject"] == "First"


@pytest.mark.parametrize(
    ("subject", "body", "field", "error"),
    [
        ("x" * 201, "fine", "subject", "at most 200"),
        ("", "fine", "subject", "must not be empty"),
        ("fine", "y" * 10_001, "body", "at most 10000"),
        ("fine", "", "body", "at least 1"),
        ("bell\x07", "fine", "subject", "U+0007"),
        ("fine", "escape \x1b[31m", "body", "U+001B"),
    ],
)
def test_bad_wording_is_refused_saying_why_and_keeping_what_was_typed(
    app: Flask, anna: Browser, subject: str, body: str, field: str, error: str
) -> None:
    assessment_id = _saved(app, "anna")
    path = f"/assessments/{assessment_id}" + RETAIL_REMINDER.format(lang="en")
    response = anna.post(path, {"subject": subject, "body": body, "action": "save"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    shown = re.search(rf'<small class="error" id="error-{field}">([^<]*)</small>', page)
    assert shown is not None, page
    assert error in unescape(shown.group(1))
    kept = body if field == "body" else subject
    assert kept[:50] in unescape(page)  # as typed, the refused character too
    assert "messages" not in _record(app, assessment_id).answers


def test_an_edit_past_the_contracts_bound_is_refused_and_nothing_is_lost(
    app: Flask, anna: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contract holds at most MAX_EDITS edited messages; one more would leave answers that no
    longer validate (and with them every draft): it is refused instead, the others kept."""
    monkeypatch.setattr(messages_service, "MAX_EDITS", 1)
    assessment_id = _saved(app, "anna")
    first = f"/assessments/{assessment_id}" + RETAIL_REMINDER.format(lang="en")
    assert anna.post(first, {"subject": "One", "body": "The first", "action": "save"}).status_code == 302
    second = first.replace("/reminder", "/follow_up")
    response = anna.post(second, {"subject": "Two", "body": "The second", "action": "save"})
    assert response.status_code == 422
    assert "At most 1 messages may be edited" in unescape(response.get_data(as_text=True))
    assert [m["subject"] for m in _record(app, assessment_id).answers["messages"]] == ["One"]


def test_only_the_author_edits_and_an_edit_keeps_a_signed_off_review_signed_off(
    app: Flask, anna: Browser
) -> None:
    assessment_id = _saved(app, "anna")
    make_user(app, "lead", "reviewer")
    lead = Browser(app.test_client())
    lead.login("lead")
    path = f"/assessments/{assessment_id}" + RETAIL_REMINDER.format(lang="en")
    assert lead.get(f"/assessments/{assessment_id}/messages").status_code == 200  # a reviewer reads them
    assert lead.get(path).status_code == 404
    assert lead.post(path, {"subject": "Mine", "body": "Mine"}).status_code == 404
    make_user(app, "bert")
    bert = Browser(app.test_client())
    bert.login("bert")
    assert bert.get(f"/assessments/{assessment_id}/messages").status_code == 404
    anna.post(f"/assessments/{assessment_id}/review/submit")
    lead.post(f"/assessments/{assessment_id}/review/sign_off", {"confirm": "1"})
    assert _record(app, assessment_id).status == ReviewStatus.SIGNED_OFF
    assert anna.post(path, {"subject": "Now", "body": "Now", "action": "save"}).status_code == 302
    assert _record(app, assessment_id).status == ReviewStatus.SIGNED_OFF


def test_a_message_of_no_plan_is_not_found(app: Flask, anna: Browser) -> None:
    assessment_id = _saved(app, "anna")
    base = f"/assessments/{assessment_id}/messages/en"
    for rest in (
        "/warehouse/production-2/reminder",
        "/retail/production-1/reminder",
        "/retail/pilot/reminder",
    ):
        assert anna.get(base + rest).status_code == 404
        assert anna.get(base + rest + ".eml").status_code == 404
    assert (
        anna.get(f"/assessments/{assessment_id}/messages/de/retail/production-2/reminder").status_code == 404
    )


def test_the_downloads_read_back_in_swedish(app: Flask, anna: Browser) -> None:
    answers = copy.deepcopy(CONTOSO)
    answers["organisation"]["language"] = "sv"
    answers["organisation"]["support_contact"] = "Servicedesk på Åkersberga, 08-123 45"
    answers["messages"] = [
        {
            "group": "hr",
            "phase": {"phase": "production", "number": 3},
            "kind": "announce",
            "language": "sv",
            "subject": "Nu flyttar våra enheter till Intune – läs här",
            "body": "Hej!\n\nÅäö ÅÄÖ, från 1 oktober.\n",
        }
    ]
    assessment_id = _saved(app, "anna", answers)
    markdown = anna.get(f"/assessments/{assessment_id}/messages.md")  # the organisation's language
    assert markdown.status_code == 200
    assert markdown.headers["Content-Type"] == "text/markdown; charset=utf-8"
    text = markdown.get_data().decode("utf-8")
    assert "## Begränsat pilottest" in text
    assert "Servicedesk på Åkersberga, 08-123 45" in text
    assert "Nu flyttar våra enheter till Intune – läs här" in text
    eml = anna.get(f"/assessments/{assessment_id}/messages/sv/hr/production-3/announce.eml")
    assert eml.headers["Content-Type"] == "message/rfc822"
    message = email.message_from_bytes(eml.get_data(), policy=default)
    assert message["Subject"] == "Nu flyttar våra enheter till Intune – läs här"
    assert message["X-Unsent"] == "1"
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == "Hej!\n\nÅäö ÅÄÖ, från 1 oktober.\n"
    archive = anna.get(f"/assessments/{assessment_id}/messages.zip")
    assert archive.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.get_data())) as opened:
        names = opened.namelist()
        assert len(names) == 32
        subjects = {email.message_from_bytes(opened.read(n), policy=default)["Subject"] for n in names}
    assert "Nu flyttar våra enheter till Intune – läs här" in subjects
    assert any(s.startswith("Påminnelse: registrera dina enheter senast") for s in subjects)


def test_the_api_lists_the_drafts_and_the_orphans(app: Flask) -> None:
    make_user(app, "anna")
    answers = copy.deepcopy(CONTOSO)
    answers["messages"] = [
        {
            "group": "warehouse",
            "phase": {"phase": "production", "number": 2},
            "kind": "reminder",
            "language": "en",
            "subject": "Gone",
            "body": "This group left the plan.",
        }
    ]
    assessment_id = _saved(app, "anna", answers)
    with services(app).store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        headers = {"Authorization": f"Bearer {create_token(db, user, 'tests')}"}
    client = app.test_client()
    data = json_of(client.get(f"/api/v1/assessments/{assessment_id}/messages", headers=headers))
    assert data["language"] == "en"
    assert len(data["items"]) == 32
    assert data["items"][0] == {
        **data["items"][0],
        "group": "it",
        "kind": "announce",
        "send_on": "2027-06-10",
    }
    assert [o["group"] for o in data["orphans"]] == ["warehouse"]
    swedish = json_of(
        client.get(f"/api/v1/assessments/{assessment_id}/messages?language=sv", headers=headers)
    )
    assert swedish["items"][0]["subject"].startswith("Dina enheter för arbetet flyttar")
    assert client.get(f"/api/v1/assessments/{assessment_id}/messages").status_code == 401
    refused = client.get(f"/api/v1/assessments/{assessment_id}/messages?language=de", headers=headers)
    assert refused.status_code == 422
    document = json_of(client.get("/api/v1/openapi.json"))
    assert "/api/v1/assessments/{assessment_id}/messages" in document["paths"]
    assert "MessageList" in document["components"]["schemas"]
