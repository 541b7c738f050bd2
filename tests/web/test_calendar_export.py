"""The calendar as an .ics file from the plan page's download link and from the API, in English
and Swedish, read back by the iCalendar library."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from flask import Flask
from icalendar import Calendar

from advisor.model.plan import Plan
from advisor.store.accounts import create_token, user_by_name
from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import json_of
from web.extensions import services

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
NAME = {"en": "Rollout plan for Contoso", "sv": "Distributionsplan för Contoso"}
REMINDER = {"en": "Reminder", "sv": "Påminnelse"}


def _assessment(app: Flask, anna: Browser, language: str = "en") -> tuple[int, dict[str, str]]:
    with services(app).store.session() as db:
        user = user_by_name(db, "anna")
        assert user is not None
        token = {"Authorization": f"Bearer {create_token(db, user, 'tests')}"}
    answers = {**CONTOSO, "organisation": {**CONTOSO["organisation"], "language": language}}
    response = anna.client.post("/api/v1/assessments", json={"answers": answers}, headers=token)
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(json_of(response)["id"]), token


def _read(response: Any, assessment_id: int, plan: Plan) -> Calendar:
    """The downloaded file, checked against the stored plan's calendar event by event."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="rollout-plan-contoso-\d{4}-\d{2}-\d{2}\.ics"',
        response.headers["Content-Disposition"],
    )
    calendar = Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert [(read.decoded("dtstart").isoformat(), str(read["summary"])) for read in events] == [
        (e.date, e.title) for e in plan.calendar
    ]
    assert len({str(read["uid"]) for read in events}) == len(events)
    return calendar


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_calendar_downloads_from_the_api_and_the_plan_page(
    app: Flask, anna: Browser, language: str
) -> None:
    assessment_id, token = _assessment(app, anna, language)
    stored = anna.client.get(
        f"/api/v1/assessments/{assessment_id}/plan?language={language}", headers=token
    ).get_data(as_text=True)
    plan = Plan.model_validate_json(stored)
    assert plan.language == language
    assert len(plan.calendar) > 40

    api = anna.client.get(
        f"/api/v1/assessments/{assessment_id}/export/ics?language={language}", headers=token
    )
    from_api = _read(api, assessment_id, plan)
    assert str(from_api["x-wr-calname"]) == NAME[language]

    # The plan page's file is in the assessment's language, whatever the interface's.
    if language == "en":
        anna.post("/language", {"language": "sv"})
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert re.findall(rf'<a href="/assessments/{assessment_id}/plan\.ics">([^<]*)</a>', page) == ["iCalendar"]
    from_page = _read(anna.get(f"/assessments/{assessment_id}/plan.ics"), assessment_id, plan)
    assert str(from_page["x-wr-calname"]) == NAME[language]
    assert REMINDER[language] in {str(c) for e in from_page.walk("VEVENT") for c in e.get("categories").cats}
    # The same events under the same UIDs, whichever way the file was fetched.
    assert [str(e["uid"]) for e in from_page.walk("VEVENT")] == [
        str(e["uid"]) for e in from_api.walk("VEVENT")
    ]
