"""The organisation's answers for the rollout under way (where users get help, its own exit
criteria) through the questionnaire, and the recorded parts of the answers that are no questions
(gate decisions, edited messages), which no form may drop."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from flask import Flask

from advisor.model.questionnaire import ORGANISATION, from_form
from advisor.services.assessments import commit
from advisor.store.accounts import user_by_name
from advisor.store.tables import AssessmentRecord, VersionKind
from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import fill, form_values, rendered_form
from tests.web.test_review import _whatif_form
from web.extensions import services

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def _answers(app: Flask, assessment_id: int) -> dict[str, Any]:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record.answers


@pytest.mark.parametrize(
    "entered",
    [
        "Enrollment success rate: 97\nhelpdesk tickets per 100 users: 4\nblocking_issues: 1",
        "Andel lyckade registreringar: 97\nSupportärenden per 100 användare: 4\nÖppna blockerande problem 1",
    ],
)
def test_the_exit_criteria_are_read_by_their_label_in_either_language(entered: str) -> None:
    answers = from_form(ORGANISATION, {"name": ["Contoso"], "gate_thresholds": [entered]})
    assert answers["gate_thresholds"] == {
        "enrollment_success": 97,
        "tickets_per_100_users": 4,
        "blocking_issues": 1,
    }


def test_the_organisation_page_asks_for_help_and_exit_criteria_and_keeps_them(
    app: Flask, anna: Browser
) -> None:
    assessment_id = fill(anna, CONTOSO)
    page = anna.get(f"/assessments/{assessment_id}/organisation").get_data(as_text=True)
    assert "Where users get help" in page
    assert "Exit criteria of every phase, one per line" in page
    organisation = {
        **form_values(CONTOSO["organisation"]),
        "support_contact": "Service desk, 010-123 45 00",
        "gate_thresholds": "Enrollment success rate: 97\nFeedback gathered: 40",
    }
    assert anna.post(f"/assessments/{assessment_id}/organisation", organisation).status_code == 302
    saved = _answers(app, assessment_id)["organisation"]
    assert saved["support_contact"] == "Service desk, 010-123 45 00"
    assert saved["gate_thresholds"] == {"enrollment_success": 97, "feedback": 40}
    shown = rendered_form(anna.get(f"/assessments/{assessment_id}/organisation").get_data(as_text=True))
    assert shown["support_contact"] == ["Service desk, 010-123 45 00"]
    assert shown["gate_thresholds"] == ["Enrollment success rate: 97\nFeedback gathered: 40"]
    # The plan's gates hold the phases to the organisation's own thresholds.
    page = anna.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "Devices enrolled, of those the phase targets, at least 97%" in page
    # In Swedish the form shows the criteria by their Swedish names, and reads them back.
    anna.post("/language", {"language": "sv"})
    shown = rendered_form(anna.get(f"/assessments/{assessment_id}/organisation").get_data(as_text=True))
    assert shown["gate_thresholds"] == ["Andel lyckade registreringar: 97\nInsamlad återkoppling: 40"]
    assert (
        anna.post(f"/assessments/{assessment_id}/organisation", {**organisation, **shown}).status_code == 302
    )
    assert _answers(app, assessment_id)["organisation"]["gate_thresholds"] == {
        "enrollment_success": 97,
        "feedback": 40,
    }


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Enrollment success rate: is a percentage: at most 100, not 120"),
        ("sv", "Andel lyckade registreringar: är en procentsats: högst 100, inte 120"),
    ],
)
def test_a_percentage_over_100_is_named_next_to_its_field(anna: Browser, language: str, said: str) -> None:
    assessment_id = fill(anna, CONTOSO)
    anna.post("/language", {"language": language})
    page = anna.post(
        f"/assessments/{assessment_id}/organisation",
        {**form_values(CONTOSO["organisation"]), "gate_thresholds": "enrollment_success: 120"},
    ).get_data(as_text=True)
    assert f'<small class="error" id="error-gate_thresholds">{said}</small>' in page
    assert "enrollment_success: 120" not in page  # shown back by its label, as entered otherwise
    assert "120</textarea>" in page


def test_the_forms_keep_the_decisions_and_the_edited_messages(app: Flask, anna: Browser) -> None:
    """Gate decisions and edited messages are no questions: a form that writes the organisation,
    a group, or a kept what-if must carry them over untouched."""
    assessment_id = fill(anna, CONTOSO)
    answers = copy.deepcopy(_answers(app, assessment_id))
    group_id = answers["groups"][0]["id"]
    recorded = {
        "gate_decisions": [
            {
                "after": {"phase": "limited_pilot"},
                "outcome": "go",
                "by": "anna",
                "date": "2027-07-14",
                "note": "ok",
            }
        ],
        "messages": [
            {
                "group": group_id,
                "phase": {"phase": "limited_pilot"},
                "kind": "announce",
                "language": "en",
                "subject": "Intune is coming",
                "body": "Dear colleagues,\nyour devices enroll in July.",
            }
        ],
    }
    svc = services(app)
    with svc.store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        revision = db.get(AssessmentRecord, assessment_id).revision  # type: ignore[union-attr]  # it exists
    commit(svc, user, assessment_id, answers | recorded, VersionKind.EDIT, revision)

    kept = anna.post(
        f"/assessments/{assessment_id}/whatif",
        {**_whatif_form(assessment_id, {5: {"users": "46"}}), "keep": "1"},
    )
    assert kept.status_code == 302
    organisation = {**form_values(CONTOSO["organisation"]), "support_contact": "The service desk"}
    assert anna.post(f"/assessments/{assessment_id}/organisation", organisation).status_code == 302
    group = {**form_values(CONTOSO["groups"][4]), "users": "61"}
    assert anna.post(f"/assessments/{assessment_id}/groups/4", group).status_code == 302
    anna.post(f"/assessments/{assessment_id}/groups/4/duplicate")
    anna.post(f"/assessments/{assessment_id}/groups/5/remove")
    saved = _answers(app, assessment_id)
    assert saved["organisation"]["support_contact"] == "The service desk"
    assert (saved["groups"][4]["users"], saved["groups"][5]["users"]) == (61, 46)
    assert {key: saved[key] for key in recorded} == recorded
