"""Accounts: password hashes (scrypt), roles, throttled logins, sessions that end on the server,
and changing or resetting passwords. No web framework here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from advisor.model.errors import AdvisorError
from advisor.services.logs import event
from advisor.store.accounts import (
    audit,
    count_attempt,
    count_users,
    forget_attempts_before,
    uncount_attempt,
    user_by_name,
)
from advisor.store.database import Store
from advisor.store.tables import ROLES, ApiToken, AuditAction, User

log = logging.getLogger(__name__)

_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 10


class AccountError(AdvisorError):
    """A request about accounts that cannot be done, said plainly."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def check_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(computed, base64.b64decode(digest))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(store: Store, session: Session, username: str, password: str, role: str) -> User:
    username = username.strip()
    if (
        not username
        or len(username) > 64
        or not username.replace("-", "").replace(".", "").replace("_", "").isalnum()
    ):
        raise AccountError("a user name is 1 to 64 letters, digits, dots, hyphens or underscores")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    _check_new_password(password)
    if user_by_name(session, username) is not None:
        raise AccountError(f"the user '{username}' already exists")
    user = User(username=username, password_hash=hash_password(password), role=role, disabled=False)
    session.add(user)
    session.flush()
    return user


# A hash to check against when the user does not exist, so both cases take the same time.
_DUMMY = hash_password(secrets.token_urlsafe(16))


class Throttled(AccountError):
    """Too many failed logins for the account or from the address; `retry_after` seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed per account and per client address in a window of `window` seconds."""

    account: int
    address: int
    window: int


def authenticate(
    store: Store,
    username: str,
    password: str,
    client: str,
    limits: LoginLimits,
    clock: Callable[[], float] = time.time,
) -> User | None:
    """The user if the password is right; None otherwise. Raises Throttled after too many misses.

    Each attempt is counted, per account (user name) and per client address, before its password
    is checked, each count one atomic statement committed at once: of N parallel attempts at most
    the limit get a password check. A right password gives its attempt back, so only failures
    (and attempts still being checked) use up the limits. The account limit is small and stops
    guessing one account's password; the address limit is larger and stops trying one password
    on many accounts, without one flooded account locking out everyone else at that address.
    """
    name = username.strip()
    account_key, address_key = f"account:{name.lower()[:100]}", f"address:{client[:100]}"
    at = int(clock())
    address_started = at
    with store.session() as db:  # its own transaction: it never waits, and holds nothing after
        forget_attempts_before(db, at - limits.window)
    with store.session() as db:  # one account row, then one address row: always in that order
        attempts, started = count_attempt(db, account_key, at, limits.window)
        refused = _over(attempts, started, limits.account, limits.window, at)
        if refused is not None and attempts == limits.account + 1:
            _log_throttled("account", _shown(db, name), refused, limits.account, limits.window)
        if refused is None:
            address_attempts, address_started = count_attempt(db, address_key, at, limits.window)
            refused = _over(address_attempts, address_started, limits.address, limits.window, at)
            if refused is not None and address_attempts == limits.address + 1:
                _log_throttled("address", client[:100], refused, limits.address, limits.window)
            if refused is not None:
                uncount_attempt(db, account_key, started)  # no password was checked for it
    if refused is not None:
        raise refused
    with store.session() as db:
        user = user_by_name(db, name)
    ok = check_password(user.password_hash if user else _DUMMY, password)  # outside any transaction
    if user is None or not ok or user.disabled:
        reason = "no such user" if user is None else "disabled" if ok else "wrong password"
        who = {"account": _unknown(name)} if user is None else {"account": user.username, "user_id": user.id}
        event(log, "login.failed", level=logging.WARNING, client=client[:100], reason=reason, **who)
        return None
    with store.session() as db:
        uncount_attempt(db, account_key, started)
        uncount_attempt(db, address_key, address_started)
    event(log, "login.succeeded", user_id=user.id, client=client[:100])
    return user


def _over(attempts: int, started: int, limit: int, window: int, at: int) -> Throttled | None:
    if attempts <= limit:
        return None
    return Throttled(max(1, started + window - at))


def _log_throttled(by: str, who: str, refused: Throttled, limit: int, window: int) -> None:
    """Once per window, not once per refused attempt of a flood."""
    event(
        log,
        "login.throttled",
        level=logging.WARNING,
        by=by,  # "account" (a user name) or "address" (a client address)
        key=who,
        limit=limit,
        window_seconds=window,
        retry_after_seconds=refused.retry_after,
    )


def _unknown(name: str) -> str:
    """A typed name that is no account, as the log shows it: a digest, never the text (people type
    their password into the wrong field), the same for the same text so attempts can be matched."""
    return "unknown:" + hashlib.sha256(name.lower().encode()).hexdigest()[:12]


def _shown(db: Session, name: str) -> str:
    user = user_by_name(db, name)
    return user.username if user is not None else _unknown(name)


# -- sessions and passwords ------------------------------------------------------------------------


PasswordProblem = Literal["wrong_current", "mismatch", "too_short"]


class PasswordRejected(AccountError):
    """A new password that cannot be set; `problem` says which rule it broke."""

    def __init__(self, problem: PasswordProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PasswordRejected("too_short", f"the password must be at least {MIN_PASSWORD} characters")


def end_sessions(session: Session, user: User) -> int:
    """End every session of `user` (each carries the generation it was opened in); the new one."""
    generation: int = session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_generation=User.session_generation + 1)
        .returning(User.session_generation),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    user.session_generation = generation
    return generation


def set_password(session: Session, user: User, password: str) -> int:
    """Give `user` a new password and end all their sessions; the new session generation."""
    _check_new_password(password)
    user.password_hash = hash_password(password)
    session.flush()
    return end_sessions(session, user)


def change_password(
    store: Store,
    user_id: int,
    current: str,
    new: str,
    repeat: str,
    client: str,
    limits: LoginLimits,
) -> int:
    """A user changes their own password: the current one must be right (throttled like a login),
    the new one given twice. Every session of theirs ends; returns the generation for the one
    that made the change, so that it can go on."""
    if new != repeat:
        raise PasswordRejected("mismatch", "the new passwords are not the same")
    _check_new_password(new)
    with store.session() as db:
        user = db.get(User, user_id)
        if user is None:
            raise AccountError("there is no such user")
        username = user.username
    if authenticate(store, username, current, client, limits) is None:
        raise PasswordRejected("wrong_current", "the current password is wrong")
    with store.session() as db:
        user = db.get(User, user_id)
        if user is None:
            raise AccountError("there is no such user")
        return set_password(db, user, new)


def reset_password(session: Session, actor: User | None, user: User, password: str | None = None) -> str:
    """An admin (or the command line: actor None) gives `user` a new password, generated unless
    given, to recover the account: every session of it ends and its API tokens are revoked (a
    token made by whoever had the account must stop working too). Recorded in the audit log;
    the password is returned to show once."""
    password = generate_password() if password is None else password
    set_password(session, user, password)
    revoked = session.connection().execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount
    detail = f"a new password was set; every session ended; API tokens revoked: {revoked}"
    audit(session, actor, AuditAction.PASSWORD_RESET, user.username, detail)
    return password


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def ensure_first_admin(store: Store) -> str | None:
    """Create the `admin` account if there are no accounts at all; return its new password.

    Instances starting at the same moment on an empty database may both try: the one that loses
    (its insert refused, or SQLite's write lock taken after it looked) finds the account made and
    returns None."""
    try:
        with store.session() as session:
            if count_users(session) > 0:
                return None
            password = generate_password()
            create_user(store, session, "admin", password, "admin")
            return password
    except (AccountError, DBAPIError):
        with store.session() as session:
            if count_users(session) > 0:
                return None
        raise
