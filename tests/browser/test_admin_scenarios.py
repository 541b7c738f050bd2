"""The admin's editor in a real browser: line numbers and findings that jump to their line, a rule
change whose scenario differences are shown and accepted, a scenario checked in Swedish, coloured
diffs that read without colour, and the editor without JavaScript."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import admin_rulebook_file, login, screenshot

pytestmark = pytest.mark.browser

LOWER = ("  assisted_max_users:\n    value: 100", "  assisted_max_users:\n    value: 20")
SCENARIO = "assisted-small-group-needing-help.yaml"


def _line_of_cursor(page: Page) -> int:
    return int(page.locator("#text").evaluate("t => t.value.slice(0, t.selectionStart).split('\\n').length"))


def _background(page: Page, selector: str) -> str:
    return str(page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor"))


def test_scenario_differences_are_shown_and_accepted_in_the_editor(
    page: Page, live_admin: str, tmp_path: Path
) -> None:
    base = live_admin
    # A check runs every scenario and every saved assessment: on a busy machine a page takes longer
    # than Playwright's 30 seconds; the test waits for what the page shows, however long it takes.
    page.set_default_timeout(120_000)
    login(page, base, "root")
    page.goto(f"{base}/admin/rules/enrollment.yaml")
    text = admin_rulebook_file(tmp_path, "enrollment.yaml")
    gutter = page.locator(".line-numbered .gutter")
    expect(gutter).to_be_visible()
    assert gutter.inner_text().split("\n")[:3] == ["1", "2", "3"]
    assert len(gutter.inner_text().split("\n")) == len(text.split("\n"))

    # A finding that names a line jumps to it.
    broken = text.replace("{fact: executives, op: eq, value: true}", "{fact: exectives, op: eq, value: true}")
    line = next(n for n, words in enumerate(broken.splitlines(), 1) if "exectives" in words)
    page.locator("#text").fill(broken)
    page.get_by_role("button", name="Check without saving").last.click()
    page.get_by_role("link", name=f"enrollment.yaml:{line} [assisted-for-executives]").click()
    expect(page.locator("#text")).to_be_focused()
    assert _line_of_cursor(page) == line

    # A lower threshold changes two scenarios: each difference shown, then both accepted.
    page.locator("#text").fill(text.replace(*LOWER))
    page.get_by_role("button", name="Check without saving").last.click()
    expect(
        page.get_by_text("a save would be refused: some scenarios no longer get the outcome")
    ).to_be_visible()
    row = page.locator(f'[id="scenario-{SCENARIO}"] tbody tr')
    expect(row.get_by_role("rowheader")).to_have_text("Phases of the group Reception")
    expect(row.locator("del")).to_contain_text("production/1 2027-02 40 assisted")
    expect(row.locator("ins")).to_contain_text("production/1 2027-02 40 tech_fair")
    expect(row.locator("del")).to_contain_text("−")  # a sign, not only a colour
    assert _background(page, ".scenario-diff del") != _background(page, ".scenario-diff ins")
    screenshot(page, "admin-scenario-differences")
    for box in page.get_by_label("The new outcome is right", exact=False).all():
        box.check()
    page.get_by_label("What and why (kept in the history)").last.fill("Assist at most 20")
    page.get_by_role("button", name="Save the file and accept the ticked outcomes").click()
    expect(page.get_by_text(f"The new outcome is now expected by: scenarios/{SCENARIO}")).to_be_visible()
    assert "40 tech_fair" in admin_rulebook_file(tmp_path, f"scenarios/{SCENARIO}")

    # In Swedish: the scenario checks clean, and its history shows the accepted change coloured.
    page.get_by_role("button", name="Svenska").click()
    page.goto(f"{base}/admin/scenarios")
    page.get_by_role("row", name=SCENARIO).get_by_role("link", name="Redigera").click()
    page.get_by_role("button", name="Kontrollera utan att spara").click()
    expect(page.get_by_text("Inga problem hittades; inte sparat än.")).to_be_visible()
    page.goto(f"{base}/admin/scenarios/{SCENARIO}/history?a=1&b=2")
    expect(page.locator("pre.diff del")).to_have_text("borttaget: -    - production/1 2027-02 40 assisted")
    expect(page.locator("pre.diff ins")).to_have_text("tillagt: +    - production/1 2027-02 40 tech_fair")
    assert _background(page, "pre.diff del") != _background(page, "pre.diff ins")
    screenshot(page, "admin-scenario-history-sv")


def test_the_editor_works_without_javascript(browser: Browser, live_admin: str, rules: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, live_admin, "root")
        page.goto(f"{live_admin}/admin/rules/enrollment.yaml")
        expect(page.locator(".gutter")).to_have_count(0)
        page.get_by_role("button", name="Check without saving").last.click()
        expect(page.get_by_text("No problems found; not saved yet.")).to_be_visible()
    finally:
        context.close()
