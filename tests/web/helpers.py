"""Filling the questionnaire through the forms, from an assessment file's data."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from typing import Any

from pydantic import ValidationError
from werkzeug.test import TestResponse

from advisor.directory.errors import MESSAGES
from advisor.model.questionnaire import GROUP
from tests.web.conftest import Browser
from web.api import ApiError

# A group's choices that the form offers with none made: a file that leaves one out means its default.
CHOSEN = {q.name: q.default for q in GROUP if q.explicit}


def json_of(response: TestResponse) -> Any:
    """The JSON a response carries; a test that expected JSON fails here if there is none."""
    data = response.get_json(silent=True)
    assert data is not None, response.get_data(as_text=True)[:300]
    return data


def form_values(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as a browser would send them: lists as repeated fields, booleans as checkboxes,
    months separated by commas, a number for each name as `name: number` lines."""
    data: dict[str, Any] = {}
    if "users" in answers:  # a group: the choices the form makes a person make, as the file means them
        answers = {**CHOSEN, **answers}
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
_DISAGREEING = re.compile(
    r"^(must name exactly the group's (platforms|sites)|adds up to |lists the site |names every month "
    r"|is a percentage: at most 100|is not a date of the calendar"
    # the count of the problems past the first hundred, which are shown (and documented) above
    r"|and \d+ more problems?, not shown)"
)


EXPORT_REFUSALS = frozenset(MESSAGES)


def documented_refusal(status: int, body: bytes) -> bool:
    """The refusals JSON Schema cannot state, which the OpenAPI description documents: a group id
    used twice, answers of a group that disagree, months to keep free that name all twelve, an exit
    criterion in percent over 100, a decision dated on a day the calendar does not have, a rollout longer than the ceiling on months, and a go/no-go
    decision at a gate the plan does not have or on a day it cannot be taken (an ApiError all the
    same); a body past the size limit, refused with 413 before it is read (such as thousands of
    edited messages of 10,000 characters each, which the schema's bounds allow together), or an
    address past the server's limit (414); a list's page cursor that the API did not make (400); and
    an imported export whose content cannot be read, a pattern that is no words, an edit of a group
    the proposal does not have (422, each with its own code)."""
    text = body.decode("utf-8", errors="replace")
    if status == 400:  # a list's `page` is an opaque cursor: only the API's own links are pages
        try:
            error = ApiError.model_validate_json(text).error
        except ValidationError:
            return False
        return error.code == "invalid_query" and [problem.loc for problem in error.fields] == ["page"]
    if status == 414:  # an address longer than the server takes (gunicorn's request line)
        return True
    if status == 413:
        try:
            return ApiError.model_validate_json(text).error.code == "payload_too_large"
        except ValidationError:
            return False
    if status != 422:
        return False
    if "is already used by groups[" in text:
        return True
    try:
        error = ApiError.model_validate_json(text).error
    except ValidationError:
        return False
    if error.code == "invalid_content" and error.fields:
        return all(_DISAGREEING.match(problem.msg) for problem in error.fields)
    # An export refused for what it holds (not a CSV, a users file as the devices file, no rows,
    # columns missing, ...): what a file holds is no part of the schema; its codes are documented.
    # So are an import's patterns that are no words and its edits of groups it does not have.
    return error.code in (
        "rollout_too_long",
        "gate_refused",
        "invalid_patterns",
        "edit_refused",
        *EXPORT_REFUSALS,
    )


class _Form(HTMLParser):
    """The fields a browser would send from the page's forms, as rendered (what round trips)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._first: str | None = None  # the open select's first option

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") if "disabled" not in a else None  # a disabled field is not sent
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.setdefault(name, []).append(a.get("value") or "on")
            else:
                self.fields.setdefault(name, []).append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.setdefault(name, []).append("")
        elif tag == "select" and name:
            self._select, self._first = name, None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value") or ""
            if "selected" in a:
                self.fields.setdefault(self._select, []).append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            # A select with no option selected sends its first option, as a browser does.
            if self._select and self._select not in self.fields and self._first is not None:
                self.fields[self._select] = [self._first]
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea][-1] += data


def rendered_form(page: str) -> dict[str, list[str]]:
    """The page's form fields with the values it shows, as a browser would send them unchanged."""
    parser = _Form()
    parser.feed(page)
    return parser.fields


def job_address(page: str) -> str:
    """The address of the impact job a page shows (the fragment it polls)."""
    match = re.search(r'id="impact-job"[^>]*?hx-get="(/admin/jobs/\d+)"', page)
    assert match, page[-2000:]
    return match.group(1)


def finished_job(browser: Browser, page: str, looks: int = 600) -> str:
    """The job fragment once the job has ended, polled as the page does (the site's embedded
    worker does the job)."""
    address = job_address(page)
    for _ in range(looks):
        fragment: str = browser.get(address).get_data(as_text=True)
        if "hx-trigger" not in fragment:
            return fragment
        time.sleep(0.1)
    raise AssertionError(f"the job at {address} did not end: {fragment}")
