"""The plan in the assessment's language under an interface in the other one, in Chromium: the
plan's headings, why-nots and guide links in its language, the buttons in the reader's, and the
downloaded file named after the organisation and written in the plan's language."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import import_contoso, login, screenshot, set_plan_language

pytestmark = pytest.mark.browser


def test_a_swedish_plan_under_the_english_interface_and_the_reverse(
    page: Page, live_app: tuple[str, Flask]
) -> None:
    live, app = live_app
    login(page, live, "anna")
    assessment = import_contoso(page, live)

    set_plan_language(app, assessment, "sv")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{assessment}/plan")
    body = page.locator(".plan-body")
    expect(body).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", name="Distributionsplan", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Varför, grupp för grupp")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Download the plan")).to_be_visible()  # the page around it: English
    # A why-not, opened as a reader would: a Swedish sentence, no rule priorities.
    executives = page.locator("#group-executives")
    why_not = executives.locator("details", has=page.get_by_text("Varför inte självbetjäning?"))
    why_not.get_by_text("Varför inte självbetjäning?").click()
    expect(why_not.get_by_text(re.compile("^Regeln gäller också här, men en annan regel"))).to_be_visible()
    expect(executives).not_to_contain_text("prioritet")
    # A reason on the guide links the 2016 article and its successor on Microsoft Learn.
    it = page.locator("#group-it")
    expect(
        it.get_by_role("link", name="Planeringsguiden för Intune (Microsoft Learn)").first
    ).to_have_attribute("href", re.compile(r"^https://learn\.microsoft\.com/sv-se/"))
    expect(it.get_by_role("link", name=re.compile(r"\(guiden, 2016\)$")).first).to_be_visible()
    screenshot(page, "plan-sv-under-en")

    with page.expect_download() as download:
        page.get_by_role("link", name="Markdown").click()
    file = download.value
    assert re.fullmatch(r"rollout-plan-contoso-\d{4}-\d{2}-\d{2}\.md", file.suggested_filename)
    with open(file.path(), encoding="utf-8") as text:
        assert text.read().startswith("# Distributionsplan för Contoso")

    set_plan_language(app, assessment, "en")
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    page.goto(f"{assessment}/plan")
    expect(page.locator(".plan-body")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Rollout plan", exact=True)).to_be_visible()
    expect(page.get_by_text("Ladda ned planen")).to_be_visible()
    expect(page.locator("#group-it")).to_contain_text("Intune planning guide (Microsoft Learn)")
    screenshot(page, "plan-en-under-sv")
