"""Forms carry the revision they were rendered from: a stale one gets a 409 page that says what
changed meanwhile, keeps what the person typed, and saves nothing over the newer answers."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask

from advisor.store.assessments import versions
from advisor.store.tables import AssessmentRecord
from tests.web.conftest import Browser, current_revision, make_user
from tests.web.helpers import fill, form_values
from tests.web.test_questionnaire import CONTOSO
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

_FORM = re.compile(r'<form method="post"(?: action="([^"]*)")?[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="(revision|version|group)" value="([^"]*)"')


def _hidden(page: str) -> dict[str, str]:
    return dict(_HIDDEN.findall(page))


def _record(app: Flask, assessment_id: int) -> tuple[AssessmentRecord, int]:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record, len(versions(db, assessment_id))


def _capacity_changed_meanwhile(anna: Browser, assessment_id: int, capacity: int) -> None:
    organisation = {**form_values(CONTOSO["organisation"]), "support_capacity": str(capacity)}
    assert anna.post(f"/assessments/{assessment_id}/organisation", organisation).status_code == 302


def test_a_stale_group_form_shows_what_changed_and_keeps_what_was_typed(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:2]})
    form = anna.get(f"/assessments/{assessment_id}/groups/new").get_data(as_text=True)
    rendered = _hidden(form)
    assert set(rendered) == {"revision", "version"}  # a new group has no id yet
    _capacity_changed_meanwhile(anna, assessment_id, 1800)
    before, count = _record(app, assessment_id)

    typed: dict[str, Any] = {**form_values({**CONTOSO["groups"][2], "name": "Night shift"}), **rendered}
    refused = anna.post(f"/assessments/{assessment_id}/groups/new", typed)
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "This assessment was changed by someone else meanwhile" in page
    assert "Your change was not saved" in page
    assert "Version 5 by anna" in page
    assert "Users the helpdesk can onboard in a month" in page
    assert "<del>2500</del>" in page
    assert "<ins>1800</ins>" in page
    assert 'value="Night shift"' in page  # what was typed is kept …
    again = _hidden(page)  # … on the current revision, to send again knowingly
    assert again["revision"] == str(before.revision)
    after, count_after = _record(app, assessment_id)
    assert (after.answers, count_after) == (before.answers, count)

    resent = anna.post(f"/assessments/{assessment_id}/groups/new", {**typed, **again})
    assert resent.status_code == 302
    names = [group["name"] for group in _record(app, assessment_id)[0].answers["groups"]]
    assert names == ["IT", "IT executives", "Night shift"]


def test_a_stale_edit_of_a_group_that_moved_changes_that_group(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:3]})
    rendered = _hidden(anna.get(f"/assessments/{assessment_id}/groups/2").get_data(as_text=True))
    assert anna.post(f"/assessments/{assessment_id}/groups/0/remove").status_code == 302
    edited = {**form_values(CONTOSO["groups"][2]), "users": "77", **rendered}

    refused = anna.post(f"/assessments/{assessment_id}/groups/2", edited)
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "Group removed" in page
    assert f'action="/assessments/{assessment_id}/groups/1"' in page  # where that group is now
    assert anna.post(f"/assessments/{assessment_id}/groups/1", {**edited, **_hidden(page)}).status_code == 302
    groups = _record(app, assessment_id)[0].answers["groups"]
    assert [(g["name"], g["users"]) for g in groups] == [
        (CONTOSO["groups"][1]["name"], CONTOSO["groups"][1]["users"]),
        (CONTOSO["groups"][2]["name"], 77),
    ]


def test_a_double_submit_adds_the_group_once(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:1]})
    form = {
        **form_values({**CONTOSO["groups"][1], "name": "Twice"}),
        **_hidden(anna.get(f"/assessments/{assessment_id}/groups/new").get_data(as_text=True)),
    }
    first = anna.post(f"/assessments/{assessment_id}/groups/new", form)
    second = anna.post(f"/assessments/{assessment_id}/groups/new", form)
    assert (first.status_code, second.status_code) == (302, 409)
    assert "Twice" in html.unescape(second.get_data(as_text=True))  # shown as the group just added
    names = [group["name"] for group in _record(app, assessment_id)[0].answers["groups"]]
    assert names == ["IT", "Twice"]


def test_a_form_without_a_revision_is_refused_not_saved(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:1]})
    before = _record(app, assessment_id)
    for revision in ("", "x", "0", "99999999999999999999", "-1"):
        refused = anna.post(
            f"/assessments/{assessment_id}/groups/0",
            {**form_values(CONTOSO["groups"][1]), "revision": revision},
        )
        assert refused.status_code == 409, revision
        assert "did not say which version it showed" in refused.get_data(as_text=True), revision
    after = _record(app, assessment_id)
    assert (after[0].answers, after[1]) == (before[0].answers, before[1])


def test_stale_remove_duplicate_rename_delete_keep_nothing(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:2]})
    stale = current_revision(app, assessment_id)
    _capacity_changed_meanwhile(anna, assessment_id, 900)
    before = _record(app, assessment_id)
    base = f"/assessments/{assessment_id}"
    for path, data in [
        (f"{base}/groups/0/remove", {}),
        (f"{base}/groups/7/remove", {}),  # an index that names no group (now) is stale, not 404
        (f"{base}/groups/7/duplicate", {}),
        (f"{base}/groups/0/duplicate", {}),
        (f"{base}/rename", {"title": "Someone else's title"}),
        (f"{base}/delete", {}),
        (f"{base}/replan", {}),
    ]:
        refused = anna.post(path, {**data, **stale})
        assert refused.status_code == 409, path
        assert "changed by someone else meanwhile" in refused.get_data(as_text=True), path
    after = _record(app, assessment_id)
    assert (after[0].answers, after[0].title, after[1]) == (before[0].answers, before[0].title, before[1])


def test_a_stale_what_if_is_not_kept_and_stays_in_the_sandbox(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:2]})
    sandbox = {
        **{f"o-{k}": v for k, v in form_values(CONTOSO["organisation"]).items()},
        **{f"g{i}-{k}": v for i, g in enumerate(CONTOSO["groups"][:2]) for k, v in form_values(g).items()},
        "g0-users": "321",
        "keep": "1",
        **current_revision(app, assessment_id),
    }
    _capacity_changed_meanwhile(anna, assessment_id, 700)
    before = _record(app, assessment_id)
    refused = anna.post(f"/assessments/{assessment_id}/whatif", sandbox)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "changed by someone else meanwhile" in page
    assert 'value="321"' in page
    assert _record(app, assessment_id)[1] == before[1]
    kept = anna.post(f"/assessments/{assessment_id}/whatif", {**sandbox, **_hidden(page)})
    assert kept.status_code == 302
    assert _record(app, assessment_id)[0].answers["groups"][0]["users"] == 321


def test_a_reviewer_signs_off_only_the_version_they_saw(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:2]})
    assert anna.post(f"/assessments/{assessment_id}/review/submit").status_code == 302
    seen = current_revision(app, assessment_id)
    _capacity_changed_meanwhile(anna, assessment_id, 600)
    anna.post("/logout")
    make_user(app, "lead", "reviewer")
    anna.login("lead")
    review = anna.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    forms = {action.rsplit("/", 1)[1]: body for action, body in _FORM.findall(review) if action}
    revision = current_revision(app, assessment_id)["revision"]
    assert all(f'name="revision" value="{revision}"' in forms[name] for name in ("sign_off", "send_back"))
    refused = anna.post(f"/assessments/{assessment_id}/review/sign_off", {**seen, "confirm": "1"})
    assert refused.status_code == 409
    assert "<ins>600</ins>" in refused.get_data(as_text=True)
    assert _record(app, assessment_id)[0].status == "in_review"
    assert anna.post(f"/assessments/{assessment_id}/review/sign_off", {"confirm": "1"}).status_code == 302
    record, count = _record(app, assessment_id)
    assert (record.status, record.signed_version) == ("signed_off", count)


def test_the_stale_page_speaks_swedish(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:1]})
    anna.post("/language", {"language": "sv", "next": "/"})
    stale = current_revision(app, assessment_id)
    _capacity_changed_meanwhile(anna, assessment_id, 1200)
    refused = anna.post(f"/assessments/{assessment_id}/rename", {"title": "Ny titel", **stale})
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "Bedömningen har ändrats av någon annan under tiden" in page
    assert "Användare som supporten kan ta emot per månad" in page
    assert "Titeln du angav: Ny titel" in page


def test_every_form_that_changes_an_assessment_carries_its_revision(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:2]})
    base = f"/assessments/{assessment_id}"
    pages = ["/", f"{base}/organisation", f"{base}/groups", f"{base}/groups/new", f"{base}/groups/1"]
    pages += [f"{base}/groups/1/remove", f"{base}/delete", f"{base}/whatif", f"{base}/review"]
    revision = current_revision(app, assessment_id)["revision"]
    checked = set()
    for page in pages:
        for action, body in _FORM.findall(anna.get(page).get_data(as_text=True)):
            target = action or page
            if not target.startswith(base) or target.endswith(("/review/comment", f"{base}/duplicate")):
                continue  # a comment or a copy leaves the assessment as it is
            assert f'name="revision" value="{revision}"' in body, (page, target)
            checked.add(target.removeprefix(base))
    assert checked == {
        "/rename",
        "/organisation",
        "/groups/0/duplicate",
        "/groups/1/duplicate",
        "/groups/new",
        "/groups/1",
        "/groups/1/remove",
        "/delete",
        "/whatif",
        "/review/submit",
        "/review/gate",  # a go/no-go decision is kept as a version of the answers
    }


def test_a_stale_organisation_form_keeps_what_was_typed(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:1]})
    rendered = _hidden(anna.get(f"/assessments/{assessment_id}/organisation").get_data(as_text=True))
    anna.post(f"/assessments/{assessment_id}/groups/0/remove")
    typed = {**form_values(CONTOSO["organisation"]), "name": "Contoso Nordic", **rendered}
    refused = anna.post(f"/assessments/{assessment_id}/organisation", typed)
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "Group removed" in page
    assert 'value="Contoso Nordic"' in page
    assert _record(app, assessment_id)[0].answers["organisation"]["name"] == "Contoso"
    resent = anna.post(f"/assessments/{assessment_id}/organisation", {**typed, **_hidden(page)})
    assert resent.status_code == 302
    assert _record(app, assessment_id)[0].answers["organisation"]["name"] == "Contoso Nordic"


def test_a_what_if_kept_after_the_groups_changed_keeps_what_it_showed(app: Flask, anna: Browser) -> None:
    groups = CONTOSO["groups"][:3]
    assessment_id = fill(anna, {**CONTOSO, "groups": groups})
    page = anna.get(f"/assessments/{assessment_id}/whatif").get_data(as_text=True)
    ids = re.findall(r'name="group-ids" value="([^"]*)"', page)
    sandbox: dict[str, Any] = {
        **{f"o-{k}": v for k, v in form_values(CONTOSO["organisation"]).items()},
        **{f"g{i}-{k}": v for i, g in enumerate(groups) for k, v in form_values(g).items()},
        "g2-users": "123",
        "group-ids": ids,
        "keep": "1",
        **_hidden(page),
    }
    anna.post(f"/assessments/{assessment_id}/groups/0/remove")  # meanwhile, in another tab
    refused = anna.post(f"/assessments/{assessment_id}/whatif", sandbox)
    assert refused.status_code == 409
    assert "Group removed" in refused.get_data(as_text=True)
    kept = anna.post(
        f"/assessments/{assessment_id}/whatif", {**sandbox, **_hidden(refused.get_data(as_text=True))}
    )
    assert kept.status_code == 302
    saved = _record(app, assessment_id)[0].answers["groups"]
    assert [(g["id"], g["name"], g["users"]) for g in saved] == [
        (ids[0], groups[0]["name"], groups[0]["users"]),  # kept knowingly: the sandbox showed it
        (ids[1], groups[1]["name"], groups[1]["users"]),
        (ids[2], groups[2]["name"], 123),
    ]
