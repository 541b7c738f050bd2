"""Filling the questionnaire through the forms, from an assessment file's data."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from werkzeug.test import TestResponse

from tests.web.conftest import Browser
from web.api import ApiError


def json_of(response: TestResponse) -> Any:
    """The JSON a response carries; a test that expected JSON fails here if there is none."""
    data = response.get_json(silent=True)
    assert data is not None, response.get_data(as_text=True)[:300]
    return data


def form_values(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as a browser would send them: lists as repeated fields, booleans as checkboxes,
    months separated by commas, a number for each name as `name: number` lines."""
    data: dict[str, Any] = {}
    for key, value in answers.items():
        if key == "id" or value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif key == "locations":
            data[key] = "\n".join(value)
        elif key in ("quiet_months", "avoid_months"):
            data[key] = ", ".join(value)
            if not value:
                data[f"{key}-none"] = "on"
        elif isinstance(value, dict):
            data[key] = "\n".join(f"{name}: {number}" for name, number in value.items())
        elif isinstance(value, list):
            data[key] = value
        else:
            data[key] = str(value)
    return data


def fill(site: Browser, assessment: dict[str, Any]) -> int:
    """Create an assessment and answer every question; returns its id."""
    response = site.post("/assessments", {"title": assessment["organisation"]["name"]})
    assessment_id = int(response.headers["Location"].split("/")[2])
    response = site.post(
        f"/assessments/{assessment_id}/organisation", form_values(assessment["organisation"])
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    for group in assessment["groups"]:
        response = site.post(f"/assessments/{assessment_id}/groups/new", form_values(group))
        assert response.status_code == 302, response.get_data(as_text=True)
    return assessment_id


# What a group's answers must agree on, which JSON Schema cannot state: the divisions of its
# devices and users name its platforms and sites and add up, and a site is named once whatever its
# case and surrounding spaces.
_DISAGREEING = re.compile(r"^(must name exactly the group's (platforms|sites)|adds up to |lists the site )")


def documented_refusal(status: int, body: bytes) -> bool:
    """The refusals JSON Schema cannot state, which the OpenAPI description documents: a group id
    used twice, answers of a group that disagree, and a rollout longer than the ceiling on months
    (an ApiError all the same)."""
    if status != 422:
        return False
    text = body.decode("utf-8", errors="replace")
    if "is already used by groups[" in text:
        return True
    try:
        error = ApiError.model_validate_json(text).error
    except ValidationError:
        return False
    if error.code == "invalid_content" and error.fields:
        return all(_DISAGREEING.match(problem.msg) for problem in error.fields)
    return error.code == "rollout_too_long"
