"""Rule administration in a real browser: a threshold change, a broken edit, a rollback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask
from playwright.sync_api import FilePayload, Page, expect

from advisor.quality.scenarios import scenario_files
from advisor.services.jobs import Worker
from tests.browser.conftest import admin_rulebook_file, admin_site, import_contoso, login, screenshot
from web.extensions import services

pytestmark = pytest.mark.browser

# Four groups on three sites: more than `few_sites_max` (2), so production is cut by geography.
SPREAD = {
    "version": 1,
    "organisation": {"name": "Fabrikam", "rollout_start": "2027-03", "support_capacity": 5000},
    "groups": [
        {
            "id": "it",
            "name": "IT",
            "users": 80,
            "platforms": ["windows", "ios"],
            "locations": ["Oslo"],
            "it_department": True,
            "feedback": True,
            "change_readiness": "high",
            "needs_help": "low",
            "business_risk": "low",
        },
        {"id": "sales", "name": "Sales", "users": 300, "platforms": ["ios"], "locations": ["Oslo"]},
        {"id": "ops", "name": "Operations", "users": 200, "platforms": ["windows"], "locations": ["Bergen"]},
        {"id": "service", "name": "Service", "users": 150, "platforms": ["windows"], "locations": ["Lund"]},
    ],
}


def test_threshold_change_broken_edit_and_rollback(
    page: Page, live_admin: str, rules: Path, tmp_path: Path
) -> None:
    base = live_admin
    login(page, base, "root")
    page.goto(f"{base}/assessments/import")
    spread: FilePayload = {
        "name": "fabrikam.yaml",
        "mimeType": "application/yaml",
        "buffer": yaml.safe_dump(SPREAD).encode(),
    }
    page.locator("#file").set_input_files(files=[spread])
    page.get_by_role("button", name="Import").last.click()
    page.get_by_role("button", name="See the plan").click()
    plan_url = page.url
    expect(page.get_by_text("Production phases are cut by geography.")).to_be_visible()

    # An admin raises "few sites" to 3, checks the effect, then saves.
    page.get_by_role("link", name="Rules").click()
    page.locator("section", has=page.get_by_role("heading", name="organisation.yaml")).get_by_role(
        "link", name="Edit"
    ).click()
    page.get_by_label("few_sites_max").fill("3")
    page.get_by_label("What and why (kept in the history)").first.fill("Three sites still count as few")
    page.get_by_role("button", name="Check without saving").first.click()
    every = len(scenario_files(rules / "scenarios"))  # the raised threshold keeps them all passing
    expect(page.get_by_text(f"Scenarios: {every} passed, 0 failed")).to_be_visible()
    expect(page.get_by_text("Saved assessments whose plan would change: 1")).to_be_visible()
    expect(page.get_by_text("production phases by geography -> by department")).to_be_visible()
    screenshot(page, "12-admin-check")
    page.get_by_label("What and why (kept in the history)").last.fill("Three sites still count as few")
    page.get_by_role("button", name="Check and save").last.click()
    expect(page.get_by_text("Saved organisation.yaml")).to_be_visible()

    page.goto(plan_url)
    expect(
        page.get_by_role("heading", name="The rulebook has changed since this plan was made")
    ).to_be_visible()
    page.get_by_role("button", name="Accept the new plan").click()
    expect(page.get_by_text("Production phases are cut by department.")).to_be_visible()

    # A broken edit shows its errors with line numbers and changes nothing.
    before = admin_rulebook_file(tmp_path, "organisation.yaml")
    page.goto(f"{base}/admin/rules/organisation.yaml")
    page.locator("#text").fill(
        before.replace(
            "{fact: sites, op: gt, param: few_sites_max}", "{fact: sitez, op: gt, param: few_sites_max}"
        )
    )
    page.get_by_role("button", name="Check and save").last.click()
    line = next(i for i, text in enumerate(before.splitlines(), 1) if "fact: sites, op: gt" in text)
    expect(page.locator(".findings")).to_contain_text(
        f"organisation.yaml:{line} [split-by-geography]: unknown fact 'sitez' (did you mean 'sites'?)"
    )
    expect(page.get_by_text("The file is unchanged.")).to_be_visible()
    screenshot(page, "13-admin-broken")
    assert admin_rulebook_file(tmp_path, "organisation.yaml") == before

    # A rollback restores the previous behaviour.
    page.goto(f"{base}/admin/rules/organisation.yaml/history")
    page.locator("tr", has=page.get_by_role("rowheader", name="1", exact=True)).get_by_role(
        "button", name="Roll back to this version"
    ).click()
    expect(page.get_by_text("Rolled organisation.yaml back to version 1.")).to_be_visible()
    page.goto(plan_url)
    page.get_by_role("button", name="Accept the new plan").click()
    expect(page.get_by_text("Production phases are cut by geography.")).to_be_visible()


@pytest.fixture
def live_without_worker(tmp_path: Path, rules: Path) -> Iterator[tuple[str, Flask]]:
    """The admin site with no job worker of its own: the test is the worker."""
    with admin_site(tmp_path, rules, embedded_worker=False) as site:
        yield site


def test_the_impact_of_a_check_shows_its_progress_then_its_result(
    page: Page, live_without_worker: tuple[str, Flask]
) -> None:
    """The page polls the impact job (htmx, under the strict CSP): waiting for a worker, then the
    result once one has done it."""
    base, app = live_without_worker
    login(page, base, "root")
    import_contoso(page, base)
    page.goto(f"{base}/admin/rules/organisation.yaml")
    page.get_by_label("few_sites_max").fill("0")
    page.get_by_role("button", name="Check without saving").first.click()
    expect(page.get_by_text("Waiting for a worker to work out the impact")).to_be_visible()
    expect(page.locator("#impact-job progress")).to_be_visible()
    expect(page.locator("#impact-job").get_by_role("button", name="Cancel")).to_be_visible()
    assert Worker(services(app)).run_once()
    expect(page.get_by_text(re.compile(r"Saved assessments whose plan would change: \d+"))).to_be_visible()
    expect(page.locator("#impact-job").get_by_role("button", name="Cancel")).to_have_count(0)
    screenshot(page, "12b-admin-impact-job")
