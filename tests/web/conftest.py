"""Fixtures for the site: an app on a fresh database (SQLite or PostgreSQL), users, a client."""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from advisor.services.accounts import create_user
from advisor.settings import Settings
from advisor.store.assessments import latest_version
from advisor.store.migrate import upgrade
from advisor.store.tables import MAX_ID, AssessmentRecord
from tests.live import LiveSite, gunicorn_site
from tests.postgres import postgres_server
from web import create_app
from web.extensions import services

_numbers = itertools.count()
PASSWORD = "correct horse battery"


# Every test starts from a copy of a database the migrations built once per session, instead of
# running them for each test (every DDL statement a disk sync on SQLite, a fresh database to fill
# on PostgreSQL): with the storage tests on both databases, that was paid twice per test. The
# migrations still run from nothing, once per database and session, in the templates' fixtures;
# an app's own upgrade at start then finds nothing to do.
_TEMPLATE = "advisor_template"


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server (URL template with `{db}`) holding the migrated template."""
    with postgres_server() as server:
        _create_database(server, _TEMPLATE)
        upgrade(server.format(db=_TEMPLATE))
        yield server


def _create_database(server: str, name: str, template: str = "template1") -> None:
    admin = create_engine(server.format(db="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()


def _drop_database(server: str, name: str) -> None:
    admin = create_engine(server.format(db="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:  # FORCE: a connection a test left open ends here
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _fresh_postgres(server: str) -> str:
    """A new database, a copy of the migrated template, for one test (or one module)."""
    name = f"advisor_test_{next(_numbers)}"
    _create_database(server, name, _TEMPLATE)
    return server.format(db=name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "advisor.db"
    upgrade(f"sqlite:///{path}")
    return path


def _fresh_sqlite(template: Path, path: Path) -> str:
    """A copy of the migrated template, created readable by its owner only like the real one."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)  # page by page, whatever the template's journal holds
    finally:
        source.close()
        target.close()
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite by default; storage tests parametrize this with "postgresql" too."""
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres")
        url = _fresh_postgres(server)
        yield url
        _drop_database(server, url.rsplit("/", 1)[1])
    else:
        yield _fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "advisor.db")


@contextmanager
def site_app(tmp_path: Path, database_url: str, **overrides: Any) -> Iterator[Flask]:
    """The site for the test client on the test's database (`overrides`: other settings); all of
    it (watcher, job worker, engine, database) closed after."""
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=database_url,
        secure_cookies=False,
        secret_key="test-secret-key",
        **overrides,
    )
    app = create_app(settings, {"TESTING": True})
    try:
        yield app
    finally:
        services(app).close()


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    with site_app(tmp_path, database_url) as made:
        yield made


def make_user(app: Flask, username: str, role: str = "respondent") -> None:
    svc = services(app)
    with svc.store.session() as db:
        create_user(svc.store, db, username, PASSWORD, role)


class Browser:
    """A test client that logs in and sends forms with their CSRF token, like a person would."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, path: str = "/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, page[:500]
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": self.token()}
        )

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """Send a form; one that changes an assessment carries the revision and version it shows
        now, as if its page had just been loaded (unless the test gives them, to send a stale one)."""
        fields = {**(data or {}), "csrf_token": self.token("/")}
        match = re.match(r"^/assessments/(\d+)/", path)
        if match and "revision" not in fields:
            fields |= current_revision(self.client.application, int(match.group(1)))
        return self.client.post(path, data=fields, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)


def current_revision(app: Flask, assessment_id: int) -> dict[str, str]:
    """The hidden fields a form about the assessment carries when rendered now."""
    if not 1 <= assessment_id <= MAX_ID:  # an address no assessment can have: nothing to show
        return {}
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        if record is None:
            return {}
        newest = latest_version(db, assessment_id)
        return {"revision": str(record.revision), "version": str(newest.number if newest else 0)}


@pytest.fixture
def site(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def anna(app: Flask, site: Browser) -> Browser:
    """A logged-in respondent."""
    make_user(app, "anna")
    assert site.login("anna").status_code == 302
    return site


@pytest.fixture
def gunicorn(database_url: str, tmp_path: Path) -> Iterator[LiveSite]:
    """The site under a real gunicorn (2 sync workers) on 127.0.0.1, on the test's database."""
    with gunicorn_site(database_url, tmp_path / "live") as live:
        yield live


def rules_app(tmp_path: Path, rules: Path, database_url: str) -> Flask:
    """The site on its own rule folder, watching it with no delay between looks."""
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=database_url,
        rules_dir=rules,
        secure_cookies=False,
        secret_key="k",
        reload_interval_seconds=0,
    )
    return create_app(settings, {"TESTING": True})


@pytest.fixture
def admin_app(tmp_path: Path, rules: Path, database_url: str) -> Iterator[Flask]:
    """The site on a copy of the rules, with the admin `root`."""
    app = rules_app(tmp_path, rules, database_url)
    make_user(app, "root", "admin")
    yield app
    services(app).close()


@pytest.fixture
def root(admin_app: Flask) -> Browser:
    """The admin `root`, logged in."""
    browser = Browser(admin_app.test_client())
    assert browser.login("root").status_code == 302
    return browser
