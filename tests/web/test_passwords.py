"""Sessions end on the server (logout, a password change) and passwords can be changed and reset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from advisor.services.accounts import MIN_PASSWORD, check_password
from advisor.store.accounts import create_token, user_by_name
from advisor.store.database import Store
from advisor.store.tables import AuditEntry, User
from tests.conftest import ROOT
from tests.web.conftest import PASSWORD, Browser, make_user
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

NEW = "a much better passphrase"


def _cookie(site: Browser) -> str:
    cookie = site.client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str) -> Browser:
    other = Browser(app.test_client())
    other.client.set_cookie("session", value)
    return other


def _user(app: Flask, username: str) -> User:
    store = services(app).store
    with store.session() as db:
        user = user_by_name(db, username)
        assert user is not None
        return user


def test_a_cookie_captured_before_logout_no_longer_works(app: Flask, anna: Browser) -> None:
    captured = _cookie(anna)
    assert anna.get("/").status_code == 200
    assert anna.post("/logout").status_code == 302
    thief = _with_cookie(app, captured)
    response = thief.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logging_out_ends_every_session_of_the_user_and_says_so(app: Flask, anna: Browser) -> None:
    laptop = Browser(app.test_client())
    assert laptop.login("anna").status_code == 302
    response = anna.post("/logout", follow_redirects=True)
    assert "every device" in response.get_data(as_text=True)
    assert laptop.get("/").status_code == 302
    page = laptop.get("/login").get_data(as_text=True)
    assert "Your session has ended" in page


def test_change_password_refuses_a_wrong_current_password(app: Flask, anna: Browser) -> None:
    response = anna.post("/account/password", {"current": "not my password", "new": NEW, "repeat": NEW})
    assert response.status_code == 422
    assert "The current password is wrong." in response.get_data(as_text=True)
    assert check_password(_user(app, "anna").password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("new", "repeat", "message"),
    [
        (NEW, NEW + "x", "The new passwords are not the same."),
        ("short", "short", f"at least {MIN_PASSWORD} characters"),
    ],
)
def test_change_password_refuses_a_bad_new_password(
    app: Flask, anna: Browser, new: str, repeat: str, message: str
) -> None:
    response = anna.post("/account/password", {"current": PASSWORD, "new": new, "repeat": repeat})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert check_password(_user(app, "anna").password_hash, PASSWORD)


def test_change_password_ends_the_other_sessions_and_the_old_password(app: Flask, anna: Browser) -> None:
    laptop = Browser(app.test_client())
    assert laptop.login("anna").status_code == 302
    captured = _cookie(anna)
    page = anna.get("/account/password")
    assert page.status_code == 200
    response = anna.post(
        "/account/password", {"current": PASSWORD, "new": NEW, "repeat": NEW}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Your password was changed" in response.get_data(as_text=True)
    assert anna.get("/").status_code == 200  # this session goes on
    assert laptop.get("/").status_code == 302  # the others end
    assert _with_cookie(app, captured).get("/").status_code == 302
    fresh = Browser(app.test_client())
    assert fresh.login("anna", PASSWORD).status_code == 401
    assert fresh.login("anna", NEW).status_code == 302


def test_the_password_form_is_in_swedish_too(anna: Browser) -> None:
    anna.post("/language", {"language": "sv", "next": "/"})
    page = anna.get("/account/password").get_data(as_text=True)
    assert "Byt lösenord" in page
    response = anna.post("/account/password", {"current": "fel", "new": NEW, "repeat": NEW})
    assert "Det nuvarande lösenordet är fel." in response.get_data(as_text=True)


def test_the_password_form_needs_a_csrf_token(app: Flask, anna: Browser) -> None:
    response = anna.client.post("/account/password", data={"current": PASSWORD, "new": NEW, "repeat": NEW})
    assert response.status_code == 400
    assert check_password(_user(app, "anna").password_hash, PASSWORD)


def test_an_admin_resets_a_password_and_it_is_audited(app: Flask, site: Browser) -> None:
    make_user(app, "anna")
    make_user(app, "root", "admin")
    victim = Browser(app.test_client())
    assert victim.login("anna").status_code == 302
    assert site.login("root").status_code == 302
    assert "anna" in site.get("/admin/users").get_data(as_text=True)
    anna_id = _user(app, "anna").id
    with services(app).store.session() as db:  # a token made by whoever had the account
        token = create_token(db, _user(app, "anna"), "left behind")
    bearer = {"Authorization": f"Bearer {token}"}
    assert site.client.get("/api/v1/assessments", headers=bearer).status_code == 200
    response = site.post(f"/admin/users/{anna_id}/password")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "shown only this once" in page
    user = _user(app, "anna")
    assert not check_password(user.password_hash, PASSWORD)
    assert victim.get("/").status_code == 302  # anna's sessions ended
    assert site.client.get("/api/v1/assessments", headers=bearer).status_code == 401  # and her tokens
    with services(app).store.session() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
        assert entry is not None
        assert entry.subject == "anna"
    assert site.get("/admin/audit").status_code == 200


@pytest.mark.parametrize("role", ["respondent", "reviewer"])
def test_only_admins_reset_passwords(app: Flask, site: Browser, role: str) -> None:
    make_user(app, "anna")
    make_user(app, "mallory", role)
    assert site.login("mallory").status_code == 302
    anna_id = _user(app, "anna").id
    assert site.get("/admin/users").status_code == 403
    assert site.post(f"/admin/users/{anna_id}/password").status_code == 403
    assert check_password(_user(app, "anna").password_hash, PASSWORD)


def test_resetting_an_unknown_user_is_404(app: Flask, site: Browser) -> None:
    make_user(app, "root", "admin")
    assert site.login("root").status_code == 302
    assert site.post("/admin/users/999999/password").status_code == 404
    assert site.post(f"/admin/users/{2**63}/password").status_code == 404


def _cli(
    tmp_path: Path, database_url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ADVISOR_INSTANCE_DIR": str(tmp_path / "instance"),
        "ADVISOR_DATABASE_URL": database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "advisor.cli", "users", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def _stored_hash(database_url: str, username: str) -> tuple[str, int]:
    store = Store(database_url)
    try:
        with store.session() as db:
            user = user_by_name(db, username)
            assert user is not None
            return user.password_hash, user.session_generation
    finally:
        store.engine.dispose()


def test_advisor_users_password_generates_or_reads_a_new_one(tmp_path: Path, database_url: str) -> None:
    assert _cli(tmp_path, database_url, "create", "admin2", "--role", "admin").returncode == 0
    _, generation = _stored_hash(database_url, "admin2")
    generated = _cli(tmp_path, database_url, "password", "admin2")
    assert generated.returncode == 0, generated.stderr
    assert "new password for admin2: " in generated.stdout
    password = generated.stdout.rsplit(": ", 1)[1].strip()
    stored, after = _stored_hash(database_url, "admin2")
    assert check_password(stored, password)
    assert after > generation  # every session of admin2 ended
    read = _cli(tmp_path, database_url, "password", "admin2", "--stdin", stdin=NEW + "\n")
    assert read.returncode == 0, read.stderr
    assert NEW not in read.stdout
    assert check_password(_stored_hash(database_url, "admin2")[0], NEW)


def test_advisor_users_password_says_what_is_wrong(tmp_path: Path, database_url: str) -> None:
    assert _cli(tmp_path, database_url, "create", "lead").returncode == 0
    unknown = _cli(tmp_path, database_url, "password", "nobody")
    assert unknown.returncode == 1
    assert "there is no user 'nobody'" in unknown.stderr
    short = _cli(tmp_path, database_url, "password", "lead", "--stdin", stdin="short\n")
    assert short.returncode == 1
    assert f"at least {MIN_PASSWORD} characters" in short.stderr


def test_guessing_the_current_password_is_throttled_like_a_login(app: Flask, anna: Browser) -> None:
    limit = services(app).settings.login_attempts
    for n in range(limit):
        response = anna.post("/account/password", {"current": f"guess {n}", "new": NEW, "repeat": NEW})
        assert response.status_code == 422
    response = anna.post("/account/password", {"current": PASSWORD, "new": NEW, "repeat": NEW})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert check_password(_user(app, "anna").password_hash, PASSWORD)
