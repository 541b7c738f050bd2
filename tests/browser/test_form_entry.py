"""What a person types in the group form, in a real browser: a failed save opens on a summary of
its problems, the draft is saved as they type (and says when), leaving with changes no draft
holds asks first, and a name with no spaces at all stays inside the page; in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser
SHOTS = Path("/work/h14/shots/form")


def _shot(page: Page, name: str) -> None:
    screenshot(page, name)
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _new_group(page: Page, live: str, language: str) -> None:
    login(page, live, "anna")
    if language == "sv":
        page.get_by_role("button", name="Svenska").click()
    page.locator("#new-title").fill("Form")
    page.locator("form.row button[type=submit]").first.click()
    page.locator("#f-name").fill("Form")
    page.locator("#f-rollout_start").fill("2027-07")
    page.locator("main form button[type=submit]").click()
    page.locator("main .buttons a[role=button]").first.click()
    expect(page.locator("#f-name")).to_be_visible()


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("sv", 390)])
def test_the_group_form_keeps_what_a_person_types(page: Page, live: str, language: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    _new_group(page, live, language)
    expect(page.locator(".error-summary")).to_have_count(0)  # a fresh page shows no errors
    expect(page.locator("#f-change_readiness")).to_have_value("")  # nothing preselected
    # Typed without a name, no draft holds it: leaving asks first.
    page.locator("#f-users").fill("1 200")
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator("main > p > a").last.click()  # back to the groups
    expect(page.locator("#f-users")).to_have_value("1 200")
    assert dialogs == ["beforeunload"]
    # A failed save opens on the summary of its problems, each a link to its field.
    name = "Butikspersonal" * 12 if language == "sv" else "Storestaff" * 18
    page.locator("#f-name").fill(name)
    page.locator("#f-platforms-windows").check()
    page.locator(".buttons button").first.click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#f-change_readiness']")).to_be_visible()
    _shot(page, f"group-{width}-{language}-after")
    # The failed submit saved nothing, nor does the page by itself: leaving asks first.
    page.once("dialog", dismiss)
    page.locator("main > p > a").last.click()
    expect(page.locator("#f-name")).to_have_value(name)
    assert dialogs == ["beforeunload", "beforeunload"]
    # Once the person goes on, the draft is saved as they pause, as the page says.
    page.locator("#f-change_readiness").select_option("high")
    saved = "Utkastet sparades" if language == "sv" else "Draft saved at"
    expect(page.locator(".autosave")).to_contain_text(saved)
    revision = page.locator("input[name=revision]").get_attribute("value")
    page.locator("#f-needs_help").select_option("low")
    expect(page.locator("input[name=revision]")).not_to_have_value(revision or "")
    page.locator("#f-business_risk").select_option("medium")
    page.locator("#f-ownership").select_option("corporate")
    page.locator("#f-corporate_devices").select_option("new")
    # A double click sends the form once, not refused as stale: the revision followed the drafts,
    # and no second submit races the first.
    posts: list[str] = []
    page.on(
        "request", lambda r: posts.append(r.url) if r.method == "POST" and "/draft" not in r.url else None
    )
    page.locator(".buttons button").first.dblclick()
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)  # one group, however many drafts and tries
    assert len(posts) == 1, posts
    expect(rows.first.locator("td").nth(1)).to_have_text("1200")
    # The long name wraps inside its cell (the phone layout of the page itself is the layout's).
    cell = rows.first.locator("td.name")
    assert cell.evaluate("c => c.scrollWidth <= c.clientWidth")
    if width > 600:
        table = page.locator("main table")
        right = table.evaluate("t => [t.getBoundingClientRect().right, document.documentElement.clientWidth]")
        assert right[0] <= right[1], right
    # Every action of the row is in view at the page's width (on a phone the rows are cards).
    remove = rows.first.locator("td.actions a").last
    box = remove.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width, box
    _shot(page, f"groups-{width}-{language}-after")
