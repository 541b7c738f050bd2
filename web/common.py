"""Helpers the views share: the assessment a user may see, account names, plan files, answers
left out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, flash, g
from flask_babel import gettext as _

from advisor.model.plan import Plan
from advisor.model.questionnaire import GROUP, ORGANISATION, Question
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


_PATH = re.compile(r"^(?:(?P<organisation>organisation)|groups\[(?P<index>\d+)\])(?:\.(?P<name>\w+))?")


def where(path: str, answers: Mapping[str, Any]) -> str:
    """Where an answer is, as a person calls it: the group by its name and the question by its
    title (`Number of users (group HR)`), never `groups[4].users`; "" for the document as a whole.
    A field that is no question (an unknown key in an imported file) is named as written."""
    if path == "version":
        return str(_("Format version"))
    match = _PATH.match(path)
    if match is None:
        return path
    name = match["name"]
    questions = ORGANISATION if match["organisation"] else GROUP
    question = next((q for q in questions if q.name == name), None)
    field = question.title(language()) if question else f"“{name}”" if name else ""
    if match["organisation"]:
        return str(_("%(question)s (organisation)", question=field) if field else _("Organisation"))
    index = int(match["index"])
    groups = answers.get("groups")
    group = groups[index] if isinstance(groups, list) and index < len(groups) else None
    named = group.get("name") if isinstance(group, Mapping) else None
    if isinstance(named, str) and named.strip():
        if field:
            return str(_("%(question)s (group %(name)s)", question=field, name=named.strip()))
        return str(_("Group %(name)s", name=named.strip()))
    if field:
        return str(_("%(question)s (group number %(n)s)", question=field, n=index + 1))
    return str(_("Group number %(n)s", n=index + 1))
