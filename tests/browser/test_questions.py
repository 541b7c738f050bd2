"""Questions asked only where they matter, in a real browser: changing the ownership or the
platforms shows and hides them at once, at desktop and phone width, in English and Swedish."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import login, screenshot
from tests.browser.test_site import start_assessment

pytestmark = pytest.mark.browser


def _to_a_new_group(page: Page, live: str) -> str:
    login(page, live, "anna")
    base = start_assessment(page, "Methods")
    page.locator("#f-name").fill("Methods")
    page.locator("#f-rollout_start").fill("2027-07")
    page.get_by_role("button", name="Save and continue to the groups").click()
    page.get_by_role("button", name="Add a group").click()
    return base


def _visible(page: Page, *names: str) -> None:
    for name in ("personal_percent", "personal_devices", "corporate_devices", "private_use"):
        question = page.locator(f"#q-{name}")
        if name in names:
            expect(question).to_be_visible()
        else:
            expect(question).to_be_hidden()


@pytest.mark.parametrize("width", [1280, 390])
def test_ownership_and_platforms_show_and_hide_the_questions(page: Page, live: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    base = _to_a_new_group(page, live)
    suffix = "" if width > 600 else "-phone"
    _visible(page)  # who owns the devices is not chosen yet: nothing depends on it shows
    page.locator("#f-ownership").select_option("corporate")
    _visible(page, "corporate_devices")
    page.locator("#f-platforms-android").check()
    _visible(page, "corporate_devices", "private_use")
    page.locator("#f-corporate_devices").select_option("in_use_keep")
    screenshot(page, f"15-group-corporate-android{suffix}")
    page.locator("#f-ownership").select_option("personal")
    _visible(page, "personal_devices")
    link = page.locator("#help-personal_devices a")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    screenshot(page, f"16-group-personal{suffix}")
    page.locator("#f-ownership").select_option("mixed")
    _visible(page, "personal_percent", "personal_devices", "corporate_devices", "private_use")
    expect(page.locator("#f-corporate_devices")).to_have_value("in_use_keep")  # kept while hidden
    page.locator("#f-platforms-android").uncheck()
    _visible(page, "personal_percent", "personal_devices", "corporate_devices")
    page.locator("#f-platforms-ios").check()
    page.locator("#f-name").fill("Sales")
    page.locator("#f-users").fill("40")
    page.locator("#f-personal_percent").fill("30")
    page.locator("#f-personal_devices").select_option("protect_apps")
    screenshot(page, f"17-group-mixed{suffix}")
    for choice in ("change_readiness", "needs_help", "business_risk"):  # none is preselected
        page.locator(f"#f-{choice}").select_option("medium")
    page.get_by_role("button", name="Save group").click()
    expect(page.get_by_role("heading", name="Targeted groups")).to_be_visible()  # all seen: done
    page.goto(f"{base}/groups/0")
    _visible(page, "personal_percent", "personal_devices", "corporate_devices")
    expect(page.locator("#f-personal_percent")).to_have_value("30")
    expect(page.locator("#f-corporate_devices")).to_have_value("in_use_keep")


def test_the_questions_in_swedish_at_phone_width(page: Page, live: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live, "anna")
    page.get_by_role("button", name="Svenska").click()
    page.get_by_label("Titel på den nya bedömningen").fill("Metoder")
    page.get_by_role("button", name="Påbörja en ny bedömning").click()
    page.locator("#f-name").fill("Metoder")
    page.locator("#f-rollout_start").fill("2027-07")
    page.get_by_role("button", name="Spara och fortsätt till grupperna").click()
    page.get_by_role("button", name="Lägg till en grupp").click()
    _visible(page)
    page.locator("#f-ownership").select_option("corporate")
    _visible(page, "corporate_devices")
    expect(page.locator("#f-corporate_devices option[value=new]")).to_have_text("Nya (används inte än)")
    page.locator("#f-ownership").select_option("personal")
    _visible(page, "personal_devices")
    expect(page.locator("#f-personal_devices option[value=protect_apps]")).to_have_text("Enbart appskydd")
    expect(page.locator("#help-personal_devices a")).to_have_text(
        "Microsofts sida om detta (öppnas i en ny flik)"
    )
    screenshot(page, "18-group-personal-sv-phone")
    page.locator("#f-platforms-android").check()
    page.locator("#f-ownership").select_option("corporate")
    _visible(page, "corporate_devices", "private_use")
    screenshot(page, "19-group-corporate-android-sv-phone")
