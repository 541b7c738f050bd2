"""The questionnaire: the guide's example through the forms, validation, drafts and resuming."""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml
from flask import Flask

from advisor.model.facts import Group, parse_assessment
from advisor.services.assessments import create
from advisor.store.accounts import user_by_name
from advisor.store.tables import VersionKind
from tests.conftest import ROOT
from tests.test_planner import GUIDE_TABLE_EN
from tests.web.conftest import Browser
from tests.web.helpers import fill, form_values, rendered_form
from web.extensions import services

CONTOSO = yaml.safe_load((ROOT / "examples" / "contoso.yaml").read_text())


def test_the_guide_example_filled_in_gives_the_corrected_table(anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    for row in GUIDE_TABLE_EN[1:]:
        assert f'<th scope="row">{row[0]}</th>' in page
        for cell in row[1:]:
            if cell:
                assert re.search(f'<td data-month="[^"]+">{re.escape(cell)}</td>', page), cell
    assert "Made with rulebook version" in page
    assert "Tension</strong>" in page


def test_the_form_answers_equal_the_file(anna: Browser) -> None:
    """Entering every answer through the forms gives exactly the example file's assessment."""
    from advisor.model.facts import parse_assessment

    assessment_id = fill(anna, CONTOSO)
    exported = yaml.safe_load(anna.get(f"/assessments/{assessment_id}/export.yaml").get_data(as_text=True))
    got, expected = parse_assessment(exported), parse_assessment(CONTOSO)
    assert got.organisation == expected.organisation
    # The form derives ids from names (the file chose its own); every answer is the same.
    assert [g.model_copy(update={"id": "x"}) for g in got.groups] == [
        g.model_copy(update={"id": "x"}) for g in expected.groups
    ]
    assert [g.id for g in got.groups][:3] == ["it", "it-executives", "sales-and-marketing"]


def test_a_wrong_answer_gets_a_sentence_next_to_its_field_and_is_kept(anna: Browser) -> None:
    response = anna.post("/assessments", {"title": "T"})
    assessment_id = int(response.headers["Location"].split("/")[2])
    anna.post(f"/assessments/{assessment_id}/organisation", {"name": "T", "rollout_start": "2027-07"})
    page = anna.post(
        f"/assessments/{assessment_id}/groups/new",
        {"name": "Sales", "users": "lots", "platforms": []},
    ).get_data(as_text=True)
    assert 'id="error-users">must be a whole number</small>' in page
    assert 'id="error-platforms">must have at least 1 item</small>' in page
    assert 'value="lots"' in page  # what the person typed is still there
    assert 'aria-invalid="true"' in page


def test_leave_and_resume_where_you_were(anna: Browser) -> None:
    response = anna.post("/assessments", {"title": "T"})
    assessment_id = int(response.headers["Location"].split("/")[2])
    anna.post(f"/assessments/{assessment_id}/organisation", form_values(CONTOSO["organisation"]))
    # The form's autosave keeps the half-typed group as a draft.
    anna.post(f"/assessments/{assessment_id}/groups/draft", {"name": "Half done", "users": "12"})
    anna.post("/logout")
    anna.login("anna")
    resumed = anna.get(f"/assessments/{assessment_id}")
    assert resumed.headers["Location"] == f"/assessments/{assessment_id}/groups/0"
    page = anna.get(resumed.headers["Location"]).get_data(as_text=True)
    assert 'value="Half done"' in page
    assert 'value="12"' in page


def test_groups_can_be_duplicated_edited_and_removed(anna: Browser) -> None:
    assessment_id = fill(anna, {**CONTOSO, "groups": CONTOSO["groups"][:1]})
    anna.post(f"/assessments/{assessment_id}/groups/0/duplicate")
    page = anna.get(f"/assessments/{assessment_id}/groups").get_data(as_text=True)
    assert "IT (copy)" in page
    edited = {**form_values(CONTOSO["groups"][0]), "name": "IT helpdesk", "users": "40"}
    assert anna.post(f"/assessments/{assessment_id}/groups/1", edited).status_code == 302
    assert "IT helpdesk" in anna.get(f"/assessments/{assessment_id}/groups").get_data(as_text=True)
    confirm = anna.get(f"/assessments/{assessment_id}/groups/1/remove").get_data(as_text=True)
    assert "Remove IT helpdesk?" in confirm
    anna.post(f"/assessments/{assessment_id}/groups/1/remove")
    page = anna.get(f"/assessments/{assessment_id}/groups").get_data(as_text=True)
    assert "Removed IT helpdesk." in page
    assert ">IT helpdesk</a>" not in page
    assert ">IT</a>" in page


def test_the_progress_indicator_marks_finished_steps(anna: Browser) -> None:
    assessment_id = fill(anna, CONTOSO)
    page = anna.get(f"/assessments/{assessment_id}/groups").get_data(as_text=True)
    assert page.count('class="tick"') == 2
    assert "2. Groups (7)" in page


def test_an_incomplete_assessment_lists_what_the_plan_needs(anna: Browser) -> None:
    response = anna.post("/assessments", {"title": "T"})
    assessment_id = int(response.headers["Location"].split("/")[2])
    page = anna.get(f"/assessments/{assessment_id}/plan").get_data(as_text=True)
    assert "The plan needs more answers" in page
    assert "organisation.rollout_start" not in page  # the question by its title, linked to its field
    assert (
        f'Organisation: <a href="/assessments/{assessment_id}/organisation?check=1#f-rollout_start">' in page
    )


def test_a_group_named_like_a_script_is_only_text(anna: Browser) -> None:
    group = {**CONTOSO["groups"][0], "name": "<script>alert(1)</script>"}
    assessment_id = fill(anna, {**CONTOSO, "groups": [group]})
    for path in ("groups", "plan"):
        page = anna.get(f"/assessments/{assessment_id}/{path}").get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


FIELD_STAFF = {
    "name": "Field staff",
    "users": "120",
    "devices": "250",
    "platforms": ["windows", "ios"],
    "devices_by_platform": "Windows: 120\niOS/iPadOS: 130",
    "locations": "Umeå\nLuleå",
    "users_by_location": " umeå : 80\nLuleå 40",
    "avoid_months": "01 2027-12",
}


def _new(anna: Browser, organisation: dict[str, str] | None = None) -> int:
    response = anna.post("/assessments", {"title": "T"})
    assessment_id = int(response.headers["Location"].split("/")[2])
    answers = organisation or {"name": "T", "rollout_start": "2027-07"}
    assert anna.post(f"/assessments/{assessment_id}/organisation", answers).status_code == 302
    return assessment_id


def _exported(anna: Browser, assessment_id: int) -> dict[str, Any]:
    exported: dict[str, Any] = yaml.safe_load(
        anna.get(f"/assessments/{assessment_id}/export.yaml").get_data(as_text=True)
    )
    return exported


def test_the_calendar_and_the_divisions_are_asked_and_kept(anna: Browser) -> None:
    assessment_id = _new(
        anna, {"name": "T", "rollout_start": "2027-07", "country": " se ", "quiet_months": "07, 2027-12"}
    )
    assert anna.post(f"/assessments/{assessment_id}/groups/new", FIELD_STAFF).status_code == 302
    assessment = parse_assessment(_exported(anna, assessment_id))
    assert (assessment.organisation.country, assessment.organisation.quiet_months) == (
        "SE",
        ["07", "2027-12"],
    )
    group = assessment.groups[0]
    assert group.devices_by_platform == {"windows": 120, "ios": 130}  # platforms by their label
    assert group.users_by_location == {"umeå": 80, "Luleå": 40}
    assert group.avoid_months == ["01", "2027-12"]


def test_the_new_answers_round_trip_through_their_forms(anna: Browser) -> None:
    """Opened again, each form shows the answers as saved; saved again unchanged, nothing changes."""
    assessment_id = _new(anna, {"name": "T", "rollout_start": "2027-07", "quiet_months": "07"})
    anna.post(f"/assessments/{assessment_id}/groups/new", FIELD_STAFF)
    saved = _exported(anna, assessment_id)
    organisation = anna.get(f"/assessments/{assessment_id}/organisation").get_data(as_text=True)
    assert 'name="quiet_months" placeholder="07, 2027-12"\n         value="07"' in organisation
    page = anna.get(f"/assessments/{assessment_id}/groups/0").get_data(as_text=True)
    assert ">Windows: 120\niOS/iPadOS: 130</textarea>" in page
    assert ">umeå: 80\nLuleå: 40</textarea>" in page
    assert 'value="01, 2027-12"' in page
    assert anna.post(f"/assessments/{assessment_id}/groups/0", rendered_form(page)).status_code == 302
    organisation = anna.get(f"/assessments/{assessment_id}/organisation").get_data(as_text=True)
    assert (
        anna.post(f"/assessments/{assessment_id}/organisation", rendered_form(organisation)).status_code
        == 302
    )
    assert _exported(anna, assessment_id) == saved


def test_the_what_if_form_sends_the_new_answers_back_unchanged(anna: Browser) -> None:
    organisation = {"name": "T", "rollout_start": "2027-07", "quiet_months-none": "on", "country": "SE"}
    assessment_id = _new(anna, organisation)
    anna.post(f"/assessments/{assessment_id}/groups/new", FIELD_STAFF)
    saved = _exported(anna, assessment_id)
    shown = rendered_form(anna.get(f"/assessments/{assessment_id}/whatif").get_data(as_text=True))
    assert shown["o-quiet_months-none"] == ["on"]
    assert shown["g0-users_by_location"] == ["umeå: 80\nLuleå: 40"]
    assert anna.post(f"/assessments/{assessment_id}/whatif", {**shown, "keep": "1"}).status_code == 302
    assert _exported(anna, assessment_id) == saved
    shown = rendered_form(anna.get(f"/assessments/{assessment_id}/whatif").get_data(as_text=True))
    changed = {**shown, "g0-users_by_location": ["Umeå: 70\nLuleå: 50"], "keep": "1"}
    assert anna.post(f"/assessments/{assessment_id}/whatif", changed).status_code == 302
    assert _exported(anna, assessment_id)["groups"][0]["users_by_location"] == {"Umeå": 70, "Luleå": 50}


def test_no_quiet_months_at_all_is_not_the_usual_ones(anna: Browser) -> None:
    assessment_id = _new(anna)
    assert "quiet_months" not in _exported(anna, assessment_id)["organisation"]
    none_at_all = {"name": "T", "rollout_start": "2027-07", "quiet_months": "", "quiet_months-none": "on"}
    anna.post(f"/assessments/{assessment_id}/organisation", none_at_all)
    assert _exported(anna, assessment_id)["organisation"]["quiet_months"] == []
    page = anna.get(f"/assessments/{assessment_id}/organisation").get_data(as_text=True)
    assert re.search(r'name="quiet_months-none"\s+checked', page)
    anna.post(f"/assessments/{assessment_id}/organisation", {"name": "T", "rollout_start": "2027-07"})
    assert "quiet_months" not in _exported(anna, assessment_id)["organisation"]
    page = anna.get(f"/assessments/{assessment_id}/organisation").get_data(as_text=True)
    assert not re.search(r'name="quiet_months-none"\s+checked', page)


def test_a_wrong_division_is_named_next_to_its_field_and_the_rest_is_kept(anna: Browser) -> None:
    assessment_id = _new(anna)
    wrong = {
        **FIELD_STAFF,
        "devices_by_platform": "Windows: 120\niOS: 100",
        "users_by_location": "Umeå: 80\nLuleå: many",
        "avoid_months": "13",
    }
    page = anna.post(f"/assessments/{assessment_id}/groups/new", wrong).get_data(as_text=True)
    assert 'id="error-devices_by_platform">adds up to 220, but the group has 250 devices</small>' in page
    assert 'id="error-users_by_location">Luleå: must be a whole number</small>' in page
    assert 'id="error-avoid_months">must be a month written MM' in page
    assert ">Windows: 120\niOS/iPadOS: 100</textarea>" in page  # as typed, the platform by its label
    assert ">Umeå: 80\nLuleå: many</textarea>" in page
    assert 'value="Field staff"' in page
    assert 'value="250"' in page
    wrong = {
        **FIELD_STAFF,
        "devices_by_platform": "Windows: 250",
        "users_by_location": "Umeå: 80\nKiruna: 40",
    }
    page = anna.post(f"/assessments/{assessment_id}/groups/new", wrong).get_data(as_text=True)
    assert "must name exactly the group&#39;s platforms: ios missing</small>" in page
    assert "must name exactly the group&#39;s sites: Luleå missing; Kiruna not among them</small>" in page


def test_a_site_written_twice_and_a_wrong_country_are_refused_by_name(anna: Browser) -> None:
    assessment_id = _new(anna)
    page = anna.post(
        f"/assessments/{assessment_id}/organisation",
        {"name": "T", "rollout_start": "2027-07", "country": "Sweden"},
    ).get_data(as_text=True)
    assert 'id="error-country">must be a two-letter country code such as SE</small>' in page
    assert 'value="Sweden"' in page
    twice = {**FIELD_STAFF, "locations": "Umeå\n umeå \nLuleå", "users_by_location": ""}
    page = anna.post(f"/assessments/{assessment_id}/groups/new", twice).get_data(as_text=True)
    assert 'id="error-locations">lists the site Umeå more than once' in page


def test_the_swedish_form_names_a_wrong_division_in_swedish(anna: Browser) -> None:
    anna.post("/language", {"language": "sv", "next": "/"})
    assessment_id = _new(anna)
    wrong = {**FIELD_STAFF, "users_by_location": "Umeå: 80\nLuleå: 41"}
    page = anna.post(f"/assessments/{assessment_id}/groups/new", wrong).get_data(as_text=True)
    assert "Användare per plats, en plats per rad" in page
    assert 'id="error-users_by_location">blir sammanlagt 121, men gruppen har 120 användare</small>' in page


def test_a_new_group_form_makes_the_person_choose_and_keeps_a_default_chosen_as_the_file_means_it(
    anna: Browser,
) -> None:
    """Before: the form preselected the choices, so a group whose author skipped them got answers
    they never gave ("reluctant to change; it goes late"). Now none is preselected, the group is
    refused until each is chosen, and a default chosen is left out of the file, which means it."""
    assessment_id = _new(anna)
    fields = rendered_form(anna.get(f"/assessments/{assessment_id}/groups/new").get_data(as_text=True))
    defaults = {name: field.default for name, field in Group.model_fields.items()}
    explicit = (
        "change_readiness",
        "needs_help",
        "business_risk",
        "ownership",
        "corporate_devices",
        "personal_devices",
    )
    for name in explicit:
        assert fields[name] == [""], name
    sent = {**fields, "name": ["Defaults"], "users": ["10"], "platforms": ["windows"]}
    refused = anna.post(f"/assessments/{assessment_id}/groups/new", sent)
    assert refused.status_code == 422
    for name in ("change_readiness", "needs_help", "business_risk", "ownership"):
        assert f'id="error-{name}">not chosen yet</small>' in refused.get_data(as_text=True), name
    assert _exported(anna, assessment_id)["groups"] == []
    chosen = {**sent, **{name: [defaults[name]] for name in explicit}}
    assert anna.post(f"/assessments/{assessment_id}/groups/new", chosen).status_code == 302
    (group,) = _exported(anna, assessment_id)["groups"]
    for name in explicit:
        assert group.get(name, defaults[name]) == defaults[name], name  # a default is left out


def test_editing_a_group_keeps_what_a_directory_import_kept_on_it(app: Flask, anna: Browser) -> None:
    """The questionnaire does not ask which departments and executive titles a group holds: an
    edit of the group leaves them as the import wrote them."""
    answers = copy.deepcopy(CONTOSO)
    held = {"departments": ["HR", "Marketing"], "other_departments": True, "executive_titles": ["CEO"]}
    answers["groups"][0].update(held)
    svc = services(app)
    with svc.store.session() as db:
        owner = user_by_name(db, "anna")
    assert owner is not None
    assessment_id = create(svc, owner, "Contoso", answers, VersionKind.EDIT, "plan")
    edited = {**form_values(CONTOSO["groups"][0]), "users": "260"}
    assert anna.post(f"/assessments/{assessment_id}/groups/0", edited).status_code == 302
    exported = yaml.safe_load(anna.get(f"/assessments/{assessment_id}/export.yaml").get_data(as_text=True))
    group = exported["groups"][0]
    assert group["users"] == 260
    assert {key: group[key] for key in held} == held
