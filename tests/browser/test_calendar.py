"""The plan page's timeline and helpdesk-load chart in a real browser, at a desktop's width and a
phone's, in English and Swedish (screenshots in artifacts/screenshots)."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, import_contoso, login, screenshot, set_plan_language

pytestmark = pytest.mark.browser

HEADINGS = {
    "en": ("Calendar", "Go/no-go reviews", "Helpdesk load", "Svenska"),
    "sv": ("Kalender", "Go/no-go-granskningar", "Supportens belastning", "English"),
}


def _fits(page: Page) -> bool:
    """No sideways scrolling of the page: a wide table scrolls inside its own box."""
    fits: bool = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    return fits


def _chart_box(page: Page, selector: str) -> dict[str, float]:
    """Where a picture is drawn, and how wide its figure is."""
    box: dict[str, float] = page.evaluate(
        "s => { const e = document.querySelector(s); const r = e.getBoundingClientRect();"
        " return {width: r.width, height: r.height, figure: e.parentElement.clientWidth}; }",
        selector,
    )
    return box


def test_the_timeline_and_the_load_chart_at_every_width(page: Page, live_app: tuple[str, Flask]) -> None:
    live, app = live_app
    login(page, live, "anna")
    assessment = import_contoso(page, live)
    for language, (calendar, gates, load, other) in HEADINGS.items():
        set_plan_language(app, assessment, language)  # the plan's language, not the interface's
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{assessment}/plan")
        expect(page.get_by_role("heading", name=calendar, exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name=gates, exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name=load, exact=True)).to_be_visible()
        timeline = page.locator("svg.chart-timeline")
        chart = page.locator("svg.chart-load")
        for picture in (timeline, chart):
            expect(picture).to_be_visible()
            # a picture for screen readers: named by its title
            assert picture.get_attribute("role") == "img"
        expect(timeline.locator("g.bar")).to_have_count(5 + 8)
        expect(chart.locator("g[data-week]")).to_have_count(page.locator("table.load-table tbody tr").count())
        assert page.locator("table.calendar-table tbody tr").count() > 50
        assert _fits(page)
        screenshot(page, f"25-plan-calendar-{language}")
        page.locator("#calendar figure").screenshot(path=str(ARTIFACTS / f"26-timeline-{language}.png"))
        page.locator("#support-load figure").screenshot(path=str(ARTIFACTS / f"27-load-{language}.png"))

        page.set_viewport_size({"width": 390, "height": 844})
        for selector in ("svg.chart-timeline", "svg.chart-load"):
            box = _chart_box(page, selector)
            # the picture shrinks to the phone's width, never wider, and stays drawn
            assert 300 < box["width"] <= box["figure"]
            assert box["height"] > 100
        expect(timeline).to_be_visible()
        expect(chart).to_be_visible()
        assert _fits(page)
        screenshot(page, f"28-plan-calendar-{language}-phone")
        page.locator("#calendar figure").screenshot(path=str(ARTIFACTS / f"29-timeline-{language}-phone.png"))
        page.locator("#support-load").screenshot(path=str(ARTIFACTS / f"30-load-{language}-phone.png"))
        page.locator("#gates").screenshot(path=str(ARTIFACTS / f"31-gates-{language}-phone.png"))
        page.get_by_role("button", name=other).click()
