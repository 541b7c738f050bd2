"""Go/no-go gates on the review page and through the API: recording a decision, what a no-go does
to the plan, refusals next to their field, the history, and Swedish."""

from __future__ import annotations

import copy
import html
import re
from datetime import date
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from advisor.model.plan import Plan
from advisor.services.assessments import stored_plan
from advisor.store.reviews import review_events
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT
from tests.web.conftest import Browser, make_user
from tests.web.helpers import fill, json_of, rendered_form
from tests.web.test_api import _token
from web.extensions import services

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

# The guide's example under way: the limited pilot in March 2026 (its gate on 12 March), the
# expanded pilot's gate on 30 March, production from April.
UNDER_WAY: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
UNDER_WAY["organisation"]["rollout_start"] = "2026-03"


def _record(app: Flask, assessment_id: int) -> AssessmentRecord:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        return record


def _plan(app: Flask, assessment_id: int) -> Plan:
    plan = stored_plan(_record(app, assessment_id).plan, "en")
    assert plan is not None
    return plan


def _months(app: Flask, assessment_id: int) -> dict[tuple[str, int | None], str]:
    return {(p.kind, p.number): p.month for p in _plan(app, assessment_id).phases}


def _lead(app: Flask) -> Browser:
    make_user(app, "lead", "reviewer")
    lead = Browser(app.test_client())
    lead.login("lead")
    return lead


def _text(page: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def _gate(page: str, key: str) -> str:
    found = re.search(rf'<article class="gate[^"]*" id="{key}">(.*?)</article>', page, re.S)
    assert found is not None, key
    return found.group(0)


def test_the_review_shows_each_gate_with_its_criteria_and_a_form(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, UNDER_WAY)
    page = _lead(app).get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "Go/no-go gates" in page
    keys = re.findall(r'<article class="gate[^"]*" id="(gate-[^"]+)">', page)
    assert keys == [
        "gate-limited_pilot",
        "gate-expanded_pilot",
        "gate-production-1",
        "gate-production-2",
    ]
    first = _text(_gate(page, "gate-limited_pilot"))
    assert "After Limited pilot, before Expanded pilot" in first
    assert "Review on 12 March 2026." in first
    assert (
        "Devices enrolled, of those the phase targets, at least 95% (Intune's enrollment reports) at least 95 percent"
        in first
    )
    assert "Helpdesk tickets at most" in first
    assert "Rollback steps, if the decision is a no-go" in first
    assert "None yet." in first
    form = rendered_form(_gate(page, "gate-limited_pilot"))
    assert form["date"] == [date.today().isoformat()]
    assert form["after"] == ["gate:limited_pilot"]
    assert form["revision"] == [str(_record(app, assessment_id).revision)]
    # The author records decisions too; a respondent who is not the author sees nothing of it.
    assert "Record the decision at this gate" in anna.get(f"/assessments/{assessment_id}/review").get_data(
        as_text=True
    )


def test_a_go_then_a_no_go_moves_the_later_phases_and_calls_for_the_rollback(
    app: Flask, anna: Browser
) -> None:
    assessment_id = fill(anna, UNDER_WAY)
    lead = _lead(app)
    before = _months(app, assessment_id)
    went = lead.post(
        f"/assessments/{assessment_id}/review/gate",
        {"after": "gate:limited_pilot", "outcome": "go", "date": "2026-03-13", "note": "All four met."},
    )
    assert went.status_code == 302
    assert went.headers["Location"].endswith(f"/assessments/{assessment_id}/review#gates")
    page = lead.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "The go was recorded." in page
    decided = '<li><strong>Go</strong>, 13 March 2026, lead: <span class="note">All four met.</span></li>'
    assert decided in _gate(page, "gate-limited_pilot")
    assert _months(app, assessment_id) == before

    lead.post(
        f"/assessments/{assessment_id}/review/gate",
        {
            "after": "gate:expanded_pilot",
            "outcome": "no_go",
            "date": "2026-03-30",
            "note": "Tickets: 9 per 100.",
        },
    )
    after = _months(app, assessment_id)
    assert after[("expanded_pilot", None)] == before[("expanded_pilot", None)]
    assert after[("production", 1)] > before[("production", 1)]
    assert after[("production", 3)] > before[("production", 3)]
    page = lead.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "The no-go was recorded" in page
    held = _gate(page, "gate-expanded_pilot")
    assert 'class="gate no-go"' in held
    assert '<div class="rollback due">' in held
    assert "Roll back now: the latest decision is a no-go" in held
    assert "Stop new enrollments for these groups" in held
    assert '<div class="rollback">' in _gate(page, "gate-limited_pilot")  # a go: nothing due
    # The history tells both, by gate and outcome, and the versions say what they were.
    history = _text(lead.get(f"/assessments/{assessment_id}/history").get_data(as_text=True))
    assert "decided go at the gate after Limited pilot" in history
    assert "decided no-go at the gate after Expanded pilot" in history
    assert ": Tickets: 9 per 100." in history
    assert history.count("Go/no-go decision recorded") == 2


def test_a_decision_keeps_the_sign_off(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, UNDER_WAY)
    lead = _lead(app)
    anna.post(f"/assessments/{assessment_id}/review/submit")
    lead.post(f"/assessments/{assessment_id}/review/sign_off", {"confirm": "1"})
    signed = _record(app, assessment_id).signed_version
    lead.post(
        f"/assessments/{assessment_id}/review/gate",
        {"after": "gate:limited_pilot", "outcome": "no_go", "date": "2026-03-13"},
    )
    record = _record(app, assessment_id)
    assert (record.status, record.signed_version) == ("signed_off", signed)
    with services(app).store.session() as db:
        assert "reopened" not in [e.action for e in review_events(db, assessment_id)]


def test_a_stale_form_records_nothing(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, UNDER_WAY)
    lead = _lead(app)
    seen = {"revision": str(_record(app, assessment_id).revision)}
    decision = {"after": "gate:limited_pilot", "outcome": "go", "date": "2026-03-13"}
    assert lead.post(f"/assessments/{assessment_id}/review/gate", {**decision, **seen}).status_code == 302
    stale = lead.post(f"/assessments/{assessment_id}/review/gate", {**decision, "outcome": "no_go", **seen})
    assert stale.status_code == 409
    assert len(_record(app, assessment_id).answers["gate_decisions"]) == 1


def test_a_refused_decision_says_why_next_to_each_field_and_keeps_the_input(
    app: Flask, anna: Browser
) -> None:
    assessment_id = fill(anna, UNDER_WAY)
    lead = _lead(app)
    revision = _record(app, assessment_id).revision
    page = lead.post(
        f"/assessments/{assessment_id}/review/gate",
        {"after": "gate:production:1", "date": "2999-01-01", "note": "Measured: 97 %"},
    )
    assert page.status_code == 422
    form = _gate(page.get_data(as_text=True), "gate-production-1")
    assert re.search(
        r'<small class="error" id="error-gate-production-1-outcome">Choose go or no-go.</small>', form
    )
    assert "A decision cannot be dated after today." in form
    assert 'value="2999-01-01"' in form
    assert ">Measured: 97 %</textarea>" in form
    assert "<details open>" in form
    assert "<details open>" not in _gate(page.get_data(as_text=True), "gate-limited_pilot")
    early = lead.post(
        f"/assessments/{assessment_id}/review/gate",
        {"after": "gate:limited_pilot", "outcome": "go", "date": "2026-01-02", "note": "x" * 2001},
    )
    text = _text(_gate(early.get_data(as_text=True), "gate-limited_pilot"))
    assert "A decision cannot be dated before the plan's first event (30 January 2026)." in text
    assert "The note may have at most 2000 characters." in text
    bogus = lead.post(
        f"/assessments/{assessment_id}/review/gate",
        {"after": "gate:production:3", "outcome": "go", "date": "2026-03-13"},
    )
    assert bogus.status_code == 422
    assert "The plan has no such gate now; reload the page." in bogus.get_data(as_text=True)
    for after in ("gate:production:\u00b2", "gate:production:\u0661", "gate:production:99999"):
        crafted = lead.post(  # digits Python's isdigit accepts but int() does not, and a long number
            f"/assessments/{assessment_id}/review/gate",
            {"after": after, "outcome": "go", "date": "2026-03-13"},
        )
        assert crafted.status_code == 422
    assert _record(app, assessment_id).revision == revision


def test_in_swedish(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, UNDER_WAY)
    lead = _lead(app)
    lead.post("/language", {"language": "sv"})
    page = lead.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "Beslutspunkter (go/no-go)" in page
    assert "Registrera beslutet vid den här beslutspunkten" in page
    assert "Granskning den 12 mars 2026." in _text(_gate(page, "gate-limited_pilot"))
    refused = lead.post(
        f"/assessments/{assessment_id}/review/gate", {"after": "gate:limited_pilot", "date": "2026-03-13"}
    )
    assert "Välj go eller no-go." in refused.get_data(as_text=True)
    lead.post(
        f"/assessments/{assessment_id}/review/gate",
        {"after": "gate:limited_pilot", "outcome": "no_go", "date": "2026-03-13"},
    )
    page = lead.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "No-go-beslutet registrerades" in page
    assert "Backa nu: det senaste beslutet är no-go" in page
    history = _text(lead.get(f"/assessments/{assessment_id}/history").get_data(as_text=True))
    assert "beslutade no-go vid beslutspunkten efter Begränsat pilottest" in history
    assert "Go/no-go-beslut registrerat" in history


# -- the API ------------------------------------------------------------------------------------


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_the_api_records_a_decision(app: Flask, client: FlaskClient) -> None:
    anna = _token(app, "anna")
    created = json_of(client.post("/api/v1/assessments", json={"answers": UNDER_WAY}, headers=anna))
    base = f"/api/v1/assessments/{created['id']}"
    body = {
        "after": {"phase": "expanded_pilot"},
        "outcome": "no_go",
        "date": "2026-03-30",
        "note": "Tickets: 9 per 100.",
        "revision": created["revision"],
    }
    made = client.post(f"{base}/gates", json=body, headers=anna)
    assert made.status_code == 201
    assert json_of(made) == {
        "version": 2,
        "revision": created["revision"] + 1,
        "after": {"phase": "expanded_pilot", "number": None},
        "decisions": [
            {"outcome": "no_go", "by": "anna", "date": "2026-03-30", "note": "Tickets: 9 per 100."}
        ],
    }
    plan = json_of(client.get(f"{base}/plan", headers=anna))
    assert "gate-no-go" in {w["code"] for w in plan["warnings"]}
    assert json_of(client.get(base, headers=anna))["answers"]["gate_decisions"][0]["by"] == "anna"

    stale = client.post(f"{base}/gates", json=body, headers=anna)
    assert (stale.status_code, json_of(stale)["error"]["code"]) == (409, "stale_revision")
    revision = created["revision"] + 1
    refused = client.post(
        f"{base}/gates",
        json={
            **body,
            "after": {"phase": "production", "number": 3},
            "date": "2026-01-05",
            "revision": revision,
        },
        headers=anna,
    )
    assert refused.status_code == 422
    error = json_of(refused)["error"]
    assert error["code"] == "gate_refused"
    assert {f["loc"]: f["msg"] for f in error["fields"]} == {
        "after": "the current plan has no gate after this phase",
        "date": "must not be before the plan's first event (2026-01-30)",
    }
    shape = client.post(
        f"{base}/gates",
        json={**body, "outcome": "maybe", "date": "2026-02-30", "revision": revision},
        headers=anna,
    )
    assert shape.status_code == 422
    assert {f["loc"] for f in json_of(shape)["error"]["fields"]} == {"outcome", "date"}
    bo = _token(app, "bo")
    assert client.post(f"{base}/gates", json={**body, "revision": revision}, headers=bo).status_code == 404
    lead = _token(app, "lead", "reviewer")
    went = client.post(
        f"{base}/gates",
        json={**body, "outcome": "go", "date": "2026-04-01", "revision": revision},
        headers=lead,
    )
    assert [d["outcome"] for d in json_of(went)["decisions"]] == ["no_go", "go"]


def test_the_api_refuses_a_decision_without_a_plan(app: Flask, client: FlaskClient) -> None:
    anna = _token(app, "anna")
    created = json_of(client.post("/api/v1/assessments", json={"answers": UNDER_WAY}, headers=anna))
    base = f"/api/v1/assessments/{created['id']}"
    with services(app).store.session() as db:  # a draft whose answers are not complete yet
        record = db.get(AssessmentRecord, created["id"])
        assert record is not None
        record.plan = None
    body = {"after": {"phase": "limited_pilot"}, "outcome": "go", "date": "2026-03-13", "revision": 1}
    refused = client.post(f"{base}/gates", json=body, headers=anna)
    assert (refused.status_code, json_of(refused)["error"]["code"]) == (404, "no_plan")


def test_the_openapi_document_describes_the_gates(client: FlaskClient) -> None:
    document = json_of(client.get("/api/v1/openapi.json"))
    operation = document["paths"]["/api/v1/assessments/{assessment_id}/gates"]["post"]
    assert operation["operationId"] == "decideGate"
    assert set(operation["responses"]) == {"201", "401", "404", "409", "413", "415", "422"}
    create = document["components"]["schemas"]["GateDecisionCreate"]
    assert set(create["required"]) == {"after", "outcome", "date", "revision"}
    assert create["properties"]["outcome"]["enum"] == ["go", "no_go"]
    assert copy.deepcopy(create["properties"]["note"])["maxLength"] == 2000
