"""Structured logs: one JSON object per line on stderr, for requests, logins, reloads, admin saves
and the review; the level from the settings; never a password, token or cookie."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from advisor.model.errors import EngineError
from advisor.rulebook import Rulebook
from advisor.settings import Settings
from advisor.store.accounts import create_token, user_by_name
from tests.conftest import ROOT, store_directly, stored
from tests.live import LiveSite, call
from tests.web.conftest import PASSWORD, Browser, make_user
from tests.web.helpers import fill
from web import create_app
from web.extensions import services

CONTOSO = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def _lines(text: str) -> list[dict[str, Any]]:
    """Every line of `text` as the JSON object it must be."""
    lines = []
    for line in text.splitlines():
        if line.strip():
            parsed = json.loads(line)  # a line that is not JSON fails the test here
            assert isinstance(parsed, dict), line
            lines.append(parsed)
    return lines


def _events(capsys: pytest.CaptureFixture[str], name: str | None = None) -> list[dict[str, Any]]:
    """The log lines written to stderr since the last look (all, or the events called `name`)."""
    lines = _lines(capsys.readouterr().err)
    return [line for line in lines if name is None or line["event"] == name]


def _until(condition: Callable[[], bool], seconds: float = 20) -> None:
    """Wait for the watcher thread (bounded); the assertion is on the outcome, never the time."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the rule watcher did not act"
        time.sleep(0.02)


def _user_id(app: Flask, username: str) -> int:
    with services(app).store.session() as db:
        user = user_by_name(db, username)
        assert user is not None
        return user.id


def test_each_request_is_one_line_with_its_id_user_status_and_time(
    app: Flask, site: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    make_user(app, "anna")
    _events(capsys)
    response = site.get("/login", headers={"X-Request-ID": "edge-42.a:b"})
    assert response.headers["X-Request-ID"] == "edge-42.a:b"  # a sane incoming id is kept
    (line,) = _events(capsys, "request")
    assert line["request_id"] == "edge-42.a:b"
    assert (line["level"], line["logger"], line["method"], line["path"]) == (
        "info",
        "web.request",
        "GET",
        "/login",
    )
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float)
    assert line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert line["time"].endswith("+00:00")

    site.login("anna")
    _events(capsys)
    page = site.get("/?page=2")
    (line,) = _events(capsys, "request")
    assert line["user_id"] == _user_id(app, "anna")
    assert line["path"] == "/"  # without the query string
    assert line["status"] == page.status_code
    assert line["request_id"] == page.headers["X-Request-ID"]  # none sent: one was made
    assert len(line["request_id"]) == 32


@pytest.mark.parametrize("sent", ["has space", "x" * 200, "-starts-with-dash", "a\u00e9"])
def test_an_insane_request_id_is_replaced(
    site: Browser, capsys: pytest.CaptureFixture[str], sent: str
) -> None:
    response = site.get("/healthz", headers={"X-Request-ID": sent})
    returned = response.headers["X-Request-ID"]
    assert returned != sent
    assert len(returned) == 32
    (line,) = _events(capsys, "request")
    assert line["request_id"] == returned
    assert sent not in json.dumps(line, ensure_ascii=False)


def test_every_line_of_a_request_carries_its_id(
    app: Flask, site: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    make_user(app, "anna")
    site.token()
    _events(capsys)
    site.client.post(
        "/login",
        data={"username": "anna", "password": "a wrong guess", "csrf_token": site.token()},
        headers={"X-Request-ID": "login-1"},
    )
    lines = [line for line in _events(capsys) if line.get("request_id") == "login-1"]
    assert [line["event"] for line in lines] == ["login.failed", "request"]
    assert (lines[0]["account"], lines[0]["user_id"]) == ("anna", _user_id(app, "anna"))
    assert lines[0]["reason"] == "wrong password"
    assert lines[0]["level"] == "warning"


def test_a_throttled_login_is_logged_once_with_its_limit(
    app: Flask, site: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    make_user(app, "anna")
    site.token()
    _events(capsys)
    statuses = [site.login("anna", f"guess {n}").status_code for n in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    lines = _events(capsys)
    assert len([line for line in lines if line["event"] == "login.failed"]) == 5
    (throttled,) = [line for line in lines if line["event"] == "login.throttled"]
    assert throttled["level"] == "warning"
    assert (throttled["by"], throttled["key"], throttled["limit"]) == ("account", "anna", 5)
    assert 0 < throttled["retry_after_seconds"] <= throttled["window_seconds"]
    posts = [line for line in lines if line["event"] == "request" and line["method"] == "POST"]
    assert [line["status"] for line in posts] == statuses


def test_a_refused_reload_and_an_adopted_one_are_logged(
    admin_app: Flask, root: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = services(admin_app).engine
    start = engine.rulebook.version
    store = services(admin_app).store
    good = stored(services(admin_app), "enrollment.yaml")
    root.get("/healthz")  # the first request starts the watcher
    _events(capsys)
    store_directly(store, {"enrollment.yaml": "stage: placement\nrules: [\n"})  # broken, unchecked
    _until(lambda: bool(services(admin_app).watcher.error))
    (refused,) = _events(capsys, "rules.refused")
    assert refused["level"] == "warning"
    assert refused["running"] == start
    assert refused["findings"]
    assert all("enrollment.yaml" in f for f in refused["findings"])

    lowered = good.replace("  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 20")
    store_directly(store, {"enrollment.yaml": lowered})
    # the watcher clears its refusal after it has logged the reload
    _until(lambda: engine.rulebook.version != start and not services(admin_app).watcher.error)
    (reloaded,) = _events(capsys, "rules.reloaded")
    assert (reloaded["version"], reloaded["previous"]) == (engine.rulebook.version, start)


def test_an_engine_error_on_reload_is_logged_with_its_traceback(
    admin_app: Flask,
    root: Browser,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = services(admin_app).engine

    def refuses(rulebook: Rulebook) -> None:  # a defect in the engine, injected
        raise EngineError("the rules engine refused the compiled rulebook: injected")

    monkeypatch.setattr(engine, "reload", refuses)
    root.get("/healthz")
    text = stored(services(admin_app), "enrollment.yaml")
    store_directly(services(admin_app).store, {"enrollment.yaml": text.replace("value: 100", "value: 20", 1)})
    _until(lambda: bool(services(admin_app).watcher.error))
    lines = _events(capsys)
    (error,) = [line for line in lines if line["event"] == "engine.error"]
    assert (error["level"], error["error"]) == ("error", "EngineError")
    assert "injected" in error["traceback"]
    (refused,) = [line for line in lines if line["event"] == "rules.refused"]
    assert "the engine cannot run it" in refused["findings"][0]


def test_an_admin_save_is_logged_with_who_and_the_new_version(
    admin_app: Flask, root: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    text = stored(services(admin_app), "enrollment.yaml")
    changed = text.replace(
        "  en: Matching each group in each phase", "  en: Choosing, for each group in each phase,"
    )
    assert changed != text
    _events(capsys)
    response = root.post(
        "/admin/rules/enrollment.yaml",
        {"action": "save", "text": changed, "message": "Clearer title"},
        headers={"X-Request-ID": "save-1"},
    )
    assert response.status_code == 302
    lines = _events(capsys)
    (saved,) = [line for line in lines if line["event"] == "rules.saved"]
    version = services(admin_app).engine.rulebook.version
    assert saved["file"] == "enrollment.yaml"
    assert saved["version"] == version
    assert saved["user_id"] == _user_id(admin_app, "root")
    assert saved["message"] == "Clearer title"
    assert saved["request_id"] == "save-1"
    (reloaded,) = [line for line in lines if line["event"] == "rules.reloaded"]
    assert reloaded["version"] == version


def test_the_review_transitions_and_the_sign_off_are_logged(
    app: Flask, anna: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    assessment_id = fill(anna, CONTOSO)
    make_user(app, "lead", "reviewer")
    lead = Browser(app.test_client())
    lead.login("lead")
    _events(capsys)
    anna.post(f"/assessments/{assessment_id}/review/submit")
    lead.post(f"/assessments/{assessment_id}/review/send_back", {"text": "Check HR."})
    anna.post(f"/assessments/{assessment_id}/review/submit")
    lead.post(f"/assessments/{assessment_id}/review/sign_off", {"confirm": "1"})
    review = [line for line in _events(capsys) if line["event"].startswith("review.")]
    anna_id, lead_id = _user_id(app, "anna"), _user_id(app, "lead")
    assert [(line["event"], line["status"], line["user_id"]) for line in review] == [
        ("review.submit", "in_review", anna_id),
        ("review.send_back", "changes_requested", lead_id),
        ("review.submit", "in_review", anna_id),
        ("review.sign_off", "signed_off", lead_id),
    ]
    assert {line["assessment_id"] for line in review} == {assessment_id}


@pytest.fixture
def make_app(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        fields: dict[str, Any] = {
            "instance_dir": tmp_path / "instance",
            "database_url": database_url,
            "secure_cookies": False,
            "secret_key": "test-secret-key",
        }
        settings = Settings(**(fields | overrides))
        apps.append(create_app(settings, {"TESTING": True}))
        return apps[-1]

    yield make
    for app in apps:
        services(app).close()


@pytest.mark.parametrize("level", ["warning", "WARNING"])
def test_the_level_setting_filters(
    make_app: Callable[..., Flask], capsys: pytest.CaptureFixture[str], level: str
) -> None:
    app = make_app(log_level=level)
    make_user(app, "anna")
    site = Browser(app.test_client())
    site.token()
    site.login("anna", "a wrong guess")
    events = [line["event"] for line in _events(capsys)]
    assert "login.failed" in events  # a warning
    assert "request" not in events  # info: below the level


def test_debug_lets_the_info_lines_through(
    make_app: Callable[..., Flask], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # An empty database (the test's own starts migrated): the migrations run and say so.
    app = make_app(log_level="DEBUG", database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    assert any(line["level"] == "debug" for line in _events(capsys))  # the migrations' details
    Browser(app.test_client()).get("/healthz")
    assert [line["event"] for line in _events(capsys)] == ["request"]


def test_a_bad_level_is_refused() -> None:
    with pytest.raises(ValueError, match="log_level"):
        Settings(log_level="chatty")


def test_no_password_token_or_cookie_ever_reaches_the_log(
    app: Flask, site: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    make_user(app, "anna")
    wrong = "Wrong-Pa55word-never-logged"
    site.login("anna", wrong)
    typed_as_name = "Typed-into-the-name-field-1"  # a password in the wrong field: no such account
    for _ in range(6):  # failed, then throttled: neither line shows the text
        site.login(typed_as_name, "whatever")
    assert site.login("anna").status_code == 302
    cookie = site.client.get_cookie("session")
    assert cookie is not None
    with services(app).store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        token = create_token(db, user, "logging test")
    bearer = {"Authorization": f"Bearer {token}", "X-Request-ID": "api-1"}
    assert site.client.get("/api/v1/assessments", headers=bearer).status_code == 200
    site.client.get(f"/api/v1/assessments?token={token}&password={PASSWORD}")  # carelessly sent
    site.client.post("/api/v1/assessments", headers=bearer, json={"title": "t", "answers": {}})
    text = capsys.readouterr().err
    lines = _lines(text)
    assert any(line.get("request_id") == "api-1" and line["path"] == "/api/v1/assessments" for line in lines)
    assert any(line["event"] == "login.failed" for line in lines)
    for secret in (PASSWORD, wrong, typed_as_name, typed_as_name.lower(), token, token[3:], cookie.value):
        assert secret not in text
    unknown = {line["account"] for line in lines if line["event"] == "login.failed" and "user_id" not in line}
    throttled = {line["key"] for line in lines if line["event"] == "login.throttled"}
    assert len(unknown) == 1  # one digest for the same text: attempts can still be matched
    assert throttled == unknown


def test_fields_named_like_secrets_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from advisor.services.logs import configure, event

    configure(Settings())
    event(logging.getLogger("test"), "careless", password="hunter2", api_token="ra_x", note="fine")
    (line,) = _events(capsys, "careless")
    assert (line["password"], line["api_token"], line["note"]) == ("[redacted]", "[redacted]", "fine")


def _gunicorn(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "python:web.gunicorn_conf", *args, "web.wsgi:app"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("ADVISOR_WORKERS", "0", "greater than or equal to 1"),
        ("ADVISOR_WORKERS", "two", "valid integer"),
        ("ADVISOR_BIND", "8000", "HOST:PORT"),
        ("ADVISOR_LOG_LEVEL", "chatty", "'DEBUG', 'INFO'"),
    ],
)
def test_gunicorn_refuses_a_bad_setting_saying_which_and_why(name: str, value: str, why: str) -> None:
    result = _gunicorn({name: value}, "--check-config")
    assert result.returncode != 0
    assert f"{name}=" in result.stderr
    assert why in result.stderr
    assert "Traceback" not in result.stderr


def test_gunicorn_takes_its_settings_from_the_settings_model() -> None:
    result = _gunicorn(
        {"ADVISOR_WORKERS": "3", "ADVISOR_BIND": "127.0.0.1:8123", "ADVISOR_LOG_LEVEL": "warning"},
        "--print-config",
    )
    assert result.returncode == 0, result.stderr
    config = {
        key.strip(): value.strip()
        for key, _, value in (line.partition("=") for line in result.stdout.splitlines())
    }
    assert config["workers"] == "3"
    assert config["bind"] == "['127.0.0.1:8123']"
    assert config["loglevel"] == "warning"
    assert config["accesslog"] == "None"


def test_the_healthcheck_refuses_a_bad_bind_saying_why() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "web.healthcheck"],
        cwd=ROOT,
        env={**os.environ, "ADVISOR_BIND": "localhost:99999"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "ADVISOR_BIND='localhost:99999'" in result.stderr


def test_under_gunicorn_every_line_is_json_and_requests_carry_their_id(gunicorn: LiveSite) -> None:
    response = call(f"{gunicorn.base}/healthz", headers={"X-Request-ID": "live-1"})
    assert response.status == 200
    assert response.headers["X-Request-ID"] == "live-1"
    deadline = time.monotonic() + 20
    while '"live-1"' not in gunicorn.log.read_text():  # the worker writes it as it answers
        assert time.monotonic() < deadline, gunicorn.log.read_text()[-2000:]
        time.sleep(0.05)
    text = gunicorn.log.read_text()
    operator = [line for line in text.splitlines() if line.startswith("First start:")]
    assert len(operator) <= 1  # the first admin's password, for the operator: not a log line
    lines = _lines("\n".join(line for line in text.splitlines() if not line.startswith("First start:")))
    (request,) = [line for line in lines if line.get("request_id") == "live-1"]
    assert (request["event"], request["path"], request["status"]) == ("request", "/healthz", 200)
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own, as JSON too


def test_an_engine_error_in_a_request_is_logged_with_its_id_and_the_500(
    app: Flask, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page, not the test's exception

    def broken() -> Iterator[None]:  # a defect in the engine, injected
        raise EngineError("the rules engine is overloaded: no free session")

    monkeypatch.setattr(services(app).engine, "version", broken)
    _events(capsys)
    response = app.test_client().post("/api/v1/plans", json=CONTOSO, headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "boom-1"
    lines = [line for line in _events(capsys) if line.get("request_id") == "boom-1"]
    assert [(line["level"], line.get("error")) for line in lines] == [
        ("error", "EngineError"),
        ("info", None),
    ]
    assert "no free session" in lines[0]["traceback"]
    assert (lines[1]["event"], lines[1]["status"]) == ("request", 500)
