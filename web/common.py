"""Helpers the views share: the assessment a user may see, account names, plan files, answers
left out."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, abort, flash, g
from flask_babel import gettext as _

from advisor.model.plan import Plan
from advisor.model.questionnaire import Question
from advisor.model.vocabulary import LANGUAGES, Language
from advisor.output.formats import ExportFormat, content_disposition, export
from advisor.services.assessments import AssessmentNotFound, visible
from advisor.services.review import standing
from advisor.store import accounts
from advisor.store.tables import AssessmentRecord
from web.extensions import svc
from web.i18n import language


def load(assessment_id: int, *, write: bool = False) -> AssessmentRecord:
    """The assessment if the current user may see it (write: change it); 404 otherwise.

    404 rather than 403 so that nobody learns which assessments exist.
    """
    try:
        return visible(svc(), g.user, assessment_id, write=write)
    except AssessmentNotFound:
        abort(404)


def usernames() -> dict[int, str]:
    """Every account's name by id, for pages that say who did what."""
    with svc().store.session() as db:
        return accounts.usernames(db)


def plan_language(record: AssessmentRecord) -> Language:
    """The language the assessment's plan is written in (its answers say; English by default),
    whatever the language of the interface reading it."""
    chosen = (record.answers.get("organisation") or {}).get("language")
    return chosen if chosen in LANGUAGES else "en"


def plan_file(plan: Plan, spec: ExportFormat, record: AssessmentRecord) -> Response:
    """The plan as a downloadable file in one of the export formats, with where its review
    stands, named after the organisation and the day: "rollout-plan-contoso-2026-11-25.pdf"."""
    day = datetime.now(UTC).date().isoformat()
    return Response(
        export(plan, spec.name, standing(svc(), record)),
        content_type=spec.media_type,  # as it is: `mimetype=` would add a second charset
        headers={"Content-Disposition": content_disposition(plan.organisation, day, spec.extension)},
    )


def say_dropped(dropped: tuple[Question, ...]) -> None:
    """Tells the person which answers of questions that no longer apply were left out, and why."""
    for question in dropped:
        flash(
            _(
                "The answer to “%(question)s” was removed: the question no longer applies to the group, "
                "and the answer was not valid.",
                question=question.title(language()),
            ),
            "error",
        )
