"""The messages to the users of an assessment: their drafts in a language, and the organisation's
own wording of one, saved as a new version of the answers (or taken back to the draft).

A message's wording changes neither the answers the plan is made from nor the plan: the version
keeps the plan it had (made with the rulebook it was made with), and a signed-off review stays
signed off."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from advisor.model.errors import AdvisorError
from advisor.model.facts import KNOWN_FIELDS, Assessment, MessageEdit
from advisor.model.i18n import gettext
from advisor.model.messages import describe_errors
from advisor.model.plan import Plan
from advisor.model.questionnaire import valid
from advisor.model.vocabulary import Language
from advisor.output.drafts import Draft, Key, drafts, edit_key, orphaned
from advisor.services.assessments import stored_plan, visible
from advisor.services.runtime import Services
from advisor.store.assessments import add_version
from advisor.store.tables import AssessmentRecord, AssessmentVersion, User, VersionKind

# The most edited messages an assessment holds (the contract's bound on `messages`).
MAX_EDITS = next(
    m.max_length for m in Assessment.model_fields["messages"].metadata if hasattr(m, "max_length")
)


class MessageInvalid(AdvisorError):
    """The wording was refused: what is wrong with the subject and the body, by field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {text}" for field, text in problems.items()))
        self.problems = problems


class NoSuchMessage(AdvisorError):
    """The plan has no such message: no such group in that phase, or no plan at all."""


@dataclass(frozen=True)
class Messages:
    """An assessment's messages in one language: the drafts, and wording that no draft uses."""

    record: AssessmentRecord
    plan: Plan | None
    drafts: list[Draft]
    orphans: list[MessageEdit]


def messages_of(record: AssessmentRecord, language: Language) -> Messages:
    """The drafts of an assessment the caller may see, in `language` (none without a plan)."""
    plan = stored_plan(record.plan, language)
    assessment = valid(record.answers)
    if plan is None or assessment is None:
        return Messages(record, None, [], [])
    return Messages(record, plan, drafts(plan, assessment, language), orphaned(plan, assessment))


def message_drafts(services: Services, actor: User, assessment_id: int, language: Language) -> Messages:
    """The drafts of an assessment `actor` may see; AssessmentNotFound otherwise."""
    return messages_of(visible(services, actor, assessment_id), language)


def find(found: Messages, key: Key) -> Draft:
    for draft in found.drafts:
        if (draft.group, draft.phase, draft.number, draft.kind, draft.language) == key:
            return draft
    raise NoSuchMessage(f"the plan has no {key[3]} message for {key[0]} in {key[1]} {key[2] or ''}".strip())


def checked(key: Key, subject: str, body: str, language: Language) -> MessageEdit:
    """The wording as an edit, or MessageInvalid saying, in `language`, what is wrong with it."""
    group, phase, number, kind, lang = key
    data = {
        "group": group,
        "phase": {"phase": phase, "number": number},
        "kind": kind,
        "language": lang,
        "subject": subject,
        "body": body.replace("\r\n", "\n"),
    }
    try:
        return MessageEdit.model_validate(data)
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for problem in describe_errors(exc.errors(include_url=False), language, KNOWN_FIELDS):
            field = "subject" if problem.path.endswith("subject") else "body"
            problems.setdefault(field, problem.message)
        raise MessageInvalid(problems) from None


def _write(
    services: Services,
    actor: User,
    assessment_id: int,
    key: Key,
    edit: MessageEdit | None,
    expected_revision: int | None,
) -> AssessmentVersion | None:
    record = visible(services, actor, assessment_id, write=True)
    find(messages_of(record, key[4]), key)  # NoSuchMessage for a message the plan does not have
    stored = record.answers.get("messages") or []
    kept = [m for m in stored if _key_of(m) != key]
    wanted = kept + ([edit.model_dump(mode="json")] if edit is not None else [])
    if len(wanted) > MAX_EDITS:  # the contract's bound: one more would leave no valid answers
        raise MessageInvalid(
            {
                "body": gettext(
                    "At most %(count)s messages may be edited; take one back first.", key[4], count=MAX_EDITS
                )
            }
        )
    if wanted == stored:
        return None  # the same wording again, or nothing to take back: no new version
    answers: dict[str, Any] = copy.deepcopy(record.answers)
    answers["messages"] = wanted
    if not wanted:
        del answers["messages"]
    with services.store.session() as db:
        # The plan of these answers is the one they have: the wording does not change it.
        return add_version(
            db,
            assessment_id,
            actor,
            answers,
            VersionKind.MESSAGES,
            record.plan,
            record.rulebook_version,
            expected_revision=expected_revision,
        )


def _key_of(stored: Any) -> Key | None:
    try:
        return edit_key(MessageEdit.model_validate(stored))
    except ValidationError:
        return None


def save_message(
    services: Services,
    actor: User,
    assessment_id: int,
    key: Key,
    subject: str,
    body: str,
    expected_revision: int | None,
    language: Language,
) -> AssessmentVersion | None:
    """The organisation's wording of one message, saved by who may change the answers, on the
    revision they saw: MessageInvalid (in `language`, the reader's), NoSuchMessage, StaleRevision,
    AssessmentNotFound. None when the wording is the one already saved (nothing is written)."""
    visible(services, actor, assessment_id, write=True)
    edit = checked(key, subject, body, language)
    return _write(services, actor, assessment_id, key, edit, expected_revision)


def reset_message(
    services: Services, actor: User, assessment_id: int, key: Key, expected_revision: int | None
) -> AssessmentVersion | None:
    """The message back to its draft: a new version without the organisation's wording (None when
    it had none, and nothing is written)."""
    return _write(services, actor, assessment_id, key, None, expected_revision)
