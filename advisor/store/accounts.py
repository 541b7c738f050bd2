"""Accounts: users, API tokens, login counters and the admin audit log."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from advisor.store.tables import ApiToken, AuditAction, AuditEntry, LoginCounter, User


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def usernames(session: Session) -> dict[int, str]:
    """Every account's name by id, for pages that say who did what."""
    return {user_id: name for user_id, name in session.execute(select(User.id, User.username))}


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def count_attempt(session: Session, key: str, at: int, window: int) -> tuple[int, int]:
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


def uncount_attempt(session: Session, key: str, started: int) -> None:
    """Give back one attempt counted in the window that started at `started` (a right password)."""
    session.execute(
        update(LoginCounter)
        .where(LoginCounter.key == key, LoginCounter.started == started, LoginCounter.attempts > 0)
        .values(attempts=LoginCounter.attempts - 1)
    )


def forget_attempts_before(session: Session, before: int, at_most: int = 500) -> None:
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


def audit(
    session: Session, actor: User | None, action: AuditAction, subject: str, detail: str | None = None
) -> None:
    session.add(
        AuditEntry(actor_id=actor.id if actor else None, action=action, subject=subject[:200], detail=detail)
    )


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
