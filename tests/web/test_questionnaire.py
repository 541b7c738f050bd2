"""The questionnaire: the guide's example through the forms, validation, drafts and resuming."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT
from tests.test_planner import GUIDE_TABLE_EN
from tests.web.conftest import Browser
from tests.web.helpers import fill, form_values

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
    anna.post(f"/assessments/{assessment_id}/groups/new", {"name": "Half done", "users": "12"})
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
    assert "organisation.rollout_start" in page


def test_a_group_named_like_a_script_is_only_text(anna: Browser) -> None:
    group = {**CONTOSO["groups"][0], "name": "<script>alert(1)</script>"}
    assessment_id = fill(anna, {**CONTOSO, "groups": [group]})
    for path in ("groups", "plan"):
        page = anna.get(f"/assessments/{assessment_id}/{path}").get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
