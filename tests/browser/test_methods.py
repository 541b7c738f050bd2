"""The plan page's enrollment methods and prerequisites checklist in a real browser, at a desktop's
width and a phone's, in English and Swedish (screenshots in artifacts/screenshots)."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, import_contoso, login, screenshot, set_plan_language

pytestmark = pytest.mark.browser

# What the page says of Retail's corporate iPhones and of Sales and marketing's personal Android
# phones, and the first prerequisite's due date, in each language.
SHOWN = {
    "en": (
        "Apple automated device enrollment (iOS/iPadOS)",
        "yes, devices in use are wiped",
        "App protection without enrollment (Android)",
        "Due 17 June 2027",
        "Why not the other methods?",
        "Svenska",
    ),
    "sv": (
        "Apples automatiserade enhetsregistrering (iOS/iPadOS)",
        "ja, enheter som används rensas",
        "Appskydd utan registrering (Android)",
        "Senast 17 juni 2027",
        "Varför inte de andra metoderna?",
        "English",
    ),
}


def _fits(page: Page) -> bool:
    """No sideways scrolling: nothing on the page is wider than the window, no methods table wider
    than the page."""
    fits: bool = page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"
        " && [...document.querySelectorAll('.methods-table')].every("
        "e => e.parentElement.scrollWidth <= e.parentElement.clientWidth)"
    )
    return fits


def test_the_plan_shows_the_methods_and_the_checklist_at_every_width(
    page: Page, live_app: tuple[str, Flask]
) -> None:
    live, app = live_app
    login(page, live, "anna")
    assessment = import_contoso(page, live)
    for language, (ade, reset, app_protection, due, why_not, other) in SHOWN.items():
        set_plan_language(app, assessment, language)  # the plan's language, not the interface's
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{assessment}/plan")
        retail = page.locator("#methods-retail")
        row = retail.locator('tbody[data-platform="ios"][data-ownership="corporate"]')
        expect(row.locator("th")).to_have_text(ade)
        expect(row.locator(".reset-required")).to_have_text(reset)
        expect(row.locator(".reset-required")).to_be_visible()
        android = page.locator("#methods-sales-marketing").locator(
            'tbody[data-platform="android"][data-ownership="personal"]'
        )
        expect(android.locator("th")).to_have_text(app_protection)
        checklist = page.locator("ol.checklist")
        expect(checklist.locator("li").first).to_contain_text(due)
        assert checklist.locator("li").count() >= 10
        # why not the others: folded away until asked for
        details = row.locator("details.why-not")
        expect(details.locator("li").first).not_to_be_visible()
        details.locator("summary", has_text=why_not).click()
        expect(details.locator('li[data-method="ios_shared_ipad"]')).to_be_visible()
        assert _fits(page)
        screenshot(page, f"20-plan-methods-{language}")
        retail.screenshot(path=str(ARTIFACTS / f"21-plan-methods-retail-{language}.png"))

        page.set_viewport_size({"width": 390, "height": 844})
        # a card per row: each cell named by its column, no table header, nothing wider than the phone
        expect(retail.locator("thead")).not_to_be_in_viewport()
        expect(row.locator(".reset-required")).to_be_visible()
        label = row.locator("td.reset").evaluate("e => getComputedStyle(e, '::before').content")
        assert label == ('"Reset"' if language == "en" else '"Återställning"')
        assert _fits(page)
        screenshot(page, f"22-plan-methods-{language}-phone")
        retail.screenshot(path=str(ARTIFACTS / f"23-plan-methods-retail-{language}-phone.png"))
        page.locator("#prerequisites").screenshot(
            path=str(ARTIFACTS / f"24-prerequisites-{language}-phone.png")
        )
        page.get_by_role("button", name=other).click()
