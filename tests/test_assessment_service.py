"""Creating and saving assessments in the core, without the site: the one way the site, the API
and the command line make them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from advisor.model.errors import InputError, RolloutTooLong
from advisor.model.questionnaire import empty_draft
from advisor.services import assessments
from advisor.services.runtime import Services
from advisor.store.accounts import usernames
from advisor.store.assessments import StaleRevision, versions
from advisor.store.reviews import review_events
from advisor.store.tables import AssessmentRecord, ReviewAction, User, VersionKind
from tests.conftest import ROOT, account

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


@pytest.fixture
def anna(instance: Services) -> User:
    return account(instance, "anna")


def _record(instance: Services, assessment_id: int) -> AssessmentRecord:
    with instance.store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record


def test_a_new_assessment_has_its_first_version_and_plans_in_both_languages(
    instance: Services, anna: User
) -> None:
    new_id = assessments.create(instance, anna, "Contoso", copy.deepcopy(CONTOSO), VersionKind.IMPORT, "plan")
    record = _record(instance, new_id)
    assert (record.owner_id, record.title, record.step, record.answers) == (
        anna.id,
        "Contoso",
        "plan",
        CONTOSO,
    )
    assert record.plan is not None
    assert set(record.plan) == {"en", "sv"}
    assert record.rulebook_version == instance.engine.rulebook.version
    with instance.store.session() as db:
        (first,) = versions(db, new_id)
    assert (first.number, first.kind, first.author_id) == (1, VersionKind.IMPORT, anna.id)


def test_a_draft_is_kept_without_a_plan(instance: Services, anna: User) -> None:
    new_id = assessments.new_draft(instance, anna, "Draft", "sv")
    record = _record(instance, new_id)
    assert (record.title, record.step, record.answers) == (
        "Draft",
        "organisation",
        {**empty_draft("Draft"), "organisation": {"name": "Draft", "language": "sv"}},
    )
    assert (record.plan, record.rulebook_version) == (None, None)
    assert "organisation.rollout_start" in assessments.plan_problems(instance, record.answers, "en")


def _too_long() -> dict[str, Any]:
    answers = copy.deepcopy(CONTOSO)
    answers["organisation"]["support_capacity"] = 1
    return answers


def test_strict_refuses_a_plan_past_the_ceiling_and_saves_nothing(instance: Services, anna: User) -> None:
    with pytest.raises(RolloutTooLong):
        assessments.create(instance, anna, "Long", _too_long(), VersionKind.IMPORT, "plan", strict=True)
    with instance.store.session() as db:
        assert db.query(AssessmentRecord).count() == 0
    new_id = assessments.create(instance, anna, "Long", _too_long(), VersionKind.EDIT, "plan")
    assert _record(instance, new_id).plan is None  # a draft keeps its answers
    assert assessments.plan_problems(instance, _too_long(), "en")


def test_an_imported_file_is_kept_as_written(instance: Services, anna: User) -> None:
    content = json.dumps(CONTOSO).encode()
    new_id, name = assessments.import_document(instance, anna, content, "contoso.json", "en")
    record = _record(instance, new_id)
    assert (name, record.title, record.step, record.answers) == ("Contoso", "Contoso", "groups", CONTOSO)
    with pytest.raises(InputError):
        assessments.import_document(instance, anna, b"version: 1\ngroups: []\n", "broken.yaml", "en")
    with instance.store.session() as db:
        assert db.query(AssessmentRecord).count() == 1


def test_a_copy_belongs_to_whoever_made_it(instance: Services, anna: User) -> None:
    original = assessments.create(
        instance, anna, "Contoso", copy.deepcopy(CONTOSO), VersionKind.EDIT, "groups"
    )
    lead = account(instance, "lead", "reviewer")
    copied = assessments.duplicate(instance, lead, original, lambda title: f"Copy of {title}")
    record = _record(instance, copied)
    assert (record.owner_id, record.title, record.step, record.answers) == (
        lead.id,
        "Copy of Contoso",
        "groups",
        CONTOSO,
    )
    with pytest.raises(assessments.AssessmentNotFound):
        assessments.duplicate(instance, account(instance, "bo"), original, lambda title: title)


def test_a_commit_is_checked_against_the_revision_it_was_made_on(instance: Services, anna: User) -> None:
    new_id = assessments.create(instance, anna, "Contoso", copy.deepcopy(CONTOSO), VersionKind.EDIT, "plan")
    revision = _record(instance, new_id).revision
    answers = copy.deepcopy(CONTOSO)
    answers["groups"][0]["users"] = 260
    made = assessments.commit(
        instance,
        anna,
        new_id,
        answers,
        VersionKind.EDIT,
        revision,
        title="Renamed",
        event=ReviewAction.REPLANNED,
    )
    record = _record(instance, new_id)
    assert (made.number, record.title, record.revision) == (2, "Renamed", revision + 1)
    with instance.store.session() as db:
        (event,) = review_events(db, new_id)
    assert (event.action, event.text, event.version_number) == (
        ReviewAction.REPLANNED,
        made.rulebook_version,
        2,
    )
    with pytest.raises(StaleRevision):
        assessments.commit(instance, anna, new_id, CONTOSO, VersionKind.EDIT, revision)
    with pytest.raises(RolloutTooLong):
        assessments.commit(instance, anna, new_id, _too_long(), VersionKind.EDIT, revision + 1, strict=True)
    with instance.store.session() as db:
        assert len(versions(db, new_id)) == 2


def test_only_those_who_may_see_an_assessment_get_it(instance: Services, anna: User) -> None:
    new_id = assessments.create(instance, anna, "Contoso", copy.deepcopy(CONTOSO), VersionKind.EDIT, "plan")
    lead = account(instance, "lead", "reviewer")
    assert assessments.visible(instance, lead, new_id).id == new_id
    with pytest.raises(assessments.AssessmentNotFound):
        assessments.visible(instance, lead, new_id, write=True)
    with pytest.raises(assessments.AssessmentNotFound):
        assessments.visible(instance, account(instance, "bo"), new_id)


def test_stored_plans_by_language(instance: Services, anna: User) -> None:
    plans, version = assessments.plans_for(instance, copy.deepcopy(CONTOSO), ("sv",))
    assert plans is not None
    assert version == instance.engine.rulebook.version
    plan = assessments.stored_plan(plans, "sv")
    assert plan is not None
    assert plan.language == "sv"
    assert assessments.stored_plan(plans, "en") is None
    assert assessments.stored_plan(None, "sv") is None


def test_account_names_by_id(instance: Services, anna: User) -> None:
    lead = account(instance, "lead", "reviewer")
    with instance.store.session() as db:
        assert usernames(db) == {anna.id: "anna", lead.id: "lead"}


def test_only_the_author_renames_deletes_or_moves_an_assessment(instance: Services, anna: User) -> None:
    new_id = assessments.new_draft(instance, anna, "Draft", "en")
    lead = account(instance, "lead", "reviewer")  # sees every assessment, changes none
    revision = _record(instance, new_id).revision
    with pytest.raises(assessments.AssessmentNotFound):
        assessments.rename(instance, lead, new_id, "Taken", revision)
    with pytest.raises(assessments.AssessmentNotFound):
        assessments.delete(instance, lead, new_id, revision)
    assessments.resume_at(instance, lead, new_id, "plan")
    assert (_record(instance, new_id).title, _record(instance, new_id).step) == ("Draft", "organisation")

    assessments.resume_at(instance, anna, new_id, "groups")  # a place: no new revision
    assert (_record(instance, new_id).step, _record(instance, new_id).revision) == ("groups", revision)
    assessments.rename(instance, anna, new_id, "Contoso", revision)
    with pytest.raises(StaleRevision):
        assessments.delete(instance, anna, new_id, revision)  # renamed since that revision
    assessments.delete(instance, anna, new_id, revision + 1)
    with pytest.raises(assessments.AssessmentNotFound):
        assessments.visible(instance, anna, new_id)
