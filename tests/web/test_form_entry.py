"""What a person enters in the questionnaire: a failed save changes nothing, numbers as people
type them, one name per group, drafts saved as they type, every answer on one page, the guide's
example to start from, and a plan that names what it still needs by group and question."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from flask import Flask

from advisor.model.questionnaire import GROUP, whole_number
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT
from tests.web.conftest import Browser, make_user
from tests.web.helpers import CHOSEN, json_of
from web.extensions import services

STORE_STAFF = {**CHOSEN, "name": "Store staff", "users": "1 200", "platforms": ["windows"]}


def _new(anna: Browser) -> int:
    response = anna.post("/assessments", {"title": "T"})
    assessment_id = int(response.headers["Location"].split("/")[2])
    anna.post(f"/assessments/{assessment_id}/organisation", {"name": "T", "rollout_start": "2027-07"})
    return assessment_id


def _stored(app: Flask, assessment_id: int) -> AssessmentRecord:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        db.expunge(record)
        return record


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1 200", 1200),
        ("1,200", 1200),
        ("1\u00a0200", 1200),
        ("1\u202f200", 1200),
        ("-5", -5),
        ("1.5", "1.5"),
    ],
)
def test_numbers_are_read_as_people_type_them(typed: str, number: int | str) -> None:
    assert whole_number(typed) == number


def test_a_failed_save_changes_nothing_and_a_retry_adds_the_group_once(app: Flask, anna: Browser) -> None:
    assessment_id = _new(anna)
    before = _stored(app, assessment_id).revision
    response = anna.post(f"/assessments/{assessment_id}/groups/new", {**STORE_STAFF, "users": "-5"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="error-users">must be at least 1</small>' in page
    # The summary at the top links each problem to its field.
    summary = re.search(r'<div class="error-summary" role="alert" tabindex="-1"[^>]*>(.*?)</div>', page, re.S)
    assert summary is not None
    assert '<a href="#f-users">Number of users: must be at least 1</a>' in summary.group(1)
    assert 'action="/assessments/1/groups/new"' in page  # still a new group's form
    assert _stored(app, assessment_id).revision == before  # nothing saved
    for wrong in ("1.5", "abc"):
        page = anna.post(
            f"/assessments/{assessment_id}/groups/new", {**STORE_STAFF, "users": wrong}
        ).get_data(as_text=True)
        assert 'id="error-users">must be a whole number</small>' in page
    assert anna.post(f"/assessments/{assessment_id}/groups/new", STORE_STAFF).status_code == 302
    groups = _stored(app, assessment_id).answers["groups"]
    assert [(g["name"], g["users"]) for g in groups] == [("Store staff", 1200)]


def test_a_fresh_form_shows_no_errors(anna: Browser) -> None:
    assessment_id = _new(anna)
    anna.post(f"/assessments/{assessment_id}/groups/draft", {"name": "Half", "users": "x"})
    for path in ("organisation", "groups/new", "groups/0"):
        page = anna.get(f"/assessments/{assessment_id}/{path}").get_data(as_text=True)
        assert 'class="error-summary"' not in page, path
        assert 'class="error" id="error-' not in page, path
    page = anna.get(f"/assessments/{assessment_id}/groups/0?check=1").get_data(as_text=True)
    assert 'id="error-users">must be a whole number</small>' in page


def test_a_name_another_group_has_is_refused_and_the_name_is_bounded(app: Flask, anna: Browser) -> None:
    assessment_id = _new(anna)
    assert anna.post(f"/assessments/{assessment_id}/groups/new", STORE_STAFF).status_code == 302
    response = anna.post(
        f"/assessments/{assessment_id}/groups/new", {**STORE_STAFF, "name": "  store   STAFF "}
    )
    assert response.status_code == 422
    assert "another group already has this name" in response.get_data(as_text=True)
    assert len(_stored(app, assessment_id).answers["groups"]) == 1
    page = anna.get(f"/assessments/{assessment_id}/groups/0").get_data(as_text=True)
    limit = next(q.max_length for q in GROUP if q.name == "name")
    assert limit == 200  # the contract's
    assert re.search(rf'id="f-name" name="name"[^>]*maxlength="{limit}"', page, re.S)
    # Renaming the group itself to its own name in other case is no clash.
    renamed = {**STORE_STAFF, "name": "STORE STAFF"}
    assert anna.post(f"/assessments/{assessment_id}/groups/0", renamed).status_code == 302


def test_an_unmade_choice_blocks_the_plan_which_names_the_group_and_links_the_field(
    app: Flask, anna: Browser
) -> None:
    assessment_id = _new(anna)
    draft = {**STORE_STAFF, "business_risk": ""}
    answer = json_of(anna.post(f"/assessments/{assessment_id}/groups/draft", draft))
    assert answer["saved"] is True
    assert _stored(app, assessment_id).answers["groups"][0]["business_risk"] is None  # never a default
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert "groups[0]" not in page
    assert (
        'Group <em class="name">Store staff</em>: '
        f'<a href="/assessments/{assessment_id}/groups/0?check=1#f-business_risk">Business risk</a>: not chosen yet'
    ) in page
    assert "See the plan" not in anna.get(f"/assessments/{assessment_id}/groups").get_data(as_text=True)


def test_the_autosave_keeps_one_draft_per_form_and_returns_the_new_revision(
    app: Flask, anna: Browser
) -> None:
    assessment_id = _new(anna)
    assert json_of(anna.post(f"/assessments/{assessment_id}/groups/draft", {"users": "12"}))["saved"] is False
    adding = {**STORE_STAFF, "adding": "1"}  # sent by a new group's form, as long as it is open
    first = json_of(anna.post(f"/assessments/{assessment_id}/groups/draft", {**adding, "users": "12"}))
    record = _stored(app, assessment_id)
    assert (first["saved"], first["revision"], first["group"]) == (True, record.revision, "store-staff")
    assert first["action"] == f"/assessments/{assessment_id}/groups/0"
    fields = {"revision": str(first["revision"]), "version": str(first["version"]), "group": first["group"]}
    second = json_of(
        anna.post(f"/assessments/{assessment_id}/groups/draft", {**adding, "users": "13", **fields})
    )
    assert second["revision"] > first["revision"]
    # Not valid as a draft at all: refused, nothing changes.
    refused = anna.post(f"/assessments/{assessment_id}/groups/draft", {**STORE_STAFF, "name": "x" * 201})
    assert refused.status_code == 422
    # A stale revision is not saved over.
    stale = {**adding, **fields, "users": "14"}
    assert anna.post(f"/assessments/{assessment_id}/groups/draft", stale).status_code == 409
    # The form's own save, sent to the new group's address with the draft's id, edits the draft.
    fields["revision"] = str(second["revision"])
    assert anna.post(f"/assessments/{assessment_id}/groups/new", {**STORE_STAFF, **fields}).status_code == 302
    groups = _stored(app, assessment_id).answers["groups"]
    assert [(g["name"], g["users"]) for g in groups] == [("Store staff", 1200)]


def test_only_a_drafts_form_saves_itself_and_never_on_a_signed_off_assessment(
    app: Flask, anna: Browser
) -> None:
    assessment_id = _new(anna)
    adding = {**STORE_STAFF, "adding": "1"}
    made = json_of(anna.post(f"/assessments/{assessment_id}/groups/draft", adding))
    assert made["saved"] is True  # a group being added: complete or not, its form keeps its draft
    fields = {"revision": str(made["revision"]), "version": str(made["version"]), "group": made["group"]}
    assert json_of(anna.post(f"/assessments/{assessment_id}/groups/draft", {**adding, **fields}))["saved"]
    record = _stored(app, assessment_id)

    # Opened again, the finished group's form does not save itself: typing there (users cleared
    # on the way to retyping them) changes nothing until the person saves.
    form = anna.get(f"/assessments/{assessment_id}/groups/0").get_data(as_text=True)
    assert "data-autosave" not in form
    assert 'name="adding"' not in form
    fields = {"revision": str(record.revision), "group": "store-staff"}
    typing = anna.post(f"/assessments/{assessment_id}/groups/draft", {**STORE_STAFF, "users": "", **fields})
    assert (typing.status_code, json_of(typing)["reason"]) == (409, "not_draft")
    assert _stored(app, assessment_id).answers == record.answers
    assert _stored(app, assessment_id).revision == record.revision

    # A failed submit saves nothing by itself either; its page is marked as holding unsaved answers.
    failed = anna.post(f"/assessments/{assessment_id}/groups/0", {**STORE_STAFF, "users": "12OO", **fields})
    assert failed.status_code == 422
    assert 'data-unsaved="true"' in failed.get_data(as_text=True)
    assert _stored(app, assessment_id).revision == record.revision

    # Signed off: not even a new group's form saves itself (only a deliberate save reopens it).
    assert anna.post(f"/assessments/{assessment_id}/review/submit").status_code == 302
    make_user(app, "lead", "reviewer")
    lead = Browser(app.test_client())
    lead.login("lead")
    lead.post(f"/assessments/{assessment_id}/review/sign_off", {"confirm": "1"})
    signed = _stored(app, assessment_id)
    assert signed.status == "signed_off"
    assert "data-autosave" not in anna.get(f"/assessments/{assessment_id}/groups/new").get_data(as_text=True)
    refused = anna.post(
        f"/assessments/{assessment_id}/groups/draft",
        {**adding, "name": "Drivers", "revision": str(signed.revision)},
    )
    assert (refused.status_code, json_of(refused)["reason"]) == (409, "not_draft")
    assert _stored(app, assessment_id).status == "signed_off"


def test_a_failed_submit_of_a_draft_says_the_draft_is_kept(app: Flask, anna: Browser) -> None:
    assessment_id = _new(anna)
    draft = {**STORE_STAFF, "users": "-5", "adding": "1"}
    made = json_of(anna.post(f"/assessments/{assessment_id}/groups/draft", draft))
    assert made["saved"] is True  # a draft may hold what a group may not: it "Needs answers"
    fields = {"revision": str(made["revision"]), "version": str(made["version"]), "group": made["group"]}
    failed = anna.post(made["action"], {**STORE_STAFF, "users": "-5", **fields})
    assert failed.status_code == 422
    page = failed.get_data(as_text=True)
    assert "must be at least 1" in page
    assert "is kept as this group&#39;s draft" in page or "is kept as this group's draft" in page
    assert [g["users"] for g in _stored(app, assessment_id).answers["groups"]] == [-5]


def _rows(page: str) -> dict[str, str]:
    return {
        question: re.sub(r"<[^>]+>", "", answer).strip()
        for question, answer in re.findall(
            r'<th scope="row">([^<]+)</th>\s*<td class="answer">(.*?)</td>', page, re.S
        )
    }


@pytest.mark.parametrize("language", ["en", "sv"])
def test_every_answer_on_one_page_with_labels_and_edit_links(anna: Browser, language: str) -> None:
    anna.post("/language", {"language": language, "next": "/"})
    response = anna.post("/assessments/example")
    assessment_id = int(response.headers["Location"].split("/")[2])
    assert response.headers["Location"] == f"/assessments/{assessment_id}/answers"
    page = anna.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count("<h3") == 1 + 7  # the organisation and the example's seven groups
    rows = _rows(page)
    if language == "en":
        assert "Apps" in page
        assert "E-mail and access" in page
        assert rows["Who owns the devices"] in ("Corporate", "corporate")
    else:
        assert "Appar" in page
    assert "wifi_vpn" not in page
    assert "groups[" not in page
    assert f'href="/assessments/{assessment_id}/groups/0#f-users"' in page
    assert f'href="/assessments/{assessment_id}/organisation#f-name"' in page
    assert 'class="buttons no-print"' in page


def test_start_from_an_example_copies_the_guides_example_for_the_user(app: Flask, anna: Browser) -> None:
    first = int(anna.post("/assessments/example").headers["Location"].split("/")[2])
    second = int(anna.post("/assessments/example").headers["Location"].split("/")[2])
    assert first != second  # each press a new assessment
    example: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
    record = _stored(app, second)
    assert record.answers == example
    page = anna.get("/").get_data(as_text=True)
    assert "Start from an example" in page
    assert page.count('">Contoso (the guide') == 2  # both listed, as links


def test_a_duplicated_group_gets_a_name_of_its_own(app: Flask, anna: Browser) -> None:
    assessment_id = _new(anna)
    anna.post(f"/assessments/{assessment_id}/groups/new", STORE_STAFF)
    anna.post(f"/assessments/{assessment_id}/groups/0/duplicate")
    anna.post(f"/assessments/{assessment_id}/groups/0/duplicate")
    names = [g["name"] for g in _stored(app, assessment_id).answers["groups"]]
    assert names == ["Store staff", "Store staff (copy) 2", "Store staff (copy)"]


@pytest.mark.parametrize(
    ("language", "known", "label"),
    [
        ("en", "Helpdesk tickets per 100 users", "Enrollment success rate"),
        ("sv", "Supportärenden per 100 användare", ""),
    ],
)
def test_exit_criteria_are_named_as_people_write_them_never_by_key(
    app: Flask, anna: Browser, language: str, known: str, label: str
) -> None:
    assessment_id = _new(anna)
    anna.post("/language", {"language": language})
    organisation = {"name": "T", "rollout_start": "2027-07"}
    page = anna.post(
        f"/assessments/{assessment_id}/organisation", {**organisation, "gate_thresholds": "Tickets: 4"}
    ).get_data(as_text=True)
    assert "tickets_per_100_users" not in page
    assert "enrollment_success" not in page
    assert known in page
    assert label in page
    saved = anna.post(
        f"/assessments/{assessment_id}/organisation", {**organisation, "gate_thresholds": f"{known}: 4"}
    )
    assert saved.status_code == 302
    assert _stored(app, assessment_id).answers["organisation"]["gate_thresholds"] == {
        "tickets_per_100_users": 4
    }
