"""Forms that change an assessment carry the revision they were rendered from; a stale one is
refused with a page that says what changed meanwhile (409), never saved over the newer answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from advisor.quality.diff import AnswerChange, answer_changes
from advisor.store.assessments import StaleRevision
from advisor.store.tables import AssessmentRecord, AssessmentVersion, User
from web.extensions import svc
from web.ids import parse_id

SHOWN_VERSIONS = 10


@dataclass(frozen=True)
class NewerVersion:
    number: int
    kind: str
    author: str
    created_at: datetime


@dataclass
class Stale:
    """What happened since a form was rendered: the versions written meanwhile and the answers
    they changed (known when the form said which version it was rendered from)."""

    record: AssessmentRecord
    base_version: int | None
    newer: list[NewerVersion] = field(default_factory=list)
    changes: list[AnswerChange] = field(default_factory=list)
    more: bool = False  # more versions than SHOWN_VERSIONS since


def revision_fields(record: AssessmentRecord, newest: int | None = None) -> Markup:
    """The hidden fields of a form that changes `record`: the revision it was rendered from (the
    write is refused if the assessment moved on) and its newest version number (to show what
    changed), looked up unless the caller knows it (`newest_versions`, for a list)."""
    if newest is None:
        with svc().store.session() as db:
            newest = db.scalar(
                select(func.max(AssessmentVersion.number)).where(AssessmentVersion.assessment_id == record.id)
            )
    return Markup(
        '<input type="hidden" name="revision" value="{}"><input type="hidden" name="version" value="{}">'
    ).format(record.revision, newest or 0)


def newest_versions(session: Session, assessment_ids: list[int]) -> dict[int, int]:
    """The newest version number of each assessment, in one query."""
    rows = session.execute(
        select(AssessmentVersion.assessment_id, func.max(AssessmentVersion.number))
        .where(AssessmentVersion.assessment_id.in_(assessment_ids))
        .group_by(AssessmentVersion.assessment_id)
    )
    return {assessment_id: number for assessment_id, number in rows}


def _bounded(name: str) -> int | None:
    """A revision or version number the form carries; None when absent, 0 or not a number."""
    try:
        return parse_id(request.form.get(name))
    except ValueError:
        return None


def form_revision() -> int:
    """The revision the submitted form was rendered from; a form without one (or with a
    nonsensical one) cannot show it was made on the current answers, so it counts as stale."""
    revision = _bounded("revision")
    return revision if revision is not None and revision >= 1 else 0


def require_current(record: AssessmentRecord) -> None:
    """StaleRevision unless the submitted form was rendered from the record's revision: for a form
    that names a group by its place in the list, which may now be another group's (or nobody's)."""
    revision = form_revision()
    if revision != record.revision:
        raise StaleRevision(record.id, revision, record.revision)


def stale_since(assessment_id: int) -> Stale | None:
    """The current assessment and what changed since the version the form names; None if gone."""
    base_number = _bounded("version")
    with svc().store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        if record is None:
            return None
        rows = db.execute(  # the first few: a page, not the whole history (that has its own page)
            select(
                AssessmentVersion.number,
                AssessmentVersion.kind,
                User.username,
                AssessmentVersion.created_at,
            )
            .join(User, User.id == AssessmentVersion.author_id)
            .where(
                AssessmentVersion.assessment_id == assessment_id,
                AssessmentVersion.number > (base_number or 0),
            )
            .order_by(AssessmentVersion.number)
            .limit(SHOWN_VERSIONS + 1)
        ).all()
        base_answers = (
            db.scalar(
                select(AssessmentVersion.answers).where(
                    AssessmentVersion.assessment_id == assessment_id, AssessmentVersion.number == base_number
                )
            )
            if base_number
            else None
        )
    stale = Stale(record, base_number if base_answers is not None else None)
    if base_answers is not None:
        stale.newer = [NewerVersion(*row) for row in rows[:SHOWN_VERSIONS]]
        stale.more = len(rows) > SHOWN_VERSIONS
        stale.changes = answer_changes(base_answers, record.answers)
    return stale


def stale_page(assessment_id: int, template: str = "stale.html", **context: Any) -> ResponseReturnValue:
    """The 409 page for a refused form (404 if the assessment is gone meanwhile)."""
    stale = stale_since(assessment_id)
    return gone() if stale is None else render_stale(stale, template, **context)


def render_stale(stale: Stale, template: str = "stale.html", **context: Any) -> ResponseReturnValue:
    """The 409 page: `template` may be the form itself, filled with what the person entered and
    carrying the current revision, so that they can send it again knowingly."""
    context.setdefault("record", stale.record)
    return render_template(template, stale=stale, **context), 409


def gone() -> ResponseReturnValue:
    """Deleted meanwhile: the same page as any assessment one cannot see."""
    return render_template(
        "error.html", code=404, message=_("There is nothing here, or you do not have access to it.")
    ), 404


def init_app(app: Flask) -> None:
    app.jinja_env.globals["revision_fields"] = revision_fields

    @app.errorhandler(StaleRevision)
    def refused(exc: StaleRevision) -> ResponseReturnValue:
        return gone() if exc.current is None else stale_page(exc.assessment_id)
