"""Saved assessments and their versions: who may see them, and writes that never lose a change."""

from __future__ import annotations

import copy
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session, defer

from advisor.store.tables import (
    MAX_ID,
    AssessmentRecord,
    AssessmentVersion,
    ReviewAction,
    ReviewEvent,
    ReviewStatus,
    Role,
    User,
    VersionKind,
    now,
)


def assessment_for(
    session: Session, user: User, assessment_id: int, *, write: bool = False
) -> AssessmentRecord | None:
    """The assessment if this user may see it (write: change it); None otherwise.

    Authors own their assessments; reviewers and admins read every one. Only the author
    changes the answers.
    """
    record = session.get(AssessmentRecord, assessment_id)
    if record is None:
        return None
    if record.owner_id == user.id:
        return record
    if not write and user.role in (Role.REVIEWER, Role.ADMIN):
        return record
    return None


class StaleRevision(Exception):
    """The assessment changed since the revision a writer started from (None: it is gone)."""

    def __init__(self, assessment_id: int, expected: int | None, current: int | None) -> None:
        self.assessment_id, self.expected, self.current = assessment_id, expected, current
        super().__init__(
            f"assessment {assessment_id} is gone"
            if current is None
            else f"assessment {assessment_id} is at revision {current}, not {expected}"
        )


_ASSESSMENTS = cast(Table, AssessmentRecord.__table__)


def _claim(
    session: Session, assessment_id: int, expected: int | None, *, bump: bool = True, **values: Any
) -> AssessmentRecord:
    """Check the revision and change the assessment in one statement; the record as it now is.

    `UPDATE … WHERE id = :id AND revision = :expected`: of writers starting from one revision,
    exactly one matches and the others get StaleRevision with the revision they missed. The update
    also takes the write lock (PostgreSQL: the row's, until commit; SQLite: the database's, waiting
    up to the busy timeout), so everything after it in the transaction, such as taking the next
    version number, happens one writer at a time. Make it the first write of the session: on SQLite
    the transaction then starts with the write lock rather than upgrading a read snapshot.
    """
    table = _ASSESSMENTS
    statement = update(table).where(table.c.id == assessment_id)
    if expected is not None:
        if not 1 <= expected <= MAX_ID:
            raise StaleRevision(assessment_id, expected, _revision(session, assessment_id))
        statement = statement.where(table.c.revision == expected)
    if bump:
        values |= {"revision": table.c.revision + 1, "updated_at": now()}
    else:
        values |= {"revision": table.c.revision}  # an update that changes nothing still locks
    if "answers" in values:
        values["organisation"] = organisation_name(values["answers"])
    if session.connection().execute(statement.values(**values)).rowcount != 1:
        raise StaleRevision(assessment_id, expected, _revision(session, assessment_id))
    record = session.get(AssessmentRecord, assessment_id, populate_existing=True)
    assert record is not None  # noqa: S101 - updated just now, under its lock
    if "answers" in values or "title" in values:
        record.search_text = search_text(record.title, record.organisation)
    return record


def organisation_name(answers: dict[str, Any]) -> str:
    """The organisation's name as the answers give it, "" while a draft has none."""
    organisation = answers.get("organisation")
    name = organisation.get("name") if isinstance(organisation, dict) else None
    return name.strip()[:200] if isinstance(name, str) else ""


def search_text(title: str, organisation: str) -> str:
    """What the list's search looks in, and its title order sorts by: the title and the
    organisation's name, case-folded (the query is folded alike, so "ÅBY" finds "Åby" on every
    database, whatever its collation)."""
    return f"{title}\n{organisation}".casefold()


def _revision(session: Session, assessment_id: int) -> int | None:
    return session.scalar(select(AssessmentRecord.revision).where(AssessmentRecord.id == assessment_id))


def check_revision(session: Session, assessment_id: int, expected: int | None) -> None:
    """StaleRevision unless the assessment is at `expected` (a cheap early look, not the check
    that counts: `_claim` makes that one, atomically, when writing)."""
    current = _revision(session, assessment_id)
    if current is None or (expected is not None and current != expected):
        raise StaleRevision(assessment_id, expected, current)


# The versions that leave a signed-off review signed off (see `add_version`).
KEEPS_SIGN_OFF = frozenset({VersionKind.REPLAN, VersionKind.GATE, VersionKind.MESSAGES})


def add_version(
    session: Session,
    assessment_id: int,
    author: User,
    answers: dict[str, Any],
    kind: VersionKind,
    plans: dict[str, Any] | None,
    rulebook_version: str | None,
    *,
    expected_revision: int | None = None,
    title: str | None = None,
) -> AssessmentVersion:
    """Keep the answers as a new version and make them current: the one way a version is written.

    With `expected_revision`, only if the assessment is still at that revision (StaleRevision
    otherwise); the check, the new revision and the version number are one atomic step. Compute
    the plans before: the assessment is locked from here until the session commits.
    A change after a sign-off reopens the review; the signed-off version itself stays as it was.
    Neither a re-plan, a go/no-go decision at a gate nor an edit of the messages to the users is
    such a change: the first keeps the answers, the second records the rollout under way (a
    no-go moves the later phases, as agreed), the third changes no plan.
    """
    values: dict[str, Any] = {
        "answers": copy.deepcopy(answers),
        "plan": plans,
        "rulebook_version": rulebook_version,
    }
    if title:
        values["title"] = title
    record = _claim(session, assessment_id, expected_revision, **values)
    number = (
        session.scalar(
            select(func.max(AssessmentVersion.number)).where(AssessmentVersion.assessment_id == assessment_id)
        )
        or 0
    ) + 1
    version = AssessmentVersion(
        assessment_id=assessment_id,
        number=number,
        kind=kind,
        author_id=author.id,
        answers=copy.deepcopy(answers),
        plans=plans,
        rulebook_version=rulebook_version,
    )
    session.add(version)
    if record.status == ReviewStatus.SIGNED_OFF and kind not in KEEPS_SIGN_OFF:
        record.status = ReviewStatus.IN_REVIEW
        session.add(
            ReviewEvent(
                assessment_id=assessment_id,
                actor_id=author.id,
                action=ReviewAction.REOPENED,
                version_number=number,
                text=None,
            )
        )
    session.flush()
    return version


def rename_assessment(
    session: Session, assessment_id: int, title: str, expected_revision: int | None
) -> None:
    """A new title, if the assessment is still at `expected_revision` (StaleRevision otherwise)."""
    _claim(session, assessment_id, expected_revision, title=title)


def delete_assessment(session: Session, assessment_id: int, expected_revision: int | None) -> None:
    """Delete the assessment, if it is still at `expected_revision` (StaleRevision otherwise)."""
    table = _ASSESSMENTS
    statement = delete(table).where(table.c.id == assessment_id)
    if expected_revision is not None:
        statement = statement.where(table.c.revision == expected_revision)
    if session.connection().execute(statement).rowcount != 1:
        raise StaleRevision(assessment_id, expected_revision, _revision(session, assessment_id))


def lock_at_revision(session: Session, assessment_id: int, expected_revision: int | None) -> AssessmentRecord:
    """The assessment locked for a change of its review status, if it is still at
    `expected_revision`: a reviewer signs off what they saw, never a newer version. The review
    status is not part of the revision, so an open questionnaire page stays current."""
    return _claim(session, assessment_id, expected_revision, bump=False)


def versions(session: Session, assessment_id: int) -> list[AssessmentVersion]:
    """Every version with its answers; the plans stay in the database (see `version`)."""
    return list(
        session.scalars(
            select(AssessmentVersion)
            .options(defer(AssessmentVersion.plans, raiseload=True))
            .where(AssessmentVersion.assessment_id == assessment_id)
            .order_by(AssessmentVersion.number)
        )
    )


def version(session: Session, assessment_id: int, number: int) -> AssessmentVersion | None:
    return session.scalar(
        select(AssessmentVersion).where(
            AssessmentVersion.assessment_id == assessment_id, AssessmentVersion.number == number
        )
    )


def latest_version(session: Session, assessment_id: int) -> AssessmentVersion | None:
    return session.scalar(
        select(AssessmentVersion)
        .where(AssessmentVersion.assessment_id == assessment_id)
        .order_by(AssessmentVersion.number.desc())
        .limit(1)
    )
