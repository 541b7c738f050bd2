"""Accounts: password hashes (scrypt), roles, and throttled logins. No web framework here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy.orm import Session

from advisor.errors import AdvisorError
from advisor.store import ROLES, Store, User

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
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
    if store.user_by_name(session, username) is not None:
        raise AccountError(f"the user '{username}' already exists")
    user = User(username=username, password_hash=hash_password(password), role=role, disabled=False)
    session.add(user)
    session.flush()
    return user


# A hash to check against when the user does not exist, so both cases take the same time.
_DUMMY = hash_password(secrets.token_urlsafe(16))


class Throttled(AccountError):
    """Too many failed logins; try again later."""


def authenticate(
    store: Store,
    session: Session,
    username: str,
    password: str,
    client: str,
    attempts: int,
    window: timedelta,
) -> User | None:
    """The user if the password is right; None otherwise. Raises Throttled after too many misses.

    Failures count per user name and per client address, so guessing many passwords for one
    account, or one password for many accounts, is slowed down alike.
    """
    keys = [f"user:{username.strip().lower()}", f"client:{client}"]
    if any(store.recent_failures(session, key, window) >= attempts for key in keys):
        raise Throttled("too many failed logins")
    user = store.user_by_name(session, username.strip())
    ok = check_password(user.password_hash if user else _DUMMY, password)
    if user is None or not ok or user.disabled:
        for key in keys:
            store.record_failure(session, key)
        return None
    store.clear_failures(session, keys[0])
    return user


def ensure_first_admin(store: Store) -> str | None:
    """Create the `admin` account if there are no accounts at all; return its new password."""
    with store.session() as session:
        if store.count_users(session) > 0:
            return None
        password = generate_password()
        create_user(store, session, "admin", password, "admin")
        return password
