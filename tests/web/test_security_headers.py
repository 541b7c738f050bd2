"""Every response carries the security headers: pages, the JSON API, errors, downloads, the docs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from flask import Flask

from advisor.store.accounts import create_token, user_by_name
from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import json_of
from web.extensions import services

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def _directives(policy: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            assert words[0] not in out, f"{words[0]} twice in {policy}"
            out[words[0]] = words[1:]
    return out


def _assert_headers(response: Any, where: str) -> dict[str, list[str]]:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert len(headers.getlist("Content-Security-Policy")) == 1, where
    policy = _directives(headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["base-uri"] == ["'none'"], where
    assert policy["form-action"] == ["'self'"], where
    assert policy["object-src"] == ["'none'"], where
    assert policy["default-src"] == ["'self'"], where
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in policy.get(directive, []), (where, directive)
        assert "'unsafe-eval'" not in policy.get(directive, []), (where, directive)
    return policy


def _token(app: Flask) -> dict[str, str]:
    store = services(app).store
    with store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        return {"Authorization": f"Bearer {create_token(db, user, 'tests')}"}


def test_every_kind_of_response_carries_the_headers(app: Flask, site: Browser) -> None:
    client = site.client
    responses = {"login page": client.get("/login"), "health": client.get("/healthz")}
    from tests.web.conftest import make_user

    make_user(app, "anna")
    site.login("anna")
    token = _token(app)
    created = client.post("/api/v1/assessments", json={"answers": CONTOSO}, headers=token)
    assessment_id = json_of(created)["id"]
    responses |= {
        "list page": client.get("/"),
        "plan page": client.get(f"/assessments/{assessment_id}/plan"),
        "questionnaire": client.get(f"/assessments/{assessment_id}/organisation"),
        "redirect": client.get(f"/assessments/{assessment_id}"),
        "page 404": client.get("/no/such/page"),
        "page 413": client.post("/assessments/import", data=b"x" * 3_000_000),
        "API created": created,
        "API JSON": client.get("/api/v1/assessments", headers=token),
        "API 401": client.get("/api/v1/assessments"),
        "API 404": client.get("/api/v1/nothing"),
        "API 413": client.post("/api/v1/plans", data=b"x" * 3_000_000, content_type="application/json"),
        "API 422": client.post("/api/v1/plans", json={}),
        "API export": client.get(f"/api/v1/assessments/{assessment_id}/export/xlsx", headers=token),
        "page download": client.get(f"/assessments/{assessment_id}/plan.csv"),
        "answers download": client.get(f"/assessments/{assessment_id}/export.yaml"),
        "OpenAPI": client.get("/api/v1/openapi.json"),
        "static file": client.get("/static/app.css"),
    }
    expected = {"page 404": 404, "page 413": 413, "API 401": 401, "API 404": 404, "API 413": 413}
    expected |= {"API created": 201, "API 422": 422, "redirect": 302}
    for where, response in responses.items():
        assert response.status_code == expected.get(where, 200), where
        policy = _assert_headers(response, where)
        assert policy["script-src"] == ["'self'"], where
        assert policy["style-src"] == ["'self'"], where
        response.close()


def test_the_api_docs_page_lives_with_the_same_strict_policy(site: Browser) -> None:
    """Swagger UI needs nothing more (tests/browser/test_csp.py renders it in Chromium)."""
    response = site.client.get("/api/docs")
    assert response.status_code == 200
    policy = _assert_headers(response, "docs")
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]


@pytest.mark.parametrize("path", ["/login", "/api/v1/ping"])
def test_headers_are_not_doubled_on_a_repeated_request(site: Browser, path: str) -> None:
    for _ in range(2):
        response = site.client.get(path)
        for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
            assert len(response.headers.getlist(name)) == 1


TEMPLATES = ROOT / "web" / "templates"
INLINE = {
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
    "inline <script>": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_no_template_has_inline_script_or_style() -> None:
    """What the CSP would refuse in a browser, found in the source: later pages (an SVG timeline,
    sticky columns) use classes and SVG presentation attributes, never style=."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {what}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        for what, pattern in INLINE.items()
        if pattern.search(line)
    ]
    assert found == []
    assert len(list(TEMPLATES.rglob("*.html"))) > 20
