"""Logins and sessions attacked over real sockets: a real gunicorn (2 sync workers) on 127.0.0.1,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from advisor.settings import Settings
from tests.live import PASSWORD, LiveBrowser, LiveSite, Reply

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

PARALLEL = 40


def test_parallel_wrong_logins_get_at_most_the_limit_checked_and_lock_out_nobody_else(
    gunicorn: LiveSite,
) -> None:
    gunicorn.add_user("anna")
    gunicorn.add_user("bob")
    limit = Settings().login_attempts
    attacker = LiveBrowser(gunicorn.base)
    token = attacker.token()

    def guess(number: int) -> Reply:
        return attacker.post("/login", {"username": "anna", "password": f"guess {number}"}, token=token)

    with ThreadPoolExecutor(PARALLEL) as pool:
        replies = list(pool.map(guess, range(PARALLEL)))
    statuses = Counter(reply.status for reply in replies)
    print(f"{PARALLEL} parallel wrong logins: {dict(statuses)}")
    assert set(statuses) <= {401, 429}
    assert statuses[401] <= limit  # a 401 is a password that was checked
    throttled = [reply for reply in replies if reply.status == 429]
    assert throttled
    for reply in throttled:
        assert 0 < int(reply.headers["Retry-After"]) <= Settings().login_window_seconds
    # The account is throttled, even with the right password...
    assert LiveBrowser(gunicorn.base).login("anna").status == 429
    # ...but another user at the same address still logs in.
    bob = LiveBrowser(gunicorn.base)
    reply = bob.login("bob")
    print(f"bob from the same address: {reply.status}")
    assert reply.status == 302
    assert bob.get("/").status == 200


def test_a_cookie_captured_before_logout_is_worthless_after_it(gunicorn: LiveSite) -> None:
    gunicorn.add_user("anna")
    anna = LiveBrowser(gunicorn.base)
    assert anna.login("anna").status == 302
    captured = anna.cookie
    assert anna.get("/").status == 200
    assert anna.post("/logout", {}).status == 302
    thief = LiveBrowser(gunicorn.base, cookie=captured)
    reply = thief.get("/")
    print(f"replayed cookie after logout: {reply.status} {reply.headers.get('Location')}")
    assert reply.status == 302
    assert reply.headers["Location"].startswith("/login")


def test_a_password_change_ends_the_other_sessions(gunicorn: LiveSite) -> None:
    gunicorn.add_user("anna")
    anna, laptop = LiveBrowser(gunicorn.base), LiveBrowser(gunicorn.base)
    assert anna.login("anna").status == 302
    assert laptop.login("anna").status == 302
    new = "a much better passphrase"
    changed = anna.post("/account/password", {"current": PASSWORD, "new": new, "repeat": new})
    assert changed.status == 302
    assert anna.get("/").status == 200
    assert laptop.get("/").status == 302
    assert LiveBrowser(gunicorn.base).login("anna").status == 401
    assert LiveBrowser(gunicorn.base).login("anna", new).status == 302
