"""The review's events: who submitted, commented, sent back or signed off, and on which version."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from advisor.store.assessments import latest_version
from advisor.store.tables import AssessmentRecord, ReviewAction, ReviewEvent, User


def review_events(session: Session, assessment_id: int) -> list[ReviewEvent]:
    return list(
        session.scalars(
            select(ReviewEvent).where(ReviewEvent.assessment_id == assessment_id).order_by(ReviewEvent.id)
        )
    )


def record_event(
    session: Session,
    record: AssessmentRecord,
    actor: User,
    action: ReviewAction,
    *,
    text: str | None = None,
    target: str | None = None,
    reply_to: int | None = None,
) -> ReviewEvent:
    latest = latest_version(session, record.id)
    event = ReviewEvent(
        assessment_id=record.id,
        actor_id=actor.id,
        action=action,
        text=text,
        target=target,
        reply_to=reply_to,
        version_number=latest.number if latest else None,
    )
    session.add(event)
    session.flush()
    return event
