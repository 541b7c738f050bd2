"""Groups from the organisation's exports in a real browser: the upload, the preview with an edit,
applying it; in English at desktop width and in Swedish at phone width (nothing cut off); and the
preview of a generated 10,000-user organisation, saved as a picture."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import FilePayload, Page, expect

from bench.directory_data import devices_csv, users_csv
from tests.browser.conftest import ARTIFACTS, import_contoso, login, screenshot
from tests.browser.test_layout import MEASURE, Pass

pytestmark = pytest.mark.browser
# The proposal for a generated 10,000-user organisation, whole, as people see it (artifacts/).
PICTURES = {"en": ARTIFACTS / "proposal-10000-en-1280.png", "sv": ARTIFACTS / "proposal-10000-sv-390.png"}


def _csv(name: str, content: bytes) -> FilePayload:
    return {"name": name, "mimeType": "text/csv", "buffer": content}


def _upload(page: Page, assessment: str, users: bytes, devices: bytes) -> None:
    page.goto(f"{assessment}/groups")
    page.locator("a[href$='/import-groups']").click()
    page.locator("#users").set_input_files(files=[_csv("users.csv", users)])
    page.locator("#devices").set_input_files(files=[_csv("devices.csv", devices)])
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("table.proposed")).to_be_visible()


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("sv", 390)])
def test_upload_preview_edit_and_apply(page: Page, live: str, language: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live, "anna")
    if language == "sv":
        page.get_by_role("button", name="Svenska").click()
    assessment = import_contoso(page, live) if language == "en" else _import_sv(page, live)
    users, _truth = users_csv(800, seed=5)
    devices, _ = devices_csv(1000, users=800, seed=5)
    _upload(page, assessment, users, devices)
    assert page.evaluate(MEASURE) == []  # nothing wider than the window, nothing cut off
    rename = page.locator("details.rename", has=page.locator("input[value='Ekonomi']"))
    rename.locator("summary").click()  # the name stays shown in full above its rename control
    rename.locator("input[name=name]").fill("Ekonomiavdelningen")
    rename.locator("button").click()
    expect(page.locator("span.group-name", has_text="Ekonomiavdelningen")).to_be_visible()
    page.locator("input[form=merge-form]").first.check()  # one group only: refused, and said so
    page.locator("#merge-name").fill("Bara en")
    page.locator("#merge-form button").click()
    expect(page.locator("p.flash.error")).to_be_visible()
    screenshot(page, f"directory-preview-{language}-{width}", height=1800)
    page.locator("form[action$='/import-groups/apply'] button").click()
    expect(page.locator("table.stack")).to_be_visible()
    expect(page.get_by_role("link", name="Ekonomiavdelningen")).to_be_visible()
    needs = "Needs answers" if language == "en" else "Behöver svar"
    expect(page.get_by_text(needs).first).to_be_visible()


def _import_sv(page: Page, live: str) -> str:
    """The guide's example imported with the interface in Swedish."""
    from tests.conftest import ROOT

    page.goto(f"{live}/assessments/import")
    contoso: FilePayload = {
        "name": "contoso.yaml",
        "mimeType": "application/yaml",
        "buffer": (ROOT / "examples" / "contoso.yaml").read_bytes(),
    }
    page.locator("#file").set_input_files(files=[contoso])
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("table.stack")).to_be_visible()
    return page.url.rsplit("/", 1)[0]


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("sv", 390)])
def test_the_preview_of_a_10000_user_organisation(page: Page, live: str, language: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live, "anna")
    if language == "sv":
        page.get_by_role("button", name="Svenska").click()
    assessment = import_contoso(page, live) if language == "en" else _import_sv(page, live)
    users, _truth = users_csv(10_000, seed=10)
    devices, _ = devices_csv(14_000, users=10_000, seed=10)
    _upload(page, assessment, users, devices)
    read = "10,000 users read" if language == "en" else "10\u00a0000 användare"
    expect(page.locator("details.import-report li").first).to_contain_text(read)
    expect(page.locator("span.group-name", has_text=re.compile(" – ")).first).to_be_visible()
    PICTURES[language].parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(PICTURES[language]), full_page=True)


# axe-core is injected as an inline script, which the site's policy forbids: bypassed here, as in
# tests/browser/test_layout.py, whose measures (and axe's rules) these pages are held to.
@pytest.mark.browser_context_args(bypass_csp=True)
def test_the_import_pages_fit_and_pass_axe_in_both_languages(page: Page, live: str) -> None:
    check = Pass(page)
    login(page, live, "anna")
    assessment = import_contoso(page, live)
    users, _truth = users_csv(500, seed=8)
    devices, _ = devices_csv(600, users=500, seed=8)
    for lang in ("en", "sv"):
        if lang == "sv":
            page.get_by_role("button", name="Svenska").click()
            expect(page.locator("html")).to_have_attribute("lang", "sv")
        check.visit(f"{assessment}/import-groups", "import-groups", lang)
        _upload(page, assessment, users, devices)
        check.look("import-groups-preview", lang)
    assert check.problems == [], "\n".join(check.problems)
