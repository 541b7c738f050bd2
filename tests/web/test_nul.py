"""NUL characters in form fields and query parameters: a clear 400 before any view, never a 500.

PostgreSQL's text type cannot hold NUL: before, a NUL in the login user name, an API token's
name or a review comment was a 500 there (psycopg.DataError).
"""

from __future__ import annotations

import pytest
from flask import Flask

from advisor.model.facts import load_assessment
from tests.conftest import ROOT
from tests.web.conftest import Browser, make_user
from tests.web.helpers import fill

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
NUL = "a\x00b"


def test_a_nul_in_the_login_form_is_refused(site: Browser) -> None:
    response = site.login(NUL)
    assert response.status_code == 400
    assert "NUL character (U+0000)" in response.get_data(as_text=True)


def test_a_nul_in_a_token_name_or_a_comment_is_refused(app: Flask, anna: Browser) -> None:
    assert anna.post("/account/tokens", {"name": NUL}).status_code == 400
    assert anna.get("/account/tokens").status_code == 200  # nothing half-saved broke the page
    assessment_id = fill(anna, load_assessment(ROOT / "examples" / "contoso.yaml").model_dump(mode="json"))
    response = anna.post(f"/assessments/{assessment_id}/review/comment", {"text": NUL})
    assert response.status_code == 400


def test_the_swedish_page_says_it_in_swedish(app: Flask, site: Browser) -> None:
    make_user(app, "bo")
    response = site.client.post(
        "/login",
        data={"username": NUL, "password": "x", "csrf_token": site.token()},
        headers={"Accept-Language": "sv"},
    )
    assert "NUL-tecknet" in response.get_data(as_text=True)


def test_the_api_refuses_a_nul_in_a_query_parameter(app: Flask) -> None:
    response = app.test_client().post("/api/v1/plans?language=%00", json={})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_query"
    assert error["fields"] == [{"loc": "language", "msg": "contains NUL"}]
