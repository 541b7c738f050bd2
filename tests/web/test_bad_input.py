"""Bad input gets a 4xx with a clear message, never a 500 (issue 9, item 9).

Each of these was a 500 on the site: JSON nested 1,000 deep, integers past Python's 4,300-digit
conversion limit (API, import, admin editor), ids of 10^20 or 2^63 reaching the database, and a
reply to a comment that does not exist or belongs to another assessment.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from advisor.model.documents import MAX_DEPTH
from advisor.store.accounts import create_token, user_by_name
from advisor.store.reviews import review_events
from advisor.store.tables import AssessmentRecord, ReviewEvent
from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import json_of
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

EXAMPLE = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
HUGE_IDS = [2**31, 2**63, 10**20]


def _deep(document: dict[str, Any]) -> str:
    """The document with `groups` replaced by lists nested 1,000 deep."""
    text = json.dumps({**document, "groups": "HERE"})
    return text.replace('"HERE"', "[" * 1000 + "]" * 1000)


def _long(document: dict[str, Any], digits: int = 5000) -> str:
    """The document with the first group's users written with `digits` digits."""
    text = json.dumps(document)
    return text.replace('"users": 250', '"users": ' + "9" * digits, 1)


@pytest.fixture
def app(admin_app: Flask) -> Flask:
    """The site on a copy of the rules, with the admin `root` (see conftest)."""
    return admin_app


@pytest.fixture
def token(app: Flask) -> dict[str, str]:
    with services(app).store.session() as db:
        user = user_by_name(db, "root")
        assert user is not None
        return {"Authorization": f"Bearer {create_token(db, user, 'test')}"}


def _assessments(app: Flask) -> int:
    with services(app).store.session() as db:
        return db.query(AssessmentRecord).count()


def _new_assessment(root: Browser) -> int:
    response = root.post(
        "/assessments/import", {"file": (io.BytesIO(json.dumps(EXAMPLE).encode()), "a.json")}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    match = re.search(r"/assessments/(\d+)/", response.headers["Location"])
    assert match
    return int(match.group(1))


def test_api_bodies_nested_too_deep_or_with_huge_numbers_get_422(
    app: Flask, root: Browser, token: dict[str, str]
) -> None:
    client: FlaskClient = app.test_client()
    assessment_id = _new_assessment(root)
    before = _assessments(app)
    for transform, message in ((_deep, f"nested deeper than {MAX_DEPTH} levels"), (_long, "5,000 digits")):
        bodies = [
            ("POST", "/api/v1/plans", transform(EXAMPLE)),
            ("POST", "/api/v1/assessments", '{"answers": ' + transform(EXAMPLE) + "}"),
            (
                "PUT",
                f"/api/v1/assessments/{assessment_id}",
                '{"revision": 1, "answers": ' + transform(EXAMPLE) + "}",
            ),
        ]
        for method, path, body in bodies:
            response = client.open(
                path, method=method, data=body, content_type="application/json", headers=token
            )
            assert response.status_code == 422, (method, path, response.status_code)
            error = json_of(response)["error"]
            assert error["code"] == "malformed_json"
            assert message in error["message"]
    assert _assessments(app) == before


@pytest.mark.parametrize("kind", ["json", "yaml"])
def test_imports_nested_too_deep_or_with_huge_numbers_get_422(app: Flask, root: Browser, kind: str) -> None:
    as_yaml = yaml.safe_dump(EXAMPLE, sort_keys=False)
    files = {
        "json": [(_deep(EXAMPLE), "nested deeper than"), (_long(EXAMPLE), "5,000 digits")],
        "yaml": [
            (
                as_yaml.replace("groups:", "groups: " + "[" * 1000 + "]" * 1000 + "\nxgroups:"),
                "nested deeper than",
            ),
            (as_yaml.replace("users: 250", "users: " + "9" * 5000, 1), "5,000 digits"),
        ],
    }[kind]
    for text, message in files:
        response = root.post("/assessments/import", {"file": (io.BytesIO(text.encode()), f"attack.{kind}")})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert _assessments(app) == 0


def test_the_admin_editor_answers_a_huge_number_with_a_finding(root: Browser, rules: Path) -> None:
    path = rules / "planning.yaml"
    original = path.read_text()
    value = re.search(r"value: (\d+)", original)
    assert value
    typed = original.replace(value.group(0), "value: " + "9" * 5000, 1)
    for action, status in (("check", 200), ("save", 422)):  # a check shows findings; a save is refused
        response = root.post("/admin/rules/planning.yaml", {"action": action, "text": typed, "message": "x"})
        assert response.status_code == status, action
        assert "a number of 5,000 digits" in response.get_data(as_text=True)
    response = root.post("/admin/rules/planning.yaml", {"action": "fields-check", "param-x": "9" * 5000})
    assert response.status_code == 302  # refused with a message, the file untouched
    assert path.read_text() == original


def _url(rule: str, number: int) -> str:
    """A concrete URL for a route, with `number` for every id in it."""

    def fill(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "", match.group(2)
        if name in ("assessment_id", "token_id", "number", "index"):
            return str(number)
        options = re.search(r"any\(([^,)]+)", converter)
        return (
            options.group(1).strip() if options else {"name": "planning.yaml", "kind": "json"}.get(name, "x")
        )

    return re.sub(r"<(?:([^:>]+):)?(\w+)>", fill, rule)


@pytest.mark.parametrize("number", HUGE_IDS)
def test_every_route_with_an_id_answers_404_for_ids_past_the_database(
    app: Flask, root: Browser, token: dict[str, str], number: int
) -> None:
    seen = 0
    for rule in app.url_map.iter_rules():
        if not rule.arguments & {"assessment_id", "token_id", "number", "index"}:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = _url(rule.rule, number)
            if method == "POST":
                response = root.post(url)
            else:
                response = root.client.open(url, method=method, headers=token)
            assert response.status_code == 404, (method, url, response.status_code)
            seen += 1
    assert seen >= 30  # every route with an id, site and API


@pytest.mark.parametrize("value", [str(2**63), str(10**20), "0", "-1", "abc", "9" * 5000])
def test_compare_refuses_a_version_number_that_is_no_number_with_400(root: Browser, value: str) -> None:
    assessment_id = _new_assessment(root)
    assert root.get(f"/assessments/{assessment_id}/compare").status_code == 200
    for parameter in ("a", "b"):
        response = root.get(f"/assessments/{assessment_id}/compare?{parameter}={value}")
        assert response.status_code == 400, (parameter, value)
        assert "is not a version number" in response.get_data(as_text=True)


def test_a_reply_only_answers_a_comment_of_the_same_assessment(app: Flask, root: Browser) -> None:
    mine, other = _new_assessment(root), _new_assessment(root)
    root.post(f"/assessments/{other}/review/comment", {"text": "On the other assessment."})
    with services(app).store.session() as db:
        foreign = review_events(db, other)[-1].id
        ours = len(review_events(db, mine))
    for reply_to in (str(foreign), "999999", str(2**63), str(10**20), "abc"):
        response = root.post(
            f"/assessments/{mine}/review/comment", {"text": "A reply.", "reply_to": reply_to}
        )
        assert response.status_code == 400, (reply_to, response.status_code)
        assert "is not a comment on this assessment" in response.get_data(as_text=True)
    with services(app).store.session() as db:
        assert len(review_events(db, mine)) == ours
        assert db.query(ReviewEvent).filter(ReviewEvent.reply_to == foreign).count() == 0
    # A reply to a comment of the same assessment still works.
    root.post(f"/assessments/{mine}/review/comment", {"text": "First."})
    with services(app).store.session() as db:
        first = review_events(db, mine)[-1].id
    response = root.post(f"/assessments/{mine}/review/comment", {"text": "Reply.", "reply_to": str(first)})
    assert response.status_code == 302
    with services(app).store.session() as db:
        assert review_events(db, mine)[-1].reply_to == first
