"""The timeline and the helpdesk-load chart, read back as XML: their bars, labels, marks and words."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from advisor.evaluate.engine import Engine
from advisor.model.facts import Assessment
from advisor.model.plan import Plan
from advisor.model.vocabulary import Language, day_name
from advisor.output.charts import MAX_GROUP_ROWS, load_svg, over_capacity, quiet_months, timeline_svg
from advisor.output.export import to_html, to_pdf
from advisor.planning.planner import make_plan

SVG = "{http://www.w3.org/2000/svg}"


def _plan(assessment: Assessment, engine: Engine, language: Language = "en") -> Plan:
    with engine.version() as compiled:
        return make_plan(assessment, compiled, language)


def _with(contoso: Assessment, **organisation: Any) -> Assessment:
    return contoso.model_copy(update={"organisation": contoso.organisation.model_copy(update=organisation)})


def _read(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it is well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def _bars(root: ET.Element) -> list[tuple[str, str]]:
    """Each bar of the timeline: its phase kind and its visible label."""
    return [
        (bar.get("data-kind", ""), "".join(bar.find(f"{SVG}text").itertext()))  # type: ignore[union-attr] # every bar has its label
        for bar in root.iter(f"{SVG}g")
        if bar.get("class") == "bar"
    ]


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _no_style_no_script(svg: str) -> None:
    assert "style" not in svg
    assert "<script" not in svg
    assert "href" not in svg  # nothing fetched, nothing linked


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_timeline_has_a_bar_per_phase_and_per_group_and_phase(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    plan = _plan(contoso, engine, language)
    svg = timeline_svg(plan, language, None)
    _no_style_no_script(svg)
    root = _read(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "timeline-title timeline-desc"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}desc") is not None
    bars = _bars(root)
    phases = [(p.kind, p.title) for p in plan.phases]
    # a row per phase, in order, then a bar per group and phase it enrolls in
    assert bars[: len(phases)] == phases
    placements = [
        (p.kind, p.title)
        for g in plan.groups
        for p in plan.phases
        if any(e.group == g.id and (e.phase, e.number) == (p.kind, p.number) for e in plan.calendar)
    ]
    assert bars[len(phases) :] == placements
    assert len(bars) == 5 + 8  # contoso: IT in both pilots, the six others in one phase each
    texts = _texts(root)
    for group in plan.groups:
        assert group.name in texts
    # a diamond and its label for every gate, dashed line down the rows too
    gates = [g for g in root.iter(f"{SVG}g") if g.get("class") == "gate"]
    assert len(gates) == len(plan.gates) == 4
    assert all(g.find(f"{SVG}path") is not None for g in gates)
    # the patterns tell the phase kinds apart without colour, and the legend names them
    patterns = {p.get("id") for p in root.iter(f"{SVG}pattern")}
    assert {"timeline-limited_pilot", "timeline-expanded_pilot", "timeline-production"} <= patterns
    assert sum(1 for g in root.iter(f"{SVG}g") if g.get("class") == "legend") == 4


def test_the_today_line_only_while_the_rollout_is_under_way(contoso: Assessment, engine: Engine) -> None:
    plan = _plan(contoso, engine)
    first, last = date.fromisoformat(plan.calendar[0].date), date.fromisoformat(plan.calendar[-1].date)

    def today_lines(today: date | None) -> int:
        root = _read(timeline_svg(plan, "en", today))
        return sum(1 for g in root.iter(f"{SVG}g") if g.get("class") == "today")

    assert today_lines(date(2027, 8, 10)) == 1
    assert today_lines(first) == today_lines(last) == 1
    assert today_lines(None) == 0
    assert today_lines(date(2027, 1, 4)) == 0  # before the first event
    assert today_lines(date(2028, 1, 3)) == 0  # after the last
    under_way = _read(timeline_svg(plan, "sv", date(2027, 8, 10)))
    assert "I dag" in _texts(under_way)
    assert "10 augusti 2027" in "".join(under_way.find(f"{SVG}desc").itertext())  # type: ignore[union-attr] # the chart has its description


def test_quiet_months_are_shaded_and_named(contoso: Assessment, engine: Engine) -> None:
    """July is quiet in Sweden: the pilots start in June, production after the summer."""
    plan = _plan(_with(contoso, country="SE", rollout_start="2027-06"), engine)
    quiet = quiet_months(plan)
    assert "2027-07" in quiet
    assert all(e.date[:7] not in quiet for e in plan.calendar)
    root = _read(timeline_svg(plan, "en", None))
    shaded = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "quiet"]
    assert len(shaded) == len(quiet)
    assert "quiet" in _texts(root)
    assert "July 2027" in "".join(root.find(f"{SVG}desc").itertext())  # type: ignore[union-attr] # the chart has its description
    assert quiet_months(_plan(contoso, engine)) == []


def _many_groups(plan: Plan, count: int) -> Plan:
    """The plan with `count` copies of Retail, each with Retail's events under its own id."""
    data = plan.model_dump(mode="json")
    retail = next(g for g in data["groups"] if g["id"] == "retail")
    events = [e for e in data["calendar"] if e["group"] == "retail"]
    for i in range(count):
        data["groups"].append({**retail, "id": f"copy-{i}", "name": f"Copy {i}"})
        data["calendar"].extend({**e, "group": f"copy-{i}"} for e in events)
    data["calendar"].sort(key=lambda e: e["date"])
    return Plan.model_validate(data)


def test_the_timeline_draws_at_most_its_share_of_groups(contoso: Assessment, engine: Engine) -> None:
    plan = _many_groups(_plan(contoso, engine), 100)
    root = _read(timeline_svg(plan, "en", None))
    names = {g.name for g in plan.groups}
    shown = [t for t in _texts(root) if t in names]
    assert len(shown) == MAX_GROUP_ROWS
    more = len(plan.groups) - MAX_GROUP_ROWS
    assert f"…and {more} more groups: see the table" in _texts(root)
    assert f"…och {more} grupper till: se tabellen" in _texts(_read(timeline_svg(plan, "sv", None)))
    small = _read(timeline_svg(_plan(contoso, engine), "en", None))
    assert not [t for t in _texts(small) if t.startswith("…")]


def test_every_text_in_the_pictures_is_escaped(contoso: Assessment, engine: Engine) -> None:
    name = "<script>&\"'"
    groups = [g.model_copy(update={"name": name}) if g.id == "retail" else g for g in contoso.groups]
    plan = _plan(contoso.model_copy(update={"groups": groups}), engine)
    for svg in (timeline_svg(plan, "en", date(2027, 9, 1)), load_svg(plan, "en")):
        assert "<script" not in svg
        root = _read(svg)
        shown = _texts(root) + ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
        assert any(name in t for t in shown)
    assert "&lt;script&gt;&amp;&quot;&#x27;" in timeline_svg(plan, "en", None)


def test_the_load_chart_has_a_bar_per_week_and_the_capacity(contoso: Assessment, engine: Engine) -> None:
    plan = _plan(contoso, engine)
    svg = load_svg(plan, "en")
    _no_style_no_script(svg)
    root = _read(svg)
    assert root.get("aria-labelledby") == "load-title load-desc"
    weeks = [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("week")]
    assert [g.get("data-week") for g in weeks] == [w.week for w in plan.support_load]
    assert all(g.find(f"{SVG}rect") is not None for g in weeks)
    capacity = [g for g in root.iter(f"{SVG}g") if g.get("class") == "capacity"]
    assert len(capacity) == 1
    path = capacity[0].find(f"{SVG}path")
    assert path is not None
    assert path.get("d", "").count("H") == len(plan.support_load)
    assert "Capacity" in _texts(root)
    assert over_capacity(plan) == set()
    assert not [g for g in weeks if "over" in (g.get("class") or "")]
    # the busiest week, named in the description
    desc = "".join(root.find(f"{SVG}desc").itertext())  # type: ignore[union-attr] # the chart has its description
    busiest = max(plan.support_load, key=lambda w: w.load)
    assert busiest.week == "2027-08-02"  # Sales and marketing's first week
    assert f"2 August 2027 with about {round(busiest.load)}" in desc


@pytest.mark.parametrize("language", ["en", "sv"])
def test_weeks_over_capacity_are_marked(contoso: Assessment, engine: Engine, language: Language) -> None:
    plan = _plan(_with(contoso, support_capacity=300), engine, language)
    over = over_capacity(plan)
    assert over == {w.week for w in plan.support_load if w.over}
    assert over  # the expanded pilot crowds its users into half of July
    assert all(w.capacity is not None and w.load > w.capacity for w in plan.support_load if w.over)
    # the plan warns of every one of them, each named by its Monday in its group's warning
    warned = " ".join(w.text for w in plan.warnings if w.code == "support-week-over-capacity")
    assert all(day_name(week, language) in warned for week in over)
    root = _read(load_svg(plan, language))
    marked = [g for g in root.iter(f"{SVG}g") if g.get("class") == "week over"]
    assert sorted(g.get("data-week") or "" for g in marked) == sorted(over)
    for g in marked:
        rect = g.find(f"{SVG}rect")
        assert rect is not None
        assert rect.get("fill") == "url(#load-over)"
        assert "!" in _texts(g)
    legend = "Over capacity (!)" if language == "en" else "Över kapaciteten (!)"
    assert legend in _texts(root)


def test_without_a_capacity_the_load_chart_says_so(contoso: Assessment, engine: Engine) -> None:
    plan = _plan(_with(contoso, support_capacity=None), engine)
    assert all(w.capacity is None for w in plan.support_load)
    root = _read(load_svg(plan, "en"))
    assert not [g for g in root.iter(f"{SVG}g") if g.get("class") == "capacity"]
    assert len([g for g in root.iter(f"{SVG}g") if g.get("data-week")]) == len(plan.support_load)
    desc = "".join(root.find(f"{SVG}desc").itertext())  # type: ignore[union-attr] # the chart has its description
    assert "No support capacity is given: the chart shows the load only." in desc


def test_a_plan_saved_before_the_calendar_has_no_pictures(contoso: Assessment, engine: Engine) -> None:
    plan = _plan(contoso, engine).model_copy(update={"calendar": [], "gates": [], "support_load": []})
    assert timeline_svg(plan, "en", date(2027, 8, 1)) == ""
    assert load_svg(plan, "en") == ""


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_pdf_html_holds_both_pictures_and_the_tables(
    contoso: Assessment, engine: Engine, language: Language
) -> None:
    plan = _plan(contoso, engine, language)
    page = to_html(plan)
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert 'class="today"' not in page  # a printout outlives its day
    assert page.count('<tr><td class="date">') == len(plan.calendar) + len(plan.support_load)
    assert page.count('<div class="gate">') == len(plan.gates)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils' pdftotext is not installed")
@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_pdf_shows_the_calendar_and_the_gates(
    contoso: Assessment, engine: Engine, language: Language, tmp_path: Path
) -> None:
    plan = _plan(_with(contoso, support_capacity=300), engine, language)
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(to_pdf(plan))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = {
        "en": ("Calendar", "Go/no-go reviews", "Helpdesk load", "Exit criteria", "Over capacity"),
        "sv": (
            "Kalender",
            "Go/no-go-granskningar",
            "Supportens belastning",
            "Slutkriterier",
            "Över kapaciteten",
        ),
    }[language]
    for word_ in words:
        assert word_ in text
    # the calendar's first event, by its date and title; a gate's criterion with its threshold
    first = plan.calendar[0]
    assert day_name(first.date, language) in text
    assert first.title in text
    criterion = plan.gates[0].criteria[0]
    assert str(criterion.threshold) in criterion.text
    assert criterion.text in " ".join(text.split())
    # the pictures' own words: the timeline's rows, the load chart's capacity line
    assert plan.groups[0].name in text
    assert ("Capacity" if language == "en" else "Kapacitet") in text
