"""Accounts: login and logout, throttling, CSRF, cookies, roles, and the first-run admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from advisor.services.accounts import ensure_first_admin
from advisor.settings import Settings
from advisor.store.accounts import user_by_name
from tests.web.conftest import PASSWORD, Browser, make_user
from web import create_app
from web.extensions import services


def test_pages_need_a_login(site: Browser) -> None:
    response = site.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_and_logout(app: Flask, site: Browser) -> None:
    make_user(app, "anna")
    response = site.login("anna")
    assert response.status_code == 302
    assert site.get("/").status_code == 200
    assert site.post("/logout").status_code == 302
    assert site.get("/").status_code == 302


def test_a_wrong_password_says_so_without_telling_which_part(app: Flask, site: Browser) -> None:
    make_user(app, "anna")
    for username in ("anna", "nobody"):
        response = site.login(username, "wrong password")
        assert response.status_code == 401
        assert "The user name or the password is wrong." in response.get_data(as_text=True)


def test_logins_are_throttled_after_repeated_failures(app: Flask, site: Browser) -> None:
    make_user(app, "anna")
    for _ in range(5):
        assert site.login("anna", "guess").status_code == 401
    response = site.login("anna", PASSWORD)  # even the right password waits now
    assert response.status_code == 429
    assert "Too many failed logins" in response.get_data(as_text=True)


def test_a_disabled_account_cannot_log_in(app: Flask, site: Browser) -> None:
    make_user(app, "anna")
    store = services(app).store
    with store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        user.disabled = True
    assert site.login("anna").status_code == 401


def test_forms_without_a_csrf_token_are_refused(app: Flask, anna: Browser) -> None:
    response = anna.client.post("/assessments", data={"title": "X"})
    assert response.status_code == 400
    assert "go back and send it again" in response.get_data(as_text=True)


def _session_cookie(settings: Settings) -> list[str]:
    """The attributes of the session cookie a login sets on a site with these settings."""
    app = create_app(settings, {"TESTING": True})
    try:
        make_user(app, "anna")
        browser = Browser(app.test_client())
        response = browser.login("anna")
        assert response.status_code == 302
        (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
        return [part.strip() for part in cookie.split(";")[1:]]
    finally:
        services(app).close()


@pytest.mark.parametrize(
    ("configured", "secure"), [(None, True), ("true", True), ("false", False)], ids=["default", "on", "off"]
)
def test_the_session_cookie_is_secure_unless_switched_off_and_always_http_only_and_same_site(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, configured: str | None, secure: bool
) -> None:
    """Set by a real login, read from the response: the setting reaches the cookie. The default
    is the one an installation gets with nothing in its environment."""
    monkeypatch.delenv("ADVISOR_SECURE_COOKIES", raising=False)
    if configured is not None:
        monkeypatch.setenv("ADVISOR_SECURE_COOKIES", configured)
    attributes = _session_cookie(
        Settings(instance_dir=tmp_path / "instance", database_url=database_url, secret_key="k")
    )
    assert "HttpOnly" in attributes
    assert "SameSite=Lax" in attributes
    assert ("Secure" in attributes) is secure


def test_next_never_leaves_the_site(app: Flask, site: Browser) -> None:
    make_user(app, "anna")
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = site.client.post(
            f"/login?next={target}",
            data={"username": "anna", "password": PASSWORD, "csrf_token": site.token()},
        )
        assert response.headers["Location"] == "/"


def test_the_first_start_creates_an_admin_once(app: Flask, site: Browser) -> None:
    store = services(app).store
    password = ensure_first_admin(store)
    assert password is not None
    assert ensure_first_admin(store) is None
    assert site.login("admin", password).status_code == 302
