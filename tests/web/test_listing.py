"""The assessments list a page at a time, on the site and in the API, on both databases: every row
once across the pages while rows are added between them, search, filters, orders, the reviewer's
waiting view, who sees whose, the API's Link headers and refusals, and the columns the search
reads kept in step with every write (and filled in by the migration)."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask
from flask.testing import FlaskClient

from advisor.model.questionnaire import empty_draft
from advisor.store.accounts import create_token, user_by_name
from advisor.store.assessments import add_version
from advisor.store.migrate import MIGRATIONS
from advisor.store.tables import AssessmentRecord, ReviewStatus, VersionKind
from tests.conftest import ROOT
from tests.web.conftest import Browser, make_user, site_app
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
SIZE = 3  # rows a page here, so that a few rows make several pages
CONTOSO = (ROOT / "examples" / "contoso.yaml").read_text()


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    with site_app(tmp_path, database_url, page_size=SIZE) as made:
        yield made


def _add(
    app: Flask,
    owner: str,
    title: str,
    organisation: str = "",
    status: ReviewStatus = ReviewStatus.DRAFT,
    changed: datetime | None = None,
) -> int:
    """An assessment saved as the store saves every one (its first version), without a plan."""
    with services(app).store.session() as db:
        user = user_by_name(db, owner)
        assert user is not None
        answers = empty_draft(organisation)
        record = AssessmentRecord(owner_id=user.id, title=title, answers=answers, step="organisation")
        db.add(record)
        db.flush()
        add_version(db, record.id, user, answers, VersionKind.EDIT, None, None)
        record.status = status
        if changed is not None:
            record.updated_at = changed
        return record.id


def _token(app: Flask, username: str) -> dict[str, str]:
    with services(app).store.session() as db:
        user = user_by_name(db, username)
        assert user is not None
        return {"Authorization": f"Bearer {create_token(db, user, 'list')}"}


def _walk(client: FlaskClient, auth: dict[str, str], url: str, between: Any = None) -> list[list[int]]:
    """Every page from `url` on, following rel=next; `between()` runs after each page."""
    pages = []
    while True:
        response = client.get(url, headers=auth)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        pages.append([item["id"] for item in body["items"]])
        links = _links(response.headers.get("Link", ""))
        assert links.get("next") == body["next"]
        assert links.get("prev") == body["prev"]
        if between:
            between()
        if body["next"] is None:
            return pages
        url = body["next"]


def _links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(next|prev)"', header)}


@pytest.fixture
def api(app: Flask) -> tuple[FlaskClient, dict[str, str]]:
    make_user(app, "anna")
    return app.test_client(), _token(app, "anna")


@pytest.mark.parametrize("sort", ["changed", "created", "title"])
def test_every_row_once_while_rows_are_added_between_pages(
    app: Flask, api: tuple[FlaskClient, dict[str, str]], sort: str
) -> None:
    client, auth = api
    # Ten rows, four of them sharing one moment and one title: the id breaks every tie.
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    first = [_add(app, "anna", f"T{i % 6}", changed=moment if i < 4 else None) for i in range(10)]
    added: list[int] = []

    def insert() -> None:  # an assessment started while someone pages through the list
        added.append(_add(app, "anna", "A new one" if sort != "title" else "ZZZ late"))

    pages = _walk(client, auth, f"/api/v1/assessments?sort={sort}", insert)
    seen = [row for page in pages for row in page]
    assert len(seen) == len(set(seen)), "a row came twice"
    assert set(first) <= set(seen), "a row was skipped"
    assert all(len(page) == SIZE for page in pages[:-1])
    response = client.get(f"/api/v1/assessments?sort={sort}", headers=auth)
    assert response.get_json()["count"] == len(first) + len(added)


def test_pages_back_and_forth_are_the_same_pages(app: Flask, api: tuple[FlaskClient, dict[str, str]]) -> None:
    client, auth = api
    for i in range(8):
        _add(app, "anna", f"Row {i}")
    forward = []
    url: str | None = "/api/v1/assessments"
    while url:
        body = client.get(url, headers=auth).get_json()
        forward.append(([item["id"] for item in body["items"]], body["prev"]))
        url = body["next"]
    assert [len(ids) for ids, _prev in forward] == [3, 3, 2]
    assert forward[0][1] is None  # the first page has no previous page
    back = []
    url = forward[-1][1]
    while url:
        body = client.get(url, headers=auth).get_json()
        back.append([item["id"] for item in body["items"]])
        url = body["prev"]
    assert back == [forward[1][0], forward[0][0]]


def test_search_finds_titles_and_organisations_in_any_case(
    app: Flask, api: tuple[FlaskClient, dict[str, str]]
) -> None:
    client, auth = api
    åby = _add(app, "anna", "Rollout 2027", "Åby Kommun")
    fabrikam = _add(app, "anna", "Fabrikam pilot", "Fabrikam AB")
    percent = _add(app, "anna", "100% cloud", "")
    _add(app, "anna", "Other", "Elsewhere")

    def found(q: str) -> list[int]:
        body = client.get("/api/v1/assessments", query_string={"q": q}, headers=auth).get_json()
        return sorted(item["id"] for item in body["items"])

    assert found("åBY") == [åby]  # the organisation's name, folded alike on both databases
    assert found("FABRIKAM") == [fabrikam]
    assert found("  rollout   2027 ") == [åby]
    assert found("%") == [percent]  # a wildcard of LIKE is only a character here
    assert found("_") == []
    assert found("nowhere") == []


def test_filters_by_status_and_author_and_sorts(app: Flask) -> None:
    make_user(app, "anna")
    make_user(app, "bo")
    make_user(app, "lead", "reviewer")
    old = datetime(2025, 1, 1, tzinfo=UTC)
    a = _add(app, "anna", "Beta", status=ReviewStatus.IN_REVIEW, changed=old)
    b = _add(app, "bo", "alpha", status=ReviewStatus.SIGNED_OFF, changed=old + timedelta(days=1))
    c = _add(app, "bo", "Gamma", changed=old + timedelta(days=2))
    d = _add(app, "anna", "delta", changed=old - timedelta(days=1))
    client, auth = app.test_client(), _token(app, "lead")

    def ids(**query: str) -> list[int]:
        response = client.get("/api/v1/assessments", query_string=query, headers=auth)
        assert response.status_code == 200
        return [item["id"] for item in response.get_json()["items"]]

    assert ids() == [c, b, a]  # the first page: recently changed first
    assert ids(status="in_review") == [a]
    assert ids(owner="bo") == [c, b]
    assert ids(owner="bo", status="draft") == [c]
    assert ids(owner="nobody") == []
    assert ids(sort="created") == [d, c, b]
    assert ids(sort="title") == [b, a, d]  # A to Z, whatever the case
    lead = Browser(client)
    lead.login("lead")
    page = lead.get("/?owner=bo&sort=title").get_data(as_text=True)
    assert '<option value="bo" selected>bo</option>' in page
    assert '<option value="title" selected>' in page
    assert page.index(">alpha</a>") < page.index(">Gamma</a>")


def test_an_author_never_sees_anothers(app: Flask) -> None:
    make_user(app, "anna")
    make_user(app, "bo")
    own = _add(app, "anna", "Mine", "Anna AB")
    _add(app, "bo", "Theirs", "Bo AB", status=ReviewStatus.IN_REVIEW)
    client, auth = app.test_client(), _token(app, "anna")
    for query in ({}, {"owner": "bo"}, {"q": "Bo AB"}, {"status": "in_review"}, {"waiting": "true"}):
        body = client.get("/api/v1/assessments", query_string=query, headers=auth).get_json()
        assert [item["id"] for item in body["items"]] == ([own] if query == {} else [])
        assert body["count"] == (1 if query == {} else 0)
    browser = Browser(app.test_client())
    browser.login("anna")
    page = browser.get("/?owner=bo").get_data(as_text=True)
    assert "Theirs" not in page
    assert "Bo AB" not in page
    assert 'id="list-owner"' not in page  # an author has no author to choose


def test_the_reviewers_waiting_view(app: Flask) -> None:
    make_user(app, "anna")
    make_user(app, "lead", "reviewer")
    waiting = [_add(app, "anna", f"Waiting {i}", status=ReviewStatus.IN_REVIEW) for i in range(7)]
    _add(app, "anna", "A draft")
    _add(app, "lead", "The lead's own in review", status=ReviewStatus.IN_REVIEW)
    sent_back = _add(app, "anna", "Sent back", status=ReviewStatus.CHANGES_REQUESTED)
    lead = Browser(app.test_client())
    lead.login("lead")
    landing = lead.get("/").get_data(as_text=True)
    assert "Waiting for your review" in landing
    link = re.search(r'<a href="([^"]*waiting=1[^"]*)">Show all 7 waiting for you</a>', landing)
    assert link, landing
    view = lead.get(html.unescape(link.group(1))).get_data(as_text=True)
    assert re.search(r'<p id="list-count" role="status">7 assessments', view)
    assert "The lead&#39;s own" not in view
    assert "A draft" not in view
    assert 'id="list-waiting" name="waiting" type="checkbox" value="1" checked' in view
    auth = _token(app, "lead")
    body = app.test_client().get("/api/v1/assessments?waiting=true", headers=auth).get_json()
    assert body["count"] == len(waiting)
    # An author's own waiting view: what was sent back to them.
    anna = Browser(app.test_client())
    anna.login("anna")
    mine = anna.get("/?waiting=1").get_data(as_text=True)
    assert "Sent back" in mine
    assert f"/assessments/{sent_back}/" in mine
    assert re.search(r'<p id="list-count" role="status">1 assessment<', mine)


def test_the_site_pages_with_a_get_form(app: Flask) -> None:
    make_user(app, "anna")
    for i in range(7):
        _add(app, "anna", f"Kommun {i}", "Lund")
    _add(app, "anna", "Elsewhere", "Oslo")
    browser = Browser(app.test_client())
    browser.login("anna")
    first = browser.get("/?q=lund").get_data(as_text=True)
    assert '<form method="get"' in first
    assert 'role="search"' in first
    assert '<label for="list-q">Search</label>' in first
    assert re.search(r'<p id="list-count" role="status">7 assessments · 3 a page</p>', first)
    assert 'rel="prev"' not in first
    assert "Elsewhere" not in first
    seen = re.findall(r"<td><a href=\"/assessments/(\d+)\"", first)
    url = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', first).group(1))  # type: ignore[union-attr]  # asserted by the page having a next page
    assert "q=lund" in url  # the search carries over
    while url:
        page = browser.get(url).get_data(as_text=True)
        assert "First page" in page
        assert 'rel="prev"' in page
        seen += re.findall(r"<td><a href=\"/assessments/(\d+)\"", page)
        found = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = html.unescape(found.group(1)) if found else ""
    assert len(seen) == len(set(seen)) == 7
    swedish = browser.get("/?q=lund", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "7 bedömningar" in swedish
    assert "Nästa sida" in swedish


def test_the_site_refuses_a_page_it_did_not_make(app: Flask) -> None:
    make_user(app, "anna")
    browser = Browser(app.test_client())
    browser.login("anna")
    response = browser.get("/?page=not-a-cursor")
    assert response.status_code == 400
    assert "start again from the first page" in response.get_data(as_text=True)


def test_the_api_says_which_parameter_it_refuses(app: Flask, api: tuple[FlaskClient, dict[str, str]]) -> None:
    client, auth = api
    for i in range(4):
        _add(app, "anna", f"Row {i}")
    not_a_page = "is not a page of this list: follow the list's own next and prev links"
    next_page = client.get("/api/v1/assessments", headers=auth).get_json()["next"]
    cursor = next_page.split("page=")[1]
    refusals = {
        "page=garbage": ("page", not_a_page),
        "page=eyJ4IjoxfQ": ("page", not_a_page),  # JSON, but not a cursor
        f"page={cursor}&sort=title": ("page", "is a page of the list sorted by changed, not by title"),
        "status=lost": ("status", "must be one of: draft, in_review, changes_requested, signed_off"),
        "sort=size": ("sort", "must be one of: changed, created, title"),
        "waiting=maybe": ("waiting", "must be true or false"),
        "q=" + "x" * 201: ("q", "must be at most 200 characters"),
        "status=draft&status=in_review": ("status", "must be given at most once"),
        "q=": ("q", "must not be empty"),
    }
    for query, (field, reason) in refusals.items():
        response = client.get(f"/api/v1/assessments?{query}", headers=auth)
        assert response.status_code == 400, query
        error = response.get_json()["error"]
        assert error["code"] == "invalid_query"
        assert error["fields"] == [{"loc": field, "msg": reason}], query
    unknown = client.get("/api/v1/assessments?limit=5", headers=auth)
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["code"] == "unknown_query_parameter"


def test_every_write_keeps_the_searched_columns_in_step(app: Flask) -> None:
    """Import, rename, a new version of the answers and a copy: the list finds each by its new
    title and organisation without reading any answers."""
    make_user(app, "anna")
    browser = Browser(app.test_client())
    browser.login("anna")
    client, auth = app.test_client(), _token(app, "anna")

    def found(q: str) -> list[str]:
        body = client.get("/api/v1/assessments", query_string={"q": q}, headers=auth).get_json()
        return sorted(item["title"] for item in body["items"])

    response = browser.post("/assessments/import", {"file": (io.BytesIO(CONTOSO.encode()), "contoso.yaml")})
    assert response.status_code == 302
    assessment_id = int(re.search(r"/assessments/(\d+)/", response.location).group(1))  # type: ignore[union-attr]  # an import redirects to the new assessment
    assert found("contoso") == ["Contoso"]
    browser.post(f"/assessments/{assessment_id}/rename", {"title": "Rollout plan"})
    assert found("rollout plan") == ["Rollout plan"]
    assert found("contoso") == ["Rollout plan"]
    resource = client.get(f"/api/v1/assessments/{assessment_id}", headers=auth).get_json()
    answers = resource["answers"]
    answers["organisation"]["name"] = "Northwind"
    changed = client.put(
        f"/api/v1/assessments/{assessment_id}",
        json={"revision": resource["revision"], "answers": answers},
        headers=auth,
    )
    assert changed.status_code == 200
    assert found("northwind") == ["Rollout plan"]
    assert found("contoso") == []
    browser.post(f"/assessments/{assessment_id}/duplicate")
    assert found("northwind") == ["Copy of Rollout plan", "Rollout plan"]
    page = browser.get("/").get_data(as_text=True)
    assert "<td>Northwind</td>" in page


def test_the_migration_fills_in_the_searched_columns(app: Flask, database_url: str) -> None:
    """Rows saved before the list's migration are found by title and organisation after it."""
    make_user(app, "anna")
    services(app).close()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.downgrade(config, "0005")
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            owner = connection.execute(sa.text("SELECT id FROM users WHERE username = 'anna'")).scalar_one()
            for title, answers in (("Old one", '{"organisation": {"name": " Åby "}}'), ("Bare", "{}")):
                connection.execute(
                    sa.text(
                        "INSERT INTO assessments (owner_id, title, answers, step, revision, status, "
                        "created_at, updated_at) VALUES (:owner, :title, :answers, 'organisation', 1, "
                        "'draft', :now, :now)"
                    ),
                    {"owner": owner, "title": title, "answers": answers, "now": datetime.now(UTC)},
                )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT title, organisation, search_text FROM assessments ORDER BY title")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [("Bare", "", "bare\n"), ("Old one", "Åby", "old one\nåby")]
