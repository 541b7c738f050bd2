"""The review and the what-if in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import import_contoso, login, screenshot

pytestmark = pytest.mark.browser


def test_send_back_change_and_sign_off(page: Page, live: str) -> None:
    login(page, live, "anna")
    base = import_contoso(page, live)
    page.goto(f"{base}/review")
    page.get_by_role("button", name="Ask for a review").click()
    page.get_by_role("button", name="Log out anna").click()

    login(page, live, "lead")
    expect(page.get_by_role("heading", name="Waiting for your review")).to_be_visible()
    page.locator(".notice").get_by_role("link", name="Contoso").click()
    hr = page.locator("#group-hr")
    hr.get_by_label("Comment on the group HR").fill("HR asked to go earlier; is low readiness right?")
    hr.get_by_role("button", name="Comment").last.click()
    page.get_by_label("What should change").fill("Please check HR's readiness.")
    page.get_by_role("button", name="Send back with this comment").click()
    screenshot(page, "08-review-sent-back")
    page.get_by_role("button", name="Log out lead").click()

    login(page, live, "anna")
    expect(page.get_by_role("heading", name="Sent back to you")).to_be_visible()
    page.locator(".notice").get_by_role("link", name="Contoso").click()
    expect(page.get_by_text("HR asked to go earlier; is low readiness right?")).to_be_visible()
    page.get_by_label("Answer").first.fill("Right: they are keen now.")
    page.get_by_role("button", name="Send the answer").first.click()
    page.goto(f"{base}/groups/4")
    page.locator("#f-change_readiness").select_option("high")
    page.get_by_role("button", name="Save group").click()
    page.goto(f"{base}/review")
    page.get_by_role("button", name="Ask for a review").click()
    page.get_by_role("button", name="Log out anna").click()

    login(page, live, "lead")
    page.goto(f"{base}/review")
    changes = page.locator(
        "section", has=page.get_by_role("heading", name="Changes since it was sent back (version 1)")
    )
    expect(changes).to_contain_text("Willingness to change (hr): low → high")
    expect(changes.locator("table.diff")).to_contain_text("HR")
    expect(page.get_by_text("Right: they are keen now.")).to_be_visible()
    screenshot(page, "09-review-changes")
    page.get_by_role("button", name="Sign off version 2").click()
    expect(page.get_by_text("Status: Signed off")).to_be_visible()
    page.goto(f"{base}/history")
    expect(page.get_by_text("signed it off")).to_be_visible()
    screenshot(page, "10-history")


def test_what_if_executives_become_3000_users_who_need_no_help(page: Page, live: str) -> None:
    login(page, live, "anna")
    base = import_contoso(page, live)
    page.goto(f"{base}/plan")
    page.get_by_role("link", name="What if…").click()
    page.get_by_text("Executives", exact=True).click()  # open the group's answers
    page.locator("#f-g6-users").fill("3000")
    page.locator("#f-g6-devices").fill("3000")
    page.locator("#f-g6-executives").uncheck()
    page.locator("#f-g6-needs_help").select_option("low")
    # htmx updates the difference as answers change; no button is pressed.
    row = page.locator("#difference tr", has=page.get_by_role("rowheader", name="Executives"))
    expect(row).to_contain_text("assisted")
    expect(row).to_contain_text("self-service")
    expect(row).to_contain_text("self-service-by-default")
    expect(row).to_contain_text("assisted-for-executives")
    expect(row).to_contain_text("Number of users 30 → 3000")
    screenshot(page, "11-what-if")
    page.goto(f"{base}/history")
    expect(page.locator("tbody tr")).to_have_count(1)  # the what-if saved nothing
