"""Unbounded plans (issue 9, item 1) through the API, the site and a real gunicorn."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect

from advisor.model.facts import load_assessment
from advisor.model.methods import PREREQUISITES
from advisor.store.accounts import user_by_name
from advisor.store.listing import ListQuery, assessment_page
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT
from tests.live import LiveSite, call
from tests.web.conftest import Browser, make_user
from tests.web.helpers import fill
from tests.worst import fitted
from web.extensions import services

HEADERS = {"Content-Type": "application/json"}


def _attack() -> dict[str, Any]:
    """The reported 2.5 KB request: the guide's example, capacity 1, one group of 100,000 users."""
    data: dict[str, Any] = load_assessment(ROOT / "examples" / "contoso.yaml").model_dump(mode="json")
    data["organisation"]["support_capacity"] = 1
    data["groups"].append({"id": "huge", "name": "Huge", "users": 100_000, "platforms": ["windows"]})
    return data


def test_the_public_endpoint_refuses_a_rollout_past_the_ceiling(client: FlaskClient) -> None:
    response = client.post("/api/v1/plans", json=_attack())
    assert response.status_code == 422
    assert len(response.data) < 2000  # was 26 MB
    error = response.get_json()["error"]
    assert error["code"] == "rollout_too_long"
    assert error["fields"][0]["loc"] == "organisation.support_capacity"
    assert "at most 60" in error["fields"][0]["msg"]


def test_the_reason_comes_in_the_language_asked_for(client: FlaskClient) -> None:
    response = client.post("/api/v1/plans?language=sv", json=_attack())
    assert "högst 60" in response.get_json()["error"]["fields"][0]["msg"]


def test_saving_it_through_the_api_saves_nothing(app: Flask, client: FlaskClient) -> None:
    make_user(app, "api")
    with services(app).store.session() as db:
        from advisor.store.accounts import create_token

        user = user_by_name(db, "api")
        assert user is not None
        token = create_token(db, user, "t")
    auth = {"Authorization": f"Bearer {token}"}
    refused = client.post("/api/v1/assessments", json={"answers": _attack()}, headers=auth)
    assert refused.status_code == 422
    assert client.get("/api/v1/assessments", headers=auth).get_json()["items"] == []

    fine = _attack()
    fine["organisation"]["support_capacity"] = 5000
    created = client.post("/api/v1/assessments", json={"answers": fine}, headers=auth)
    assert created.status_code == 201
    body = created.get_json()
    update = {"revision": body["revision"], "answers": _attack()}
    assert client.put(f"/api/v1/assessments/{body['id']}", json=update, headers=auth).status_code == 422
    after = client.get(f"/api/v1/assessments/{body['id']}", headers=auth).get_json()
    assert after["revision"] == body["revision"]
    assert after["answers"]["organisation"]["support_capacity"] == 5000


def test_the_questionnaire_keeps_the_answers_and_says_why_there_is_no_plan(anna: Browser) -> None:
    data = _attack()
    assessment_id = fill(anna, data)
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert "at most 60" in page
    assert "Production phase" not in page
    export = anna.get(f"/assessments/{assessment_id}/export.yaml")
    assert b"100000" in export.data  # the answers are kept: nothing typed is lost


def test_lists_load_no_plans(app: Flask, anna: Browser) -> None:
    fill(anna, load_assessment(ROOT / "examples" / "contoso.yaml").model_dump(mode="json"))
    svc = services(app)
    with svc.store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        (record,) = assessment_page(db, user, ListQuery(), 50).records
        assert {"plan", "answers"} <= inspect(record).unloaded
    assert anna.get("/").status_code == 200


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_worst_request_against_gunicorn_is_bounded(gunicorn: LiveSite) -> None:
    """The worst assessment that fits the request limit, against the running service."""
    limit = 2_000_000  # ADVISOR_MAX_REQUEST_BYTES's default
    refused = fitted(limit, capacity=1, split_by="auto")
    body = json.dumps(refused).encode()
    answer = call(f"{gunicorn.base}/api/v1/plans", "POST", body, HEADERS, timeout=60)
    assert answer.status == 422, answer.body[:500]
    assert len(answer.body) < 2000

    # The largest that plans: every platform's load counts, so each group's users are capped to
    # fit the ceiling at the largest capacity, and no month is quiet (the most phases).
    accepted = fitted(limit, capacity=100_000_000, split_by="auto", users=1_000_000, calendar=False)
    answer = call(f"{gunicorn.base}/api/v1/plans", "POST", json.dumps(accepted).encode(), HEADERS, timeout=60)
    assert answer.status == 200, answer.body[:500]
    plan = answer.json()
    placements = sum(len(g["placements"]) for g in plan["groups"])
    assert len({p["month"] for p in plan["phases"]}) <= 60
    pieces = sum(len(g["platforms"]) * max(1, len(g["locations"])) for g in accepted["groups"])
    assert placements <= pieces + len(plan["phases"])
    sites = sum(len(json.dumps(p["locations"]).encode()) for g in plan["groups"] for p in g["placements"])
    # One method per platform and owner (a mixed group has both), each with its reasons and why
    # not the others; each prerequisite names the groups that need it.
    methods = sum(len(g["methods"]) for g in plan["groups"])
    kinds = sum(len(g["platforms"]) * (2 if g["ownership"] == "mixed" else 1) for g in accepted["groups"])
    assert methods == kinds
    assert len(plan["prerequisites"]) <= len(PREREQUISITES)
    named = sum(len(json.dumps(p["groups"]).encode()) for p in plan["prerequisites"])
    bound = 4096 * len(plan["groups"]) + 2560 * placements + 3072 * methods + 2 * sites
    # The calendar: an event names its group once and its site once; a gate its criteria, the ids
    # of the groups of the phases on either side, and the decisions as recorded; a week of the
    # helpdesk's load the ids of the groups enrolling in it (a window spans at most six weeks).
    events = plan["calendar"]
    assert all(len(json.dumps(e).encode()) <= 1024 + 2 * len((e["location"] or "").encode()) for e in events)
    decided = sum(len(json.dumps(d).encode()) for g in plan["gates"] for d in g["decisions"])
    calendar = (
        sum(1024 + 2 * len((e["location"] or "").encode()) for e in events)
        + 4096 * len(plan["gates"])
        + 4 * 70 * placements
        + decided
        + 256 * len(plan["support_load"])
        + 6 * 70 * placements
    )
    assert len(answer.body) <= bound + 1024 * len(PREREQUISITES) + named + calendar
    assert call(f"{gunicorn.base}/healthz").status == 200


@pytest.mark.parametrize(
    ("field", "items"),
    [("platforms", [0] * 150_000), ("requirements", [0] * 150_000)],
)
def test_an_answer_never_grows_with_the_mistakes_in_a_request(
    client: FlaskClient, field: str, items: list[int]
) -> None:
    """Found by our attack pass: 900,000 invalid list items made an 82 MB answer in 15 s and left
    the worker at 510 MB. Lists are bounded by the schema, and at most 100 problems are named."""
    data = _attack()
    data["groups"][0][field] = items
    response = client.post("/api/v1/plans", json=data)
    assert response.status_code == 422
    assert len(response.data) < 5_000
    (problem,) = [f for f in response.get_json()["error"]["fields"] if f["loc"] == f"groups[0].{field}"]
    assert "at most" in problem["msg"]


def test_a_request_with_thousands_of_mistakes_names_the_first_hundred(client: FlaskClient) -> None:
    data = _attack()
    data["organisation"].update({f"unknown_{i}": i for i in range(20_000)})
    response = client.post("/api/v1/plans", json=data)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert len(fields) == 101
    assert "and 19900 more problems" in fields[-1]["msg"]
    assert len(response.data) < 20_000


def test_the_import_page_stays_small_too(anna: Browser) -> None:
    data = _attack()
    data["groups"][0]["platforms"] = [0] * 150_000
    response = anna.post(
        "/assessments/import",
        {"file": (io.BytesIO(json.dumps(data).encode()), "a.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert len(response.data) < 50_000


def _revision(app: Flask, assessment_id: int) -> int:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record.revision


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "N" * 100_000, "at most 200 characters"),
        ("name", "IT\x01", "control characters (U+0001)"),
        ("users", "9" * 1_000, "must be a whole number"),
        ("locations", "\n".join(f"site {i}" for i in range(5_000)), "at most 200 items"),
    ],
)
def test_the_forms_never_save_what_the_contract_refuses(
    app: Flask, anna: Browser, field: str, value: str, message: str
) -> None:
    """Found by our attack pass: the questionnaire saved 150,000 platforms, 100,000-character
    names and control characters into a draft; every page of that assessment then took seconds.
    A draft may be incomplete, never past the contract's sizes."""
    assessment_id = fill(anna, load_assessment(ROOT / "examples" / "contoso.yaml").model_dump(mode="json"))
    before = _revision(app, assessment_id)
    group = {"name": "Z", "users": "5", "platforms": "ios", field: value}
    response = anna.post(f"/assessments/{assessment_id}/groups/new", group)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _revision(app, assessment_id) == before  # nothing was saved


def test_ticked_boxes_are_the_questions_own_choices(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, load_assessment(ROOT / "examples" / "contoso.yaml").model_dump(mode="json"))
    response = anna.post(
        f"/assessments/{assessment_id}/groups/new",
        {"name": "Z", "users": "5", "platforms": ["0"] * 150_000 + ["ios", "ios"]},
    )
    assert response.status_code == 302
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        assert record.answers["groups"][-1]["platforms"] == ["ios"]
