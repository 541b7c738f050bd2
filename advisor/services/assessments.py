"""Assessments as a person works on them: created (blank, imported, copied), saved as versions
with their plans, and the plans made for a set of answers. The site, the API and the command
line call these with the person acting and the instance's services; nothing here knows a request."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from advisor.model.errors import AdvisorError, RolloutTooLong
from advisor.model.facts import load_document, parse_assessment
from advisor.model.plan import Plan
from advisor.model.questionnaire import empty_draft, problems, valid
from advisor.model.vocabulary import Language
from advisor.quality.scenarios import load_scenario
from advisor.services.logs import event as log_event
from advisor.services.planning import build_plan
from advisor.services.runtime import Services
from advisor.store.assessments import (
    add_version,
    assessment_for,
    check_revision,
    delete_assessment,
    rename_assessment,
)
from advisor.store.reviews import record_event
from advisor.store.tables import (
    AssessmentRecord,
    AssessmentVersion,
    ReviewAction,
    ReviewEvent,
    User,
    VersionKind,
)

log = logging.getLogger("advisor.review")  # the one event here is the review reopened by a change

Planned = tuple[dict[str, Any] | None, str]


class AssessmentNotFound(AdvisorError):
    """No such assessment, or none this person may see (the two are never told apart)."""

    def __init__(self, assessment_id: int) -> None:
        super().__init__(f"there is no assessment {assessment_id} that you can see")
        self.assessment_id = assessment_id


def visible(services: Services, actor: User, assessment_id: int, *, write: bool = False) -> AssessmentRecord:
    """The assessment if `actor` may see it (write: change its answers); AssessmentNotFound otherwise."""
    with services.store.session() as db:
        record = assessment_for(db, actor, assessment_id, write=write)
    if record is None:
        raise AssessmentNotFound(assessment_id)
    return record


def plans_for(
    services: Services,
    answers: dict[str, Any],
    languages: tuple[Language, ...] = ("en", "sv"),
    *,
    strict: bool = False,
) -> Planned:
    """The plan per language, made with the running rulebook, and the rulebook's version.

    None for incomplete answers, and for answers whose rollout would run past the ceiling on
    months (a draft keeps its answers; `plan_problems` says why) unless `strict`, which raises
    RolloutTooLong instead.
    """
    assessment = valid(answers)
    with services.engine.version() as compiled:
        version = compiled.rulebook.version
        if assessment is None:
            return None, version
        try:
            return {
                language: build_plan(
                    assessment, compiled, language, max_months=services.settings.max_rollout_months
                ).model_dump(mode="json")
                for language in languages
            }, version
        except RolloutTooLong:
            if strict:
                raise
            return None, version


def plan_problems(services: Services, answers: dict[str, Any], language: Language) -> dict[str, str]:
    """Why a set of answers has no plan, by path: the questionnaire's problems, else the planner's."""
    found = problems(answers, language)
    if found:
        return found
    try:
        plans_for(services, answers, (language,), strict=True)
    except RolloutTooLong as exc:
        return {problem.path: problem.message for problem in exc.problems}
    return {}


def stored_plan(plans: dict[str, Any] | None, language: str) -> Plan | None:
    """The plan kept for `language` in a version's (or an assessment's) plans, if there is one."""
    if not plans or language not in plans:
        return None
    return Plan.model_validate(plans[language])


def commit(
    services: Services,
    author: User,
    assessment_id: int,
    answers: dict[str, Any],
    kind: VersionKind,
    expected_revision: int | None,
    *,
    title: str | None = None,
    strict: bool = False,
    event: ReviewAction | None = None,
    event_text: str | None = None,
    event_target: str | None = None,
) -> AssessmentVersion:
    """Save answers as the assessment's newest version, with their plans.

    `expected_revision` is the revision the change was made on (None: on whatever is current, for
    a change that does not depend on the answers it replaces). StaleRevision if the assessment
    moved on meanwhile: checked cheaply before the (slow) plans are made, then atomically with the
    write. `strict`: RolloutTooLong rather than a version without a plan. `event`: a review
    event recorded with the version, in the same transaction; its text `event_text` (by default
    the new rulebook version) and what it is about `event_target`.
    """
    store = services.store
    with store.session() as db:
        check_revision(db, assessment_id, expected_revision)
    plans, rulebook_version = plans_for(services, answers, strict=strict)
    with store.session() as db:
        version = add_version(
            db,
            assessment_id,
            author,
            answers,
            kind,
            plans,
            rulebook_version if plans else None,
            expected_revision=expected_revision,
            title=title,
        )
        if event is not None:
            record = db.get(AssessmentRecord, assessment_id)  # claimed and locked by add_version
            assert record is not None  # noqa: S101 - add_version raised StaleRevision otherwise
            text = version.rulebook_version if event_text is None else event_text
            record_event(db, record, author, event, text=text, target=event_target)
        reopened = db.scalar(  # a change after a sign-off reopens the review (add_version)
            select(ReviewEvent.id).where(
                ReviewEvent.assessment_id == assessment_id,
                ReviewEvent.action == ReviewAction.REOPENED,
                ReviewEvent.version_number == version.number,
            )
        )
    if reopened is not None:
        log_event(
            log, "review.reopened", assessment_id=assessment_id, version=version.number, user_id=author.id
        )
    return version


def create(
    services: Services,
    owner: User,
    title: str,
    answers: dict[str, Any],
    kind: VersionKind,
    step: str,
    *,
    strict: bool = False,
) -> int:
    """A new assessment of `owner` with its first version, in one transaction; its id.

    `strict`: RolloutTooLong, and nothing saved, rather than a version without a plan."""
    plans, rulebook_version = plans_for(services, answers, strict=strict)
    with services.store.session() as db:
        record = AssessmentRecord(owner_id=owner.id, title=title, answers=answers, step=step)
        db.add(record)
        db.flush()
        add_version(db, record.id, owner, answers, kind, plans, rulebook_version if plans else None)
        return record.id


def new_draft(services: Services, owner: User, title: str, language: Language) -> int:
    """A new, empty assessment of `owner`, to be answered step by step from the organisation on;
    its plan will speak the language it was started in. Its id."""
    draft = empty_draft(title)
    draft["organisation"]["language"] = language
    return create(services, owner, title, draft, VersionKind.EDIT, "organisation")


def import_document(
    services: Services, owner: User, content: bytes, filename: str, language: Language
) -> tuple[int, str]:
    """A new assessment from an assessment file (YAML or JSON), kept exactly as written; its id
    and the organisation's name. InputError, and nothing saved, for a file that does not validate."""
    data = load_document(content, filename, language)
    assessment = parse_assessment(data, filename, language)
    name = assessment.organisation.name
    return create(services, owner, name, data, VersionKind.IMPORT, "groups"), name


# The guide's example organisation, as the rulebook's scenario that reproduces the guide's table
# holds it (the rulebook ships with every installation; examples/contoso.yaml is the same file).
EXAMPLE_SCENARIO = "contoso-guide-example.yaml"


def start_from_example(services: Services, owner: User, title: str) -> int:
    """A new assessment of `owner` holding the guide's example organisation, to change at will;
    its id. `title` names it (the caller's language)."""
    scenario = load_scenario(services.settings.rules_dir / "scenarios" / EXAMPLE_SCENARIO)
    return create(
        services, owner, title[:200], copy.deepcopy(scenario.assessment), VersionKind.COPY, "groups"
    )


def duplicate(services: Services, actor: User, assessment_id: int, title_of: Callable[[str], str]) -> int:
    """A copy of an assessment `actor` may see, owned by `actor`, at the step it was at; its id.
    `title_of` names the copy from the original's title (the caller's language)."""
    original = visible(services, actor, assessment_id)
    title = title_of(original.title)[:200]
    return create(services, actor, title, copy.deepcopy(original.answers), VersionKind.COPY, original.step)


def rename(
    services: Services, actor: User, assessment_id: int, title: str, expected_revision: int | None
) -> None:
    """A new title by its author, on the revision they saw (StaleRevision otherwise);
    AssessmentNotFound for anyone else. The caller has checked the title (not blank, no control
    characters, at most 200 characters)."""
    visible(services, actor, assessment_id, write=True)
    with services.store.session() as db:
        rename_assessment(db, assessment_id, title, expected_revision)


def delete(services: Services, actor: User, assessment_id: int, expected_revision: int | None) -> None:
    """The assessment deleted by its author, on the revision they saw (None: whatever is current);
    StaleRevision if it changed or went meanwhile, AssessmentNotFound for anyone else."""
    visible(services, actor, assessment_id, write=True)
    with services.store.session() as db:
        delete_assessment(db, assessment_id, expected_revision)


def resume_at(services: Services, actor: User, assessment_id: int, step: str) -> None:
    """Where the author was (organisation, groups, group:N, plan), so that they resume there; a
    place, not a change: no revision, no version, and nothing for anyone but the author."""
    with services.store.session() as db:
        stored = db.get(AssessmentRecord, assessment_id)
        if stored is not None and stored.owner_id == actor.id and stored.step != step:
            stored.step = step[:32]
