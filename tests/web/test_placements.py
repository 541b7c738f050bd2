"""The plan page, the review page and the page's downloads say what each placement enrolls:
platforms, sites and devices, escaped as any other text; a plan saved before shows as it did."""

from __future__ import annotations

import io
from typing import Any

import yaml
from flask import Flask
from markupsafe import escape

from advisor.model.plan import Plan
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT
from tests.placed import FORMULA_SITE, old_plan, platforms_plan, sites_plan
from tests.web.conftest import Browser
from tests.web.helpers import fill
from web.extensions import services

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def _with_plan(app: Flask, anna: Browser, plans: dict[str, Plan]) -> int:
    """An assessment whose stored plan is the one given, per language."""
    assessment_id = fill(anna, CONTOSO)
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        record.plan = {language: plan.model_dump(mode="json") for language, plan in plans.items()}
    return assessment_id


def test_the_plan_page_shows_platforms_sites_and_devices(app: Flask, anna: Browser) -> None:
    assessment_id = _with_plan(app, anna, {"en": sites_plan(), "sv": sites_plan("sv")})
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    # the table: one line per group, what it enrolls below, the month it is in named for phones
    assert '<td data-month="April 2027"><ul class="entries"><li>Stores (120 users)' in page
    assert '<small class="what">Umeå</small>' in page
    assert '<small class="what">Luleå</small>' in page
    # the group's placements
    assert "<strong>self-service</strong>; Windows, iOS/iPadOS · Umeå, Luleå · 35 devices</li>" in page
    with services(app).store.session() as db:  # a Swedish plan: the assessment's language
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        record.answers = {
            **record.answers,
            "organisation": {**record.answers["organisation"], "language": "sv"},
        }
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert '<small class="what">Umeå</small>' in page
    assert '<td data-month="april 2027"><ul class="entries"><li>Butiker (120 användare)' in page


def test_a_platform_split_shows_one_platform_a_month(app: Flask, anna: Browser) -> None:
    assessment_id = _with_plan(app, anna, {"en": platforms_plan()})
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert '<small class="what">Windows</small>' in page
    assert '<small class="what">iOS/iPadOS</small>' in page


def test_the_review_page_shows_what_each_placement_enrolls(app: Flask, anna: Browser) -> None:
    assessment_id = _with_plan(app, anna, {"en": sites_plan()})
    page = anna.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert (
        "Production phase 1, April 2027: 120 users, assisted (Windows, iOS/iPadOS · Umeå · 130 devices); "
        in page
    )
    assert (
        "Production phase 1, April 2027: 80 users, assisted (Windows, iOS/iPadOS · Luleå · 90 devices)"
        in page
    )


def test_an_old_plan_shows_no_empty_parts(app: Flask, anna: Browser) -> None:
    assessment_id = _with_plan(app, anna, {"en": old_plan()})
    for path in ("plan", "review"):
        page = anna.get(f"/assessments/{assessment_id}/{path}").get_data(as_text=True)
        page = page.split("<main", 1)[1]  # the page's own title says "Plan · Rollout Advisor"
        assert "None" not in page
        assert " · " not in page
        assert "devices" not in page
        assert 'class="what"' not in page
        assert "()" not in page
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert '<td data-month="April 2027">Stores (120 users), Stores (80 users)</td>' in page


def test_sites_are_text_on_the_pages_and_in_the_downloads(app: Flask, anna: Browser) -> None:
    from openpyxl import load_workbook

    attack = "<script>alert(1)</script>"
    assessment_id = _with_plan(app, anna, {"en": sites_plan(site=attack)})
    for path in ("plan", "review"):
        page = anna.get(f"/assessments/{assessment_id}/{path}").get_data(as_text=True)
        assert attack not in page
        assert str(escape(attack)) in page
    assessment_id = _with_plan(app, anna, {"en": sites_plan(site=FORMULA_SITE)})
    csv = anna.get(f"/assessments/{assessment_id}/plan.csv").get_data(as_text=True)
    assert ",\"'=HYPERLINK(" in csv  # the site alone in its cell, made text
    assert ',"=HYPERLINK(' not in csv
    book = load_workbook(io.BytesIO(anna.get(f"/assessments/{assessment_id}/plan.xlsx").data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert any(cell.value == FORMULA_SITE and cell.quotePrefix for cell in cells)
