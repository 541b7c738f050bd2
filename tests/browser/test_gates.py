"""A go/no-go decision recorded on the review page in a real browser, at desktop and phone width."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.conftest import ARTIFACTS, login, screenshot
from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def _import_under_way(page: Page, live: str) -> str:
    """The guide's example with its rollout started in March 2026, imported; its address."""
    answers = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())
    answers["organisation"]["rollout_start"] = "2026-03"
    page.goto(f"{live}/assessments/import")
    upload: FilePayload = {
        "name": "contoso.yaml",
        "mimeType": "application/yaml",
        "buffer": yaml.safe_dump(answers).encode(),
    }
    page.locator("#file").set_input_files(files=[upload])
    page.get_by_role("button", name="Import").last.click()
    expect(page.get_by_role("heading", name="Targeted groups")).to_be_visible()
    return page.url.rsplit("/", 1)[0]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_no_go_calls_for_the_rollback(page: Page, live: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live, "anna")
    base = _import_under_way(page, live)
    page.goto(f"{base}/review")
    gate = page.locator("#gate-expanded_pilot")
    gate.get_by_text("Record the decision at this gate").click()
    gate.get_by_label("No-go").check()
    gate.get_by_label("Decided on").fill("2026-03-30")
    gate.get_by_label("Note: the figures measured, what failed, what was agreed").fill(
        "Tickets: 9 per 100 users.\nTwo devices enrolled with the wrong method."
    )
    gate.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The no-go was recorded")).to_be_visible()
    gate = page.locator("#gate-expanded_pilot")
    expect(gate.get_by_role("heading", name="Roll back now: the latest decision is a no-go")).to_be_visible()
    expect(gate.locator(".decisions")).to_contain_text(
        "No-go, 30 March 2026, anna: Tickets: 9 per 100 users."
    )
    # Measured once the page's style sheets have loaded (on a busy machine, with other workers'
    # browsers running, the text shows before them and the unstyled page is wider than a phone).
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off a phone
    screenshot(page, f"gates-no-go-{width}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    gate.screenshot(path=str(ARTIFACTS / f"gate-expanded-pilot-no-go-{width}.png"))
