"""The review's state machine in the core, without the site: every step, and every refusal."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
import yaml

from advisor.model.errors import NotAllowed
from advisor.model.questionnaire import empty_draft
from advisor.services import review
from advisor.services.assessments import AssessmentNotFound, create
from advisor.services.runtime import Services
from advisor.store import listing
from advisor.store.assessments import StaleRevision, add_version, versions
from advisor.store.reviews import review_events
from advisor.store.tables import AssessmentRecord, ReviewAction, ReviewStatus, User, VersionKind
from tests.conftest import ROOT, account

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


@pytest.fixture
def anna(instance: Services) -> User:
    return account(instance, "anna")


@pytest.fixture
def lead(instance: Services) -> User:
    return account(instance, "lead", "reviewer")


def _new(instance: Services, owner: User, answers: dict[str, Any] | None = None) -> int:
    answers = copy.deepcopy(CONTOSO if answers is None else answers)
    return create(instance, owner, "Contoso", answers, VersionKind.EDIT, "plan")


def _record(instance: Services, assessment_id: int) -> AssessmentRecord:
    with instance.store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record


def _revision(instance: Services, assessment_id: int) -> int:
    return _record(instance, assessment_id).revision


def _actions(instance: Services, assessment_id: int) -> list[ReviewAction]:
    with instance.store.session() as db:
        return [event.action for event in review_events(db, assessment_id)]


def _step(
    instance: Services, actor: User, assessment_id: int, action: ReviewAction, text: str = "", **more: Any
) -> Any:
    return review.act(
        instance, actor, assessment_id, action, _revision(instance, assessment_id), text=text, **more
    )


def test_an_admin_reviews_others_but_not_their_own(instance: Services, anna: User) -> None:
    admin = account(instance, "root", "admin")
    theirs, own = _new(instance, anna), _new(instance, admin)
    assert review.rights(admin, _record(instance, theirs)) == review.Rights(author=False, reviewer=True)
    assert review.rights(admin, _record(instance, own)) == review.Rights(author=True, reviewer=False)
    assert review.rights(anna, _record(instance, theirs)) == review.Rights(author=True, reviewer=False)


def _waiting(instance: Services, user: User) -> list[int]:
    """The ids of the assessments waiting on `user`, as their list's waiting view shows them."""
    with instance.store.session() as db:
        page = listing.assessment_page(db, user, listing.ListQuery(waiting=True), 50)
    assert page.count == review.waiting_count(instance, user) == len(page.records)
    return [r.id for r in page.records]


def test_the_whole_round_trip(instance: Services, anna: User, lead: User) -> None:
    assessment_id = _new(instance, anna)
    assert review.waiting_count(instance, lead) == 0
    _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    assert _record(instance, assessment_id).status == ReviewStatus.IN_REVIEW
    assert _waiting(instance, lead) == [assessment_id]

    comment = _step(instance, lead, assessment_id, ReviewAction.COMMENTED, " HR? ", target="group:hr")
    assert (comment.action, comment.text, comment.target) == (ReviewAction.COMMENTED, "HR?", "group:hr")
    _step(instance, lead, assessment_id, ReviewAction.SENT_BACK, "Check HR.")
    assert _record(instance, assessment_id).status == ReviewStatus.CHANGES_REQUESTED
    assert review.waiting_count(instance, lead) == 0
    assert _waiting(instance, anna) == [assessment_id]

    reply = _step(instance, anna, assessment_id, ReviewAction.COMMENTED, "Done.", reply_to=comment.id)
    assert (reply.action, reply.reply_to) == (ReviewAction.REPLIED, comment.id)
    _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    signed = _step(instance, lead, assessment_id, ReviewAction.SIGNED_OFF)
    record = _record(instance, assessment_id)
    assert (record.status, record.signed_version) == (ReviewStatus.SIGNED_OFF, signed.version_number)
    assert _actions(instance, assessment_id) == [
        ReviewAction.SUBMITTED,
        ReviewAction.COMMENTED,
        ReviewAction.SENT_BACK,
        ReviewAction.REPLIED,
        ReviewAction.SUBMITTED,
        ReviewAction.SIGNED_OFF,
    ]


def test_a_change_of_status_leaves_the_revision_alone(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    before = _revision(instance, assessment_id)
    _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    assert _revision(instance, assessment_id) == before  # an open questionnaire page stays current


@pytest.mark.parametrize("action", [ReviewAction.SENT_BACK, ReviewAction.SIGNED_OFF])
def test_the_author_neither_sends_back_nor_signs_off(
    instance: Services, anna: User, action: ReviewAction
) -> None:
    assessment_id = _new(instance, anna)
    with pytest.raises(NotAllowed):
        _step(instance, anna, assessment_id, action, "text")
    assert _actions(instance, assessment_id) == []
    assert _record(instance, assessment_id).status == ReviewStatus.DRAFT


def test_only_the_author_asks_for_a_review(instance: Services, anna: User, lead: User) -> None:
    assessment_id = _new(instance, anna)
    with pytest.raises(NotAllowed):
        _step(instance, lead, assessment_id, ReviewAction.SUBMITTED)
    assert _record(instance, assessment_id).status == ReviewStatus.DRAFT


@pytest.mark.parametrize("action", review.STEPS)
def test_nobody_acts_on_what_they_cannot_see(instance: Services, anna: User, action: ReviewAction) -> None:
    assessment_id = _new(instance, anna)
    bo = account(instance, "bo")
    with pytest.raises(AssessmentNotFound):
        _step(instance, bo, assessment_id, action, "text")
    with pytest.raises(AssessmentNotFound):
        review.act(instance, anna, assessment_id + 1, action, 1, text="text")


def test_a_review_needs_every_answer(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna, empty_draft("Draft"))
    with pytest.raises(review.Incomplete) as refused:
        _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    assert refused.value.missing == review.Missing.ANSWERS
    assert _record(instance, assessment_id).status == ReviewStatus.DRAFT
    assert _actions(instance, assessment_id) == []


def test_a_sign_off_needs_a_plan(instance: Services, anna: User, lead: User) -> None:
    assessment_id = _new(instance, anna, empty_draft("Draft"))
    with pytest.raises(review.Incomplete) as refused:
        _step(instance, lead, assessment_id, ReviewAction.SIGNED_OFF)
    assert refused.value.missing == review.Missing.PLAN
    record = _record(instance, assessment_id)
    assert (record.status, record.signed_version) == (ReviewStatus.DRAFT, None)


@pytest.mark.parametrize("action", [ReviewAction.COMMENTED, ReviewAction.SENT_BACK])
@pytest.mark.parametrize("text", ["", "   \n"])
def test_a_comment_and_a_send_back_say_what_should_change(
    instance: Services, anna: User, lead: User, action: ReviewAction, text: str
) -> None:
    assessment_id = _new(instance, anna)
    with pytest.raises(review.Incomplete) as refused:
        _step(instance, lead, assessment_id, action, text)
    assert refused.value.missing == review.Missing.COMMENT
    assert _actions(instance, assessment_id) == []


def test_a_comment_has_a_length_and_its_target_the_column_s(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    with pytest.raises(review.CommentTooLong):
        _step(instance, anna, assessment_id, ReviewAction.COMMENTED, "x" * (review.MAX_COMMENT + 1))
    assert _actions(instance, assessment_id) == []
    event = _step(
        instance, anna, assessment_id, ReviewAction.COMMENTED, "x" * review.MAX_COMMENT, target="t" * 300
    )
    assert event.target == "t" * review.MAX_TARGET
    general = _step(instance, anna, assessment_id, ReviewAction.COMMENTED, "on the whole plan", target="")
    assert general.target is None


def test_a_reply_answers_a_comment_on_this_assessment_only(
    instance: Services, anna: User, lead: User
) -> None:
    assessment_id, other = _new(instance, anna), _new(instance, anna)
    submitted = _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    elsewhere = _step(instance, anna, other, ReviewAction.COMMENTED, "on the other one")
    for reply_to in (0, submitted.id, elsewhere.id, elsewhere.id + 100):
        with pytest.raises(review.NotAComment):
            _step(instance, lead, assessment_id, ReviewAction.COMMENTED, "an answer", reply_to=reply_to)
    assert _actions(instance, assessment_id) == [ReviewAction.SUBMITTED]


def test_a_comment_needs_no_current_revision(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    review.act(instance, anna, assessment_id, ReviewAction.COMMENTED, 0, text="from an old page")
    assert _actions(instance, assessment_id) == [ReviewAction.COMMENTED]


@pytest.mark.parametrize(
    ("actor", "action"),
    [("anna", ReviewAction.SUBMITTED), ("lead", ReviewAction.SENT_BACK), ("lead", ReviewAction.SIGNED_OFF)],
)
def test_a_change_of_status_happens_only_on_the_revision_seen(
    instance: Services, anna: User, lead: User, actor: str, action: ReviewAction
) -> None:
    assessment_id = _new(instance, anna)
    seen = _revision(instance, assessment_id)
    answers = copy.deepcopy(CONTOSO)
    answers["groups"][0]["users"] = 260
    with instance.store.session() as db:  # the author saves meanwhile
        add_version(db, assessment_id, anna, answers, VersionKind.EDIT, None, None)
    who = {"anna": anna, "lead": lead}[actor]
    with pytest.raises(StaleRevision) as refused:
        review.act(instance, who, assessment_id, action, seen, text="text")
    assert (refused.value.expected, refused.value.current) == (seen, seen + 1)
    assert _record(instance, assessment_id).status == ReviewStatus.DRAFT
    assert _actions(instance, assessment_id) == []


def test_a_sign_off_is_of_the_newest_version_and_a_change_reopens_it(
    instance: Services, anna: User, lead: User, caplog: pytest.LogCaptureFixture
) -> None:
    assessment_id = _new(instance, anna)
    _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    _step(instance, lead, assessment_id, ReviewAction.SIGNED_OFF, "fine")
    with instance.store.session() as db:
        newest = versions(db, assessment_id)[-1].number
    assert _record(instance, assessment_id).signed_version == newest
    caplog.set_level(logging.INFO, logger="advisor.review")
    kept = review.keep_whatif(
        instance, anna, assessment_id, copy.deepcopy(CONTOSO), _revision(instance, assessment_id)
    )
    record = _record(instance, assessment_id)
    assert (record.status, record.signed_version) == (ReviewStatus.IN_REVIEW, newest)
    assert kept.number == newest + 1
    assert _actions(instance, assessment_id)[-1] == ReviewAction.REOPENED
    (reopened,) = [r for r in caplog.records if r.getMessage() == "review.reopened"]
    fields = reopened.__dict__["fields"]  # set by logs.event, through the record's `extra`
    assert fields == {"assessment_id": assessment_id, "version": newest + 1, "user_id": anna.id}


def test_replanning_keeps_the_answers_and_says_so(instance: Services, anna: User, lead: User) -> None:
    assessment_id = _new(instance, anna)
    _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    _step(instance, lead, assessment_id, ReviewAction.SIGNED_OFF)
    made = review.replan(instance, lead, assessment_id, _revision(instance, assessment_id))
    assert (made.kind, made.answers, made.author_id) == (VersionKind.REPLAN, CONTOSO, lead.id)
    assert made.rulebook_version == instance.engine.rulebook.version
    with instance.store.session() as db:
        last = review_events(db, assessment_id)[-1]
    assert (last.action, last.text) == (ReviewAction.REPLANNED, made.rulebook_version)
    assert _record(instance, assessment_id).status == ReviewStatus.SIGNED_OFF  # a re-plan does not reopen


def test_replanning_refusals(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    with pytest.raises(AssessmentNotFound):
        review.replan(instance, account(instance, "bo"), assessment_id, _revision(instance, assessment_id))
    with pytest.raises(StaleRevision):
        review.replan(instance, anna, assessment_id, _revision(instance, assessment_id) + 1)
    with instance.store.session() as db:
        assert len(versions(db, assessment_id)) == 1


def test_a_what_if_shows_without_saving_and_only_its_author_keeps_it(
    instance: Services, anna: User, lead: User
) -> None:
    assessment_id = _new(instance, anna)
    record = _record(instance, assessment_id)
    answers = copy.deepcopy(CONTOSO)
    answers["groups"][6]["users"] = 3000
    shown = review.whatif(instance, record, answers, "en")
    assert shown.base is not None
    assert shown.new_plan is not None
    assert shown.diff is not None
    assert not shown.diff.empty
    assert [(c.group, c.field) for c in shown.changes] == [(CONTOSO["groups"][6]["id"], "users")]
    assert shown.found == {}
    with instance.store.session() as db:
        assert len(versions(db, assessment_id)) == 1  # nothing saved

    revision = _revision(instance, assessment_id)
    with pytest.raises(NotAllowed):
        review.keep_whatif(instance, lead, assessment_id, answers, revision)
    with pytest.raises(review.Incomplete) as refused:
        review.keep_whatif(instance, anna, assessment_id, empty_draft("x"), revision)
    assert refused.value.missing == review.Missing.ANSWERS
    with pytest.raises(StaleRevision):
        review.keep_whatif(instance, anna, assessment_id, answers, revision + 1)
    kept = review.keep_whatif(instance, anna, assessment_id, answers, revision)
    assert (kept.kind, kept.answers["groups"][6]["users"]) == (VersionKind.WHATIF, 3000)


def test_a_what_if_without_a_plan_says_why(instance: Services, anna: User) -> None:
    assessment_id = _new(instance, anna)
    answers = copy.deepcopy(CONTOSO)
    del answers["groups"][0]["users"]
    shown = review.whatif(instance, _record(instance, assessment_id), answers, "en")
    assert shown.new_plan is None
    assert shown.diff is None
    assert "groups[0].users" in shown.found


def test_the_overview_shows_changes_since_a_send_back_and_comments_left_behind(
    instance: Services, anna: User, lead: User
) -> None:
    assessment_id = _new(instance, anna)
    _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    _step(instance, lead, assessment_id, ReviewAction.COMMENTED, "gone", target="group:nobody")
    _step(instance, lead, assessment_id, ReviewAction.COMMENTED, "here", target="group:it")
    _step(instance, lead, assessment_id, ReviewAction.SENT_BACK, "Check IT.")
    sent_back_on = _record(instance, assessment_id)
    answers = copy.deepcopy(CONTOSO)
    answers["groups"][0]["users"] = 260
    review.keep_whatif(instance, anna, assessment_id, answers, sent_back_on.revision)
    seen = review.overview(instance, lead, _record(instance, assessment_id), "en")
    assert seen.rights == review.Rights(author=False, reviewer=True)
    assert seen.plan is not None
    assert seen.since is not None
    assert seen.since[0] == 1
    assert [(c.group, c.field) for c in seen.since[1]] == [("it", "users")]
    assert [c.text for c in seen.comments] == ["gone", "here", "Check IT."]
    assert seen.orphans == ["group:nobody"]
    assert seen.newest is not None
    assert seen.newest.number == 2
    assert seen.signed is None


def test_a_step_that_would_repeat_where_the_review_is_is_refused(
    instance: Services, anna: User, lead: User
) -> None:
    assessment_id = _new(instance, anna)
    _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    with pytest.raises(review.NotNow):
        _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)  # already waiting for review
    _step(instance, lead, assessment_id, ReviewAction.SENT_BACK, "Check HR.")
    with pytest.raises(review.NotNow):
        _step(instance, lead, assessment_id, ReviewAction.SENT_BACK, "Again.")
    _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    _step(instance, lead, assessment_id, ReviewAction.SIGNED_OFF)
    with pytest.raises(review.NotNow):
        _step(instance, lead, assessment_id, ReviewAction.SIGNED_OFF)  # the same version again
    assert _record(instance, assessment_id).status == ReviewStatus.SIGNED_OFF
    assert _actions(instance, assessment_id).count(ReviewAction.SIGNED_OFF) == 1  # nothing recorded twice


def test_a_plan_made_again_after_a_sign_off_can_be_signed_off(
    instance: Services, anna: User, lead: User
) -> None:
    assessment_id = _new(instance, anna)
    _step(instance, anna, assessment_id, ReviewAction.SUBMITTED)
    first = _step(instance, lead, assessment_id, ReviewAction.SIGNED_OFF)
    made = review.replan(instance, lead, assessment_id, _revision(instance, assessment_id))
    signed = _step(instance, lead, assessment_id, ReviewAction.SIGNED_OFF)
    record = _record(instance, assessment_id)
    assert (record.status, record.signed_version) == (ReviewStatus.SIGNED_OFF, made.number)
    assert signed.version_number == made.number != first.version_number
