"""The strict Content Security Policy in Chromium: no page of the site breaks a rule of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from advisor.settings import Settings
from tests.browser.conftest import add_users, import_contoso, login, screenshot, serve
from web import create_app

pytestmark = pytest.mark.browser

# Records the violations the page itself reports, besides the console's "Refused to ..." lines.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def live_all(tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path}/a.db",
        secret_key="csp-test-key",
    )
    app = create_app(settings)
    add_users(app, anna="respondent", root="admin")
    with serve(app) as base:
        yield base


class Watch:
    """Console messages and violation events of every page a test visits."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            self.console.append(f"{self.page.url}: {text}")

    def visit(self, url: str, name: str) -> None:
        response = self.page.goto(url)
        assert response is not None, url
        assert response.status == 200, url
        assert "Content-Security-Policy" in {k.title() for k in response.headers}, url
        self.check(name)

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        events = self.page.evaluate("window.__violations")
        assert events == [], (self.page.url, events)
        assert self.console == []
        screenshot(self.page, f"csp-{name}")


def test_no_page_breaks_the_content_security_policy(page: Page, live_all: str) -> None:
    base = live_all
    watch = Watch(page)
    watch.visit(f"{base}/login", "login")
    login(page, base, "anna")
    watch.check("list-empty")
    assessment = import_contoso(page, base)
    watch.check("groups")
    watch.visit(f"{assessment}/organisation", "questionnaire-organisation")
    watch.visit(f"{assessment}/groups/0", "questionnaire-group")
    watch.visit(f"{assessment}/plan", "plan")
    expect(page.locator("table.plan-table")).to_be_visible()
    watch.visit(f"{assessment}/whatif", "whatif")
    expect(page.locator("#difference")).to_contain_text("The plan does not change.")
    capacity = page.get_by_label("Users the helpdesk can onboard in a month").first
    capacity.fill("100")
    capacity.press("Tab")  # a change: htmx posts the form and swaps in the difference
    expect(page.locator("#difference")).not_to_contain_text("The plan does not change.")
    watch.check("whatif-changed")
    watch.visit(f"{assessment}/history", "history")
    watch.visit(f"{assessment}/messages", "messages")
    expect(page.locator("table.messages").first).to_be_visible()
    watch.visit(f"{assessment}/messages/en/retail/production-2/reminder", "message-edit")
    watch.visit(f"{base}/", "list")
    watch.visit(f"{base}/account/tokens", "tokens")
    page.goto(f"{base}/no/such/page")
    watch.check("404")

    page.context.clear_cookies()
    login(page, base, "root")
    watch.visit(f"{base}/admin", "admin")
    watch.visit(f"{base}/admin/rules/organisation.yaml", "admin-edit")
    watch.visit(f"{base}/admin/audit", "admin-audit")


def test_the_api_docs_render_under_their_own_policy(page: Page, live_all: str) -> None:
    watch = Watch(page)
    watch.visit(f"{live_all}/api/docs", "api-docs")
    expect(page.get_by_text("Rollout Advisor API")).to_be_visible()
    page.locator('.opblock-summary-path[data-path="/api/v1/rules"]').click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()  # Swagger UI fetches from the site itself
    expect(page.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    watch.check("api-docs-executed")
