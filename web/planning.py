"""Plans for a set of answers (per language, one rulebook version) and saving them as versions."""

from __future__ import annotations

from typing import Any

from flask import g

from advisor.plan import Plan
from advisor.planner import make_plan
from advisor.questionnaire import valid
from advisor.store import AssessmentRecord, AssessmentVersion, add_version
from advisor.vocabulary import Language
from web.common import svc


def plans_for(
    answers: dict[str, Any], languages: tuple[Language, ...] = ("en", "sv")
) -> tuple[dict[str, Any] | None, str]:
    """The plan per language, made with the running rulebook; None for incomplete answers."""
    engine = svc().engine
    assessment = valid(answers)
    with engine.version() as compiled:
        version = compiled.rulebook.version
        if assessment is None:
            return None, version
        return {
            language: make_plan(assessment, compiled, language).model_dump(mode="json")
            for language in languages
        }, version


def commit(assessment_id: int, answers: dict[str, Any], kind: str) -> AssessmentVersion:
    """Save answers as the assessment's newest version, with their plans."""
    plans, rulebook_version = plans_for(answers)
    with svc().store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None  # noqa: S101 - callers checked access first
        return add_version(db, record, g.user, answers, kind, plans, rulebook_version if plans else None)


def stored_plan(plans: dict[str, Any] | None, language: str) -> Plan | None:
    if not plans or language not in plans:
        return None
    return Plan.model_validate(plans[language])
