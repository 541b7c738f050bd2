"""The site in a real browser: the guide's example typed in, resuming, escaping, Swedish, access."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from flask import Flask
from playwright.sync_api import Dialog, Page, expect

from advisor.store.tables import AssessmentRecord
from tests.browser.conftest import import_contoso, login, screenshot, set_plan_language
from tests.conftest import ROOT
from tests.placed import sites_plan
from tests.test_planner import GUIDE_TABLE_EN
from web.extensions import services

pytestmark = pytest.mark.browser
CONTOSO = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def start_assessment(page: Page, title: str) -> str:
    page.get_by_label("Title of the new assessment").fill(title)
    page.get_by_role("button", name="Start a new assessment").click()
    expect(page.get_by_role("heading", name="Your organisation")).to_be_visible()
    return page.url.rsplit("/", 1)[0]


def fill_organisation(page: Page, organisation: dict[str, Any]) -> None:
    page.locator("#f-name").fill(organisation["name"])
    page.locator("#f-rollout_start").fill(organisation["rollout_start"])
    page.locator("#f-support_capacity").fill(str(organisation.get("support_capacity", "")))
    page.locator("#f-split_by").select_option(organisation.get("split_by", "auto"))
    page.get_by_role("button", name="Save and continue to the groups").click()


def fill_group(page: Page, group: dict[str, Any]) -> None:
    for name in ("name", "department", "users", "devices"):
        if name in group:
            page.locator(f"#f-{name}").fill(str(group[name]))
    for platform in group["platforms"]:
        page.locator(f"#f-platforms-{platform}").check()
    for requirement in group.get("requirements", []):
        page.locator(f"#f-requirements-{requirement}").check()
    page.locator("#f-locations").fill("\n".join(group.get("locations", [])))
    for flag in ("it_department", "executives", "feedback"):
        if group.get(flag):
            page.locator(f"#f-{flag}").check()
    # None is preselected: a choice the file leaves out is made as the file means it (its default).
    for choice in ("ownership", "change_readiness", "needs_help", "business_risk"):
        page.locator(f"#f-{choice}").select_option(
            group.get(choice, "corporate" if choice == "ownership" else "medium")
        )
    ownership = group.get("ownership", "corporate")
    if ownership in ("corporate", "mixed"):
        page.locator("#f-corporate_devices").select_option(group.get("corporate_devices", "unknown"))
    if ownership in ("personal", "mixed"):
        page.locator("#f-personal_devices").select_option(group.get("personal_devices", "unknown"))


def test_the_guide_example_typed_in_gives_the_corrected_table(
    page: Page, live: str, no_external_requests: list[str]
) -> None:
    login(page, live, "anna")
    screenshot(page, "01-assessments")
    start_assessment(page, "Contoso")
    fill_organisation(page, CONTOSO["organisation"])
    for group in CONTOSO["groups"]:
        page.get_by_role("button", name="Add a group").click()
        fill_group(page, group)
        if group is CONTOSO["groups"][2]:
            screenshot(page, "02-group-form")
        page.get_by_role("button", name="Save group").click()
        expect(page.get_by_role("heading", name="Targeted groups")).to_be_visible()
    screenshot(page, "03-groups")
    page.get_by_role("button", name="See the plan").click()
    table = page.locator("table.plan-table")
    expect(table).to_be_visible()
    rows = table.locator("tr")
    got = [
        [cell.strip() for cell in rows.nth(i).locator("th, td").all_inner_texts()]
        for i in range(rows.count())
    ]
    assert got == GUIDE_TABLE_EN
    screenshot(page, "04-plan")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "05-plan-phone")


def test_leave_and_resume_where_you_were(page: Page, live: str) -> None:
    login(page, live, "anna")
    base = start_assessment(page, "Resume me")
    fill_organisation(page, CONTOSO["organisation"])
    page.get_by_role("button", name="Add a group").click()
    page.locator("#f-name").fill("Field staff")
    page.locator("#f-users").fill("120")
    expect(page.locator(".autosave")).to_contain_text("Draft saved at")  # a pause: kept as a draft
    page.get_by_role("button", name="Save group").click()  # no platform yet: stays, with an error
    expect(page.locator("#error-platforms")).to_have_text("must have at least 1 item")
    expect(page.locator("form[data-unsaved=false]")).to_have_count(1)  # the draft holds what was sent
    page.get_by_role("button", name="Log out anna").click()
    login(page, live, "anna")
    page.get_by_role("link", name="Resume me").click()
    assert page.url == f"{base}/groups/0"
    expect(page.locator("#f-name")).to_have_value("Field staff")
    expect(page.locator("#f-users")).to_have_value("120")


def test_a_group_named_like_a_script_is_shown_as_text(page: Page, live: str) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    login(page, live, "anna")
    start_assessment(page, "Escaping")
    fill_organisation(page, CONTOSO["organisation"])
    page.get_by_role("button", name="Add a group").click()
    fill_group(page, {**CONTOSO["groups"][0], "name": "<script>alert(1)</script>"})
    page.get_by_role("button", name="Save group").click()
    expect(page.get_by_role("link", name="<script>alert(1)</script>")).to_be_visible()
    page.get_by_role("button", name="See the plan").click()
    expect(page.get_by_role("heading", name="<script>alert(1)</script>")).to_be_visible()
    assert dialogs == []


def test_switching_to_swedish(page: Page, live: str) -> None:
    login(page, live, "anna")
    page.get_by_role("button", name="Svenska").click()
    expect(page.get_by_role("heading", name="Bedömningar")).to_be_visible()
    page.get_by_label("Titel på den nya bedömningen").fill("Sv")
    page.get_by_role("button", name="Påbörja en ny bedömning").click()
    expect(page.get_by_role("heading", name="Din organisation")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    screenshot(page, "06-organisation-sv")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Your organisation")).to_be_visible()


def test_a_respondent_cannot_open_another_respondents_assessment(page: Page, live: str) -> None:
    login(page, live, "anna")
    base = start_assessment(page, "Anna's plan")
    page.get_by_role("button", name="Log out anna").click()
    login(page, live, "bo")
    expect(page.get_by_text("Anna's plan")).to_have_count(0)
    response = page.goto(f"{base}/organisation")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="404")).to_be_visible()


def test_keyboard_only_login_and_the_skip_link(page: Page, live: str) -> None:
    page.goto(f"{live}/login")
    expect(page.locator("#username")).to_be_focused()  # the login form is ready to type into
    page.keyboard.type("anna")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Assessments")).to_be_visible()
    page.keyboard.press("Tab")  # a fresh page: the skip link comes first
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_the_plan_prints_without_the_site_chrome(
    page: Page, live: str, no_external_requests: list[str]
) -> None:
    login(page, live, "anna")
    import_contoso(page, live)
    page.get_by_role("button", name="See the plan").click()
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.locator("table.plan-table")).to_be_visible()
    screenshot(page, "07-plan-print")


def test_the_api_docs_render_offline(page: Page, live: str, no_external_requests: list[str]) -> None:
    page.goto(f"{live}/api/docs")
    expect(page.get_by_text("Rollout Advisor API")).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/plans")).to_be_visible()
    screenshot(page, "14-api-docs")


def test_two_tabs_editing_one_group_lose_nothing(page: Page, live: str) -> None:
    login(page, live, "anna")
    assessment = import_contoso(page, live)
    other = page.context.new_page()
    page.goto(f"{assessment}/groups/0")
    other.goto(f"{assessment}/groups/0")
    other.locator("#f-users").fill("300")
    other.get_by_role("button", name="Save group").click()
    expect(other.get_by_role("heading", name="Targeted groups")).to_be_visible()

    page.locator("#f-devices").fill("999")
    page.get_by_role("button", name="Save group").click()
    notice = page.get_by_role("alert")
    expect(
        notice.get_by_role("heading", name="This assessment was changed by someone else meanwhile")
    ).to_be_visible()
    expect(notice.get_by_role("row", name="Users")).to_contain_text("300")
    expect(page.locator("#f-devices")).to_have_value("999")  # what was typed is kept
    screenshot(page, "stale-group")
    page.locator("#f-users").fill("300")  # the person takes the other change in, and saves again
    page.get_by_role("button", name="Save group").click()
    expect(page.get_by_role("heading", name="Targeted groups")).to_be_visible()
    page.goto(f"{assessment}/groups/0")
    expect(page.locator("#f-users")).to_have_value("300")
    expect(page.locator("#f-devices")).to_have_value("999")


def test_the_calendar_and_the_divisions_typed_in(page: Page, live: str) -> None:
    """The months and `name: number` inputs by their labels: a wrong sum is named next to its
    field, the rest stays as typed, and the saved answers come back as entered."""
    login(page, live, "anna")
    base = start_assessment(page, "Calendar")
    page.locator("#f-name").fill("Calendar")
    page.locator("#f-rollout_start").fill("2027-07")
    page.get_by_label("Country").fill("se")
    page.get_by_label("Months in which no phase starts").fill("07, 2027-12")
    page.get_by_role("button", name="Save and continue to the groups").click()
    page.get_by_role("button", name="Add a group").click()
    fill_group(page, {"name": "Field staff", "users": 120, "devices": 250, "platforms": ["windows", "ios"]})
    page.locator("#f-locations").fill("Umeå\nLuleå")
    page.get_by_label("Devices per platform, one platform per line").fill("Windows: 120\niOS/iPadOS: 100")
    page.get_by_label("Users per site, one site per line").fill("Umeå: 80\nLuleå: 40")
    page.get_by_label("Months to avoid for this group").fill("01")
    page.get_by_role("button", name="Save group").click()
    expect(page.locator("#error-devices_by_platform")).to_have_text(
        "adds up to 220, but the group has 250 devices"
    )
    expect(page.locator("#f-users_by_location")).to_have_value("Umeå: 80\nLuleå: 40")
    screenshot(page, "13-group-divisions")
    page.get_by_label("Devices per platform, one platform per line").fill("Windows: 120\niOS/iPadOS: 130")
    page.get_by_role("button", name="Save group").click()
    expect(page.get_by_role("heading", name="Targeted groups")).to_be_visible()
    page.goto(f"{base}/groups/0")
    expect(page.locator("#f-devices_by_platform")).to_have_value("Windows: 120\niOS/iPadOS: 130")
    expect(page.locator("#f-avoid_months")).to_have_value("01")
    page.goto(f"{base}/organisation")
    expect(page.get_by_label("Country")).to_have_value("se")
    expect(page.get_by_label("Months in which no phase starts")).to_have_value("07, 2027-12")
    expect(page.get_by_label("None at all (not even the usual ones)")).not_to_be_checked()
    screenshot(page, "14-organisation-calendar")


def _fits(page: Page) -> bool:
    """Nothing on the page is wider than the window: no sideways scrolling, the table's included."""
    widest: bool = page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"
        " && [...document.querySelectorAll('.table-scroll')].every(e => e.scrollWidth <= e.clientWidth)"
    )
    return widest


def test_the_plan_shows_platforms_sites_and_devices_at_every_width(
    page: Page, live_app: tuple[str, Flask]
) -> None:
    live, app = live_app
    login(page, live, "anna")
    assessment = import_contoso(page, live)
    assessment_id = int(assessment.rsplit("/", 1)[1])
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        record.plan = {language: sites_plan(language).model_dump(mode="json") for language in ("en", "sv")}
    for language, devices, name in (("en", "130 devices", "Svenska"), ("sv", "130 enheter", "English")):
        set_plan_language(app, assessment, language)  # the plan's language, not the interface's
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{assessment}/plan")
        table = page.locator("table.plan-table")
        expect(table).to_contain_text("Umeå")  # the table names the site that cuts production
        expect(table).to_contain_text("Kiruna")
        # each group's list says all a placement enrolls
        expect(page.locator("main")).to_contain_text(f"Windows, iOS/iPadOS · Umeå · {devices}")
        screenshot(page, f"11-plan-sites-{language}")
        page.set_viewport_size({"width": 390, "height": 844})
        expect(table.locator("td[data-month]", has_text="Kiruna")).to_be_visible()
        assert _fits(page)
        screenshot(page, f"12-plan-sites-{language}-phone")
        page.get_by_role("button", name=name).click()
