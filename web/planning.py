"""Plans for a set of answers (per language, one rulebook version) and saving them as versions."""

from __future__ import annotations

from typing import Any

from flask import g

from advisor.model.errors import RolloutTooLong
from advisor.model.plan import Plan
from advisor.model.questionnaire import problems, valid
from advisor.model.vocabulary import Language
from advisor.services.planning import build_plan
from advisor.store.assessments import add_version, check_revision
from advisor.store.reviews import record_event
from advisor.store.tables import AssessmentRecord, AssessmentVersion, ReviewAction, VersionKind
from web.extensions import svc

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
                language: build_plan(
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
    assessment_id: int,
    answers: dict[str, Any],
    kind: VersionKind,
    expected_revision: int | None,
    *,
    title: str | None = None,
    strict: bool = False,
    event: ReviewAction | None = None,
) -> AssessmentVersion:
    """Save answers as the assessment's newest version, with their plans.

    `expected_revision` is the revision the change was made on (None: on whatever is current, for
    a change that does not depend on the answers it replaces). StaleRevision if the assessment
    moved on meanwhile: checked cheaply before the (slow) plans are made, then atomically with the
    write. `strict`: RolloutTooLong rather than a version without a plan. `event`: a review
    event recorded with the version, in the same transaction (the new rulebook version its text).
    """
    store = svc().store
    with store.session() as db:
        check_revision(db, assessment_id, expected_revision)
    plans, rulebook_version = plans_for(answers, strict=strict)
    with store.session() as db:
        version = add_version(
            db,
            assessment_id,
            g.user,
            answers,
            kind,
            plans,
            rulebook_version if plans else None,
            expected_revision=expected_revision,
            title=title,
        )
        if event is not None:
            record = db.get(AssessmentRecord, assessment_id)  # claimed and locked by add_version
            assert record is not None  # noqa: S101
            record_event(db, record, g.user, event, text=version.rulebook_version)
        return version


def create(title: str, answers: dict[str, Any], kind: VersionKind, step: str, *, strict: bool = False) -> int:
    """A new assessment of the current user with its first version, in one transaction; its id.

    `strict`: RolloutTooLong, and nothing saved, rather than a version without a plan."""
    plans, rulebook_version = plans_for(answers, strict=strict)
    with svc().store.session() as db:
        record = AssessmentRecord(owner_id=g.user.id, title=title, answers=answers, step=step)
        db.add(record)
        db.flush()
        add_version(db, record.id, g.user, answers, kind, plans, rulebook_version if plans else None)
        return record.id


def stored_plan(plans: dict[str, Any] | None, language: str) -> Plan | None:
    if not plans or language not in plans:
        return None
    return Plan.model_validate(plans[language])
