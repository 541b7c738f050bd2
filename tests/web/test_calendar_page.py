"""The plan page's calendar, go/no-go reviews and helpdesk load: each picture inline (SVG, no script,
no style attribute), then its table; in English and Swedish; a long table folded away."""

from __future__ import annotations

import re
from typing import Any

import yaml
from flask import Flask

from advisor.model.plan import GateDecision, Plan
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import fill
from web.extensions import services

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())

# What the sections say, in each language: headings, a calendar row, a criterion, a load row.
SHOWN = {
    "en": {
        "headings": ("Calendar", "Go/no-go reviews", "Helpdesk load"),
        "first_row": '<td class="date">2 June 2027</td><th scope="row">Helpdesk training',
        "gate": "After Limited pilot, before Expanded pilot:",
        "criterion": "Devices enrolled, of those the phase targets, at least 95%",
        "no_decision": "No decision recorded yet.",
        "week": (
            '<th scope="row">2 August 2027</th><td class="number" data-label="Load (users)">500</td>'
            '<td class="number" data-label="Capacity (users)">833</td>'
        ),
        "svg_titles": ("Timeline of the rollout", "Helpdesk load per week"),
    },
    "sv": {
        "headings": ("Kalender", "Go/no-go-granskningar", "Supportens belastning"),
        "first_row": '<td class="date">10 juni 2027</td><th scope="row">',
        "gate": "Efter Begränsat pilottest, före Utökat pilottest:",
        "criterion": 'data-criterion="enrollment_success" data-threshold="95"',
        "no_decision": "Inget beslut registrerat ännu.",
        "week": (
            '<th scope="row">2 augusti 2027</th><td class="number" data-label="Belastning (användare)">500</td>'
            '<td class="number" data-label="Kapacitet (användare)">833</td>'
        ),
        "svg_titles": ("Tidslinje för distributionen", "Supportens belastning per vecka"),
    },
}


def _record(app: Flask, assessment_id: int) -> dict[str, Any]:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        assert record.plan is not None
        return dict(record.plan)


def _store(app: Flask, assessment_id: int, plans: dict[str, Any]) -> None:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        record.plan = plans


def test_the_plan_page_shows_the_calendar_gates_and_load(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    for language, shown in SHOWN.items():
        with services(app).store.session() as db:  # the plan's language (its plans hold both)
            record = db.get(AssessmentRecord, assessment_id)
            assert record is not None
            record.answers = {
                **record.answers,
                "organisation": {**record.answers["organisation"], "language": language},
            }
        page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
        plan = Plan.model_validate(_record(app, assessment_id)[language])
        for heading in shown["headings"]:
            assert f">{heading}</h2>" in page
        # the order: the phase table, then the calendar, the reviews and the load
        order = [
            page.index(x) for x in ('class="plan-table"', 'id="calendar"', 'id="gates"', 'id="support-load"')
        ]
        assert order == sorted(order)
        # the pictures, inline, each with its title, and the tables after them
        assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
        for title in shown["svg_titles"]:
            assert f">{title}</title>" in page
        svg = page[page.index("<svg") : page.rindex("</svg>")]
        assert "style=" not in svg
        assert "<script" not in svg
        calendar = page.split('<table class="calendar-table">')[1].split("</table>")[0]
        assert calendar.count("<tr data-kind=") == len(plan.calendar)
        assert shown["first_row"] in calendar
        gates = page.split('id="gates"')[1].split("</section>")[0]
        assert gates.count('<article class="gate"') == len(plan.gates) == 4
        assert shown["gate"] in gates
        assert shown["criterion"] in gates
        assert shown["no_decision"] in gates
        load = page.split('<table class="load-table">')[1].split("</table>")[0]
        assert load.count("<tr") == len(plan.support_load) + 1  # the header's row too
        assert shown["week"] in load
        # contoso's calendar and weeks are short enough to show unfolded
        assert '<details class="calendar-events" open>' in page
        assert '<details class="load-weeks" open>' in page


def test_recorded_decisions_show_at_their_gate(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    plans = _record(app, assessment_id)
    plan = Plan.model_validate(plans["en"])
    decision = GateDecision(outcome="no_go", by="<b>Lead</b>", date="2027-07-14", note="Too many tickets")
    gate = plan.gates[0].model_copy(update={"decisions": [decision]})
    plans["en"] = plan.model_copy(update={"gates": [gate, *plan.gates[1:]]}).model_dump(mode="json")
    _store(app, assessment_id, plans)
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    first = page.split('<article class="gate" id="gate-1"')[1].split("</article>")[0]
    assert (
        '<li class="no_go"><strong>no-go</strong>: &lt;b&gt;Lead&lt;/b&gt;, 14 July 2027: Too many tickets</li>'
        in first
    )
    assert "<b>Lead</b>" not in page
    # the timeline says it at the gate's diamond too
    assert "Go/no-go review: no-go</text>" in page


def test_a_long_calendar_is_folded_and_the_timeline_bounded(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    plans = _record(app, assessment_id)
    data = plans["en"]
    retail = next(g for g in data["groups"] if g["id"] == "retail")
    events = [e for e in data["calendar"] if e["group"] == "retail"]
    for i in range(60):
        data["groups"].append({**retail, "id": f"copy-{i}", "name": f"Copy <{i}>"})
        data["calendar"].extend({**e, "group": f"copy-{i}"} for e in events)
    data["calendar"].sort(key=lambda e: e["date"])
    _store(app, assessment_id, plans)
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert '<details class="calendar-events">' in page
    assert "…and 27 more groups: see the table" in page
    assert "Copy &lt;59&gt;" in page  # in the table, escaped
    assert "Copy <59>" not in page


def test_a_plan_saved_before_the_calendar_shows_no_calendar(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    plans = _record(app, assessment_id)
    for language in plans:
        plans[language] = {**plans[language], "calendar": [], "gates": [], "support_load": []}
    _store(app, assessment_id, plans)
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert 'id="calendar"' not in page
    assert "<svg" not in page
    assert re.search(r'class="plan-table"', page)
