"""The assessments list in a real browser at a phone's width, in Swedish: search, a filter, the
next page and back, nothing scrolling sideways."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from advisor.model.questionnaire import empty_draft
from advisor.store.accounts import user_by_name
from advisor.store.assessments import add_version
from advisor.store.tables import AssessmentRecord, ReviewStatus, VersionKind
from tests.browser.conftest import login, screenshot
from web.extensions import services

pytestmark = pytest.mark.browser


def _add_many(app: Flask, owner: str, count: int) -> None:
    """`count` assessments of `owner` (organisations in Lund and Umeå; every third in review),
    saved as the store saves them, without plans."""
    with services(app).store.session() as db:
        user = user_by_name(db, owner)
        assert user is not None
        for i in range(count):
            answers = empty_draft("Lunds kommun" if i % 2 else "Umeå kommun")
            record = AssessmentRecord(owner_id=user.id, title=f"Utrullning {i:02d}", answers=answers)
            db.add(record)
            db.flush()
            add_version(db, record.id, user, answers, VersionKind.EDIT, None, None)
            record.status = ReviewStatus.IN_REVIEW if i % 3 == 0 else ReviewStatus.DRAFT


def _no_sideways_scroll(page: Page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"the page scrolls sideways by {wide} px"


def test_search_filter_and_page_on_a_phone_in_swedish(page: Page, live_app: tuple[str, Flask]) -> None:
    base, app = live_app
    _add_many(app, "anna", 60)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, base, "lead")
    page.get_by_role("button", name="Svenska").click()
    expect(page.get_by_role("heading", name="Bedömningar")).to_be_visible()
    # 20 of the 60 wait for the reviewer: the landing names the first and links to them all.
    expect(page.get_by_role("heading", name="Väntar på din granskning")).to_be_visible()
    expect(page.get_by_role("link", name="Visa alla 20 som väntar på dig")).to_be_visible()
    _no_sideways_scroll(page)

    page.get_by_label("Sök").fill("LUNDS")
    page.get_by_role("button", name="Visa", exact=True).click()
    expect(page).to_have_url(f"{base}/?q=LUNDS&status=&owner=&sort=changed")
    expect(page.get_by_role("status").filter(has_text="bedömningar")).to_have_text(
        "30 bedömningar · 25 per sida"
    )
    expect(page.locator("main tbody tr")).to_have_count(25)
    _no_sideways_scroll(page)
    screenshot(page, "list-search-390-sv", height=1600)

    page.get_by_role("link", name="Nästa sida").click()
    expect(page.locator("main tbody tr")).to_have_count(5)
    expect(page.get_by_role("link", name="Föregående sida")).to_be_visible()
    expect(page.get_by_label("Sök")).to_have_value("LUNDS")  # the search stays with its pages
    page.go_back()
    expect(page.locator("main tbody tr")).to_have_count(25)

    page.get_by_label("Status").select_option(label="Väntar på granskning")
    page.get_by_label("Ordning").select_option(label="Efter titel, A till Ö")
    page.get_by_role("button", name="Visa", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="bedömningar")).to_have_text("10 bedömningar")
    titles = page.locator("main tbody tr td:first-child").all_inner_texts()
    assert titles == sorted(titles)
    assert all(int(title.split()[-1]) % 6 == 3 for title in titles)  # odd (Lund) and a third in review
    expect(page.get_by_role("link", name="Nästa sida")).to_have_count(0)
    _no_sideways_scroll(page)
