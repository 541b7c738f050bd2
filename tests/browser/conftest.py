"""A live site on 127.0.0.1 and Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import FilePayload, Page, expect
from werkzeug.serving import make_server

from advisor.services.accounts import create_user
from advisor.services.live_rules import read_rulebook
from advisor.settings import Settings
from advisor.store.database import Store
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT
from web import create_app
from web.extensions import services

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "correct horse battery"
# Without the background-networking switches Chromium tries to reach Google's hosts at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's Chromium is missing: apt-get install chromium (.ci/run installs it)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve `app` on a free port of 127.0.0.1 in a thread; stop it and free its engine after."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        services(app).close()  # the rule watcher, the job worker, the engine and the database


def add_users(app: Flask, **roles: str) -> None:
    svc = services(app)
    with svc.store.session() as db:
        for name, role in roles.items():
            create_user(svc.store, db, name, PASSWORD, role)


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """The site with cookies marked Secure, as in production: its address, and the app behind it
    for a test that stores what no form can make."""
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path}/a.db",
        secret_key="browser-test-key",
    )
    app = create_app(settings)
    add_users(app, anna="respondent", bo="respondent", lead="reviewer")
    with serve(app) as base:
        yield base, app


@pytest.fixture
def live(live_app: tuple[str, Flask]) -> str:
    return live_app[0]


@contextmanager
def admin_site(tmp_path: Path, rules: Path, **overrides: Any) -> Iterator[tuple[str, Flask]]:
    """The site with its rulebook seeded from a copy of the rule folder (`rules`), reloading at
    once, with an admin `root`: its address and the app behind it (`overrides`: other settings)."""
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path}/a.db",
        rules_dir=rules,
        secret_key="k",
        reload_interval_seconds=0,
        **overrides,
    )
    app = create_app(settings)
    add_users(app, root="admin")
    with serve(app) as base:
        yield base, app


@pytest.fixture
def live_admin(tmp_path: Path, rules: Path) -> Iterator[str]:
    """The admin site (`admin_site`)."""
    with admin_site(tmp_path, rules) as (base, _app):
        yield base


def admin_rulebook_file(tmp_path: Path, name: str) -> str:
    """A file of the `live_admin` site's rulebook ("x.yaml", "scenarios/x.yaml"), as its database
    holds it."""
    store = Store(f"sqlite:///{tmp_path}/a.db")
    try:
        return read_rulebook(store)[1][name]
    finally:
        store.engine.dispose()


def import_contoso(page: Page, live: str) -> str:
    """Import the guide's example through the import page; returns the assessment's address."""
    page.goto(f"{live}/assessments/import")
    contoso: FilePayload = {
        "name": "contoso.yaml",
        "mimeType": "application/yaml",
        "buffer": (ROOT / "examples" / "contoso.yaml").read_bytes(),
    }
    page.locator("#file").set_input_files(files=[contoso])
    page.get_by_role("button", name="Import").last.click()
    expect(page.get_by_role("heading", name="Targeted groups")).to_be_visible()
    return page.url.rsplit("/", 1)[0]


def set_plan_language(app: Flask, assessment: str, language: str) -> None:
    """Set an assessment's "Language of the plan" without re-planning (its stored plans hold both
    languages): the plan page then shows the plan in `language`, whatever the interface's."""
    assessment_id = int(assessment.rstrip("/").rsplit("/", 1)[1])
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        organisation = {**record.answers["organisation"], "language": language}
        record.answers = {**record.answers, "organisation": organisation}


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Assessments")).to_be_visible()


def screenshot(page: Page, name: str, *, height: int | None = None) -> None:
    """The whole page, or only its top `height` pixels (a long page takes seconds to capture)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = str(ARTIFACTS / f"{name}.png")
    if height is None:
        page.screenshot(path=path, full_page=True)
    else:
        width, whole = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        page.screenshot(
            path=path, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": min(height, whole)}
        )


@pytest.fixture
def no_external_requests(page: Page, live: str) -> Iterator[list[str]]:
    """Every request the page makes; the test fails if one leaves 127.0.0.1."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    yield seen
    outside = [url for url in seen if not url.startswith(("http://127.0.0.1", "data:", "about:"))]
    assert outside == []
