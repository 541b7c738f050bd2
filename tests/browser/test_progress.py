"""Tracking enrollment in a real browser: the exports uploaded, the picture per phase, the gates
and the history, in English at desktop width and in Swedish on a phone."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from playwright.sync_api import FilePayload, Page, expect

from advisor.model.facts import Assessment
from tests.browser.conftest import login, screenshot
from tests.conftest import ROOT
from tests.progress_data import generate

pytestmark = pytest.mark.browser

UNDER_WAY = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
UNDER_WAY["organisation"]["rollout_start"] = "2026-03"


def _import_under_way(page: Page, live: str) -> str:
    page.goto(f"{live}/assessments/import")
    upload: FilePayload = {
        "name": "contoso.yaml",
        "mimeType": "application/yaml",
        "buffer": yaml.safe_dump(UNDER_WAY).encode(),
    }
    page.locator("#file").set_input_files(files=[upload])
    page.get_by_role("button", name="Import").last.click()
    expect(page.get_by_role("heading", name="Targeted groups")).to_be_visible()
    return page.url.rsplit("/", 1)[0]


def _upload(page: Page, users: bytes, devices: bytes, button: str) -> None:
    for field, content in (("users", users), ("devices", devices)):
        payload: FilePayload = {"name": f"{field}.csv", "mimeType": "text/csv", "buffer": content}
        page.locator(f"#{field}").set_input_files(files=[payload])
    page.get_by_role("button", name=button).click()


@pytest.mark.parametrize(("width", "swedish"), [(1280, False), (390, True)])
def test_uploads_show_the_phases_against_the_plan_and_the_trend(
    page: Page, live: str, width: int, swedish: bool
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live, "anna")
    base = _import_under_way(page, live)
    if swedish:
        page.get_by_role("button", name="Svenska").click()
        expect(page.locator("html")).to_have_attribute("lang", "sv")
    assessment = Assessment.model_validate(UNDER_WAY)
    earlier = generate(assessment, date.today(), share={"sales-marketing": 0.4, "it": 0.9}, scale=0.5)
    later = generate(assessment, date.today(), seed=2, share={"sales-marketing": 0.8, "it": 1.0}, scale=0.5)
    page.goto(f"{base}/plan")
    link = "Följ registreringen" if swedish else "Track enrollment"
    page.get_by_role("link", name=link).click()
    measure = "Mät registreringen" if swedish else "Measure enrollment"
    kept = "Vad som sparas, och vad som inte gör det" if swedish else "What is kept, and what is not"
    expect(page.get_by_role("heading", name=kept)).to_be_visible()
    # A users export given as the devices export: refused, with the reason, nothing stored.
    _upload(page, earlier.users_csv, earlier.users_csv, measure)
    expect(page.get_by_role("alert")).to_contain_text(
        "ser ut som en användarexport" if swedish else "this looks like a users export"
    )
    _upload(page, earlier.users_csv, earlier.devices_csv, measure)
    expect(page.locator("svg.chart-progress")).to_be_visible()
    _upload(page, later.users_csv, later.devices_csv, measure)
    expect(page.locator("svg.chart-trend")).to_be_visible()
    expect(page.locator("table.progress-history tbody tr")).to_have_count(2)
    expect(page.locator("table.progress-phases")).to_contain_text(
        "Efter planen" if swedish else "Behind plan"
    )
    expect(page.locator("table.progress-gates")).to_contain_text(
        "Begränsat pilottest" if swedish else "Limited pilot"
    )
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off a phone
    screenshot(page, f"progress-{width}")  # artifacts/screenshots/progress-<width>.png
    text = page.content()
    assert not any(value in text for value in later.personal)
    page.goto(f"{base}/plan")
    expect(page.locator("#enrollment-progress svg.chart-progress")).to_be_visible()
