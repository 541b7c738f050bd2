"""Two languages: the browser's choice, a switch that is remembered, Swedish everywhere."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from flask import Flask

from advisor.services.accounts import Throttled
from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import fill
from web.auth import throttled_page

SWEDISH = {"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"}
CONTOSO = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def test_the_language_follows_the_browser(site: Browser) -> None:
    page = site.get("/login", headers=SWEDISH).get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert "Användarnamn" in page
    assert "Logga in" in page


def test_the_switch_is_remembered_in_the_session_and_the_profile(app: Flask, anna: Browser) -> None:
    anna.post("/language", {"language": "sv", "next": "/"})
    assert "Bedömningar" in anna.get("/").get_data(as_text=True)
    anna.post("/logout")
    fresh = Browser(app.test_client())
    fresh.login("anna")
    assert "Bedömningar" in fresh.get("/").get_data(as_text=True)  # from the profile


def test_questions_help_and_errors_in_swedish(anna: Browser) -> None:
    anna.post("/language", {"language": "sv", "next": "/"})
    response = anna.post("/assessments", {"title": "T"})
    assessment_id = int(response.headers["Location"].split("/")[2])
    page = anna.post(f"/assessments/{assessment_id}/organisation", {"name": ""}).get_data(as_text=True)
    assert "Organisationens namn" in page
    assert "Distributionens första månad" in page
    assert "måste anges" in page


def test_the_plan_in_swedish_uses_the_guides_terms(anna: Browser) -> None:
    swedish = {**CONTOSO, "organisation": {**CONTOSO["organisation"], "language": "sv"}}
    assessment_id = fill(anna, swedish)  # read under the English interface: the plan stays Swedish
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    for text in (
        "Begränsat pilottest — självbetjäning",
        "Utökat pilottest — assisterad",
        "Produktionsdistributionsfas 3 — självbetjäning",
        "juli 2027",
        "IT (50 användare)",
        "Motsägelse i guiden</strong>",
        '<span class="provenance provenance-beyond_guide">Vår bedömning</span>',  # never the guide's
        '<span class="provenance provenance-guide">Guiden</span>',
        "Gjord med regelboksversion",
    ):
        assert text in page, text


@pytest.mark.parametrize(
    ("language", "headers", "one", "three"),
    [("en", SWEDISH, "(1 user)", "(3 users)"), ("sv", {}, "(1 användare)", "(3 användare)")],
)
def test_the_plan_page_counts_users_in_words(
    anna: Browser, language: str, headers: dict[str, str], one: str, three: str
) -> None:
    answers: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
    answers["organisation"]["language"] = language  # the plan's language, not the interface's
    answers["groups"] = answers["groups"][:2]
    for group, count in zip(answers["groups"], (3, 1), strict=True):
        group["users"] = group["devices"] = count
    assessment_id = fill(anna, answers)
    page = anna.get(f"/assessments/{assessment_id}/plan", headers=headers).get_data(as_text=True)
    assert f"IT {three}" in page
    assert f"IT executives {one}" in page


@pytest.mark.parametrize(
    ("headers", "one", "three"),
    [({}, "in 1 minute.", "in 3 minutes."), (SWEDISH, "om 1 minut.", "om 3 minuter.")],
)
def test_the_login_page_counts_minutes_in_words(
    app: Flask, headers: dict[str, str], one: str, three: str
) -> None:
    pages = []
    for seconds in (60, 180):
        with app.test_request_context("/login", headers=headers):
            response = app.make_response(throttled_page(Throttled(seconds), "login.html"))
            pages.append(response.get_data(as_text=True))
    assert one in pages[0]
    assert three in pages[1]
