"""Two languages: the browser's choice, a switch that is remembered, Swedish everywhere."""

from __future__ import annotations

import yaml
from flask import Flask

from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import fill

SWEDISH = {"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"}
CONTOSO = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def test_every_string_of_the_site_has_a_swedish_translation() -> None:
    from tools.build_translations import main

    assert main() == 0


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
    assessment_id = fill(anna, CONTOSO)
    anna.post("/language", {"language": "sv", "next": "/"})
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    for text in (
        "Begränsat pilottest — självbetjäning",
        "Utökat pilottest — assisterad",
        "Produktionsdistributionsfas 3 — självbetjäning",
        "juli 2027",
        "IT (50 användare)",
        "Spänning i guiden",
        "Gjord med regelboksversion",
    ):
        assert text in page, text
