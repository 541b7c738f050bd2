"""The plan page and the review page show each group's enrollment methods (a table per group, with
why and why not the others) and the prerequisites checklist; the API's plan and its OpenAPI
document carry both."""

from __future__ import annotations

import re
from typing import Any

import yaml
from flask import Flask
from markupsafe import escape

from advisor.model.plan import Plan
from advisor.store.tables import AssessmentRecord
from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import fill, json_of
from web.extensions import services

CONTOSO: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def _stored(app: Flask, assessment_id: int, language: str = "en") -> Plan:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        assert record.plan is not None
        return Plan.model_validate(record.plan[language])


def _store(app: Flask, assessment_id: int, plan: Plan) -> None:
    with services(app).store.session() as db:
        record = db.get(AssessmentRecord, assessment_id)
        assert record is not None
        record.plan = {plan.language: plan.model_dump(mode="json")}


def _sales(plan: Plan) -> str:
    """The id the questionnaire gave Sales and marketing (made from its name)."""
    return next(g.id for g in plan.groups if g.name == "Sales and marketing")


def _table(page: str, group: str) -> str:
    return page.split(f'<table class="methods-table" id="methods-{group}">')[1].split("</table>")[0]


def _row(table: str, platform: str, ownership: str) -> str:
    found = re.search(
        rf'<tbody class="method" data-platform="{platform}" data-ownership="{ownership}".*?</tbody>',
        table,
        re.S,
    )
    assert found is not None, (platform, ownership)
    return found.group(0)


def test_the_plan_page_has_a_methods_table_per_group(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    plan = _stored(app, assessment_id)
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert page.count('<table class="methods-table"') == sum(1 for g in plan.groups if g.methods)
    for group in plan.groups:
        assert _table(page, group.id).count('<tbody class="method"') == len(group.methods)
    retail = _row(_table(page, "retail"), "ios", "corporate")
    assert 'data-method="ios_ade"' in retail
    assert '<th scope="row" data-label="Method">Apple automated device enrollment (iOS/iPadOS)</th>' in retail
    assert '<td data-label="Devices">500</td>' in retail
    assert '<strong class="reset-required">yes, devices in use are wiped</strong>' in retail
    assert '<td data-label="User affinity" class="affinity">yes</td>' in retail
    assert (
        "the user switches it on, signs in and it arrives configured" in retail
    )  # what the user goes through
    assert "Corporate iPhones and iPads enroll with Apple automated device enrollment" in retail  # why
    assert '<span class="provenance provenance-current_practice">Current Microsoft docs</span>' in retail
    assert "<code>ios-automated-device-enrollment</code>" in retail
    why_not = retail.split("<summary>Why not the other methods?</summary>")[1]
    assert '<li data-method="ios_shared_ipad"><strong>Shared iPad</strong>:' in why_not
    assert "<code>ios-shared-ipad-for-devices-shared-by-many</code>" in why_not
    android = _row(_table(page, _sales(plan)), "android", "personal")
    assert "App protection without enrollment (Android)" in android
    assert '<td data-label="Reset" class="reset">no</td>' in android
    assert "reset-required" not in android


def test_the_swedish_plan_page_names_the_methods_as_microsoft_does(app: Flask, anna: Browser) -> None:
    # A Swedish plan: the assessment's language, whatever the interface's.
    assessment_id = fill(anna, {**CONTOSO, "organisation": {**CONTOSO["organisation"], "language": "sv"}})
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    plan = _stored(app, assessment_id, "sv")
    retail = _row(_table(page, "retail"), "ios", "corporate")
    assert (
        '<th scope="row" data-label="Metod">Apples automatiserade enhetsregistrering (iOS/iPadOS)</th>'
        in retail
    )
    assert '<strong class="reset-required">ja, enheter som används rensas</strong>' in retail
    assert "<summary>Varför inte de andra metoderna?</summary>" in retail
    android = _row(_table(page, _sales(plan)), "android", "personal")
    assert "Appskydd utan registrering (Android)" in android
    assert "<h2>Förutsättningar</h2>" in page
    assert re.search(
        r"Senast \d+ (juni|juli|augusti) 2027", page
    )  # a Swedish plan assumes Sweden's quiet months


def test_the_plan_page_has_the_prerequisites_checklist(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    plan = _stored(app, assessment_id)
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    checklist = page.split('<ol class="checklist">')[1].split("</ol>")[0]
    assert re.findall(r'<li id="prerequisite-([a-z0-9-]+)">', checklist) == [
        p.code for p in plan.prerequisites
    ]
    licences = checklist.split('<li id="prerequisite-intune-licences">')[1].split("</li>")[0]
    assert "Assign an Intune licence to every user in the rollout." in licences
    assert "Due 17 June 2027 · For every group" in licences
    assert (
        '<a href="https://learn.microsoft.com/mem/intune/fundamentals/licenses" class="source">' in licences
    )
    assert "provenance-current_practice" in licences
    apps = checklist.split('<li id="prerequisite-app-protection-policies">')[1].split("</li>")[0]
    assert "Due 18 July 2027 · For Sales and marketing" in apps
    # after the warnings, before the groups' reasons
    assert (
        page.index("Warnings and open questions")
        < page.index('<ol class="checklist">')
        < page.index("Why, group by group")
    )


def test_the_review_page_shows_the_methods_and_the_checklist(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    plan = _stored(app, assessment_id)
    page = anna.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert page.count('<tbody class="method"') == sum(len(g.methods) for g in plan.groups)
    assert '<strong class="reset-required">yes, devices in use are wiped</strong>' in _row(
        _table(page, "retail"), "ios", "corporate"
    )
    assert page.count('<li id="prerequisite-') == len(plan.prerequisites)


def test_an_alternative_no_rule_chooses_says_so(app: Flask, anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    plan = _stored(app, assessment_id)
    retail = plan.group("retail")
    first = retail.methods[0]
    alone = first.model_copy(
        update={"alternatives": [a.model_copy(update={"why_not": []}) for a in first.alternatives]}
    )
    groups = [
        g.model_copy(update={"methods": [alone, *g.methods[1:]]}) if g is retail else g for g in plan.groups
    ]
    _store(app, assessment_id, plan.model_copy(update={"groups": groups}))
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    row = _row(_table(page, "retail"), first.platform, first.ownership)
    said = "No rule of the rulebook chooses it for these devices."
    assert row.count(said) == len(first.alternatives)


def test_method_texts_are_shown_as_written(app: Flask, anna: Browser) -> None:
    attack = "<script>alert(1)</script>"
    assessment_id = fill(anna, CONTOSO)
    plan = _stored(app, assessment_id)
    first = plan.groups[0].methods[0]
    reason = first.reasons[0].model_copy(update={"text": attack})
    changed = first.model_copy(update={"experience": attack, "reasons": [reason]})
    groups = [
        plan.groups[0].model_copy(update={"methods": [changed, *plan.groups[0].methods[1:]]}),
        *plan.groups[1:],
    ]
    prerequisites = [plan.prerequisites[0].model_copy(update={"text": attack}), *plan.prerequisites[1:]]
    _store(app, assessment_id, plan.model_copy(update={"groups": groups, "prerequisites": prerequisites}))
    for path in ("plan", "review"):
        page = anna.get(f"/assessments/{assessment_id}/{path}").get_data(as_text=True)
        assert attack not in page
        assert page.count(str(escape(attack))) == 3


def test_the_api_plan_and_its_schema_carry_methods_and_prerequisites(app: Flask) -> None:
    client = app.test_client()
    plan = json_of(client.post("/api/v1/plans", json=CONTOSO))
    retail = next(g for g in plan["groups"] if g["id"] == "retail")
    ios = next(m for m in retail["methods"] if (m["platform"], m["ownership"]) == ("ios", "corporate"))
    assert (ios["method"], ios["reset_required"], ios["user_affinity"], ios["devices"]) == (
        "ios_ade",
        True,
        True,
        500,
    )
    assert {a["method"] for a in ios["alternatives"]} == {
        "ios_shared_ipad",
        "ios_company_portal_device_enrollment",
    }
    assert plan["prerequisites"][0] == {
        "code": "intune-licences",
        "text": "Assign an Intune licence to every user in the rollout.",
        "due": "2027-06-17",
        "provenance": "current_practice",
        "source": "https://learn.microsoft.com/mem/intune/fundamentals/licenses",
        "groups": [],
    }
    document = client.get("/api/v1/openapi.json").json
    assert document is not None
    schemas = document["components"]["schemas"]
    assert schemas["GroupPlan"]["properties"]["methods"]["items"] == {
        "$ref": "#/components/schemas/MethodChoice"
    }
    assert schemas["Plan"]["properties"]["prerequisites"]["items"] == {
        "$ref": "#/components/schemas/Prerequisite"
    }
    assert set(schemas["MethodChoice"]["properties"]) == {
        "platform",
        "ownership",
        "method",
        "reset_required",
        "user_affinity",
        "prerequisites",
        "reasons",
        "alternatives",
        "devices",
        "experience",
    }
    assert "ios_ade" in schemas["MethodChoice"]["properties"]["method"]["enum"]
    assert set(schemas["MethodAlternative"]["properties"]) == {"method", "why_not"}
    assert set(schemas["Prerequisite"]["properties"]) == {
        "code",
        "text",
        "due",
        "provenance",
        "source",
        "groups",
    }
