"""Saved assessments and accounts in SQLAlchemy: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import copy
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, defer, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from advisor.settings import private_sqlite_file

ROLES = ("respondent", "reviewer", "admin")


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
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(2), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    # Kept in each session cookie at login; a logout or a password change bumps it, which ends
    # every session of the user at once (a captured cookie included).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AssessmentRecord(Base):
    __tablename__ = "assessments"

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
    # draft → in_review → changes_requested | signed_off; a change after sign-off reopens it.
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    signed_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class AssessmentVersion(Base):
    """One saved state of an assessment: never changed once written."""

    __tablename__ = "assessment_versions"
    __table_args__ = (UniqueConstraint("assessment_id", "number", name="uq_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # edit, import, whatif, replan, copy
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The plan made from these answers, per language ({"en": plan, "sv": plan}); None if invalid.
    plans: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    rulebook_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ReviewEvent(Base):
    """Who did what in a review, and when: submitted, commented, replied, sent_back, signed_off,
    reopened, replanned."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
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


class AuditEntry(Base):
    """Who did what in the admin area, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
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


class Store:
    """The database: sessions that commit whole or not at all."""

    def __init__(self, url: str) -> None:
        self.url = url
        private_sqlite_file(url)  # before the first connection creates it with the umask's mode
        self.engine: Engine = create_engine(url, future=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed if the block ends normally, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
            return True
        except Exception:
            return False

    # -- users --------------------------------------------------------------------------------
    def user_by_name(self, session: Session, username: str) -> User | None:
        return session.scalar(select(User).where(User.username == username))

    def count_users(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(User)) or 0

    # -- assessments --------------------------------------------------------------------------
    def visible_assessments(self, session: Session, user: User) -> list[AssessmentRecord]:
        query = select(AssessmentRecord).options(*SUMMARY_ONLY).order_by(AssessmentRecord.updated_at.desc())
        if user.role == "respondent":
            query = query.where(AssessmentRecord.owner_id == user.id)
        return list(session.scalars(query))

    def assessment_for(
        self, session: Session, user: User, assessment_id: int, *, write: bool = False
    ) -> AssessmentRecord | None:
        """The assessment if this user may see it (write: change it); None otherwise.

        Authors own their assessments; reviewers and admins read every one. Only the author
        changes the answers.
        """
        record = session.get(AssessmentRecord, assessment_id)
        if record is None:
            return None
        if record.owner_id == user.id:
            return record
        if not write and user.role in ("reviewer", "admin"):
            return record
        return None

    # -- login throttling ---------------------------------------------------------------------
    def count_attempt(self, session: Session, key: str, at: int, window: int) -> tuple[int, int]:
        """Count one attempt for `key` at `at` (Unix seconds) in one statement; return the attempts in
        its window so far, this one included, and when that window started.

        A window older than `window` seconds starts again at this attempt. The statement is atomic
        on SQLite (3.35+) and PostgreSQL alike: `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`.
        """
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        expired = LoginCounter.started <= at - window
        statement = (
            dialect.insert(LoginCounter)
            .values(key=key, started=at, attempts=1)
            .on_conflict_do_update(
                index_elements=[LoginCounter.key],
                set_={
                    "attempts": case((expired, 1), else_=LoginCounter.attempts + 1),
                    "started": case((expired, at), else_=LoginCounter.started),
                },
            )
            .returning(LoginCounter.attempts, LoginCounter.started)
        )
        attempts, started = session.execute(statement).one()
        return int(attempts), int(started)

    def uncount_attempt(self, session: Session, key: str, started: int) -> None:
        """Give back one attempt counted in the window that started at `started` (a right password)."""
        session.execute(
            update(LoginCounter)
            .where(LoginCounter.key == key, LoginCounter.started == started, LoginCounter.attempts > 0)
            .values(attempts=LoginCounter.attempts - 1)
        )

    def forget_attempts_before(self, session: Session, before: int, at_most: int = 500) -> None:
        """Drop up to `at_most` counters whose window is over, so guessed names do not pile up.

        Rows another login holds are skipped (PostgreSQL: FOR UPDATE SKIP LOCKED), so this never
        waits for a lock; run it in a transaction of its own, before counting.
        """
        old = (
            select(LoginCounter.key)
            .where(LoginCounter.started < before)
            .limit(at_most)
            .with_for_update(skip_locked=True)
        )
        session.execute(delete(LoginCounter).where(LoginCounter.key.in_(old.scalar_subquery())))


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA busy_timeout=30000")  # a writer waits its turn rather than failing
    cursor.close()


# -- versions and the review ----------------------------------------------------------------------


class StaleRevision(Exception):
    """The assessment changed since the revision a writer started from (None: it is gone)."""

    def __init__(self, assessment_id: int, expected: int | None, current: int | None) -> None:
        self.assessment_id, self.expected, self.current = assessment_id, expected, current
        super().__init__(
            f"assessment {assessment_id} is gone"
            if current is None
            else f"assessment {assessment_id} is at revision {current}, not {expected}"
        )


MAX_ID = 2**31 - 1  # ids and revisions are 32-bit columns on every database we support
_ASSESSMENTS = cast(Table, AssessmentRecord.__table__)


def _claim(
    session: Session, assessment_id: int, expected: int | None, *, bump: bool = True, **values: Any
) -> AssessmentRecord:
    """Check the revision and change the assessment in one statement; the record as it now is.

    `UPDATE … WHERE id = :id AND revision = :expected`: of writers starting from one revision,
    exactly one matches and the others get StaleRevision with the revision they missed. The update
    also takes the write lock (PostgreSQL: the row's, until commit; SQLite: the database's, waiting
    up to the busy timeout), so everything after it in the transaction, such as taking the next
    version number, happens one writer at a time. Make it the first write of the session: on SQLite
    the transaction then starts with the write lock rather than upgrading a read snapshot.
    """
    table = _ASSESSMENTS
    statement = update(table).where(table.c.id == assessment_id)
    if expected is not None:
        if not 1 <= expected <= MAX_ID:
            raise StaleRevision(assessment_id, expected, _revision(session, assessment_id))
        statement = statement.where(table.c.revision == expected)
    if bump:
        values |= {"revision": table.c.revision + 1, "updated_at": now()}
    else:
        values |= {"revision": table.c.revision}  # an update that changes nothing still locks
    if session.connection().execute(statement.values(**values)).rowcount != 1:
        raise StaleRevision(assessment_id, expected, _revision(session, assessment_id))
    record = session.get(AssessmentRecord, assessment_id, populate_existing=True)
    assert record is not None  # noqa: S101 - updated just now, under its lock
    return record


def _revision(session: Session, assessment_id: int) -> int | None:
    return session.scalar(select(AssessmentRecord.revision).where(AssessmentRecord.id == assessment_id))


def check_revision(session: Session, assessment_id: int, expected: int | None) -> None:
    """StaleRevision unless the assessment is at `expected` (a cheap early look, not the check
    that counts: `_claim` makes that one, atomically, when writing)."""
    current = _revision(session, assessment_id)
    if current is None or (expected is not None and current != expected):
        raise StaleRevision(assessment_id, expected, current)


def add_version(
    session: Session,
    assessment_id: int,
    author: User,
    answers: dict[str, Any],
    kind: str,
    plans: dict[str, Any] | None,
    rulebook_version: str | None,
    *,
    expected_revision: int | None = None,
    title: str | None = None,
) -> AssessmentVersion:
    """Keep the answers as a new version and make them current: the one way a version is written.

    With `expected_revision`, only if the assessment is still at that revision (StaleRevision
    otherwise); the check, the new revision and the version number are one atomic step. Compute
    the plans before: the assessment is locked from here until the session commits.
    A change after a sign-off reopens the review; the signed-off version itself stays as it was.
    """
    values: dict[str, Any] = {
        "answers": copy.deepcopy(answers),
        "plan": plans,
        "rulebook_version": rulebook_version,
    }
    if title:
        values["title"] = title
    record = _claim(session, assessment_id, expected_revision, **values)
    number = (
        session.scalar(
            select(func.max(AssessmentVersion.number)).where(AssessmentVersion.assessment_id == assessment_id)
        )
        or 0
    ) + 1
    version = AssessmentVersion(
        assessment_id=assessment_id,
        number=number,
        kind=kind,
        author_id=author.id,
        answers=copy.deepcopy(answers),
        plans=plans,
        rulebook_version=rulebook_version,
    )
    session.add(version)
    if record.status == "signed_off" and kind != "replan":
        record.status = "in_review"
        session.add(
            ReviewEvent(
                assessment_id=assessment_id,
                actor_id=author.id,
                action="reopened",
                version_number=number,
                text=None,
            )
        )
    session.flush()
    return version


def rename_assessment(
    session: Session, assessment_id: int, title: str, expected_revision: int | None
) -> None:
    """A new title, if the assessment is still at `expected_revision` (StaleRevision otherwise)."""
    _claim(session, assessment_id, expected_revision, title=title)


def delete_assessment(session: Session, assessment_id: int, expected_revision: int | None) -> None:
    """Delete the assessment, if it is still at `expected_revision` (StaleRevision otherwise)."""
    table = _ASSESSMENTS
    statement = delete(table).where(table.c.id == assessment_id)
    if expected_revision is not None:
        statement = statement.where(table.c.revision == expected_revision)
    if session.connection().execute(statement).rowcount != 1:
        raise StaleRevision(assessment_id, expected_revision, _revision(session, assessment_id))


def lock_at_revision(session: Session, assessment_id: int, expected_revision: int | None) -> AssessmentRecord:
    """The assessment locked for a change of its review status, if it is still at
    `expected_revision`: a reviewer signs off what they saw, never a newer version. The review
    status is not part of the revision, so an open questionnaire page stays current."""
    return _claim(session, assessment_id, expected_revision, bump=False)


def versions(session: Session, assessment_id: int) -> list[AssessmentVersion]:
    """Every version with its answers; the plans stay in the database (see `version`)."""
    return list(
        session.scalars(
            select(AssessmentVersion)
            .options(defer(AssessmentVersion.plans, raiseload=True))
            .where(AssessmentVersion.assessment_id == assessment_id)
            .order_by(AssessmentVersion.number)
        )
    )


def version(session: Session, assessment_id: int, number: int) -> AssessmentVersion | None:
    return session.scalar(
        select(AssessmentVersion).where(
            AssessmentVersion.assessment_id == assessment_id, AssessmentVersion.number == number
        )
    )


def latest_version(session: Session, assessment_id: int) -> AssessmentVersion | None:
    return session.scalar(
        select(AssessmentVersion)
        .where(AssessmentVersion.assessment_id == assessment_id)
        .order_by(AssessmentVersion.number.desc())
        .limit(1)
    )


def review_events(session: Session, assessment_id: int) -> list[ReviewEvent]:
    return list(
        session.scalars(
            select(ReviewEvent).where(ReviewEvent.assessment_id == assessment_id).order_by(ReviewEvent.id)
        )
    )


def record_event(
    session: Session,
    record: AssessmentRecord,
    actor: User,
    action: str,
    *,
    text: str | None = None,
    target: str | None = None,
    reply_to: int | None = None,
) -> ReviewEvent:
    latest = latest_version(session, record.id)
    event = ReviewEvent(
        assessment_id=record.id,
        actor_id=actor.id,
        action=action,
        text=text,
        target=target,
        reply_to=reply_to,
        version_number=latest.number if latest else None,
    )
    session.add(event)
    session.flush()
    return event


# -- rule files ----------------------------------------------------------------------------------


def rule_file_versions(session: Session, file: str) -> list[RuleFileVersion]:
    return list(
        session.scalars(
            select(RuleFileVersion).where(RuleFileVersion.file == file).order_by(RuleFileVersion.number)
        )
    )


def add_rule_file_version(
    session: Session, file: str, content: str, author: User | None, message: str, rulebook_version: str
) -> RuleFileVersion:
    number = (
        session.scalar(select(func.max(RuleFileVersion.number)).where(RuleFileVersion.file == file)) or 0
    ) + 1
    entry = RuleFileVersion(
        file=file,
        number=number,
        content=content,
        author_id=author.id if author else None,
        message=message[:500],
        rulebook_version=rulebook_version,
    )
    session.add(entry)
    session.flush()
    return entry


def audit(session: Session, actor: User | None, action: str, subject: str, detail: str | None = None) -> None:
    session.add(
        AuditEntry(actor_id=actor.id if actor else None, action=action, subject=subject[:200], detail=detail)
    )


# -- API tokens ----------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> str:
    """A new token for `user`; the caller shows it once, the database keeps only its hash."""
    token = "ra_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name.strip()[:100] or "token", token_hash=_token_hash(token)))
    session.flush()
    return token


def user_by_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return None if user is None or user.disabled else user


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))
