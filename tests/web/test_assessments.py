"""Saved assessments: ownership and sharing, rename, duplicate, delete, import and export."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from flask import Flask
from werkzeug.test import TestResponse

from tests.conftest import ROOT
from tests.web.conftest import Browser, make_user
from tests.web.helpers import fill

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

CONTOSO_TEXT = (ROOT / "examples" / "contoso.yaml").read_text()
CONTOSO = yaml.safe_load(CONTOSO_TEXT)


def _import(site: Browser, text: str, name: str = "a.yaml") -> TestResponse:
    response: TestResponse = site.post(
        "/assessments/import",
        {"file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )
    return response


def _id(response: TestResponse) -> int:
    return int(response.headers["Location"].split("/")[2])


@pytest.mark.parametrize("kind", ["yaml", "json"])
def test_import_then_export_round_trips_exactly(anna: Browser, kind: str) -> None:
    text = CONTOSO_TEXT if kind == "yaml" else json.dumps(CONTOSO, indent=2)
    assessment_id = _id(_import(anna, text, f"contoso.{kind}"))
    exported = anna.get(f"/assessments/{assessment_id}/export.{kind}").get_data(as_text=True)
    data = yaml.safe_load(exported) if kind == "yaml" else json.loads(exported)
    assert data == CONTOSO
    again = _id(_import(anna, exported, f"again.{kind}"))
    assert anna.get(f"/assessments/{again}/export.{kind}").get_data(as_text=True) == exported


def test_an_invalid_file_is_refused_whole_with_every_problem(anna: Browser) -> None:
    bad = CONTOSO_TEXT.replace("users: 250", "users: 0").replace(
        "rollout_start: 2027-07", "rollout_start: July"
    )
    response = _import(anna, bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # Each problem at the question and group it is about, as the form names them.
    assert "Number of users (group IT): must be at least 1" in page
    assert "First month of the rollout (organisation): must be a month" in page
    assert "groups[0]" not in page
    assert "organisation.rollout_start" not in page
    assert "Contoso" not in anna.get("/").get_data(as_text=True)


def test_an_import_is_refused_in_swedish_under_the_swedish_interface(anna: Browser) -> None:
    """The problems of a refused file are Swedish sentences: the question and group by name,
    what is wrong in words; a file that is no YAML at all says so, and on which line."""
    anna.post("/language", {"language": "sv"})
    bad = CONTOSO_TEXT.replace("users: 250", "users: 0").replace(
        "support_capacity: 2500", "support_capacity: lots"
    )
    page = _import(anna, bad).get_data(as_text=True)
    assert "Antal användare (gruppen IT): måste vara minst 1" in page
    assert "(organisationen): måste vara ett heltal" in page
    broken = _import(anna, "version: 1\norganisation: [\n").get_data(as_text=True)
    assert "rad 3: inte giltig YAML (tolken säger:" in broken
    assert "not valid" not in broken
    for raw in (b"\xff\xfe", b"- a\n- b\n"):
        refused = anna.post(
            "/assessments/import", {"file": (io.BytesIO(raw), "a.yaml")}, content_type="multipart/form-data"
        ).get_data(as_text=True)
        assert "Filen importerades inte" in refused
        assert "the file" not in refused


def test_an_oversized_upload_gets_413(anna: Browser) -> None:
    # A raw body: the test client spools a multipart one to a file it never closes if unread.
    response = anna.client.post(
        "/assessments/import", data=b"#" * 2_100_000, content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_rename_duplicate_and_delete_with_confirmation(anna: Browser) -> None:
    assessment_id = _id(_import(anna, CONTOSO_TEXT))
    anna.post(f"/assessments/{assessment_id}/rename", {"title": "Contoso 2027"})
    assert "Contoso 2027" in anna.get("/").get_data(as_text=True)
    copy_id = _id(anna.post(f"/assessments/{assessment_id}/duplicate"))
    assert "Copy of Contoso 2027" in anna.get("/").get_data(as_text=True)
    assert "Delete Contoso 2027?" in anna.get(f"/assessments/{assessment_id}/delete").get_data(as_text=True)
    anna.post(f"/assessments/{assessment_id}/delete")
    assert anna.get(f"/assessments/{assessment_id}/plan").status_code == 404
    assert anna.get(f"/assessments/{copy_id}/plan").status_code == 200


def test_a_respondent_cannot_open_another_respondents_assessment(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    make_user(app, "bo")
    bo = Browser(app.test_client())
    bo.login("bo")
    for path in ("", "/plan", "/organisation", "/groups", "/groups/0", "/export.yaml", "/delete"):
        assert bo.get(f"/assessments/{assessment_id}{path}").status_code == 404, path
    assert bo.post(f"/assessments/{assessment_id}/rename", {"title": "mine"}).status_code == 404
    assert "Contoso" not in bo.get("/").get_data(as_text=True)


def test_reviewers_read_every_assessment_but_change_none(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    make_user(app, "lead", "reviewer")
    lead = Browser(app.test_client())
    lead.login("lead")
    assert "Contoso" in lead.get("/").get_data(as_text=True)
    assert lead.get(f"/assessments/{assessment_id}/plan").status_code == 200
    assert lead.get(f"/assessments/{assessment_id}/organisation").status_code == 404
    assert lead.post(f"/assessments/{assessment_id}/delete").status_code == 404


def test_health_answers_200_then_503_without_a_database(app: Flask, site: Browser) -> None:
    from advisor.store.database import Store
    from web.extensions import services

    assert site.get("/healthz").status_code == 200
    working = services(app).store
    services(app).store = Store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    try:
        response = site.get("/healthz")
        assert response.status_code == 503
        assert response.json["database"] is False
    finally:
        services(app).store.engine.dispose()
        services(app).store = working
