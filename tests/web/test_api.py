"""The JSON API: plans, saved assessments with tokens and revisions, exports, errors, OpenAPI."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from advisor.output.export import RATIONALE_COLUMNS
from advisor.store.accounts import create_token, user_by_name
from tests.conftest import ROOT
from tests.test_planner import GUIDE_TABLE_EN
from tests.web.conftest import make_user
from tests.web.helpers import json_of
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def _token(app: Flask, username: str, role: str = "respondent") -> dict[str, str]:
    make_user(app, username, role)
    store = services(app).store
    with store.session() as db:
        user = user_by_name(db, username)
        assert user is not None
        return {"Authorization": f"Bearer {create_token(db, user, 'tests')}"}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_the_openapi_document_is_valid(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document is not None
    validate(document)
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert "group ids must be unique" in document["info"]["description"]
    assert "rollout_too_long" in document["info"]["description"]


def test_the_schema_describes_the_calendar_and_the_divisions(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document is not None
    schemas = document["components"]["schemas"]
    organisation, group = schemas["Organisation"]["properties"], schemas["Group"]["properties"]
    country = organisation["country"]["anyOf"][0]
    assert [bool(re.search(country["pattern"], c)) for c in ("SE", " se ", "Sweden", "S")] == [1, 1, 0, 0]
    for months in (organisation["quiet_months"]["anyOf"][0], group["avoid_months"]):
        assert months["uniqueItems"] is True
        pattern = months["items"]["pattern"]
        assert [bool(re.search(pattern, m)) for m in ("07", "2027-12", "7", "13", "2027-13")] == [
            1,
            1,
            0,
            0,
            0,
        ]
    assert {"type": "null"} in organisation["quiet_months"]["anyOf"]  # null: the country's months
    by_platform = group["devices_by_platform"]["anyOf"][0]
    assert by_platform["propertyNames"] == {"enum": ["windows", "macos", "ios", "android"]}
    assert by_platform["additionalProperties"]["minimum"] == 0
    by_site = group["users_by_location"]["anyOf"][0]
    assert by_site["propertyNames"]["maxLength"] == 200
    assert by_site["additionalProperties"]["type"] == "integer"
    assert "devices_by_platform names exactly the group's platforms" in document["info"]["description"]


def test_a_division_that_does_not_add_up_is_refused_by_its_path(client: FlaskClient) -> None:
    group = {**CONTOSO["groups"][0], "devices_by_platform": {"windows": 450}}
    response = client.post("/api/v1/plans", json={**CONTOSO, "groups": [group]})
    assert response.status_code == 422
    assert json_of(response)["error"]["fields"] == [
        {
            "loc": "groups[0].devices_by_platform",
            "msg": "must name exactly the group's platforms: ios, android, macos missing",
        }
    ]


def test_the_docs_are_served_from_the_site_itself(client: FlaskClient) -> None:
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui-bundle.js" in page
    assert "http" not in page.replace('href="/', "").replace('src="/', "")
    with client.get("/static/vendor/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200


def test_post_plans_returns_the_plan_contract(client: FlaskClient) -> None:
    response = client.post("/api/v1/plans?language=sv", json=CONTOSO)
    assert response.status_code == 200
    plan = response.json
    assert plan is not None
    assert plan["version"] == 1
    assert plan["language"] == "sv"
    assert [p["title"] for p in plan["phases"]][:2] == ["Begränsat pilottest", "Utökat pilottest"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "version: 1", "content_type": "application/yaml"}, 415, "unsupported_media_type"),
        ({"data": "{", "content_type": "application/json"}, 422, "malformed_json"),
        ({"json": {**CONTOSO, "version": 2}}, 422, "invalid_content"),
        (
            {"data": "[" + "1," * 1_100_000 + "1]", "content_type": "application/json"},
            413,
            "payload_too_large",
        ),
    ],
)
def test_bad_requests_get_a_json_error_with_a_stable_code(
    client: FlaskClient, kwargs: dict[str, Any], status: int, code: str
) -> None:
    response = client.post("/api/v1/plans", **kwargs)
    assert response.status_code == status
    assert response.json is not None
    assert response.json["error"]["code"] == code


def test_invalid_content_names_each_field(client: FlaskClient) -> None:
    bad = json.loads(json.dumps(CONTOSO))
    bad["groups"][2]["users"] = 0
    bad["groups"][3]["needs_help"] = "hihg"
    error = json_of(client.post("/api/v1/plans", json=bad))["error"]
    assert {"loc": "groups[2].users", "msg": "must be at least 1"} in error["fields"]
    assert any(
        f["loc"] == "groups[3].needs_help" and "did you mean 'high'" in f["msg"] for f in error["fields"]
    )


def test_stored_resources_need_a_token(client: FlaskClient) -> None:
    for method, path in (
        ("get", "/api/v1/assessments"),
        ("get", "/api/v1/assessments/1"),
        ("delete", "/api/v1/assessments/1"),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/assessments", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_saved_assessment_round_trip_with_a_version_check(app: Flask, client: FlaskClient) -> None:
    anna = _token(app, "anna")
    created = client.post("/api/v1/assessments", json={"answers": CONTOSO}, headers=anna)
    assert created.status_code == 201
    resource = created.json
    assert resource is not None
    assessment_id, revision = resource["id"], resource["revision"]
    assert json_of(client.get("/api/v1/assessments", headers=anna))["items"][0]["id"] == assessment_id
    plan = client.get(f"/api/v1/assessments/{assessment_id}/plan", headers=anna).json
    assert plan is not None
    assert plan["rulebook"]["rules"] > 0

    changed = json.loads(json.dumps(CONTOSO))
    changed["groups"][4]["users"] = 60
    updated = client.put(
        f"/api/v1/assessments/{assessment_id}", headers=anna, json={"revision": revision, "answers": changed}
    )
    assert updated.status_code == 200
    assert json_of(updated)["answers"]["groups"][4]["users"] == 60
    stale = client.put(
        f"/api/v1/assessments/{assessment_id}", headers=anna, json={"revision": revision, "answers": CONTOSO}
    )
    assert stale.status_code == 409
    assert json_of(stale)["error"]["code"] == "stale_revision"

    bo = _token(app, "bo")
    assert client.get(f"/api/v1/assessments/{assessment_id}", headers=bo).status_code == 404
    assert client.delete(f"/api/v1/assessments/{assessment_id}", headers=bo).status_code == 404
    lead = _token(app, "lead", "reviewer")
    assert client.get(f"/api/v1/assessments/{assessment_id}", headers=lead).status_code == 200
    assert client.delete(f"/api/v1/assessments/{assessment_id}", headers=anna).status_code == 204
    assert client.get(f"/api/v1/assessments/{assessment_id}", headers=anna).status_code == 404


def test_exports_from_the_api(app: Flask, client: FlaskClient) -> None:
    from openpyxl import load_workbook

    anna = _token(app, "anna")
    assessment_id = json_of(client.post("/api/v1/assessments", json={"answers": CONTOSO}, headers=anna))["id"]
    base = f"/api/v1/assessments/{assessment_id}/export"

    raw = client.get(f"{base}/csv?language=sv", headers=anna).data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["rad", "fas", "nummer", "månad"]
    assert any(row[7] == "självbetjäning" for row in rows[1:])

    book = load_workbook(io.BytesIO(client.get(f"{base}/xlsx", headers=anna).data))
    sheet = book["Plan"]
    table = [[cell or "" for cell in row] for row in sheet.iter_rows(min_row=3, values_only=True)][
        : len(GUIDE_TABLE_EN)
    ]
    assert table == GUIDE_TABLE_EN
    rationale = book["Rationale"]
    assert rationale["A1"].value == "Group"
    rule = RATIONALE_COLUMNS.index("Rule")
    assert any(row[rule] == "assisted-for-executives" for row in rationale.iter_rows(values_only=True))
    swedish = load_workbook(io.BytesIO(client.get(f"{base}/xlsx?language=sv", headers=anna).data))
    assert swedish["Motivering"]["A1"].value == "Grupp"
    assert swedish["Plan"]["B3"].value == "juli 2027"

    markdown = client.get(f"{base}/markdown", headers=anna).get_data(as_text=True)
    assert "| Limited pilot — self-service | IT (50 users) |" in markdown
    assert json_of(client.get(f"{base}/json", headers=anna))["version"] == 1
    assert client.get(f"{base}/docx", headers=anna).status_code == 404


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Rollout plan for Contoso", "Page 1 of"]),
        ("sv", ["Distributionsplan för Contoso", "Sida 1 av"]),
    ],
)
def test_the_pdf_has_the_table_and_the_rationale_in_both_languages(
    app: Flask, client: FlaskClient, language: str, words: list[str], tmp_path: Any
) -> None:
    anna = _token(app, f"anna-{language}")
    assessment_id = json_of(client.post("/api/v1/assessments", json={"answers": CONTOSO}, headers=anna))["id"]
    pdf = client.get(f"/api/v1/assessments/{assessment_id}/export/pdf?language={language}", headers=anna).data
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for word in words:
        assert word in text
    assert "IT executives" in text


def test_get_rules_describes_the_loaded_rulebook(client: FlaskClient, app: Flask) -> None:
    rules = client.get("/api/v1/rules").json
    assert rules is not None
    assert rules["version"] == services(app).engine.rulebook.version
    assert rules["parameters"]["limited_pilot_size"] == 50
    assert "platform_order" not in rules["parameters"]  # numbers stay numbers; lists beside them
    assert rules["lists"]["platform_order"] == ["ios", "android", "windows", "macos"]
    nordic = {country: ["07", "12"] for country in ("SE", "NO", "DK", "FI")}
    assert rules["tables"]["quiet_months"] == {"default": ["12"], **nordic}
    document = client.get("/api/v1/openapi.json").json
    assert document is not None
    schema = document["components"]["schemas"]["RulesInfo"]
    assert schema["properties"]["lists"]["additionalProperties"] == {
        "items": {"type": "string"},
        "type": "array",
    }
    assert "quiet_months" in schema["properties"]["tables"]["description"]
    assert {r["id"] for r in rules["rules"]} >= {"assisted-for-executives", "limited-pilot-from-it"}


def test_unknown_api_paths_answer_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert json_of(response)["error"]["code"] == "not_found"


def test_unknown_query_parameters_are_refused(client: FlaskClient) -> None:
    response = client.post("/api/v1/plans?langauge=sv", json=CONTOSO)
    assert response.status_code == 422
    assert json_of(response)["error"]["code"] == "unknown_query_parameter"
    assert json_of(response)["error"]["fields"] == [
        {"loc": "langauge", "msg": "is not a known query parameter"}
    ]
