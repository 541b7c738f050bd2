"""The review and the what-if in a real browser."""

from __future__ import annotations

import re

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
    hr.locator("details.comment-action > summary").last.click()  # the group's own "Comment"
    hr.get_by_label("Comment on the group HR").fill("HR asked to go earlier; is low readiness right?")
    hr.get_by_role("button", name="Send the comment").click()
    page.get_by_label("What should change").fill("Please check HR's readiness.")
    page.get_by_role("button", name="Send back with this comment").click()
    screenshot(page, "08-review-sent-back")
    page.get_by_role("button", name="Log out lead").click()

    login(page, live, "anna")
    expect(page.get_by_role("heading", name="Sent back to you")).to_be_visible()
    page.locator(".notice").get_by_role("link", name="Contoso").click()
    expect(page.get_by_text("HR asked to go earlier; is low readiness right?")).to_be_visible()
    page.locator(".comment details.comment-action > summary").first.click()
    page.get_by_label("Your answer to lead").first.fill("Right: they are keen now.")
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
    expect(changes).to_contain_text("Willingness to change (HR): low → high")
    expect(changes.locator("table.diff")).to_contain_text("HR")
    expect(page.get_by_text("Right: they are keen now.")).to_be_visible()
    screenshot(page, "09-review-changes")
    page.get_by_label("I have read the plan, version 2, and sign it off").check()
    page.get_by_role("button", name="Sign off version 2").click()
    expect(page.get_by_text("Status: Signed off")).to_be_visible()
    page.goto(f"{base}/history")
    expect(page.get_by_text("signed it off")).to_be_visible()
    screenshot(page, "10-history")
    page.get_by_role("button", name="Log out lead").click()

    # The author's form says, before saving, that a change reopens the signed-off review.
    login(page, live, "anna")
    page.goto(f"{base}/groups/4")
    expect(page.locator(".reopen-notice")).to_contain_text("Saving a changed answer here reopens its review")


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
    # The reasons as sentences, not the rules' ids (self-service-by-default, assisted-for-executives).
    expect(row).to_contain_text("Users enroll their own devices following IT's instructions")
    expect(row).to_contain_text("Executives and VIP users get assisted enrollment")
    expect(row).not_to_contain_text("self-service-by-default")
    expect(row).to_contain_text("Number of users 30 → 3000")
    screenshot(page, "11-what-if")
    page.goto(f"{base}/history")
    expect(page.locator("tbody tr")).to_have_count(1)  # the what-if saved nothing


def _in_review_for_lead(page: Page, live: str) -> str:
    login(page, live, "anna")
    base = import_contoso(page, live)
    page.goto(f"{base}/review")
    page.get_by_role("button", name="Ask for a review").click()
    page.get_by_role("button", name="Log out anna").click()
    login(page, live, "lead")
    return base


def test_in_swedish_a_comment_keeps_the_place_and_a_sign_off_asks_first(page: Page, live: str) -> None:
    base = _in_review_for_lead(page, live)
    page.get_by_role("button", name="Svenska").click()
    page.goto(f"{base}/review")
    # The comment boxes are closed: one "Kommentera" per item, none open but the whole plan's.
    expect(page.locator("details.comment-action[open]")).to_have_count(1)
    expect(page.locator("textarea:visible")).to_have_count(3)  # whole plan, sign-off note, send-back
    item = page.locator("#item-hr-wave-late-for-low-readiness")
    item.locator("summary", has_text="Kommentera").click()
    item.get_by_label("Kommentera denna rekommendation").fill("Är HR verkligen ovilliga?")
    item.get_by_role("button", name="Skicka kommentaren").click()
    expect(page).to_have_url(re.compile(r"/review#item-hr-wave-late-for-low-readiness$"))
    expect(item.get_by_text("Är HR verkligen ovilliga?")).to_be_in_viewport()

    # The sign-off asks first: without the box ticked the browser sends nothing.
    page.goto(f"{base}/review")
    sign_off = page.get_by_role("button", name=re.compile(r"^Godkänn version \d+$"))
    sign_off.click()
    expect(page.get_by_text("Status: Väntar på granskning")).to_be_visible()
    page.get_by_label(re.compile("Jag har läst planen")).check()
    sign_off.click()
    expect(page.locator(".signed-off").first).to_contain_text(
        re.compile(r"lead godkände version \d+ den \d{4}-")
    )
    expect(page.get_by_role("button", name=re.compile("^Godkänn version"))).to_have_count(0)
    expect(page.get_by_role("button", name="Skicka tillbaka med denna kommentar")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("None")
    screenshot(page, "review-signed-off-sv")

    # No label stands apart from its colon ("Avvägning :") on the Swedish plan.
    page.goto(f"{base}/plan")
    assert not re.search(r"\w :", page.locator("main").inner_text())
