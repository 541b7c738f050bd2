"""Every main page at a phone's width (390 px) and a laptop's (1280 px), in English and Swedish:
nothing scrolls sideways, the header is whole, a table wider than the screen scrolls in its own
named box, and axe-core finds no accessibility violation. One login, one load per page and
language; the widths are set on the loaded page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import FilePayload, Page, Response, expect

from advisor.settings import Settings
from tests.browser.conftest import add_users, import_contoso, login, screenshot, serve
from tests.conftest import ROOT
from web import create_app

pytestmark = pytest.mark.browser

WIDTHS = (390, 1280)
HEIGHT = 844
# Of a long page (the rulebook, the plan) the screenshots keep the top: its header, its first
# tables. The whole of it would take seconds a page.
SHOT_HEIGHT = 2400
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# axe runs at the phone's width only (a run takes a second or two): the pages' markup is the same
# at both widths, and the phone's layout (tables as cards) is the one that differs.
AXE_WIDTH = 390
# The API's reference is drawn by the vendored Swagger UI, whose markup is not ours to fix: axe
# finds low contrast, controls nested in controls, an unnamed select and skipped heading levels
# in it. Its layout is checked; axe is not run on it.
NOT_OURS = {"api-docs"}
# Every rule of axe-core but the experimental ones; the first few elements of each violation.
AXE_RUN = """
async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}
"""

# What a person would see as broken, measured in the page: the page wider than the window, a
# header link or button cut off at either edge, a table wider than the window outside a box of
# its own that scrolls, can be reached by keyboard and has a name.
MEASURE = """
() => {
  const width = document.documentElement.clientWidth;
  const cut = (r) => r.left < -0.5 || r.right > width + 0.5;
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const problems = [];
  const scroll = document.documentElement.scrollWidth;
  if (scroll > width) problems.push(`the page is ${scroll} px wide`);
  for (const el of document.querySelectorAll("header a, header button, header summary")) {
    if (shown(el) && cut(el.getBoundingClientRect())) {
      problems.push(`header item "${el.textContent.trim()}" is cut off`);
    }
  }
  for (const table of document.querySelectorAll("main table")) {
    if (!shown(table) || !cut(table.getBoundingClientRect())) continue;
    let box = table.parentElement;
    while (box && box !== document.body && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) {
      box = box.parentElement;
    }
    const named = box && (box.getAttribute("aria-label") || box.getAttribute("aria-labelledby"));
    const ok = box && box !== document.body && !cut(box.getBoundingClientRect())
      && box.getAttribute("tabindex") === "0" && box.getAttribute("role") === "region" && named;
    if (!ok) problems.push(`table "${table.className}" (${Math.round(table.getBoundingClientRect().width)} px) does not scroll in a named box`);
  }
  return problems;
}
"""


@pytest.fixture
def live_site(tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path}/a.db",
        secret_key="layout-test-key",
    )
    app = create_app(settings)
    add_users(app, root="admin")
    with serve(app) as base:
        yield base


class Pass:
    """Looks at each page at both widths; collects what is wrong rather than stopping at the first."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.seen: list[str] = []
        # Any request the pages make that fails (the icon a browser asks for, a style sheet, a
        # script) is a problem too.
        page.on("response", self._failed)

    def _failed(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def visit(self, url: str, name: str, lang: str) -> None:
        response = self.page.goto(url)
        assert response is not None, url
        assert response.status == 200, url
        # The API's reference is Swagger UI over an English specification: English whatever the
        # interface's language, and marked so.
        expect(self.page.locator("html")).to_have_attribute("lang", "en" if name == "api-docs" else lang)
        self.look(name, lang)

    def look(self, name: str, lang: str) -> None:
        # After a click the page may still be loading its style sheets: measured then, it would be
        # laid out without them.
        self.page.wait_for_load_state()
        if name not in NOT_OURS:
            self.page.add_script_tag(path=AXE)
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": HEIGHT})
            found: list[str] = self.page.evaluate(MEASURE)
            if width == AXE_WIDTH and name not in NOT_OURS:
                found += self.page.evaluate(AXE_RUN)
            self.problems += [f"{name} {width} px {lang}: {problem}" for problem in found]
            screenshot(self.page, f"layout-{name}-{width}-{lang}", height=SHOT_HEIGHT)
        self.seen.append(f"{name}-{lang}")


def pages(base: str, assessment: str) -> list[tuple[str, str]]:
    """Every main page a signed-in admin reaches: the questionnaire, the plan and its review, the
    rules, the account."""
    return [
        ("assessments", f"{base}/"),
        ("import", f"{base}/assessments/import"),
        ("organisation", f"{assessment}/organisation"),
        ("group", f"{assessment}/groups/0"),
        ("groups", f"{assessment}/groups"),
        ("answers", f"{assessment}/answers"),
        ("plan", f"{assessment}/plan"),
        ("review", f"{assessment}/review"),
        ("compare", f"{assessment}/compare"),
        ("history", f"{assessment}/history"),
        ("whatif", f"{assessment}/whatif"),
        ("messages", f"{assessment}/messages"),
        ("admin", f"{base}/admin"),
        ("admin-edit", f"{base}/admin/rules/organisation.yaml"),
        ("admin-history", f"{base}/admin/rules/organisation.yaml/history"),
        ("admin-audit", f"{base}/admin/audit"),
        ("admin-scenarios", f"{base}/admin/scenarios"),
        ("admin-scenario", f"{base}/admin/scenarios/contoso-guide-example.yaml"),
        ("password", f"{base}/account/password"),
        ("tokens", f"{base}/account/tokens"),
        ("users", f"{base}/admin/users"),
        ("api-docs", f"{base}/api/docs"),
    ]


def long_named(contoso: dict[str, Any]) -> FilePayload:
    """The guide's example with a group named by one long word, as a compound noun can be."""
    groups = [{**contoso["groups"][0], "name": "Personalavdelningens" * 4}, *contoso["groups"][1:]]
    return {
        "name": "long.yaml",
        "mimeType": "application/yaml",
        "buffer": yaml.safe_dump({**contoso, "groups": groups}, allow_unicode=True).encode(),
    }


# The site's policy allows no inline script, and Playwright injects axe-core as one: this test
# alone bypasses the policy. tests/browser/test_csp.py checks these pages under it.
@pytest.mark.browser_context_args(bypass_csp=True)
def test_every_page_fits_a_phone_and_a_laptop_in_both_languages(page: Page, live_site: str) -> None:
    base = live_site
    check = Pass(page)
    check.visit(f"{base}/login", "login", "en")
    login(page, base, "root")
    assessment = import_contoso(page, base)
    for name, url in pages(base, assessment):
        check.visit(url, name, "en")

    # A group named by a word longer than a phone is wide wraps rather than widen the page.
    page.goto(f"{base}/assessments/import")
    page.locator("#file").set_input_files(
        files=[long_named(yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text()))]
    )
    page.get_by_role("button", name="Import").last.click()
    expect(page.get_by_role("heading", name="Targeted groups")).to_be_visible()
    check.look("groups-long-name", "en")
    page.get_by_role("button", name="See the plan").click()
    expect(page.locator("table.plan-table")).to_be_visible()
    check.look("plan-long-name", "en")

    # On a phone the list's table scrolls in its own box: the next stop after the forms (the last
    # of them the list's search and filters), moved by the arrow keys, while its first column (the
    # titles) stays where it is.
    page.goto(f"{base}/")
    page.set_viewport_size({"width": 390, "height": HEIGHT})
    box = page.get_by_role("region", name="Assessments")
    title = box.get_by_role("link", name="Contoso").first
    page.get_by_role("button", name="Show", exact=True).focus()
    page.keyboard.press("Tab")
    expect(box).to_be_focused()
    before = title.bounding_box()  # once focused: the focus scrolls the page down to the box
    page.keyboard.press("ArrowRight")
    page.wait_for_function("box => box.scrollLeft > 0", arg=box.element_handle())
    assert title.bounding_box() == before

    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    for name, url in pages(base, assessment):
        check.visit(url, name, "sv")
    page.goto(f"{base}/")  # the API's reference has no header to log out from
    page.get_by_role("button", name="Logga ut root").click()
    check.visit(f"{base}/login", "login", "sv")

    assert len(check.seen) == 2 * (len(pages(base, assessment)) + 1) + 2
    assert check.problems == [], "\n".join(check.problems)
