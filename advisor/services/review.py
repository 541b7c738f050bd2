"""The review of a plan: who may do what, and each step of it.

An author asks for a review (draft or changes_requested → in_review); anyone who may see the
assessment comments or answers a comment; a reviewer (a reviewer or admin who is not the author)
sends it back with a comment (→ changes_requested) or signs off its newest version
(→ signed_off); a change of the answers after a sign-off reopens it (`add_version`), a
go/no-go decision at a gate does not (advisor/services/gates.py). Besides the
review: making the plan again with the running rulebook, and a what-if sandbox whose answers the
author may keep. A change of status happens only on the revision the person saw (StaleRevision
otherwise); a refused step raises one of the errors below and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from advisor.model.errors import AdvisorError, NotAllowed, RolloutTooLong
from advisor.model.plan import Plan, Standing
from advisor.model.questionnaire import problems, valid
from advisor.model.vocabulary import Language
from advisor.quality.diff import AnswerChange, PlanDiff, answer_changes, plan_diff
from advisor.services.assessments import commit, stored_plan, visible
from advisor.services.logs import event
from advisor.services.planning import build_plan
from advisor.services.runtime import Services
from advisor.store import listing
from advisor.store.assessments import StaleRevision, latest_version, lock_at_revision, version
from advisor.store.reviews import record_event, review_events
from advisor.store.tables import (
    AssessmentRecord,
    AssessmentVersion,
    ReviewAction,
    ReviewEvent,
    ReviewStatus,
    Role,
    User,
    VersionKind,
)

log = logging.getLogger("advisor.review")
MAX_COMMENT = 4000
MAX_TARGET = 200  # the column's size: "group:<id>" or "group:<id>:<rule>"
COMMENTS = (ReviewAction.COMMENTED, ReviewAction.REPLIED, ReviewAction.SENT_BACK, ReviewAction.SIGNED_OFF)
# What a person asks to do on the review page (a reply is a comment that answers another), and
# the event each one logs when done.
STEPS = {
    ReviewAction.SUBMITTED: "review.submit",
    ReviewAction.COMMENTED: "review.comment",
    ReviewAction.SENT_BACK: "review.send_back",
    ReviewAction.SIGNED_OFF: "review.sign_off",
}


# Where a change of status may not start: a step that would repeat where the review already is
# (a second request for a review, a second send-back) is refused rather than recorded twice; so is
# a second sign-off of the version already signed off (`_signs_off_again`). A comment may come at
# any time.
NOT_FROM: dict[ReviewAction, ReviewStatus] = {
    ReviewAction.SUBMITTED: ReviewStatus.IN_REVIEW,
    ReviewAction.SENT_BACK: ReviewStatus.CHANGES_REQUESTED,
}


class NotNow(AdvisorError):
    """The step does not apply to the review's status (`status`)."""

    def __init__(self, action: ReviewAction, status: ReviewStatus) -> None:
        super().__init__(f"cannot {action.value} an assessment that is {status.value}")
        self.action, self.status = action, status


class Missing(StrEnum):
    """What a refused step lacked."""

    COMMENT = "comment"  # a comment, or a send-back, says what should change
    ANSWERS = "answers"  # a review, or a kept what-if, needs every question answered
    PLAN = "plan"  # a sign-off needs a complete plan
    CONFIRMATION = "confirmation"  # a sign-off needs the reviewer's confirmation that they read the plan


class Incomplete(AdvisorError):
    """The step cannot be done yet: `missing` says what it lacks."""

    def __init__(self, missing: Missing) -> None:
        super().__init__(f"not done: the {missing} is missing")
        self.missing = missing


class CommentTooLong(AdvisorError):
    def __init__(self) -> None:
        super().__init__(f"a comment is at most {MAX_COMMENT} characters")


class NotAComment(AdvisorError):
    """A reply to something that is not a comment on this assessment."""

    def __init__(self) -> None:
        super().__init__("the comment you answered is not a comment on this assessment")


@dataclass(frozen=True)
class Rights:
    """What one person may do in the review of one assessment."""

    author: bool  # owns it: asks for the review, keeps a what-if
    reviewer: bool  # a reviewer or admin who is not the author: sends back, signs off

    def may(self, action: ReviewAction) -> bool:
        if action == ReviewAction.SUBMITTED:
            return self.author
        if action in (ReviewAction.SENT_BACK, ReviewAction.SIGNED_OFF):
            return self.reviewer
        if action in (ReviewAction.REPLANNED, ReviewAction.GATE_DECIDED):
            return self.author or self.reviewer
        return action in (ReviewAction.COMMENTED, ReviewAction.REPLIED)  # whoever sees it


def rights(actor: User, record: AssessmentRecord) -> Rights:
    author = record.owner_id == actor.id
    return Rights(author=author, reviewer=actor.role in (Role.REVIEWER, Role.ADMIN) and not author)


def act(
    services: Services,
    actor: User,
    assessment_id: int,
    action: ReviewAction,
    expected_revision: int | None,
    *,
    text: str = "",
    target: str = "",
    reply_to: int | None = None,
    confirmed: bool = True,
) -> ReviewEvent:
    """One step of the review (one of STEPS) by `actor`; the event it recorded.

    `expected_revision`: the revision the person saw; a change of status happens only on it
    (StaleRevision otherwise), a comment at any time. `target`: what a comment is about
    (None or "" for the whole plan). `reply_to`: the comment a comment answers (0: one the
    request named but that cannot be one). `confirmed`: the reviewer confirmed a sign-off (a
    form asks for it; a call through the API is its own confirmation). AssessmentNotFound,
    NotAllowed, CommentTooLong, NotAComment, NotNow or Incomplete when the step is refused;
    nothing is changed then.
    """
    if action not in STEPS:
        raise ValueError(f"not a step of a review: {action}")
    record = visible(services, actor, assessment_id)
    if not rights(actor, record).may(action):
        raise NotAllowed(f"you may not do this in the review of assessment {assessment_id}")
    if action == ReviewAction.SIGNED_OFF and not confirmed:
        raise Incomplete(Missing.CONFIRMATION)
    comment = text.strip()
    if len(comment) > MAX_COMMENT:
        raise CommentTooLong()
    if not comment and action in (ReviewAction.COMMENTED, ReviewAction.SENT_BACK):
        raise Incomplete(Missing.COMMENT)
    if action != ReviewAction.COMMENTED:
        target, reply_to = "", None  # only a comment is about something, or answers another
    with services.store.session() as db:
        if action == ReviewAction.COMMENTED:
            stored = db.get(AssessmentRecord, assessment_id)
            if stored is None:  # deleted since it was looked at
                raise StaleRevision(assessment_id, expected_revision, None)
        else:  # a change of status only on the revision the person saw
            stored = lock_at_revision(db, assessment_id, expected_revision)
            if NOT_FROM.get(action) == stored.status or (
                action == ReviewAction.SIGNED_OFF and _signs_off_again(db, stored)
            ):
                raise NotNow(action, stored.status)
        if action == ReviewAction.SUBMITTED:
            if valid(stored.answers) is None:
                raise Incomplete(Missing.ANSWERS)
            stored.status = ReviewStatus.IN_REVIEW
        elif action == ReviewAction.COMMENTED:
            if reply_to is not None:
                parent = db.get(ReviewEvent, reply_to) if reply_to else None
                if parent is None or parent.assessment_id != assessment_id or parent.action not in COMMENTS:
                    raise NotAComment()
        elif action == ReviewAction.SENT_BACK:
            stored.status = ReviewStatus.CHANGES_REQUESTED
        else:
            newest = latest_version(db, assessment_id)
            if newest is None or newest.plans is None:
                raise Incomplete(Missing.PLAN)
            stored.status = ReviewStatus.SIGNED_OFF
            stored.signed_version = newest.number
        done = record_event(
            db,
            stored,
            actor,
            ReviewAction.REPLIED if reply_to else action,
            text=comment or None,
            target=target[:MAX_TARGET] or None,
            reply_to=reply_to,
        )
    event(log, STEPS[action], assessment_id=assessment_id, status=stored.status, user_id=actor.id)
    return done


def _signs_off_again(db: Session, stored: AssessmentRecord) -> bool:
    """A sign-off of the version already signed off (a re-plan after a sign-off makes a newer one,
    which may be signed off in turn)."""
    newest = latest_version(db, stored.id)
    return (
        stored.status == ReviewStatus.SIGNED_OFF
        and newest is not None
        and newest.number == stored.signed_version
    )


def replan(
    services: Services, actor: User, assessment_id: int, expected_revision: int | None
) -> AssessmentVersion:
    """Accept the plan of the running rulebook: a new version with the same answers, and the
    review event that says so (its text the rulebook version)."""
    record = visible(services, actor, assessment_id)
    if not rights(actor, record).may(ReviewAction.REPLANNED):
        raise NotAllowed(f"you may not make the plan of assessment {assessment_id} again")
    return commit(
        services,
        actor,
        assessment_id,
        record.answers,
        VersionKind.REPLAN,
        expected_revision,
        event=ReviewAction.REPLANNED,
    )


def keep_whatif(
    services: Services,
    actor: User,
    assessment_id: int,
    answers: dict[str, Any],
    expected_revision: int | None,
) -> AssessmentVersion:
    """Keep a what-if's answers as the author's new version (only a complete set of answers)."""
    record = visible(services, actor, assessment_id)
    if not rights(actor, record).author:
        raise NotAllowed(f"only the author keeps a what-if of assessment {assessment_id}")
    if valid(answers) is None:
        raise Incomplete(Missing.ANSWERS)
    return commit(services, actor, assessment_id, answers, VersionKind.WHATIF, expected_revision)


@dataclass
class WhatIf:
    """What a sandbox's answers would do to the plan accepted now; nothing is saved."""

    base: Plan | None  # the plan accepted now
    new_plan: Plan | None  # the plan the answers would make (None: they cannot make one)
    changes: list[AnswerChange]
    diff: PlanDiff | None
    found: dict[str, str]  # why there is no new plan, by path


def whatif(
    services: Services, record: AssessmentRecord, answers: dict[str, Any], language: Language
) -> WhatIf:
    base = stored_plan(record.plan, language)
    assessment = valid(answers)
    found = problems(answers, language) if assessment is None else {}
    new_plan: Plan | None = None
    if assessment is not None:
        try:
            with services.engine.version() as compiled:
                new_plan = build_plan(
                    assessment, compiled, language, max_months=services.settings.max_rollout_months
                )
        except RolloutTooLong as exc:
            found = {problem.path: problem.message for problem in exc.problems}
    changes = answer_changes(record.answers, answers)
    diff = plan_diff(base, new_plan, changes) if new_plan is not None else None
    return WhatIf(base, new_plan, changes, diff, found)


@dataclass
class Overview:
    """The review as one person sees it."""

    rights: Rights
    plan: Plan | None
    events: list[ReviewEvent]
    comments: list[ReviewEvent]
    newest: AssessmentVersion | None
    # Since the last send-back, when a newer version came: (its version, answer changes, plan diff).
    since: tuple[int, list[AnswerChange], PlanDiff] | None
    signed: AssessmentVersion | None
    orphans: list[str | None]  # targets of comments the plan no longer has


def overview(services: Services, actor: User, record: AssessmentRecord, language: Language) -> Overview:
    with services.store.session() as db:
        events = review_events(db, record.id)
        newest = latest_version(db, record.id)
        sent_back = next((e for e in reversed(events) if e.action == ReviewAction.SENT_BACK), None)
        base = (
            version(db, record.id, sent_back.version_number)
            if sent_back and sent_back.version_number
            else None
        )
        signed = version(db, record.id, record.signed_version) if record.signed_version else None
    plan = stored_plan(record.plan, language)
    since = None
    if base is not None and newest is not None and base.number != newest.number:
        changes = answer_changes(base.answers, newest.answers)
        since = (base.number, changes, plan_diff(stored_plan(base.plans, language), plan, changes))
    comments = [e for e in events if e.action in COMMENTS]
    # Comments stay visible when the plan no longer has what they were about.
    shown = {None} | {f"group:{gp.id}" for gp in plan.groups} if plan else {None}
    if plan:
        shown |= {f"group:{gp.id}:{r.rule}" for gp in plan.groups for r in gp.reasons}
    orphans = list(dict.fromkeys(e.target for e in comments if e.target not in shown and not e.reply_to))
    return Overview(rights(actor, record), plan, events, comments, newest, since, signed, orphans)


def waiting_count(services: Services, user: User) -> int:
    """How many assessments wait on `user`: a reviewer's to review, an author's sent back."""
    with services.store.session() as db:
        return listing.waiting_count(db, user)


def standing(services: Services, record: AssessmentRecord) -> Standing:
    """Where the review of the assessment's current plan stands, for the exports that print it:
    the status, the version, and who signed it off and when (the latest sign-off's event)."""
    with services.store.session() as db:
        newest = latest_version(db, record.id)
        signed = None
        if record.status == ReviewStatus.SIGNED_OFF:
            signed = next(
                (e for e in reversed(review_events(db, record.id)) if e.action == ReviewAction.SIGNED_OFF),
                None,
            )
        actor = db.get(User, signed.actor_id) if signed is not None else None
        by = actor.username if actor is not None else None
    return Standing(
        status=record.status.value,
        version=newest.number if newest is not None else 0,
        signed_version=record.signed_version if signed is not None else None,
        signed_by=by,
        signed_on=signed.created_at.date().isoformat() if signed is not None else None,
    )
