"""Questions asked only where they matter: the group form shows the method's questions that the
group's ownership and platforms call for, keeps the answers of the others, and the pages that
list answers show them only where they apply."""

from __future__ import annotations

import io
import re
from typing import Any

import jsonschema_rs
import yaml

from advisor.model.facts import Assessment, parse_assessment
from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.helpers import CHOSEN, rendered_form

CONTOSO_TEXT = (ROOT / "examples" / "contoso.yaml").read_text()
CONDITIONAL = ("personal_percent", "personal_devices", "corporate_devices", "private_use")
SOURCES = {
    "personal_devices": "https://learn.microsoft.com/mem/intune/fundamentals/deployment-guide-enrollment",
    "corporate_devices": "https://learn.microsoft.com/mem/intune/enrollment/device-enrollment",
    "private_use": "https://learn.microsoft.com/mem/intune/fundamentals/deployment-guide-platform-android",
}


def _new(anna: Browser) -> int:
    response = anna.post("/assessments", {"title": "T"})
    assessment_id = int(response.headers["Location"].split("/")[2])
    anna.post(f"/assessments/{assessment_id}/organisation", {"name": "T", "rollout_start": "2027-07"})
    return assessment_id


def _shown(page: str) -> dict[str, bool]:
    """Each conditional question on the page, and whether it is shown (not `hidden`)."""
    found = {}
    for name in CONDITIONAL:
        match = re.search(rf'<div class="field[^"]*" id="q-{name}"[^>]*>', page)
        assert match, name
        found[name] = " hidden" not in match.group()
    return found


def _exported(anna: Browser, assessment_id: int) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        anna.get(f"/assessments/{assessment_id}/export.yaml").get_data(as_text=True)
    )
    return data


def _group(ownership: str, platforms: list[str], **more: Any) -> dict[str, Any]:
    return {"name": "Sales", "users": "40", "platforms": platforms, "ownership": ownership, **more}


def test_ownership_and_platforms_decide_which_questions_are_shown(anna: Browser) -> None:
    assessment_id = _new(anna)
    expected = {
        ("corporate", ("windows",)): {"corporate_devices"},
        ("corporate", ("windows", "android")): {"corporate_devices", "private_use"},
        ("personal", ("android",)): {"personal_devices"},
        ("mixed", ("ios", "android")): {
            "personal_percent",
            "personal_devices",
            "corporate_devices",
            "private_use",
        },
    }
    for index, ((ownership, platforms), shown) in enumerate(expected.items()):
        group = _group(ownership, list(platforms), name=f"Sales {index}")  # each group its own name
        assert anna.post(f"/assessments/{assessment_id}/groups/new", group).status_code == 302
        page = anna.get(f"/assessments/{assessment_id}/groups/{index}").get_data(as_text=True)
        assert {name for name, seen in _shown(page).items() if seen} == shown, (ownership, platforms)
        # Every question is on the page for the script; only the shown ones carry their mark.
        marks = set(re.findall(r'<input type="hidden" name="asked" value="(\w+)">', page))
        assert marks == shown


def test_a_new_group_asks_about_devices_once_their_owner_is_chosen(anna: Browser) -> None:
    """Who owns the devices is a choice the person makes (none preselected): until it is made,
    no question that depends on it is shown."""
    assessment_id = _new(anna)
    page = anna.get(f"/assessments/{assessment_id}/groups/new").get_data(as_text=True)
    assert {name for name, seen in _shown(page).items() if seen} == set()
    assert '<option value="" selected>Choose…</option>' in page
    assert '<script src="/static/questions.js" defer></script>' in page


def test_the_help_links_the_microsoft_page_in_both_languages(anna: Browser) -> None:
    assessment_id = _new(anna)
    anna.post(f"/assessments/{assessment_id}/groups/new", _group("mixed", ["android"]))
    for language, words in (("en", "Microsoft's page on this"), ("sv", "Microsofts sida om detta")):
        anna.post("/language", {"language": language, "next": "/"})
        page = anna.get(f"/assessments/{assessment_id}/groups/0").get_data(as_text=True)
        for source in SOURCES.values():
            link = f'<a href="{source}" target="_blank" rel="noopener noreferrer">'
            assert link in page
            assert re.search(re.escape(link) + re.escape(words), page), language


def test_the_choices_are_plain_words_in_both_languages(anna: Browser) -> None:
    assessment_id = _new(anna)
    anna.post(f"/assessments/{assessment_id}/groups/new", _group("mixed", ["ios"]))
    page = anna.get(f"/assessments/{assessment_id}/groups/0").get_data(as_text=True)
    for label in ("Not known", "New (not yet in use)", "In use, may be reset", "In use, must not be reset"):
        assert f">{label}</option>" in page
    for label in ("Users accept enrolling them", "App protection only"):
        assert f">{label}</option>" in page
    anna.post("/language", {"language": "sv", "next": "/"})
    page = anna.get(f"/assessments/{assessment_id}/groups/0").get_data(as_text=True)
    for label in ("Inte känt", "Nya (används inte än)", "Används, får inte återställas", "Enbart appskydd"):
        assert f">{label}</option>" in page


def test_saving_the_new_answers_keeps_them(anna: Browser) -> None:
    assessment_id = _new(anna)
    answers = _group(
        "mixed",
        ["ios", "android"],
        personal_percent="30",
        personal_devices="protect_apps",
        corporate_devices="in_use_keep",
        private_use="on",
        asked=list(CONDITIONAL),
    )
    assert anna.post(f"/assessments/{assessment_id}/groups/new", answers).status_code == 302
    group = parse_assessment(_exported(anna, assessment_id)).groups[0]
    assert (group.personal_percent, group.personal_devices, group.corporate_devices, group.private_use) == (
        30,
        "protect_apps",
        "in_use_keep",
        True,
    )
    plan = anna.get(f"/assessments/{assessment_id}/plan")
    assert plan.status_code == 200


def test_a_question_that_no_longer_applies_keeps_its_answer_unseen(anna: Browser) -> None:
    """Hidden, the answer is sent back unchanged and kept: shown again, it is there."""
    assessment_id = _new(anna)
    anna.post(
        f"/assessments/{assessment_id}/groups/new",
        _group("corporate", ["android"], corporate_devices="new", private_use="on"),
    )
    page = anna.get(f"/assessments/{assessment_id}/groups/0").get_data(as_text=True)
    form = {**rendered_form(page), "ownership": ["personal"]}
    assert anna.post(f"/assessments/{assessment_id}/groups/0", form).status_code == 200  # new question
    saved = _exported(anna, assessment_id)["groups"][0]
    assert (saved["ownership"], saved["corporate_devices"], saved["private_use"]) == ("personal", "new", True)
    assert saved.get("personal_devices", "unknown") == "unknown"
    page = anna.get(f"/assessments/{assessment_id}/groups/0").get_data(as_text=True)
    assert _shown(page) == {
        "personal_percent": False,
        "personal_devices": True,
        "corporate_devices": False,
        "private_use": False,
    }
    form = {**rendered_form(page), "ownership": ["corporate"]}
    response = anna.post(f"/assessments/{assessment_id}/groups/0", form)
    assert response.status_code == 200  # without the script: shown again, with the kept answers
    page = response.get_data(as_text=True)
    assert _shown(page)["corporate_devices"]
    assert _shown(page)["private_use"]
    assert '<option value="new" selected>' in page
    assert re.search(r'name="private_use" checked', page)


def test_without_the_script_new_questions_are_shown_before_the_group_is_done(anna: Browser) -> None:
    """The form sent without its script showed the questions of the answers it was opened with:
    the questions they now ask are shown, and a choice among them that is not made yet is named
    (nothing is saved until it is); answered, the group is saved."""
    assessment_id = _new(anna)
    page = anna.get(f"/assessments/{assessment_id}/groups/new").get_data(as_text=True)
    levels = {name: CHOSEN[name] for name in ("change_readiness", "needs_help", "business_risk")}
    # The hidden choices come back unmade, as a browser sends them: the ones now asked are required.
    form = {**rendered_form(page), **levels, **_group("mixed", ["android"])}
    refused = anna.post(f"/assessments/{assessment_id}/groups/new", form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="error-personal_devices">not chosen yet</small>' in page
    assert all(_shown(page).values())
    assert _exported(anna, assessment_id)["groups"] == []  # a failed submit changes nothing
    # Sent again with every question seen and answered, the group is done.
    form = {**rendered_form(page), "personal_devices": ["enroll"], "corporate_devices": ["new"]}
    assert anna.post(f"/assessments/{assessment_id}/groups/new", form).status_code == 302
    saved = _exported(anna, assessment_id)["groups"][0]
    assert (saved["ownership"], saved["personal_devices"]) == ("mixed", "enroll")


def test_a_question_the_answers_now_ask_is_named_when_they_are_saved(anna: Browser) -> None:
    """Saved without the script, answers that bring a question the form did not show: saved, and
    the new question named at the top."""
    assessment_id = _new(anna)
    anna.post(f"/assessments/{assessment_id}/groups/new", _group("corporate", ["windows"]))
    page = anna.get(f"/assessments/{assessment_id}/groups/0").get_data(as_text=True)
    form = {**rendered_form(page), "platforms": ["windows", "android"]}
    response = anna.post(f"/assessments/{assessment_id}/groups/0", form)
    assert response.status_code == 200
    named = re.search(
        r'<div class="flash" role="status" id="new-questions">(.*?)</div>',
        response.get_data(as_text=True),
        re.S,
    )
    assert named is not None
    assert re.findall(r'href="#q-(\w+)"', named.group(1)) == ["private_use"]
    assert _exported(anna, assessment_id)["groups"][0]["platforms"] == ["windows", "android"]


def test_an_answer_never_given_to_a_hidden_question_is_left_out_of_the_file(anna: Browser) -> None:
    assessment_id = _new(anna)
    page = anna.get(f"/assessments/{assessment_id}/groups/new").get_data(as_text=True)
    form = {**rendered_form(page), **CHOSEN, **_group("corporate", ["windows"])}
    assert anna.post(f"/assessments/{assessment_id}/groups/new", form).status_code == 302
    saved = _exported(anna, assessment_id)["groups"][0]
    assert not {"personal_percent", "personal_devices", "private_use"} & set(saved)
    assert saved.get("corporate_devices", "unknown") == "unknown"


def test_a_hidden_answer_that_is_not_valid_is_removed_and_said(anna: Browser) -> None:
    assessment_id = _new(anna)
    # A draft keeps an answer that is not valid (the autosave of a half-typed group).
    draft = _group("mixed", ["ios"], personal_percent="150")
    assert anna.post(f"/assessments/{assessment_id}/groups/draft", draft).status_code == 200
    page = anna.get(f"/assessments/{assessment_id}/groups/0?check=1").get_data(as_text=True)
    assert 'id="error-personal_percent"' in page
    form = {**rendered_form(page), "ownership": ["corporate"]}
    response = anna.post(f"/assessments/{assessment_id}/groups/0", form, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert (
        "The answer to “Share of the group’s devices" in page
        or "The answer to “Share of the group&#39;s" in page
    )
    saved = _exported(anna, assessment_id)["groups"][0]
    assert "personal_percent" not in saved
    assert "Needs answers" not in anna.get(f"/assessments/{assessment_id}/groups").get_data(as_text=True)


def test_the_what_if_shows_and_keeps_the_answers_where_they_apply(anna: Browser) -> None:
    assessment_id = _new(anna)
    anna.post(
        f"/assessments/{assessment_id}/groups/new",
        _group("corporate", ["windows"], corporate_devices="in_use_keep"),
    )
    saved = _exported(anna, assessment_id)
    page = anna.get(f"/assessments/{assessment_id}/whatif").get_data(as_text=True)
    assert '<script src="/static/questions.js" defer></script>' in page
    shown = dict(re.findall(r'<div class="field[^"]*" id="q-g0-(\w+)"[^>]*?( hidden)?>', page))
    assert {name for name in CONDITIONAL if shown.get(name) == ""} == {"corporate_devices"}
    assert 'data-shown-when=\'[["g0-ownership", ["corporate", "mixed"]]]\'' in page
    form = rendered_form(page)
    assert anna.post(f"/assessments/{assessment_id}/whatif", {**form, "keep": "1"}).status_code == 302
    assert _exported(anna, assessment_id) == saved


def test_compare_lists_a_changed_answer_only_where_it_applies(anna: Browser) -> None:
    assessment_id = _new(anna)
    anna.post(f"/assessments/{assessment_id}/groups/new", _group("personal", ["windows"]))
    # An answer the questionnaire would not ask is kept when given (as a file may give it), but not listed.
    page = anna.get(f"/assessments/{assessment_id}/groups/0").get_data(as_text=True)
    form = {**rendered_form(page), "users": ["41"], "corporate_devices": ["in_use_keep"]}
    anna.post(f"/assessments/{assessment_id}/groups/0", form)
    assert _exported(anna, assessment_id)["groups"][0]["corporate_devices"] == "in_use_keep"
    page = anna.get(f"/assessments/{assessment_id}/compare").get_data(as_text=True)
    assert "Number of users" in page
    assert "The group&#39;s corporate devices are" not in page
    assert "corporate devices are" not in page
    history = anna.get(f"/assessments/{assessment_id}/history").get_data(as_text=True)
    assert "Number of users" in history
    assert "corporate devices are" not in history


def test_an_old_file_without_the_new_answers_stays_valid(anna: Browser) -> None:
    old = yaml.safe_load(CONTOSO_TEXT)
    assert not any(set(CONDITIONAL) & set(group) for group in old["groups"])
    parse_assessment(old)
    jsonschema_rs.validate(Assessment.model_json_schema(), old)
    document = anna.client.get("/api/v1/openapi.json").json
    assert document is not None
    # The API's own schema, its references resolved in the document they point into.
    jsonschema_rs.validate(
        {**document["components"]["schemas"]["Assessment"], "components": document["components"]}, old
    )
    response = anna.post(
        "/assessments/import",
        {"file": (io.BytesIO(CONTOSO_TEXT.encode()), "contoso.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assessment_id = int(response.headers["Location"].split("/")[2])
    page = anna.get(f"/assessments/{assessment_id}/groups/1").get_data(as_text=True)  # corporate
    assert _shown(page)["corporate_devices"]
    assert not _shown(page)["personal_devices"]
    assert anna.get(f"/assessments/{assessment_id}/plan").status_code == 200


def test_the_schema_documents_when_each_new_answer_is_asked(anna: Browser) -> None:
    document = anna.client.get("/api/v1/openapi.json").json
    assert document is not None
    group = document["components"]["schemas"]["Group"]
    assert not set(CONDITIONAL) & set(group.get("required", []))
    properties = group["properties"]
    assert "Asked only when ownership is mixed" in properties["personal_percent"]["description"]
    assert (
        "ownership is corporate or mixed and platforms includes android"
        in properties["private_use"]["description"]
    )
    for name, source in SOURCES.items():
        assert properties[name]["description"].endswith(f"Source: {source}")
    assert properties["corporate_devices"]["enum"] == ["unknown", "new", "in_use_reset_ok", "in_use_keep"]
    assert properties["personal_devices"]["enum"] == ["unknown", "enroll", "protect_apps"]
