"""Saved assessments and accounts in SQLAlchemy: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

ROLES = ("respondent", "reviewer", "admin")


def now() -> datetime:
    return datetime.now(UTC)


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


class Store:
    """The database: sessions that commit whole or not at all."""

    def __init__(self, url: str) -> None:
        self.url = url
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
        query = select(AssessmentRecord).order_by(AssessmentRecord.updated_at.desc())
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

    def duplicate(
        self, session: Session, record: AssessmentRecord, owner: User, title: str
    ) -> AssessmentRecord:
        copy_ = AssessmentRecord(
            owner_id=owner.id,
            title=title,
            answers=copy.deepcopy(record.answers),
            step=record.step,
            plan=None,
            rulebook_version=None,
        )
        session.add(copy_)
        session.flush()
        return copy_

    # -- login throttling ---------------------------------------------------------------------
    def recent_failures(self, session: Session, key: str, window: timedelta) -> int:
        since = now() - window
        return (
            session.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.key == key, LoginAttempt.at >= since)
            )
            or 0
        )

    def record_failure(self, session: Session, key: str) -> None:
        session.add(LoginAttempt(key=key))

    def clear_failures(self, session: Session, key: str) -> None:
        session.query(LoginAttempt).filter(LoginAttempt.key == key).delete()


def touch(record: AssessmentRecord) -> None:
    record.updated_at = now()
    record.revision += 1


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.close()
