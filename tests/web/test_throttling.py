"""Login throttling: per account and per address, atomic, 429 with Retry-After, proxies trusted
only when a setting names them. The parallel attack over real sockets is in test_login_live.py."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from advisor.services.accounts import LoginLimits, Throttled, authenticate
from advisor.settings import Settings
from advisor.store.accounts import count_attempt
from tests.web.conftest import PASSWORD, Browser, make_user
from web import create_app
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
SWEDISH = {"Accept-Language": "sv-SE,sv;q=0.9"}


@pytest.fixture
def make_app(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Flask]]:
    """An app with some settings of the test's own, on the test's database."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        settings = Settings(
            instance_dir=tmp_path / f"instance{len(made)}",
            database_url=database_url,
            secure_cookies=False,
            secret_key="test-secret-key",
            **overrides,
        )
        made.append(create_app(settings, {"TESTING": True}))
        return made[-1]

    yield make
    for app in made:
        services(app).close()


def _login(site: Browser, username: str, password: str, headers: dict[str, str] | None = None) -> Any:
    return site.client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": site.token()},
        headers=headers or {},
    )


def test_a_flood_against_one_account_does_not_lock_out_the_others_at_its_address(
    app: Flask, site: Browser
) -> None:
    make_user(app, "anna")
    make_user(app, "bob")
    statuses = [site.login("anna", f"guess {n}").status_code for n in range(12)]
    assert statuses == [401] * 5 + [429] * 7
    assert site.login("anna").status_code == 429  # the account waits, even with its password
    other = Browser(app.test_client())  # same address (127.0.0.1)
    assert other.login("bob").status_code == 302


def test_the_answer_is_429_with_a_sane_retry_after_in_both_languages(app: Flask, site: Browser) -> None:
    make_user(app, "anna")
    for n in range(5):
        site.login("anna", f"guess {n}")
    response = site.login("anna", "guess again")
    assert response.status_code == 429
    window = services(app).settings.login_window_seconds
    assert 0 < int(response.headers["Retry-After"]) <= window
    assert "Too many failed logins" in response.get_data(as_text=True)
    swedish = site.client.post(
        "/login",
        data={"username": "anna", "password": "x", "csrf_token": site.token()},
        headers=SWEDISH,
    )
    assert swedish.status_code == 429
    assert "För många misslyckade inloggningar" in swedish.get_data(as_text=True)


def test_each_throttled_login_is_logged(app: Flask, site: Browser, caplog: pytest.LogCaptureFixture) -> None:
    make_user(app, "anna")
    with caplog.at_level(logging.WARNING, logger="advisor.services.accounts"):
        for n in range(6):
            site.login("anna", f"guess {n}")
    throttled = [
        r
        for r in caplog.records
        if r.name == "advisor.services.accounts" and r.getMessage() == "login.throttled"
    ]
    assert len(throttled) == 1
    fields = throttled[0].__dict__["fields"]  # the event's fields, set through the record's `extra`
    assert fields == {
        "by": "account",
        "key": "anna",
        "limit": 5,
        "window_seconds": 900,
        "retry_after_seconds": fields["retry_after_seconds"],
    }
    assert 0 < fields["retry_after_seconds"] <= 900


def test_right_passwords_do_not_use_up_the_limit(app: Flask, site: Browser) -> None:
    make_user(app, "anna")
    for _ in range(8):
        assert site.login("anna").status_code == 302
        assert site.post("/logout").status_code == 302


def test_the_address_limit_stops_guessing_across_many_accounts(make_app: Callable[..., Flask]) -> None:
    app = make_app(login_attempts=5, login_address_attempts=8)
    site = Browser(app.test_client())
    statuses = [site.login(f"user{n}", "guess").status_code for n in range(10)]
    assert statuses == [401] * 8 + [429] * 2


def _counted_addresses(app: Flask) -> set[str]:
    with services(app).store.engine.connect() as connection:
        keys = connection.execute(text("SELECT key FROM login_counters")).scalars()
        return {key.removeprefix("address:") for key in keys if key.startswith("address:")}


def test_a_forged_x_forwarded_for_is_ignored_without_trusted_proxies(app: Flask, site: Browser) -> None:
    for n in range(7):
        response = _login(site, f"user{n}", "guess", {"X-Forwarded-For": f"203.0.113.{n}"})
    assert _counted_addresses(app) == {"127.0.0.1"}
    assert response.status_code == 401


def test_x_forwarded_for_names_the_address_behind_a_trusted_proxy(make_app: Callable[..., Flask]) -> None:
    app = make_app(trusted_proxies=1, login_address_attempts=3)
    site = Browser(app.test_client())
    for n in range(3):
        assert _login(site, f"user{n}", "guess", {"X-Forwarded-For": "203.0.113.7"}).status_code == 401
    # That address is used up; the next client behind the same proxy is not.
    assert _login(site, "user9", "guess", {"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert _login(site, "user9", "guess", {"X-Forwarded-For": "203.0.113.8"}).status_code == 401
    assert _counted_addresses(app) == {"203.0.113.7", "203.0.113.8"}


def test_a_known_user_logs_in_after_failures_by_others(app: Flask, site: Browser) -> None:
    make_user(app, "anna")
    for n in range(3):
        site.login("nobody", f"guess {n}")
    assert site.login("anna", PASSWORD).status_code == 302


def test_parallel_attempts_in_one_process_get_at_most_the_limit_checked(app: Flask) -> None:
    """Like the threaded dev server: many threads, one engine; the count is still exact."""
    make_user(app, "anna")
    store = services(app).store
    limits = LoginLimits(account=5, address=100, window=900)

    def attempt(number: int) -> str:
        try:
            user = authenticate(store, "anna", f"guess {number}", "192.0.2.1", limits)
        except Throttled:
            return "throttled"
        return "checked" if user is None else "in"

    with ThreadPoolExecutor(16) as pool:
        results = Counter(pool.map(attempt, range(40)))
    assert results["checked"] <= limits.account
    assert results["checked"] + results["throttled"] == 40


def test_the_window_opens_at_the_first_failure_and_frees_when_it_ends(app: Flask) -> None:
    make_user(app, "anna")
    store = services(app).store
    limits = LoginLimits(account=3, address=100, window=900)
    now = [1_000_000.0]

    def login(password: str) -> Any:
        return authenticate(store, "anna", password, "192.0.2.1", limits, clock=lambda: now[0])

    for _ in range(3):
        assert login("guess") is None
        now[0] += 10
    with pytest.raises(Throttled) as refused:
        login(PASSWORD)
    assert refused.value.retry_after == 900 - 30
    now[0] = 1_000_000 + 899
    with pytest.raises(Throttled) as refused:
        login(PASSWORD)
    assert refused.value.retry_after == 1
    now[0] = 1_000_000 + 900
    assert login(PASSWORD) is not None


def test_counters_of_ended_windows_are_dropped_a_bounded_batch_at_a_time(app: Flask) -> None:
    store = services(app).store
    with store.session() as db:
        for n in range(600):
            count_attempt(db, f"account:guessed{n}", 1_000, 900)
    limits = LoginLimits(account=5, address=100, window=900)
    assert authenticate(store, "nobody", "guess", "192.0.2.1", limits, clock=lambda: 5_000.0) is None
    with store.engine.connect() as connection:
        left = connection.execute(text("SELECT count(*) FROM login_counters")).scalar_one()
    assert left == 600 - 500 + 2  # one batch dropped; this attempt's account and address counted
