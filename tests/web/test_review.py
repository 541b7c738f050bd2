"""Review, versions, re-planning and what-if: what an IT lead needs to trust a plan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from flask import Flask
from markupsafe import escape

from advisor.store.assessments import versions
from advisor.store.reviews import review_events
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT, store_directly, stored
from tests.web.conftest import Browser, make_user, rules_app
from tests.web.helpers import fill, form_values
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

CONTOSO = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def _versions(app: Flask, assessment_id: int) -> list[int]:
    with services(app).store.session() as db:
        return [v.number for v in versions(db, assessment_id)]


def _record(app: Flask, assessment_id: int) -> AssessmentRecord:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record


def _reviewer(app: Flask) -> Browser:
    make_user(app, "lead", "reviewer")
    lead = Browser(app.test_client())
    lead.login("lead")
    return lead


def test_every_save_is_a_version_and_the_history_says_who_changed_what(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    numbers = _versions(app, assessment_id)
    assert numbers == list(range(1, 2 + 1 + len(CONTOSO["groups"])))  # created, organisation, each group
    edited = {**form_values(CONTOSO["groups"][4]), "users": "60"}
    anna.post(f"/assessments/{assessment_id}/groups/4", edited)
    anna.post(f"/assessments/{assessment_id}/groups/4", edited)  # the same answers again: no version
    assert len(_versions(app, assessment_id)) == len(numbers) + 1
    page = " ".join(anna.get(f"/assessments/{assessment_id}/history").get_data(as_text=True).split())
    assert "Answers edited: Number of users (HR)" in page  # the group by its name, not its id
    assert "Answers edited: Group added (Executives)" in page
    assert "<td>anna</td>" in page


def test_two_versions_side_by_side_with_changes_marked(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    before = _versions(app, assessment_id)[-1]
    anna.post(
        f"/assessments/{assessment_id}/groups/6", {**form_values(CONTOSO["groups"][6]), "needs_help": "low"}
    )
    page = anna.get(f"/assessments/{assessment_id}/compare?a={before}&b={before + 1}").get_data(as_text=True)
    assert "<del>high</del>" in page
    assert "<ins>low</ins>" in page
    assert "Help the users need to enroll" in page


def test_a_rulebook_change_is_shown_and_applied_only_when_accepted(
    tmp_path: Path, rules: Path, database_url: str
) -> None:
    first = rules_app(tmp_path, rules, database_url)
    make_user(first, "anna")
    anna = Browser(first.test_client())
    anna.login("anna")
    assessment_id = fill(anna, CONTOSO)
    old_version = _record(first, assessment_id).rulebook_version
    # An admin lowers the assisted threshold, so Executives (30) no longer count as a small group:
    # the database's rulebook changes (as a save or an import changes it) while no site runs.
    lowered = stored(services(first), "enrollment.yaml").replace(
        "  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 20"
    )
    store_directly(services(first).store, {"enrollment.yaml": lowered})
    services(first).close()
    second = rules_app(tmp_path, rules, database_url)
    anna = Browser(second.test_client())
    anna.login("anna")
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert "The rulebook has changed since this plan was made" in page
    assert f"made with rulebook version {old_version}" in page
    assert _record(second, assessment_id).rulebook_version == old_version  # nothing changed yet
    anna.post(f"/assessments/{assessment_id}/replan")
    record = _record(second, assessment_id)
    assert record.rulebook_version == services(second).engine.rulebook.version != old_version
    assert "The rulebook has changed" not in anna.get(f"/assessments/{assessment_id}/plan").get_data(
        as_text=True
    )
    services(second).close()


def _whatif_form(assessment_id: int, changes: dict[int, dict[str, str]]) -> dict[str, object]:
    data: dict[str, object] = {f"o-{k}": v for k, v in form_values(CONTOSO["organisation"]).items()}
    for index, group in enumerate(CONTOSO["groups"]):
        values = {**form_values(group), **changes.get(index, {})}
        if changes.get(index, {}).get("executives") == "":
            values.pop("executives", None)
        data.update({f"g{index}-{k}": v for k, v in values.items() if v != ""})
    return data


def test_what_if_executives_were_3000_ordinary_users(app: Flask, anna: Browser) -> None:
    """The guide example's Executives as 3,000 users who are not executives and need no help."""
    assessment_id = fill(anna, CONTOSO)
    count = len(_versions(app, assessment_id))
    change = {6: {"users": "3000", "devices": "3000", "executives": "", "needs_help": "low"}}
    page = anna.post(f"/assessments/{assessment_id}/whatif", _whatif_form(assessment_id, change)).get_data(
        as_text=True
    )
    row = re.search(r'<th scope="row">Executives</th>(.*?)</tr>', page, re.S)
    assert row is not None
    assert (
        "<del>Production phase 3, October 2027: 30 users, assisted (iOS/iPadOS, Windows · Redmond · 60 devices)</del>"
        in row.group(1)
    )
    assert "self-service" in row.group(1)
    # The reasons behind the change as sentences, never the rules' ids.
    new_reasons = re.search(r"New reasons:(.*?)</div>", row.group(1), re.S)
    gone_reasons = re.search(r"Reasons that no longer apply:(.*?)</div>", row.group(1), re.S)
    assert new_reasons is not None
    assert gone_reasons is not None
    assert "<code>" not in row.group(1)
    assert "self-service-by-default" not in row.group(1)
    base = _record(app, assessment_id).plan
    assert base is not None
    assisted = next(r for r in base["en"]["groups"][6]["reasons"] if r["rule"] == "assisted-for-executives")
    assert escape(assisted["text"]) in gone_reasons.group(1)
    assert "Number of users 30 → 3000" in row.group(1)
    assert "The group consists of executives or VIP users yes → no" in row.group(1)
    assert len(_versions(app, assessment_id)) == count  # a sandbox: nothing saved
    anna.post(f"/assessments/{assessment_id}/whatif", {**_whatif_form(assessment_id, change), "keep": "1"})
    assert len(_versions(app, assessment_id)) == count + 1
    kept = _record(app, assessment_id)
    assert kept.answers["groups"][6]["users"] == 3000
    assert kept.plan is not None
    by_default = next(
        r for r in kept.plan["en"]["groups"][6]["reasons"] if r["rule"] == "self-service-by-default"
    )
    assert escape(by_default["text"]) in new_reasons.group(1)


def test_the_review_round_trip(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    lead = _reviewer(app)
    assert "Waiting for your review" not in lead.get("/").get_data(as_text=True)
    anna.post(f"/assessments/{assessment_id}/review/submit")
    assert "Waiting for your review" in lead.get("/").get_data(as_text=True)
    page = lead.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "Tensions to settle" in page
    assert "Why not IT tech fair?" in page
    lead.post(
        f"/assessments/{assessment_id}/review/comment",
        {"target": "group:hr:wave-late-for-low-readiness", "text": "HR is keener than this says."},
    )
    assert lead.post(f"/assessments/{assessment_id}/review/send_back", {"text": ""}).status_code == 302
    assert _record(app, assessment_id).status == "in_review"  # a send-back needs its comment
    lead.post(f"/assessments/{assessment_id}/review/send_back", {"text": "Check HR's readiness."})
    assert _record(app, assessment_id).status == "changes_requested"

    listing = anna.get("/").get_data(as_text=True)
    assert "Sent back to you" in listing
    review = anna.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "HR is keener than this says." in review
    assert "Check HR&#39;s readiness." in review
    with services(app).store.session() as db:
        comment = next(e for e in review_events(db, assessment_id) if e.action == "commented")
    anna.post(
        f"/assessments/{assessment_id}/review/comment",
        {"reply_to": str(comment.id), "target": comment.target or "", "text": "Agreed, they asked for it."},
    )
    anna.post(
        f"/assessments/{assessment_id}/groups/4",
        {**form_values(CONTOSO["groups"][4]), "change_readiness": "high"},
    )
    anna.post(f"/assessments/{assessment_id}/review/submit")

    page = lead.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "Changes since it was sent back" in page
    assert "Willingness to change (HR): <del>low</del> → <ins>high</ins>" in page
    assert "Agreed, they asked for it." in page
    assert "Comments on recommendations that have since changed" in page  # HR's wave changed
    lead.post(f"/assessments/{assessment_id}/review/sign_off", {"confirm": "1"})
    record = _record(app, assessment_id)
    assert record.status == "signed_off"
    signed = record.signed_version
    assert signed == _versions(app, assessment_id)[-1]

    # Changing an answer after the sign-off reopens the review; the signed version stays as it was.
    anna.post(f"/assessments/{assessment_id}/groups/5", {**form_values(CONTOSO["groups"][5]), "users": "45"})
    record = _record(app, assessment_id)
    assert record.status == "in_review"
    assert record.signed_version == signed
    with services(app).store.session() as db:
        actions = [e.action for e in review_events(db, assessment_id)]
        frozen = next(v for v in versions(db, assessment_id) if v.number == signed)
    assert actions == [
        "submitted",
        "commented",
        "sent_back",
        "replied",
        "submitted",
        "signed_off",
        "reopened",
    ]
    assert frozen.answers["groups"][5]["users"] == 40
    history = lead.get(f"/assessments/{assessment_id}/history").get_data(as_text=True)
    assert "signed it off" in history
    assert "which reopened the review" in history


def test_who_may_do_what_in_a_review(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    assert anna.post(f"/assessments/{assessment_id}/review/sign_off", {"confirm": "1"}).status_code == 403
    assert anna.post(f"/assessments/{assessment_id}/review/send_back", {"text": "x"}).status_code == 403
    lead = _reviewer(app)
    assert lead.post(f"/assessments/{assessment_id}/review/submit").status_code == 403
    keep = lead.post(f"/assessments/{assessment_id}/whatif", {**_whatif_form(assessment_id, {}), "keep": "1"})
    assert keep.status_code == 404
    make_user(app, "bo")
    bo = Browser(app.test_client())
    bo.login("bo")
    for path in ("/review", "/history", "/compare", "/whatif"):
        assert bo.get(f"/assessments/{assessment_id}{path}").status_code == 404
