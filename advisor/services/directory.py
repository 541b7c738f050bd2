"""Groups proposed from the organisation's own exports (Entra ID users, Intune devices), as a
respondent imports, previews, edits and applies them.

An upload is read as a stream and only its aggregates are kept: the proposal waits for its
preview (one per assessment; nothing in the assessment changes), the respondent merges, splits,
renames and excludes groups and confirms the executives, and applying it writes the answers as
one new version (kind `directory`) with a review event, in one transaction: counted fields
updated, every other answer kept, new groups' discussion points left for the respondent. No
address, name or other value of a row reaches the database, a log line or an error message: the
rows are dropped as they are counted. Rights are those of editing the assessment (its author).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, BinaryIO, TypeVar

from pydantic import TypeAdapter, ValidationError

from advisor.directory.aggregate import propose
from advisor.directory.columns import FIELDS as COLUMN_FIELDS
from advisor.directory.columns import ColumnMapping, normalise
from advisor.directory.edits import (
    Changes,
    Edit,
    EditRefused,
    Exclude,
    FieldChange,
    apply_edits,
    assessment_groups,
    merge_answers,
)
from advisor.directory.errors import KINDS, Kind, MissingColumns
from advisor.directory.groups import to_group_answers
from advisor.directory.proposal import Proposal, ProposedGroup
from advisor.directory.reading import read_devices, read_users
from advisor.directory.settings import DirectorySettings
from advisor.model.errors import AdvisorError, InputError, Problem
from advisor.model.i18n import N_, gettext
from advisor.model.questionnaire import GROUP, asked
from advisor.model.vocabulary import Language, term
from advisor.services.assessments import plans_for, visible
from advisor.services.logs import event as log_event
from advisor.services.runtime import Services
from advisor.store import directory as store
from advisor.store.assessments import add_version, check_revision
from advisor.store.reviews import record_event
from advisor.store.tables import AssessmentRecord, ReviewAction, User, VersionKind

log = logging.getLogger("advisor.directory")
T = TypeVar("T")
EDIT: TypeAdapter[Edit] = TypeAdapter(Edit)

MAX_EDITS = 200  # edits on one preview: each is replayed on every look at it
MAX_PATTERNS = 50  # patterns a person may type for the IT department or the executives
MAX_PATTERN = 200  # characters in one


class NothingPending(AdvisorError):
    """No proposal waits for the assessment's preview (none uploaded, or applied or discarded)."""

    def __init__(self, assessment_id: int) -> None:
        super().__init__(f"no import waits for the preview of assessment {assessment_id}")


class StaleProposal(AdvisorError):
    """An edit or an apply made on a page of a proposal that no longer waits as it was shown:
    another upload replaced it, or it was edited meanwhile (another tab). Nothing changed."""

    def __init__(self, assessment_id: int) -> None:
        super().__init__(f"the import waiting for assessment {assessment_id} changed since it was shown")


@dataclass(frozen=True)
class Patterns:
    """What the respondent typed over the rulebook's patterns (None: the rulebook's own)."""

    it_department: tuple[str, ...] | None = None
    executive_titles: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Upload:
    """The files of one import, as streams read once (never kept): the users export, required,
    and the devices export, optional; with the names they were sent under (shown in errors)."""

    users: BinaryIO
    devices: BinaryIO | None = None
    users_name: str | None = None
    devices_name: str | None = None


@dataclass(frozen=True)
class Preview:
    """A waiting proposal as the respondent sees it: the groups after their edits so far, each
    with the answers it would give (format 1), and what applying it would change."""

    proposal: Proposal
    edits: list[dict[str, Any]]
    groups: list[ProposedGroup]
    answers: dict[str, dict[str, Any]]  # by proposed group id: users, devices, platforms, ...
    changes: Changes  # what applying it would change in the assessment's groups
    created_at: datetime
    token: str  # names the proposal as shown: an edit or apply must send it back
    excluded: list[ProposedGroup] = field(default_factory=list)


class PatternsRefused(InputError):
    """Patterns typed for the IT department or the executives that cannot be used."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("patterns", problems)


def settings_for(services: Services, patterns: Patterns | None = None) -> DirectorySettings:
    """The rulebook's import settings, with the respondent's patterns over them;
    PatternsRefused for patterns that cannot be used."""
    overrides = {}
    if patterns is not None:
        overrides = {"it_patterns": patterns.it_department, "executive_patterns": patterns.executive_titles}
    try:
        return DirectorySettings.from_rulebook(services.engine.rulebook, **overrides)
    except ValidationError as exc:
        names = {"it_patterns": "it_department", "executive_patterns": "executive_titles"}
        raise PatternsRefused(
            [
                Problem(names.get(str(e["loc"][0]), str(e["loc"][0])), e["msg"])
                for e in exc.errors(include_url=False)
            ]
        ) from None


class MappingRefused(InputError):
    """A header given for a field that looks like a value of a row (an address), not a header:
    refused, never remembered (problems by `map-<kind>-<field>`, never the value)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("mapping", problems)


def mapped_columns(value: Callable[[str], str | None]) -> dict[Kind, dict[str, str]]:
    """The columns a person mapped, from the fields `map-<kind>-<field>` of a form or a query
    (`value` reads one): the header chosen for each field, trimmed, at most 200 characters."""
    mapping: dict[Kind, dict[str, str]] = {kind: {} for kind in KINDS}
    for kind in KINDS:
        for name in COLUMN_FIELDS[kind]:
            chosen = (value(f"map-{kind}-{name}") or "").strip()
            if chosen:
                mapping[kind][name] = chosen[:200]
    return mapping


def check_mapping(given: Mapping[Kind, Mapping[str, str]]) -> None:
    problems = [
        Problem(f"map-{kind}-{name}", "a header, not a value from a row (it holds an @)")
        for kind in KINDS
        for name, header in given[kind].items()
        if "@" in header
    ]
    if problems:
        raise MappingRefused(problems)


def to_remember(given: Mapping[str, str], headers: Sequence[str]) -> dict[str, str]:
    """The mapped headers the file has on its header line (as the reader matches them); anything
    else sent for a field (a value, a header of another file) is not remembered."""
    found = {normalise(h) for h in headers if h.strip()}
    return {name: header for name, header in given.items() if normalise(header) in found}


class ColumnsToMap(AdvisorError):
    """Columns the import needs are named otherwise in one file or both: the respondent maps them
    (each MissingColumns says which fields, and the headers the file has)."""

    def __init__(self, missing: list[MissingColumns]) -> None:
        super().__init__("; ".join(str(m) for m in missing))
        self.missing = missing


def remembered(services: Services, actor: User) -> dict[Kind, dict[str, str]]:
    """The columns `actor` mapped before, per kind of export."""
    with services.store.session() as db:
        return {kind: store.remembered_mapping(db, actor.id, kind) for kind in KINDS}


def import_exports(
    services: Services,
    actor: User,
    assessment_id: int,
    upload: Upload,
    *,
    patterns: Patterns | None = None,
    mapping: Mapping[Kind, Mapping[str, str]] | None = None,
    language: Language = "en",
) -> Proposal:
    """Read the exports and keep the groups they propose for the preview, replacing any proposal
    waiting; nothing in the assessment changes. `mapping`: columns the respondent mapped now
    (over the ones they mapped before), remembered once the import succeeds. ColumnsToMap (the
    columns of both files at once), FileRefused or PatternsRefused, and nothing kept, for files
    or patterns that cannot be used."""
    visible(services, actor, assessment_id, write=True)
    settings = settings_for(services, patterns)
    given = {kind: {k: v for k, v in (mapping or {}).get(kind, {}).items() if v} for kind in KINDS}
    check_mapping(given)
    before = remembered(services, actor)
    columns = ColumnMapping(**{kind: {**before[kind], **given[kind]} for kind in KINDS})
    missing: list[MissingColumns] = []
    headers: dict[Kind, list[str]] = {kind: [] for kind in KINDS}
    users = _started(
        read_users(upload.users, columns, source=upload.users_name, headers=headers["users"]), missing
    )
    devices = None
    if upload.devices is not None:
        devices = _started(
            read_devices(upload.devices, columns, source=upload.devices_name, headers=headers["devices"]),
            missing,
        )
    if missing:
        raise ColumnsToMap(missing)
    proposal = propose(users, devices, settings=settings, language=language)
    with services.store.session() as db:
        store.save_pending(db, assessment_id, actor.id, proposal.model_dump(mode="json"))
        for kind in KINDS:
            kept = to_remember(given[kind], headers[kind])
            if kept:
                store.remember_mapping(db, actor.id, kind, kept)
    report = proposal.report
    log_event(
        log,
        "directory.proposed",
        assessment_id=assessment_id,
        user_id=actor.id,
        users_read=report.users_read,
        devices_read=report.devices_read,
        groups=len(proposal.groups),
    )
    return proposal


def _started(rows: Iterator[T], missing: list[MissingColumns]) -> Iterator[T]:
    """The rows with their header line read (and the first row), so that the columns of both
    files are checked before either is counted; a file whose columns are missing is noted in
    `missing` (any other refusal is raised)."""
    try:
        first = next(rows)
    except StopIteration:
        return iter(())
    except MissingColumns as exc:
        missing.append(exc)
        return iter(())
    return itertools.chain([first], rows)


@dataclass(frozen=True)
class _Waiting:
    proposal: Proposal
    edits: list[dict[str, Any]]
    created_at: datetime
    token: str


def max_age(services: Services) -> timedelta:
    """How long a proposal waits for its preview before it is deleted."""
    return timedelta(days=services.settings.import_pending_days)


def _pending(services: Services, assessment_id: int, token: str | None = None) -> _Waiting:
    """The waiting proposal; NothingPending if none waits, StaleProposal if `token` (when given)
    names another one or an earlier state of it."""
    with services.store.session() as db:  # committed: one left waiting too long is deleted
        row = store.pending(db, assessment_id, max_age(services))
        found = None if row is None else (row.proposal, list(row.edits), row.created_at, row.token)
    if found is None:
        raise NothingPending(assessment_id)
    if token is not None and found[3] != token:
        raise StaleProposal(assessment_id)
    return _Waiting(Proposal.model_validate(found[0]), found[1], found[2], found[3])


def _edits(raw: Sequence[Mapping[str, Any]]) -> list[Edit]:
    return [EDIT.validate_python(dict(item)) for item in raw]


def preview(services: Services, actor: User, assessment_id: int) -> Preview:
    """The waiting proposal with its edits so far, and what applying it would change;
    NothingPending if none waits."""
    record = visible(services, actor, assessment_id, write=True)
    return _preview(record, _pending(services, assessment_id))


def _preview(record: AssessmentRecord, waiting: _Waiting) -> Preview:
    proposal, edits = waiting.proposal, waiting.edits
    made = _edits(edits)
    groups = apply_edits(proposal, made)
    excluded = [
        next(g for g in apply_edits(proposal, made[:index]) if g.id == change.group)
        for index, change in enumerate(made)
        if isinstance(change, Exclude)
    ]
    answers = {g.id: group_answers(proposal, g) for g in [*groups, *excluded]}
    _merged, changes = merge_answers(
        record.answers, assessment_groups(proposal, groups), has_devices=proposal.has_devices
    )
    return Preview(
        proposal=proposal,
        edits=edits,
        groups=groups,
        answers=answers,
        changes=changes,
        created_at=waiting.created_at,
        token=waiting.token,
        excluded=excluded,
    )


def group_answers(proposal: Proposal, group: ProposedGroup) -> dict[str, Any]:
    """The answers (format 1) a proposed group gives, as counted."""
    return to_group_answers(
        group, proposal.cells, has_devices=proposal.has_devices, language=proposal.language
    )


class TooManyEdits(AdvisorError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a preview takes at most {limit} edits; discard it and import again")
        self.limit = limit


class NotExcluded(InputError):
    """A group taken back that was not left out."""

    def __init__(self, group: str) -> None:
        self.group = group
        super().__init__("edits", [Problem("group", f"group {group} was not left out")])


def edit(
    services: Services, actor: User, assessment_id: int, change: Mapping[str, Any], token: str
) -> Preview:
    """One more edit on the preview (merge, split, rename, exclude, executives), or an exclusion
    taken back (`{"op": "include", "group": id}`), made on the proposal as `token` names it:
    EditRefused (ValidationError for a malformed one), and nothing kept, for an edit that cannot
    be made; NothingPending if no proposal waits; StaleProposal if another upload or another edit
    came between (the edits of two tabs never overwrite each other)."""
    return edit_many(services, actor, assessment_id, [change], token)


def edit_many(
    services: Services, actor: User, assessment_id: int, changes: Sequence[Mapping[str, Any]], token: str
) -> Preview:
    """Edits made on the preview in order, all or none (as `edit` makes one); the preview after
    them, with its new token. An EditRefused's index counts the edits kept before these."""
    record = visible(services, actor, assessment_id, write=True)
    waiting = _pending(services, assessment_id, token)
    edits = waiting.edits
    for change in changes:
        if change.get("op") == "include":
            group = str(change.get("group", ""))
            found = [i for i, e in enumerate(edits) if e.get("op") == "exclude" and e.get("group") == group]
            if not found:
                raise NotExcluded(group)
            edits = [e for i, e in enumerate(edits) if i != found[-1]]
        else:
            if len(edits) >= MAX_EDITS:
                raise TooManyEdits(MAX_EDITS)
            made = EDIT.validate_python(dict(change))  # ValidationError for a malformed one
            edits = [*edits, made.model_dump(mode="json")]
    result = _preview(record, _Waiting(waiting.proposal, edits, waiting.created_at, token))  # EditRefused
    with services.store.session() as db:
        new_token = store.set_edits(db, assessment_id, token, edits)
        if new_token is None:
            raise StaleProposal(assessment_id)
    return dataclasses.replace(result, token=new_token)


def edit_message(exc: InputError, language: Language) -> str:
    """Why an edit was refused, as a sentence in `language`."""
    if isinstance(exc, EditRefused):
        return exc.say(language)
    if isinstance(exc, NotExcluded):
        return gettext("group %(group)s was not left out", language, group=exc.group)
    return "; ".join(p.message for p in exc.problems)


def waiting(services: Services, actor: User, assessment_id: int) -> bool:
    """Whether a proposal waits for the assessment's preview."""
    visible(services, actor, assessment_id, write=True)
    with services.store.session() as db:
        return store.pending(db, assessment_id, max_age(services)) is not None


def discard(services: Services, actor: User, assessment_id: int, token: str | None = None) -> bool:
    """Drop the waiting proposal (only the one `token` names, when given); whether it was there."""
    visible(services, actor, assessment_id, write=True)
    with services.store.session() as db:
        return store.drop_pending(db, assessment_id, token)


def apply(
    services: Services,
    actor: User,
    assessment_id: int,
    expected_revision: int | None,
    edits: Sequence[Mapping[str, Any]] = (),
    *,
    token: str,
) -> tuple[int, Changes]:
    """Write the preview's groups (after `edits` more, not kept if anything fails) into the
    answers: the counted fields of the groups already there (matched by id, name or department)
    updated, every other answer kept, new groups added with the discussion points no data answers
    left for the respondent, groups no longer in the data kept. One transaction: the new version
    (kind `directory`), its review event and the proposal's deletion. The version's number and
    what changed. StaleRevision if the assessment moved on since `expected_revision`;
    NothingPending if no proposal waits; StaleProposal if the one waiting is not the one `token`
    names as it was shown (another upload, another edit); EditRefused or ValidationError for an
    edit."""
    record = visible(services, actor, assessment_id, write=True)
    waiting = _pending(services, assessment_id, token)
    proposal, kept = waiting.proposal, waiting.edits
    groups = apply_edits(proposal, [*_edits(kept), *_edits(edits)])
    merged, changes = merge_answers(
        record.answers, assessment_groups(proposal, groups), has_devices=proposal.has_devices
    )
    answers = leave_points_open(record.answers, {**copy.deepcopy(record.answers), "groups": merged})
    revision = record.revision if expected_revision is None else expected_revision
    with services.store.session() as db:
        check_revision(db, assessment_id, revision)
    plans, rulebook_version = plans_for(services, answers)
    with services.store.session() as db:
        version = add_version(
            db,
            assessment_id,
            actor,
            answers,
            VersionKind.DIRECTORY,
            plans,
            rulebook_version if plans else None,
            expected_revision=revision,
        )
        if not store.drop_pending(db, assessment_id, token):
            raise StaleProposal(assessment_id)  # replaced, edited or gone meanwhile: all rolled back
        current = db.get(AssessmentRecord, assessment_id)
        assert current is not None  # noqa: S101 - claimed and locked by add_version
        record_event(db, current, actor, ReviewAction.GROUPS_IMPORTED, text=summary(changes))
        number = version.number
    log_event(
        log,
        "directory.applied",
        assessment_id=assessment_id,
        version=number,
        user_id=actor.id,
        groups=len(merged),
        changed=len(changes.changed),
        added=len(changes.added),
        not_in_data=len(changes.not_in_data),
    )
    return number, changes


def leave_points_open(before: Mapping[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """A group the import adds has not answered the discussion points no data can answer
    (willingness to change, feedback, help needed, business risk): each choice the questionnaire
    makes a person make is left unmade (null), so the group asks for it and no plan takes a
    default for an answer."""
    known = {g.get("id") for g in before.get("groups") or [] if isinstance(g, Mapping)}
    for group in after.get("groups") or []:
        if group.get("id") in known:
            continue
        for question in GROUP:
            if question.explicit and asked(question, group):
                group.setdefault(question.name, None)
    return after


def summary(changes: Changes) -> str:
    """What applying changed, for the review log: counts only (English, as the log's texts are)."""
    groups = len({c.group for c in changes.changed})
    return (
        f"{groups} groups recounted, {len(changes.added)} added, "
        f"{len(changes.not_in_data)} no longer in the data (kept)"
    )


def change_lines(changes: Changes, language: Language) -> list[str]:
    """What applying changes (or changed), a sentence per group, in `language`."""
    lines: list[str] = []
    by_group: dict[str, list[FieldChange]] = {}
    for change in changes.changed:
        by_group.setdefault(change.name, []).append(change)
    for name, fields in by_group.items():
        said = ", ".join(
            gettext(
                "%(field)s %(old)s → %(new)s",
                language,
                field=field_word(c.field, language),
                old=_shown(c.old, language),
                new=_shown(c.new, language),
            )
            for c in fields
        )
        lines.append(gettext("%(group)s: %(changes)s", language, group=name, changes=said))
    if changes.added:
        lines.append(
            gettext(
                "New groups, whose discussion points are yet to be answered: %(groups)s",
                language,
                groups=", ".join(changes.added),
            )
        )
    if changes.not_in_data:
        lines.append(
            gettext(
                "No longer in the data, kept as they were: %(groups)s",
                language,
                groups=", ".join(changes.not_in_data),
            )
        )
    return lines


_FIELDS = {
    "users": N_("users"),
    "locations": N_("sites"),
    "users_by_location": N_("users per site"),
    "devices": N_("devices"),
    "platforms": N_("platforms"),
    "devices_by_platform": N_("devices per platform"),
    "ownership": N_("ownership"),
    "personal_percent": N_("personal share (%)"),
}


def field_word(field: str, language: Language) -> str:
    return gettext(_FIELDS[field], language) if field in _FIELDS else field


def _shown(value: Any, language: Language) -> str:
    if value is None:
        return "–"
    if isinstance(value, Mapping):
        return ", ".join(f"{term(str(k), language)} {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(term(str(v), language) for v in value)
    return term(value, language) if isinstance(value, str) else str(value)
