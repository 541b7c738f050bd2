"""The database's tables, and the enums their status, action and kind columns hold."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, defer, mapped_column
from sqlalchemy.types import TypeDecorator

MAX_ID = 2**31 - 1  # ids and revisions are 32-bit columns on every database we support


class Role(StrEnum):
    RESPONDENT = "respondent"
    REVIEWER = "reviewer"
    ADMIN = "admin"


ROLES: tuple[Role, ...] = tuple(Role)


class ReviewStatus(StrEnum):
    """Where an assessment's review stands: draft → in_review → changes_requested | signed_off;
    a change after sign-off reopens it (in_review)."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    SIGNED_OFF = "signed_off"


class ReviewAction(StrEnum):
    """What someone did in a review."""

    SUBMITTED = "submitted"
    COMMENTED = "commented"
    REPLIED = "replied"
    SENT_BACK = "sent_back"
    SIGNED_OFF = "signed_off"
    REOPENED = "reopened"
    REPLANNED = "replanned"
    GATE_DECIDED = "gate_decided"  # a go/no-go decision recorded at a gate of the rollout
    GROUPS_IMPORTED = "groups_imported"  # groups counted from the organisation's exports applied


class VersionKind(StrEnum):
    """How a version of the answers came to be."""

    EDIT = "edit"
    IMPORT = "import"
    WHATIF = "whatif"
    REPLAN = "replan"
    COPY = "copy"
    GATE = "gate"  # a go/no-go decision recorded: the rollout under way, not a change of its plan
    MESSAGES = "messages"  # the messages to the users edited; the plan stays as it was
    DIRECTORY = "directory"  # groups counted from the organisation's exports (Entra ID, Intune)


class AuditAction(StrEnum):
    """What an admin did, as the audit log names it."""

    RULES_SAVE = "rules.save"
    RULES_IMPORT = "rules.import"  # a rule folder imported whole (`advisor rules import DIR`)
    SCENARIO_SAVE = "scenarios.save"  # a scenario file saved, or its expected outcome accepted
    PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an action's name, not a password


class JobStatus(StrEnum):
    """Where a job stands: queued → running → done | failed | cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """An enum kept as its text: a value outside the enum is refused on write, and reads come
    back as members (no database constraint, so adding a member needs no migration)."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> E | None:
        return None if value is None else self.enum(value)


def now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back aware, in UTC: SQLite returns naive datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(EnumText(Role, 16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(2), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    # Kept in each session cookie at login; a logout or a password change bumps it, which ends
    # every session of the user at once (a captured cookie included).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AssessmentRecord(Base):
    __tablename__ = "assessments"
    # One index per order the list pages in (keyset: the sort key, then the id), and the owner's
    # and a status's own lists in their default order (see advisor/store/listing.py); the last
    # also holds the owner, so that what waits on a reviewer is counted from the index alone.
    __table_args__ = (
        Index("ix_assessments_updated", "updated_at", "id"),
        Index("ix_assessments_created", "created_at", "id"),
        Index("ix_assessments_title", "search_text", "id"),
        Index("ix_assessments_owner_updated", "owner_id", "updated_at", "id"),
        Index("ix_assessments_status_updated", "status", "updated_at", "id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # The answers as entered, in the assessment file's shape; may be incomplete (a draft).
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Where the person was, so that they resume there: organisation, groups, group:N, plan.
    step: Mapped[str] = mapped_column(String(32), default="organisation")
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    rulebook_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[ReviewStatus] = mapped_column(
        EnumText(ReviewStatus, 20), default=ReviewStatus.DRAFT, server_default="draft"
    )
    signed_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    # The organisation's name as the answers give it ("" while unanswered), and what the list's
    # search looks in and its title order sorts by (the title, then that name, case-folded): both
    # kept in step with the title and the answers by every write (store.assessments), so that a
    # list never reads the answers.
    organisation: Mapped[str] = mapped_column(String(200), default="", server_default="")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")


class AssessmentVersion(Base):
    """One saved state of an assessment: never changed once written."""

    __tablename__ = "assessment_versions"
    __table_args__ = (UniqueConstraint("assessment_id", "number", name="uq_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[VersionKind] = mapped_column(EnumText(VersionKind, 16))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The plan made from these answers, per language ({"en": plan, "sv": plan}); None if invalid.
    plans: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    rulebook_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ReviewEvent(Base):
    """Who did what in a review (a ReviewAction), and when."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[ReviewAction] = mapped_column(EnumText(ReviewAction, 16))
    version_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target: Mapped[str | None] = mapped_column(String(200), nullable=True)  # "group:it", "group:it:rule"
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    reply_to: Mapped[int | None] = mapped_column(ForeignKey("review_events.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class RuleFileVersion(Base):
    """One saved content of a rule file, with who saved it, when and why."""

    __tablename__ = "rule_file_versions"
    __table_args__ = (UniqueConstraint("file", "number", name="uq_rule_file_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file: Mapped[str] = mapped_column(String(80))
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    message: Mapped[str] = mapped_column(String(500))
    rulebook_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class RuleFile(Base):
    """The current content of one file of the running rulebook, named as people name it: a rule
    file "calendar.yaml", a scenario "scenarios/x.yaml". The rulebook's source of truth."""

    __tablename__ = "rule_files"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class RulebookHead(Base):
    """The one row every change of the rulebook's files bumps: each process polls it to adopt a
    new version, and a save commits only if it is still the head the save was checked on."""

    __tablename__ = "rulebook_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    serial: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class AuditEntry(Base):
    """Who did what in the admin area, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[AuditAction] = mapped_column(EnumText(AuditAction, 32))
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ApiToken(Base):
    """A token for the JSON API; the token itself is shown once and only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class LoginCounter(Base):
    """Login attempts for one key (an account or an address) in a window that opens with the first.

    One row per key, counted by a single upsert, so parallel attempts can never all see a count
    under the limit.
    """

    __tablename__ = "login_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    started: Mapped[int] = mapped_column(BigInteger, index=True)  # the window's start, Unix seconds
    attempts: Mapped[int] = mapped_column(Integer)


# Lists and counts never load the answers or the plans they do not show: a saved plan may be large.
# Touching a deferred column afterwards raises instead of quietly loading it row by row.
SUMMARY_ONLY = (
    defer(AssessmentRecord.answers, raiseload=True),
    defer(AssessmentRecord.plan, raiseload=True),
)


class Job(Base):
    """Long work done off the request by whichever worker claims it first; everything about it
    (progress, partial result, who holds it) lives here, so any instance sees and cancels it."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[JobStatus] = mapped_column(EnumText(JobStatus, 16), default=JobStatus.QUEUED, index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The result so far: each chunk's part is added as the chunk ends, with `state` saying where
    # the next chunk starts, so a worker that takes the job over resumes there.
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The lease: the worker holding the job, and when it last said it is still at work.
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    heartbeat: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)


class DirectoryProposal(Base):
    """The groups proposed from an assessment's uploaded exports, waiting for the respondent's
        preview: aggregates only (counts per department, site, platform and ownership; never a name
        or a UPN), with the preview's edits so far. The next upload replaces it; applying or
        discarding it deletes it, and one left waiting longer than the settings' `import_pending_days`
    is deleted when next read."""

    __tablename__ = "directory_proposals"

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON)
    edits: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # New with the upload and with each edit: the preview's forms carry it, so that a form of an
    # earlier proposal (another tab, another upload) or of an earlier state of this one is stale.
    token: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ColumnMapping(Base):
    """The columns a person mapped once for a kind of export ("users", "devices"): field code →
    the header their files give it, remembered for their next upload. Headers are not personal."""

    __tablename__ = "column_mappings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ProgressSnapshot(Base):
    """One upload of the Intune device export measured against the plan: the figures only (the
    Progress JSON: counts per phase, group and gate), never the files or anything from a row."""

    __tablename__ = "progress_snapshots"
    __table_args__ = (Index("ix_progress_snapshots_assessment", "assessment_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # The version of the answers whose plan it was measured against, and that plan's rulebook.
    version_number: Mapped[int] = mapped_column(Integer)
    rulebook_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    measured_on: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD: the day enrollment is judged
    progress: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
