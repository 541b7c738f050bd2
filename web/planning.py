"""Plans for a set of answers (per language, one rulebook version) and saving them as versions."""

from __future__ import annotations

from typing import Any

from flask import g

from advisor.errors import RolloutTooLong
from advisor.plan import Plan
from advisor.planner import make_plan
from advisor.questionnaire import problems, valid
from advisor.store import AssessmentRecord, AssessmentVersion, add_version
from advisor.vocabulary import Language
from web.common import svc

Planned = tuple[dict[str, Any] | None, str]


def plans_for(
    answers: dict[str, Any], languages: tuple[Language, ...] = ("en", "sv"), *, strict: bool = False
) -> Planned:
    """The plan per language, made with the running rulebook, and the rulebook's version.

    None for incomplete answers, and for answers whose rollout would run past the ceiling on
    months (a draft keeps its answers; `plan_problems` says why) unless `strict`, which raises
    RolloutTooLong instead.
    """
    engine = svc().engine
    assessment = valid(answers)
    with engine.version() as compiled:
        version = compiled.rulebook.version
        if assessment is None:
            return None, version
        try:
            return {
                language: make_plan(
                    assessment, compiled, language, max_months=svc().settings.max_rollout_months
                ).model_dump(mode="json")
                for language in languages
            }, version
        except RolloutTooLong:
            if strict:
                raise
            return None, version


def plan_problems(answers: dict[str, Any], language: Language) -> dict[str, str]:
    """Why a set of answers has no plan, by path: the questionnaire's problems, else the planner's."""
    found = problems(answers, language)
    if found:
        return found
    try:
        plans_for(answers, (language,), strict=True)
    except RolloutTooLong as exc:
        return {problem.path: problem.message for problem in exc.problems}
    return {}


def commit(
    assessment_id: int, answers: dict[str, Any], kind: str, planned: Planned | None = None
) -> AssessmentVersion:
    """Save answers as the assessment's newest version, with their plans (made here unless given)."""
    plans, rulebook_version = planned or plans_for(answers)
    with svc().store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None  # noqa: S101 - callers checked access first
        return add_version(db, record, g.user, answers, kind, plans, rulebook_version if plans else None)


def stored_plan(plans: dict[str, Any] | None, language: str) -> Plan | None:
    if not plans or language not in plans:
        return None
    return Plan.model_validate(plans[language])
